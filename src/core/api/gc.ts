/**
 * `gc`: removes cache objects that no kept scope uses (DVC's `dvc gc`).
 *
 * Kept, as DVC 3 keeps them: the objects of every selected scope (workspace, branches, tags, all
 * commits, `--rev` and its ancestors, commits since `--date`, experiments with
 * `--all-experiments`), always including the workspace. Not kept by default, as in DVC: objects
 * only an experiment (`refs/exps/**`) uses, and outputs recorded only by run-cache entries (the
 * entries themselves, `runs/`, are never removed; a later `repro` whose run-cache outputs are gone
 * runs the stage instead of restoring it). `keepRunCache` keeps those outputs too. The result
 * says what was kept and why (`keptBy`), how many run-cache entries lost outputs and how many
 * objects only experiments used (`experimentOnlyRemoved`), so a gc that frees little can be
 * explained. Directory members are kept through their `.dir` manifest; a used
 * directory whose manifest is missing from the cache cannot be expanded, so gc refuses to run
 * (it could not tell its members) unless `force` says otherwise.
 *
 * Crash safety: the plan is computed first; `.dir` objects are deleted before files (a surviving
 * `.dir` never points at deleted members), and only unreferenced objects are ever deleted, so a
 * SIGKILL at any point leaves a consistent cache. Temp files of interrupted writes are removed.
 * Runs under the repository write lock.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Repo } from '../repo/repo.js';
import { withRepoLock } from '../repo/lock.js';
import { listCacheObjects, removeIfEmpty, removeTempFiles, type CacheObject } from '../repo/cache-objects.js';
import { Git } from '../scm/git.js';
import { collectUsedObjects, type UsedObject } from './used.js';
import { ObjectDB } from '../odb/odb.js';
import { parseHashName, type HashName } from '../odb/hash.js';
import { isValidOid, isDirOid } from '../odb/layout.js';
import { localListRel } from '../chunk/list.js';
import { parseYamlSafe } from '../../lib/safeyaml.js';
import { AppError, UsageError, throwIfAborted } from '../../lib/errors.js';
import { throttledProgress, type OpContext } from '../../lib/progress.js';

export interface GcScopes {
  workspace?: boolean;
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
  allExperiments?: boolean;
  /** `--rev`: revisions to keep (with `num`: each and its num-1 first-parent ancestors). */
  revs?: string[];
  num?: number;
  /** Keep commits since this date (YYYY-MM-DD). */
  date?: string;
}

export interface GcOptions extends GcScopes, OpContext {
  /** Only compute and return the plan. */
  dry?: boolean;
  /** true: wait for the repository lock; undefined: retry ~3 s; false: fail at once. */
  waitForLock?: boolean;
  /** Also gc this remote (requires `cloud`). */
  cloud?: boolean;
  remote?: string;
  /** Proceed even when a used directory's manifest is missing from the cache. */
  ignoreMissingManifests?: boolean;
  /** Also keep the outputs that run-cache entries record (DVC does not). */
  keepRunCache?: boolean;
}

export interface GcRemoved { hashName: HashName; oid: string; size: number; path: string; }

export interface GcResult {
  dry: boolean;
  /** The git revisions whose objects were kept ('workspace' included). */
  revs: string[];
  keptObjects: number;
  removed: GcRemoved[];
  bytesFreed: number;
  tempFilesRemoved: number;
  /** Directories in use whose manifests were not in the cache. */
  missingManifests: string[];
  cloud?: { remote: string; removed: string[]; dry: boolean };
  /** Why objects were kept: used by the selected revisions (workspace included), additionally by run-cache entries (keepRunCache). */
  keptBy: { revisions: number; runCache: number };
  /** Run-cache entries with an output removed (or already missing): repro runs those stages again. */
  runCacheEntriesWithoutOutputs: number;
  /** Removed objects that only experiments used (keep them with --all-experiments). */
  experimentOnlyRemoved: number;
}

