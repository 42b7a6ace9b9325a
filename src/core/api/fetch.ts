/**
 * `fetch`: download the objects the workspace (or revisions) use from a remote into the cache,
 * each hashed before it enters; a missing or corrupt object is tried from `core.fallback_remotes`.
 */
import { withDataRepo, type DataRepo } from './data-repo.js';
import { usedByRemote, toTransfer, remoteOpts, type TransferApiOptions } from './push.js';
import { openRemotesWithFallbacks, closeRemotes } from '../transfer/remote.js';
import { fetchObjects, type FetchResult, type FailedObject, type CorruptObject } from '../transfer/engine.js';
import { UsageError } from '../../lib/errors.js';
import { emptyChunkStats, type ChunkStats } from '../transfer/chunked.js';
import type { UsedObject } from './used.js';

export interface FetchApiResult {
  fetched: number;
  bytes: number;
  byRemote: Record<string, number>;
  failed: FailedObject[];
  corrupt: CorruptObject[];
  /** Objects rebuilt from chunks of chunked remotes (docs/chunking.md). */
  chunked?: ChunkStats;
}

async function fetchGroups(d: DataRepo, o: TransferApiOptions, groups: Map<string, UsedObject[]>, out: FetchApiResult, expandDirs: boolean): Promise<void> {
  for (const [name, used] of groups) {
    if (!used.length) continue;
    const remotes = await openRemotesWithFallbacks(d.repo, name || undefined, remoteOpts(o));
    try {
      const res: FetchResult = await fetchObjects(d.repo.cacheDir, remotes, used.map(toTransfer), { signal: o.signal, onProgress: o.onProgress, logger: o.logger, expandDirs });
      out.fetched += res.fetched;
      out.bytes += res.bytes;
      for (const [k, v] of Object.entries(res.byRemote)) out.byRemote[k] = (out.byRemote[k] ?? 0) + v;
      out.failed.push(...res.failed);
      out.corrupt.push(...res.corrupt);
      if (res.chunked) {
        const c = (out.chunked ??= emptyChunkStats());
        for (const k of Object.keys(c) as (keyof ChunkStats)[]) c[k] += res.chunked[k];
      }
    } finally {
      await closeRemotes(remotes);
    }
  }
}

export async function fetchInRepo(d: DataRepo, o: TransferApiOptions): Promise<FetchApiResult> {
  // repository imports: data missing here comes from the source repository, as DVC does
  // (core/imports/fetch-imports.ts); what it brought is not asked of this repository's remotes
  const imp = await (await import('../imports/fetch-imports.js')).fetchImports(d.repo, o);
  for (const f of imp.failed) o.logger?.warn(`${f.paths[0]}: ${f.message}`);
  const usedByRemoteAll = (dr: DataRepo, t: TransferApiOptions, forPush: boolean) => {
    const g = usedByRemote(dr, t, forPush);
    if (imp.present.size) for (const [k, v] of g) g.set(k, v.filter((u) => !imp.present.has(u.oid)));
    return g;
  };
  let groups = usedByRemoteAll(d, o, false);
  const out: FetchApiResult = { fetched: imp.fetched, bytes: imp.bytes, byRemote: imp.fetched ? { 'import sources': imp.fetched } : {}, failed: [], corrupt: [] };
  // Targets inside a directory whose manifest is not local yet (`pull DIR/file`, `pull --bbox` on
  // a fresh clone): get the manifests first, then select the targeted entries from them, so only
  // the selected files are downloaded rather than the whole directory.
  if (o.targets?.length && [...groups.values()].some((g) => g.some((u) => u.manifestMissing))) {
    const manifests = new Map([...groups].map(([k, g]) => [k, g.filter((u) => u.manifestMissing)]));
    await fetchGroups(d, o, manifests, out, false);
    const failedOids = new Set(out.failed.map((f) => f.oid));
    groups = usedByRemoteAll(d, o, false);
    for (const [k, g] of groups) groups.set(k, g.filter((u) => !(u.manifestMissing && failedOids.has(u.oid))));
  }
  await fetchGroups(d, o, groups, out, true);
  return out;
}

export async function fetch(o: TransferApiOptions): Promise<FetchApiResult> {
  if (o.jobs !== undefined && (!Number.isInteger(o.jobs) || o.jobs < 1)) throw new UsageError(`invalid -j/--jobs '${o.jobs}'`, { hint: 'use a positive integer, e.g. -j 8' });
  return withDataRepo(o.cwd, true, 'geodvc fetch', (d) => fetchInRepo(d, o), o.signal);
}
