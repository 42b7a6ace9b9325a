/**
 * `fetch`/`pull` of repository imports, as DVC does: data of an `import` `.dvc` missing from the
 * cache is read from the source repository at its `rev_lock` (its cache or default remote), so a
 * fresh clone of a training repository gets its imported scenes without a remote of its own.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { Repo } from '../repo/repo.js';
import { loadDvcIgnore } from '../repo/dvcignore.js';
import { findDvcFiles, toPosixRel } from '../workspace/collect.js';
import { parseDvcFile, type DvcOut } from '../dvcfile/dvcfile.js';
import { readImport } from '../dvcfile/imports.js';
import { ObjectDB } from '../odb/odb.js';
import { isDirOid } from '../odb/layout.js';
import type { FailedObject } from '../transfer/engine.js';
import { toAppError } from '../../lib/errors.js';
import type { OpContext } from '../../lib/progress.js';
import { findTarget, openSource, outsAt, sourceBaseFor } from './source.js';
import { fetchTarget } from './fetch-target.js';

export interface FetchImportsResult {
  fetched: number;
  bytes: number;
  /** Objects now in the cache thanks to the imports (`.dir` oids and their entries). */
  present: Set<string>;
  failed: FailedObject[];
}

function complete(odb: ObjectDB, out: DvcOut): boolean {
  if (!out.oid || !odb.has(out.hashName, out.oid)) return false;
  if (!isDirOid(out.oid)) return true;
  try { return odb.readTree(out.hashName, out.oid).entries.every((e) => odb.has(out.hashName, e.oid)); } catch { return false; }
}

/** Fetches the data of the workspace's repository imports (matching `targets`) missing from the cache. */
export async function fetchImports(repo: Repo, o: OpContext & { cwd: string; targets?: string[]; jobs?: number }): Promise<FetchImportsResult> {
  const res: FetchImportsResult = { fetched: 0, bytes: 0, present: new Set(), failed: [] };
  const odb = new ObjectDB(repo.cacheDir);
  const targets = o.targets?.length ? o.targets.map((t) => resolve(o.cwd, t).replace(/\/$/, '')) : undefined;
  const within = (a: string, b: string) => { const r = relative(a, b); return r === '' || (!r.startsWith('..') && !r.startsWith('/')); };
  for (const path of findDvcFiles(repo.root, loadDvcIgnore(repo.root))) {
    let file;
    let info;
    try {
      const text = readFileSync(path, 'utf8');
      if (!text.includes('rev_lock')) continue; // not a repository import: skip the YAML parse
      file = parseDvcFile(text, path);
      info = readImport(file);
    } catch { continue; }
    if (!info || info.dep.kind !== 'repo' || !info.dep.dep.revLock) continue;
    const out = file.outs[0];
    if (!out?.oid || !out.cache) continue;
    if (targets && !targets.some((t) => t === path || within(t, out.absPath) || within(out.absPath, t))) continue;
    const mark = () => {
      res.present.add(out.oid!);
      if (isDirOid(out.oid!)) for (const e of odb.readTree(out.hashName, out.oid!).entries) res.present.add(e.oid);
    };
    if (complete(odb, out)) { mark(); continue; }
    const dep = info.dep.dep;
    try {
      const src = openSource(dep.url, sourceBaseFor(repo.root, dep.url, dirname(path)), dep.revLock);
      try {
        const target = findTarget(src, outsAt(src, dep.revLock!), dep.revLock!, dep.path);
        if (!target || target.kind === 'git') throw new Error(`'${dep.path}' is not DVC-tracked data in '${dep.url}' at ${dep.revLock!.slice(0, 7)}`);
        const data = await fetchTarget(src, target, dep.path, repo.cacheDir, { jobs: o.jobs, signal: o.signal, onProgress: o.onProgress, logger: o.logger });
        if (data.oid !== out.oid) throw new Error(`'${dep.path}' at ${dep.revLock!.slice(0, 7)} hashes to ${data.oid}, not ${out.oid} as '${toPosixRel(repo.root, path)}' records`);
        res.fetched += data.fetched;
        res.bytes += data.bytes;
        mark();
      } finally { src.close(); }
    } catch (err) {
      const e = toAppError(err);
      if (e.code === 'interrupted') throw e;
      res.failed.push({ oid: out.oid, hashName: out.hashName, paths: [toPosixRel(repo.root, out.absPath)], code: e.code, message: `import from '${dep.url}': ${e.message}` });
    }
  }
  return res;
}