/** The git revisions (and 'workspace') a scope selection covers. */
export function gcRevisions(repo: Repo, s: GcScopes): string[] {
  const any = s.workspace || s.allBranches || s.allTags || s.allCommits || s.allExperiments || (s.revs && s.revs.length) || s.date;
  if (!any) {
    throw new UsageError('gc needs a scope of what to keep', {
      hint: 'use one of -w/--workspace, -a/--all-branches, -T/--all-tags, -A/--all-commits, --all-experiments, --rev REV [-n N], --date YYYY-MM-DD',
    });
  }
  const revs = new Set<string>(['workspace']);
  const needsGit = s.allBranches || s.allTags || s.allCommits || s.allExperiments || (s.revs && s.revs.length) || s.date;
  const git = repo.noScm ? null : Git.open(repo.root);
  if (needsGit && !git) throw new AppError('no-scm', 'these gc scopes need a git repository', 1, { hint: 'use -w/--workspace in a repository without git' });
  if (git && git.hasCommits()) {
    if (s.allCommits) for (const c of git.allCommits()) revs.add(c);
    if (s.allBranches) for (const b of git.branches()) revs.add(git.revParse(b)!);
    if (s.allTags) for (const t of git.tags()) { const c = git.revParse(t); if (c) revs.add(c); }
    for (const r of s.revs ?? []) {
      const c = git.revParse(r);
      if (!c) throw new UsageError(`unknown revision '${r}'`, { hint: 'check `git log` / `git branch` for a valid revision' });
      for (const a of git.revAndAncestors(c, s.num ?? 1)) revs.add(a);
    }
    if (s.date) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(s.date)) throw new UsageError(`invalid date '${s.date}'`, { hint: 'use YYYY-MM-DD' });
      const since = Date.parse(`${s.date}T00:00:00Z`) / 1000;
      if (!Number.isFinite(since)) throw new UsageError(`invalid date '${s.date}'`, { hint: 'use YYYY-MM-DD' });
      // Compare commit times ourselves: git's date parser misreads far-future dates.
      for (const line of git.run(['log', '--all', '--format=%H %ct']).split('\n')) {
        const [sha, ct] = line.split(' ');
        if (sha && Number(ct) >= since) revs.add(sha);
      }
    }
  }
  if (git && s.allExperiments) for (const { sha } of git.refs('refs/exps')) if (git.revParse(sha)) revs.add(sha);
  return [...revs];
}

/** Objects recorded by run-cache entries (`<cache>/runs/xx/key/value`), as `hashName:oid` keys. */
export function runCacheUsed(repo: Repo): { hashName: HashName; oid: string }[] {
  return runCacheEntries(repo).flat();
}

/** The outputs of each run-cache entry. */
export function runCacheEntries(repo: Repo): { hashName: HashName; oid: string }[][] {
  const root = join(repo.cacheDir, 'runs');
  const entries: { hashName: HashName; oid: string }[][] = [];
  const walk = (d: string, depth: number) => {
    let es;
    try { es = readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of es) {
      const p = join(d, e.name);
      if (e.isDirectory()) { if (depth < 3) walk(p, depth + 1); continue; }
      let data: unknown;
      try { data = parseYamlSafe(readFileSync(p, 'utf8'), { filename: p }); } catch { continue; }
      const outs = (data as { outs?: unknown })?.outs;
      if (!Array.isArray(outs)) continue;
      const out: { hashName: HashName; oid: string }[] = [];
      entries.push(out);
      for (const o of outs) {
        if (!o || typeof o !== 'object') continue;
        const rec = o as Record<string, unknown>;
        const hashName = parseHashName(rec.hash as string | undefined) ?? (rec.md5 ? 'md5-dos2unix' : undefined);
        if (!hashName) continue;
        const key = hashName === 'md5' || hashName === 'md5-dos2unix' ? 'md5' : hashName;
        const oid = rec[key];
        if (typeof oid === 'string' && isValidOid(hashName, oid)) out.push({ hashName, oid });
      }
    }
  };
  walk(root, 0);
  return entries;
}

