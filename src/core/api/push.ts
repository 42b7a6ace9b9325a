/**
 * `push`: upload the objects the workspace (or revisions) use from the cache to a remote. Also the
 * shared plumbing of push/fetch/pull/cloud-status: which objects (targets, --all-branches/tags/
 * commits), grouped by remote (per-output `remote:` overrides `core.remote`, `-r` overrides all).
 */
import { resolve } from 'node:path';
import { withDataRepo, type DataRepo } from './data-repo.js';
import { collectUsedObjects, type UsedObject } from './used.js';
import { Git } from '../scm/git.js';
import { AppError, UsageError } from '../../lib/errors.js';
import type { OpContext } from '../../lib/progress.js';
import type { Repo } from '../repo/repo.js';
import { openRemote, closeRemotes, type OpenRemoteOptions } from '../transfer/remote.js';
import { pushObjects, type PushResult, type TransferObject } from '../transfer/engine.js';
import { emptyChunkStats, type ChunkStats } from '../transfer/chunked.js';

export interface TransferApiOptions extends OpContext {
  cwd: string;
  /** Remote name (`-r`); default: per-output `remote:`, then `core.remote`. */
  remote?: string;
  /** Objects in flight (`-j`). */
  jobs?: number;
  /** `.dvc` files, outputs, or paths inside tracked directories. */
  targets?: string[];
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
  /** Extra git revisions. */
  revs?: string[];
  /** Retry tuning (tests). */
  retries?: number;
  retryBaseDelayMs?: number;
  /** Existence-check strategy override (bench). */
  existsStrategy?: 'stat' | 'list';
  /** push to a chunked remote: also upload whole objects (DVC-readable), as `dvc_compatible` does. */
  whole?: boolean;
}

/** The revisions to read: the workspace plus branches/tags/commits asked for. */
export function revisionsFor(repo: Repo, o: TransferApiOptions): string[] {
  const revs = new Set<string>(['workspace']);
  if (o.allBranches || o.allTags || o.allCommits || o.revs?.length) {
    const git = Git.open(repo.root);
    if (!git) throw new UsageError('--all-branches/--all-tags/--all-commits need a git repository', { hint: 'run without them, or inside a git repository' });
    if (o.allBranches) for (const b of git.branches()) revs.add(b);
    if (o.allTags) for (const t of git.tags()) revs.add(t);
    if (o.allCommits) for (const c of git.allCommits()) revs.add(c);
    for (const r of o.revs ?? []) revs.add(r);
  }
  return [...revs];
}

export function toTransfer(u: UsedObject): TransferObject {
  return { hashName: u.hashName, oid: u.oid, isDir: u.isDir, size: u.isDir ? undefined : u.size, paths: u.paths };
}

/** Used objects, grouped by the remote name they go to ('' = the default remote). */
export function usedByRemote(d: DataRepo, o: TransferApiOptions, forPush: boolean): Map<string, UsedObject[]> {
  const used = collectUsedObjects(d.repo, { targets: o.targets?.length ? o.targets : undefined, cwd: o.cwd, revs: revisionsFor(d.repo, o) });
  if (o.targets?.length && used.length === 0) {
    throw new AppError('no-such-target', `no tracked data matches ${o.targets.map((t) => `'${t}'`).join(', ')}`, 1, { hint: 'pass a .dvc file, a tracked output or a path inside a tracked directory' });
  }
  // A target strictly inside a tracked directory selects some of its files, not the directory: its
  // .dir is left out (pushing it would promise files that were not selected; a fetch keeps it
  // only when the manifest is not local yet, to learn the entries).
  const targetsAbs = (o.targets ?? []).map((t) => resolve(o.cwd, t).replace(/\/+$/, ''));
  const partialDir = (u: UsedObject) => u.isDir && u.paths.some((p) => targetsAbs.some((t) => t.startsWith(`${resolve(d.repo.root, p)}/`)));
  const groups = new Map<string, UsedObject[]>();
  for (const u of used) {
    if (forPush && !u.push) continue;
    if (partialDir(u) && (forPush || !u.manifestMissing)) continue;
    const name = o.remote ?? u.remote ?? '';
    let g = groups.get(name);
    if (!g) groups.set(name, (g = []));
    g.push(u);
  }
  return groups;
}

export function remoteOpts(o: TransferApiOptions): OpenRemoteOptions {
  return { jobs: o.jobs, retries: o.retries, retryBaseDelayMs: o.retryBaseDelayMs };
}

export interface PushApiResult {
  /** One result per remote pushed to. */
  remotes: PushResult[];
  pushed: number;
  bytes: number;
  failed: number;
  /** Objects used but absent from the cache (DVC warns about them). */
  missingLocal: number;
  /** Chunked remotes: what went as chunks, summed over the remotes (docs/chunking.md). */
  chunked?: ChunkStats;
}

export async function push(o: TransferApiOptions): Promise<PushApiResult> {
  if (o.jobs !== undefined && (!Number.isInteger(o.jobs) || o.jobs < 1)) throw new UsageError(`invalid -j/--jobs '${o.jobs}'`, { hint: 'use a positive integer, e.g. -j 8' });
  return withDataRepo(o.cwd, false, 'geodvc push', async (d) => {
    const groups = usedByRemote(d, o, true);
    const out: PushApiResult = { remotes: [], pushed: 0, bytes: 0, failed: 0, missingLocal: 0 };
    for (const [name, used] of groups) {
      const r = await openRemote(d.repo, name || undefined, remoteOpts(o));
      try {
        const res = await pushObjects(d.repo.cacheDir, r, used.map(toTransfer), { signal: o.signal, onProgress: o.onProgress, logger: o.logger, existsStrategy: o.existsStrategy, whole: o.whole });
        out.remotes.push(res);
        out.pushed += res.pushed;
        out.bytes += res.bytes;
        out.failed += res.failed.length + res.dirsHeldBack.length;
        out.missingLocal += res.missingLocal.length;
        if (res.chunked) {
          const c = (out.chunked ??= emptyChunkStats());
          for (const k of Object.keys(c) as (keyof ChunkStats)[]) c[k] += res.chunked[k];
        }
      } finally {
        await closeRemotes([r]);
      }
    }
    return out;
  }, o.signal);
}
