/**
 * `pull` = fetch + checkout of what was fetched. The checkout here is deliberately conservative:
 * it creates workspace files that are missing (linked from the cache with `cache.type`), and never
 * overwrites a file that exists (a modified file is reported, as DVC asks before it overwrites).
 */
import { existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { withDataRepo, type DataRepo } from './data-repo.js';
import { collectOuts, matchesTargets } from './used.js';
import { fetchInRepo, type FetchApiResult } from './fetch.js';
import type { TransferApiOptions } from './push.js';
import { AppError, UsageError } from '../../lib/errors.js';
import { insideResolver } from '../../lib/safepath.js';

export interface PullApiResult extends FetchApiResult {
  /** Workspace files created. */
  added: string[];
  /** Files that exist and differ were left alone. */
  skippedExisting: number;
  /** Files whose object is still not in the cache. */
  notInCache: string[];
}

function checkoutMissing(d: DataRepo, o: TransferApiOptions, res: PullApiResult): void {
  const targets = o.targets?.length ? o.targets.map((t) => join(o.cwd, t)) : undefined;
  const inside = insideResolver(d.repo.root); // hardening (issue 10): nothing is written through a link leading out
  const place = (hashName: Parameters<typeof d.odb.link>[0], oid: string, abs: string, rel: string, isexec?: boolean) => {
    inside(rel, { allowFinalSymlink: true, what: 'pull target' });
    if (existsSync(abs) || isLink(abs)) { res.skippedExisting++; return; }
    if (!d.odb.exists(hashName, oid)) { res.notInCache.push(rel); return; }
    d.odb.link(hashName, oid, abs, d.linkTypes, { isexec });
    res.added.push(rel);
  };
  for (const { out, dvcfile } of collectOuts(d.repo)) {
    if (!out.cache || !out.oid) continue;
    if (!matchesTargets(out.absPath, dvcfile, targets)) continue;
    const rel = out.absPath.slice(d.repo.root.length + 1);
    if (!out.oid.endsWith('.dir')) { place(out.hashName, out.oid, out.absPath, rel); continue; }
    let tree;
    try { tree = d.odb.readTree(out.hashName, out.oid); } catch (err) { if (err instanceof AppError && err.code === 'invalid-file') throw err; res.notInCache.push(rel); continue; }
    for (const e of tree.entries) {
      const abs = `${out.absPath}/${e.relpath}`;
      if (targets && !matchesTargets(abs, dvcfile, targets)) continue;
      place(out.hashName, e.oid, abs, `${rel}/${e.relpath}`, e.isexec);
    }
  }
}

function isLink(p: string): boolean { try { return lstatSync(p).isSymbolicLink(); } catch { return false; } }

export async function pull(o: TransferApiOptions): Promise<PullApiResult> {
  if (o.jobs !== undefined && (!Number.isInteger(o.jobs) || o.jobs < 1)) throw new UsageError(`invalid -j/--jobs '${o.jobs}'`, { hint: 'use a positive integer, e.g. -j 8' });
  return withDataRepo(o.cwd, true, 'geodvc pull', async (d) => {
    const f = await fetchInRepo(d, o);
    const res: PullApiResult = { ...f, added: [], skippedExisting: 0, notInCache: [] };
    checkoutMissing(d, o, res);
    o.onProgress?.({ phase: 'checkout', done: res.added.length, total: res.added.length, finished: true });
    return res;
  }, o.signal);
}