/** Computes what gc would remove (no lock taken; use `gc` to apply). */
export function planGc(repo: Repo, opts: GcOptions): { revs: string[]; keep: Set<string>; remove: CacheObject[]; missingManifests: string[]; used: UsedObject[]; keptByRevisions: number; keptByRunCache: number; runCacheEntriesWithoutOutputs: number; experimentOnly: Set<string> } {
  const revs = gcRevisions(repo, opts);
  opts.onProgress?.({ phase: 'collecting used objects', done: 0, total: revs.length });
  const used = collectUsedObjects(repo, { revs, expandDirs: true });
  const keep = new Set<string>();
  const missingManifests: string[] = [];
  const odb = new ObjectDB(repo.cacheDir);
  const addKeep = (hashName: HashName, oid: string) => keep.add(`${hashName}:${oid}`);
  for (const u of used) {
    addKeep(u.hashName, u.oid);
    if (u.manifestMissing) missingManifests.push(`${u.paths[0]} (${u.oid})`);
  }
  const keptByRevisions = keep.size;
  const runs = runCacheEntries(repo);
  if (opts.keepRunCache) {
    // Run-cache outputs, expanding their directories.
    for (const r of runs.flat()) {
      addKeep(r.hashName, r.oid);
      if (isDirOid(r.oid)) {
        try { for (const e of odb.readTree(r.hashName, r.oid).entries) addKeep(r.hashName, e.oid); } catch { /* manifest not here: nothing more to keep */ }
      }
    }
  }
  opts.onProgress?.({ phase: 'collecting used objects', done: revs.length, total: revs.length, finished: true });
  const listing = listCacheObjects(repo.cacheDir);
  const remove = listing.objects.filter((o) => !keep.has(`${o.hashName}:${o.oid}`));
  const present = new Set(listing.objects.filter((o) => keep.has(`${o.hashName}:${o.oid}`)).map((o) => `${o.hashName}:${o.oid}`));
  const runCacheEntriesWithoutOutputs = runs.filter((outs) => outs.some((o) => !present.has(`${o.hashName}:${o.oid}`))).length;
  // Objects only experiments use (not kept unless --all-experiments): counted for the report.
  const experimentOnly = new Set<string>();
  if (!opts.allExperiments && !repo.noScm) {
    const git = Git.open(repo.root);
    const exps = git ? git.refs('refs/exps').map((r) => r.sha).filter((sha) => git.revParse(sha)) : [];
    if (exps.length) {
      for (const u of collectUsedObjects(repo, { revs: exps, expandDirs: true })) {
        const k = `${u.hashName}:${u.oid}`;
        if (!keep.has(k)) experimentOnly.add(k);
      }
    }
  }
  // .dir objects first: a surviving manifest never points at deleted members.
  remove.sort((a, b) => Number(isDirOid(b.oid)) - Number(isDirOid(a.oid)));
  return { revs, keep, remove, missingManifests, used, keptByRevisions, keptByRunCache: keep.size - keptByRevisions, runCacheEntriesWithoutOutputs, experimentOnly };
}

/** Runs gc under the repository write lock. */
export async function gc(repo: Repo, opts: GcOptions): Promise<GcResult> {
  return withRepoLock(repo, { write: !opts.dry, wait: opts.waitForLock, signal: opts.signal, cmd: 'geodvc gc' }, async () => {
    const plan = planGc(repo, opts);
    if (plan.missingManifests.length && !opts.ignoreMissingManifests && !opts.dry) {
      throw new AppError('gc-missing-manifest', `cannot tell which files ${plan.missingManifests.length} used director${plan.missingManifests.length === 1 ? 'y holds' : 'ies hold'}: their .dir manifest is not in the cache (${plan.missingManifests.slice(0, 3).join(', ')}${plan.missingManifests.length > 3 ? ', ...' : ''})`, 1, {
        hint: 'fetch them first (`geodvc fetch`), or pass --skip-failed to delete unreferenced objects anyway (members of those directories may be removed)',
        details: { missingManifests: plan.missingManifests },
      });
    }
    const result: GcResult = {
      dry: !!opts.dry, revs: plan.revs, keptObjects: plan.keep.size, removed: [], bytesFreed: 0, tempFilesRemoved: 0, missingManifests: plan.missingManifests,
      keptBy: { revisions: plan.keptByRevisions, runCache: plan.keptByRunCache },
      runCacheEntriesWithoutOutputs: plan.runCacheEntriesWithoutOutputs,
      experimentOnlyRemoved: plan.remove.filter((o) => plan.experimentOnly.has(`${o.hashName}:${o.oid}`)).length,
    };
    const progress = throttledProgress(opts.onProgress);
    const total = plan.remove.length;
    const dirs = new Set<string>();
    for (let i = 0; i < plan.remove.length; i++) {
      const o = plan.remove[i]!;
      if (!opts.dry) {
        throwIfAborted(opts.signal);
        rmSync(o.path, { force: true });
        dirs.add(dirname(o.path));
        // its remembered chunk lists (derived data of chunked remotes, docs/chunking.md)
        if (o.hashName !== 'md5-dos2unix' && !o.oid.endsWith('.dir')) for (const m of ['tiles', 'cdc'] as const) rmSync(join(repo.cacheDir, localListRel(m, o.hashName, o.oid)), { force: true });
      }
      result.removed.push({ hashName: o.hashName, oid: o.oid, size: o.size, path: o.path });
      result.bytesFreed += o.size;
      progress({ phase: opts.dry ? 'planning gc' : 'removing', done: i + 1, total, bytesDone: result.bytesFreed, item: o.oid });
    }
    progress({ phase: opts.dry ? 'planning gc' : 'removing', done: total, total, bytesDone: result.bytesFreed, finished: true });
    if (!opts.dry) {
      for (const d of dirs) removeIfEmpty(d);
      result.tempFilesRemoved = removeTempFiles(listCacheObjects(repo.cacheDir));
    }
    if (opts.cloud) result.cloud = await gcRemote(repo, plan.keep, opts);
    return result;
  });
}

/** Removes from a remote every object (under files/<algo>/ and legacy prefixes) not in `keep`. */
async function gcRemote(repo: Repo, keep: Set<string>, opts: GcOptions): Promise<{ remote: string; removed: string[]; dry: boolean }> {
  const { getRemote } = await import('../repo/config.js');
  const { openBackend } = await import('../../storage/registry.js');
  const remote = getRemote(repo, opts.remote);
  const backend = await openBackend(remote.url, remote.options, { baseDir: repo.root });
  const removed: string[] = [];
  try {
    if (!backend.canList) throw new AppError('gc-cloud-unsupported', `cannot gc remote '${remote.name}': ${backend.scheme} remotes cannot be listed`, 1, { hint: 'gc the remote on the server side, or use a listable remote' });
    if (remote.options.read_only && /^(true|1|yes)$/i.test(remote.options.read_only)) throw new AppError('remote-read-only', `remote '${remote.name}' is read-only`, 1, { hint: 'unset read_only to gc it' });
    const toDelete: string[] = [];
    for (const algo of ['md5', 'xxh128', 'sha256'] as HashName[]) {
      for await (const key of backend.list(`files/${algo}/`, opts.signal)) {
        const m = /^files\/[a-z0-9]+\/([0-9a-f]{2})\/([0-9a-f.dir]+)$/.exec(key);
        if (!m) continue;
        const oid = m[1]! + m[2]!;
        if (!isValidOid(algo, oid)) continue;
        if (!keep.has(`${algo}:${oid}`)) toDelete.push(key);
      }
    }
    // Legacy objects at the remote root: xx/rest.
    for await (const key of backend.list('', opts.signal)) {
      const m = /^([0-9a-f]{2})\/([0-9a-f]{30}(?:\.dir)?)$/.exec(key);
      if (!m) continue;
      if (!keep.has(`md5-dos2unix:${m[1]}${m[2]}`)) toDelete.push(key);
    }
    toDelete.sort((a, b) => Number(b.endsWith('.dir')) - Number(a.endsWith('.dir')));
    for (const k of toDelete) {
      throwIfAborted(opts.signal);
      if (!opts.dry) await backend.delete(k);
      removed.push(k);
    }
    // chunked objects (docs/chunking.md): lists of removed objects, then chunks no kept list uses
    const { gcChunked } = await import('../transfer/chunked.js');
    const c = await gcChunked(backend, keep, { dry: opts.dry, signal: opts.signal, cacheDir: repo.cacheDir });
    removed.push(...c.removed);
    if (c.unreadableLists.length) opts.logger?.warn(`remote '${remote.name}': ${c.unreadableLists.length} chunk list(s) could not be read (${c.unreadableLists.slice(0, 3).join(', ')}); no chunks were removed`);
    // pack files (docs/chunking.md): a damaged index keeps its pack; packs still in use are not rewritten
    if (c.unreadableIndexes.length) opts.logger?.warn(`remote '${remote.name}': ${c.unreadableIndexes.length} pack index(es) could not be read (${c.unreadableIndexes.slice(0, 3).join(', ')}); their packs were kept`);
    if (c.packGarbageBytes) opts.logger?.info(`remote '${remote.name}': ${(c.packGarbageBytes / 2 ** 20).toFixed(1)} MiB of unused chunks stay in packs that also hold used ones (packs are not rewritten)`);
  } finally {
    await backend.close();
  }
  return { remote: remote.name, removed, dry: !!opts.dry };
}

