/**
 * `fsck` (also `cache check`): verifies the cache.
 *
 * 1. Every object in the cache is re-hashed on all cores (or, with `fast`, its size is compared
 *    with the size recorded in `.dvc`/`.dir` files, its mode must be read-only, and a random
 *    sample is re-hashed; `.dir` manifests are always hashed and parsed).
 * 2. Objects the selected scopes use (default: the workspace) that are not in the cache are
 *    missing.
 * 3. Corrupt objects are moved to `<cache>/quarantine/` (never deleted), so nothing takes them
 *    for data; every problem is attributed to the `.dvc`/`dvc.lock` entries and revisions using it.
 * 4. With `repair`, missing and quarantined objects are fetched again from the remote (default,
 *    then `core.fallback_remotes`), verified on arrival.
 * 5. Tracked raster files in the workspace whose size differs from the recorded one (or all of
 *    them with `geo`) get the geo integrity check (`geoCheck`: structure and GDAL's decode of every
 *    block), so a truncated or corrupt GeoTIFF is named.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Repo } from '../repo/repo.js';
import { withRepoLock } from '../repo/lock.js';
import { listCacheObjects, QUARANTINE_DIR, type CacheObject } from '../repo/cache-objects.js';
import { Git } from '../scm/git.js';
import { collectOuts, collectUsedObjects, type UsedObject } from './used.js';
import { ObjectDB, CACHE_MODE } from '../odb/odb.js';
import { verifyObjects } from '../repo/verify.js';
import { hashBuffer, initHashers, type HashName } from '../odb/hash.js';
import { isDirOid } from '../odb/layout.js';
import { parseTree } from '../odb/tree.js';
import { toPosixRel } from '../workspace/collect.js';
import { throwIfAborted } from '../../lib/errors.js';
import { throttledProgress, type OpContext } from '../../lib/progress.js';
import type { FileCheck } from '../../geo/raster/check.js';

export interface FsckOptions extends OpContext {
  /** Sizes + modes + a random sample instead of re-hashing everything. */
  fast?: boolean;
  /** Fraction of objects re-hashed with `fast` (default 0.05, at least 1 object when any). */
  sampleRate?: number;
  /** Revisions whose used objects must be present (default ['workspace']). */
  revs?: string[];
  /** Move corrupt objects to the quarantine (default true). */
  quarantine?: boolean;
  /** Fetch missing/corrupt objects again from the remotes. */
  repair?: boolean;
  /** Remote to repair from (default core.remote; then core.fallback_remotes). */
  remote?: string;
  /** Check every tracked raster of the workspace with the geo integrity check. */
  geo?: boolean;
  waitForLock?: boolean;
  /** Attribute problems to every commit (default true; false: only `revs`). */
  attributeAllCommits?: boolean;
}

export interface ObjectUse { path: string; dvcfile: string; rev: string; }

export interface FsckProblem {
  hashName: HashName;
  oid: string;
  kind: 'corrupt' | 'missing' | 'bad-mode' | 'size-mismatch' | 'bad-manifest';
  message: string;
  /** Where the object is (or should be) in the cache. */
  cachePath: string;
  expectedSize?: number;
  actualSize?: number;
  /** What the content hashes to (corrupt objects). */
  actualOid?: string;
  uses: ObjectUse[];
  quarantinedTo?: string;
  repaired?: boolean;
  repairedFrom?: string;
  repairError?: string;
}

export interface FsckResult {
  checked: number;
  hashed: number;
  bytesHashed: number;
  ok: number;
  problems: FsckProblem[];
  /** Raster checks of workspace files (problems only, unless `geo`). */
  geo: FileCheck[];
  repaired: number;
  fast: boolean;
}

const key = (h: HashName, oid: string) => `${h}:${oid}`;

/** Every (output or member) use of the given objects across `revs`, with its .dvc/dvc.lock file. */
export function attributeUses(repo: Repo, wanted: Set<string>, revs: string[]): Map<string, ObjectUse[]> {
  const out = new Map<string, ObjectUse[]>();
  if (!wanted.size) return out;
  const odb = new ObjectDB(repo.cacheDir);
  const trees = new Map<string, { relpath: string; oid: string }[] | null>();
  const push = (k: string, u: ObjectUse) => {
    let l = out.get(k);
    if (!l) out.set(k, (l = []));
    if (!l.some((x) => x.path === u.path && x.rev === u.rev && x.dvcfile === u.dvcfile)) l.push(u);
  };
  for (const rev of revs) {
    let refs;
    try { refs = collectOuts(repo, rev); } catch { continue; }
    for (const { out: o, dvcfile } of refs) {
      if (!o.oid || !o.cache) continue;
      const path = toPosixRel(repo.root, o.absPath);
      const df = dvcfile.startsWith(repo.root) ? toPosixRel(repo.root, dvcfile) : dvcfile;
      const k = key(o.hashName, o.oid);
      if (wanted.has(k)) push(k, { path, dvcfile: df, rev });
      if (!isDirOid(o.oid)) continue;
      let entries = trees.get(k);
      if (entries === undefined) {
        try { entries = odb.readTree(o.hashName, o.oid).entries.map((e) => ({ relpath: e.relpath, oid: e.oid })); } catch { entries = null; }
        trees.set(k, entries);
      }
      for (const e of entries ?? []) {
        const mk = key(o.hashName, e.oid);
        if (wanted.has(mk)) push(mk, { path: `${path}/${e.relpath}`, dvcfile: df, rev });
      }
    }
  }
  return out;
}

function sample<T>(items: T[], rate: number): T[] {
  if (!items.length) return [];
  const n = Math.max(1, Math.ceil(items.length * rate));
  const copy = items.slice();
  for (let i = copy.length - 1; i > 0; i--) { const j = Math.floor(Math.random() * (i + 1)); [copy[i], copy[j]] = [copy[j]!, copy[i]!]; }
  return copy.slice(0, n);
}

const RASTER_RE = /\.(tif|tiff|gtiff|vrt)$/i;

/** Runs fsck; takes the repository write lock when it may change the cache. */
export async function fsck(repo: Repo, opts: FsckOptions = {}): Promise<FsckResult> {
  const mutates = opts.quarantine !== false || !!opts.repair;
  return withRepoLock(repo, { write: mutates, wait: opts.waitForLock, signal: opts.signal, cmd: 'geodvc fsck' }, () => fsckLocked(repo, opts));
}

async function fsckLocked(repo: Repo, opts: FsckOptions): Promise<FsckResult> {
  const revs = opts.revs?.length ? opts.revs : ['workspace'];
  const odb = new ObjectDB(repo.cacheDir);
  const used: UsedObject[] = collectUsedObjects(repo, { revs, expandDirs: true });
  const usedByKey = new Map(used.map((u) => [key(u.hashName, u.oid), u]));
  const listing = listCacheObjects(repo.cacheDir);
  const present = new Map(listing.objects.map((o) => [key(o.hashName, o.oid), o]));
  const problems: FsckProblem[] = [];
  const res: FsckResult = { checked: listing.objects.length, hashed: 0, bytesHashed: 0, ok: 0, problems, geo: [], repaired: 0, fast: !!opts.fast };

  // --- 1. verify what is in the cache
  const toHash: CacheObject[] = [];
  const bad = new Set<string>();
  for (const o of listing.objects) {
    const k = key(o.hashName, o.oid);
    const u = usedByKey.get(k);
    if (isDirOid(o.oid)) {
      // Manifests: always hash and parse (small, and a broken one hides a whole directory).
      let bytes: Buffer;
      try { bytes = readFileSync(o.path); } catch { continue; }
      res.hashed++; res.bytesHashed += bytes.length;
      const actual = hashBuffer(bytes, o.hashName) + '.dir';
      if (actual !== o.oid) {
        problems.push({ hashName: o.hashName, oid: o.oid, kind: 'corrupt', message: `directory manifest ${o.oid} is corrupted (content hashes to ${actual})`, cachePath: o.path, actualOid: actual, actualSize: o.size, uses: [] });
        bad.add(k);
        continue;
      }
      try { parseTree(bytes, o.hashName, o.path); } catch (e) {
        problems.push({ hashName: o.hashName, oid: o.oid, kind: 'bad-manifest', message: `directory manifest ${o.oid} cannot be read: ${(e as Error).message}`, cachePath: o.path, uses: [] });
        bad.add(k);
      }
      continue;
    }
    if (opts.fast) {
      if (u?.size !== undefined && u.size !== o.size) {
        problems.push({ hashName: o.hashName, oid: o.oid, kind: 'size-mismatch', message: `object ${o.oid} has ${o.size} bytes, ${u.size} expected (truncated or overwritten)`, cachePath: o.path, expectedSize: u.size, actualSize: o.size, uses: [] });
        bad.add(k);
        continue;
      }
      if (o.mode !== CACHE_MODE) { toHash.push(o); continue; } // not protected: must be verified
    } else {
      toHash.push(o);
    }
  }
  let hashList = toHash;
  if (opts.fast) {
    const protectedOnes = listing.objects.filter((o) => !isDirOid(o.oid) && o.mode === CACHE_MODE && !bad.has(key(o.hashName, o.oid)));
    hashList = [...toHash, ...sample(protectedOnes, opts.sampleRate ?? 0.05)];
  }
  if (hashList.some((o) => o.hashName === 'xxh128')) await initHashers();
  const progress = throttledProgress(opts.onProgress);
  const totalBytes = hashList.reduce((a, o) => a + o.size, 0);
  const mismatches = await verifyObjects(hashList.map((o) => ({ path: o.path, oid: o.oid, hashName: o.hashName, size: o.size })), {
    signal: opts.signal,
    onProgress: (done, bytes) => progress({ phase: 'checking', done, total: hashList.length, bytesDone: bytes, bytesTotal: totalBytes }),
  });
  res.hashed += hashList.length;
  res.bytesHashed += totalBytes;
  const byPath = new Map(mismatches.map((m) => [m.item.path, m]));
  for (const o of hashList) {
    const k = key(o.hashName, o.oid);
    const m = byPath.get(o.path);
    if (!m) {
      if (o.mode !== CACHE_MODE && opts.quarantine !== false) { try { chmodSync(o.path, CACHE_MODE); } catch { /* shared cache */ } }
      continue;
    }
    if (m.errorCode === 'ENOENT') continue; // removed meanwhile (cannot happen under the lock)
    bad.add(k);
    if (m.actual === undefined) {
      problems.push({ hashName: o.hashName, oid: o.oid, kind: 'corrupt', message: `object ${o.oid} cannot be read: ${m.error}`, cachePath: o.path, uses: [] });
      continue;
    }
    const u = usedByKey.get(k);
    problems.push({
      hashName: o.hashName, oid: o.oid, kind: 'corrupt', cachePath: o.path, actualOid: m.actual, actualSize: o.size, expectedSize: u?.size, uses: [],
      message: `object ${o.oid} is corrupted (content hashes to ${m.actual}${u?.size !== undefined && u.size !== o.size ? `; ${o.size} bytes, ${u.size} expected` : ''})`,
    });
  }
  progress({ phase: 'checking', done: hashList.length, total: hashList.length, bytesDone: totalBytes, bytesTotal: totalBytes, finished: true });

  // --- 2. missing objects the scopes use
  for (const u of used) {
    const k = key(u.hashName, u.oid);
    if (present.has(k)) continue;
    problems.push({
      hashName: u.hashName, oid: u.oid, kind: 'missing', cachePath: odb.path(u.hashName, u.oid), expectedSize: u.size, uses: [],
      message: u.manifestMissing ? `directory manifest ${u.oid} is missing (its files cannot be checked)` : `object ${u.oid} is missing from the cache`,
    });
  }
  res.ok = res.checked - problems.filter((p) => p.kind !== 'missing').length;

  // --- 3. attribution and quarantine
  if (problems.length) {
    let attrRevs = revs;
    if (opts.attributeAllCommits !== false && !repo.noScm) {
      const git = Git.open(repo.root);
      if (git) attrRevs = [...new Set([...revs, ...git.allCommits()])];
    }
    const uses = attributeUses(repo, new Set(problems.map((p) => key(p.hashName, p.oid))), attrRevs);
    for (const p of problems) p.uses = uses.get(key(p.hashName, p.oid)) ?? [];
    if (opts.quarantine !== false) {
      const stamp = Date.now();
      for (const p of problems) {
        if (p.kind === 'missing' || !existsSync(p.cachePath)) continue;
        const q = join(repo.cacheDir, QUARANTINE_DIR, `${p.oid}.local.${stamp}`);
        mkdirSync(dirname(q), { recursive: true });
        renameSync(p.cachePath, q);
        p.quarantinedTo = q;
      }
    }
  }

  // --- 4. repair from the remotes
  if (opts.repair) {
    const want = problems.filter((p) => p.kind === 'missing' || p.quarantinedTo);
    if (want.length) {
      const { openRemotesWithFallbacks, closeRemotes } = await import('../transfer/remote.js');
      const { fetchObjects } = await import('../transfer/engine.js');
      const remotes = await openRemotesWithFallbacks(repo, opts.remote);
      try {
        const fr = await fetchObjects(repo.cacheDir, remotes, want.map((p) => ({
          hashName: p.hashName, oid: p.oid, isDir: isDirOid(p.oid), size: p.expectedSize, paths: p.uses.map((u) => u.path),
        })), { signal: opts.signal, onProgress: opts.onProgress, logger: opts.logger });
        const failed = new Map(fr.failed.map((f) => [key(f.hashName, f.oid), f.message]));
        for (const p of want) {
          if (odb.exists(p.hashName, p.oid)) { p.repaired = true; res.repaired++; }
          else p.repairError = failed.get(key(p.hashName, p.oid)) ?? 'not found on any remote';
        }
      } finally {
        await closeRemotes(remotes);
      }
    }
  }

  // --- 5. geo check of tracked rasters in the workspace
  const rasters = used.filter((u) => !u.isDir && u.revs.includes('workspace')).flatMap((u) => u.paths.filter((p) => RASTER_RE.test(p)).map((p) => ({ p, size: u.size })));
  const toCheck = rasters.filter(({ p, size }) => {
    if (opts.geo) return true;
    try { return size !== undefined && statSync(join(repo.root, p)).size !== size; } catch { return false; }
  });
  const onDisk = toCheck.filter(({ p }) => existsSync(join(repo.root, p)));
  if (onDisk.length) {
    // the same check as `geo check`: structure, then GDAL's decode of every block (issue 18)
    throwIfAborted(opts.signal);
    const { geoCheck } = await import('./geo-check.js');
    const r = await geoCheck({ cwd: repo.root, targets: onDisk.map(({ p }) => join(repo.root, p)), signal: opts.signal, onProgress: opts.onProgress });
    for (const c of r.files) if (opts.geo || !c.ok) res.geo.push(c);
  }
  return res;
}

/** Exit status of an fsck result: 0 clean (or everything repaired), 1 otherwise. */
export function fsckExitCode(r: FsckResult): number {
  const open = r.problems.filter((p) => !p.repaired);
  return open.length || r.geo.some((g) => !g.ok) ? 1 : 0;
}


// ------------------------------------------------------------------------------ remote checking

export interface RemoteFsckOptions extends OpContext {
  /** Revisions whose used objects are checked (default ['workspace']). */
  revs?: string[];
  /** Only check presence and size (no download). */
  fast?: boolean;
  /** Upload good local copies over missing/corrupt remote objects. */
  repair?: boolean;
  jobs?: number;
}

export interface RemoteFsckProblem {
  hashName: HashName;
  oid: string;
  key: string;
  kind: 'missing' | 'corrupt' | 'size-mismatch';
  message: string;
  paths: string[];
  repaired?: boolean;
  repairError?: string;
  /** The problem is in a chunk or chunk list of an object held as chunks (`key` names it). */
  chunked?: boolean;
}

export interface RemoteFsckResult { remote: string; checked: number; downloadedBytes: number; problems: RemoteFsckProblem[]; repaired: number; }

/**
 * `fsck -r REMOTE`: checks the objects the chosen revisions use on a remote: present, right size,
 * and (unless `fast`) content hashing to its name (streamed, never stored). With `repair`, a good
 * local copy (verified first) is uploaded over a missing or bad one. Read-only for the cache.
 */
export async function fsckRemote(repo: Repo, remoteName: string | undefined, opts: RemoteFsckOptions = {}): Promise<RemoteFsckResult> {
  const { openRemote } = await import('../transfer/remote.js');
  const { remoteHas } = await import('../transfer/exists.js');
  const { objectRelPath } = await import('../odb/layout.js');
  const { createHasher, hashFile } = await import('../odb/hash.js');
  const { mapLimit } = await import('../../lib/pool.js');
  const { AppError } = await import('../../lib/errors.js');
  const { checkChunkedObject, repairChunk } = await import('../transfer/chunked.js');
  const remote = await openRemote(repo, remoteName, { jobs: opts.jobs });
  const res: RemoteFsckResult = { remote: remote.name, checked: 0, downloadedBytes: 0, problems: [], repaired: 0 };
  try {
    const used = collectUsedObjects(repo, { revs: opts.revs?.length ? opts.revs : ['workspace'], expandDirs: true });
    if (used.some((u) => u.hashName === 'xxh128')) await initHashers();
    const keys = new Map(used.map((u) => [objectRelPath(u.hashName, u.oid), u]));
    const present = await remoteHas(remote.backend, [...keys.keys()], { jobs: remote.jobs, signal: opts.signal });
    const progress = throttledProgress(opts.onProgress);
    let done = 0;
    const total = keys.size;
    await mapLimit([...keys.entries()], remote.jobs, async ([k, u]) => {
      throwIfAborted(opts.signal);
      res.checked++;
      const add = (kind: RemoteFsckProblem['kind'], message: string) => res.problems.push({ hashName: u.hashName, oid: u.oid, key: k, kind, message, paths: u.paths });
      let chunked = false;
      if (!present.has(k) && !u.isDir) {
        // held as chunks on a chunked remote (docs/chunking.md)?
        const c = await checkChunkedObject(remote, u, { fast: opts.fast, signal: opts.signal, cacheDir: repo.cacheDir });
        res.downloadedBytes += c.downloaded;
        chunked = c.found;
        for (const p of c.problems) res.problems.push({ hashName: u.hashName, oid: u.oid, key: p.key, kind: p.kind, message: p.message, paths: u.paths, chunked: true });
      }
      if (chunked) { /* checked above */ } else if (!present.has(k)) add('missing', `object ${u.oid} is missing on remote '${remote.name}'`);
      else {
        const st = await remote.backend.stat(k);
        if (!st) add('missing', `object ${u.oid} is missing on remote '${remote.name}'`);
        else if (!u.isDir && u.size !== undefined && st.size !== u.size) add('size-mismatch', `object ${u.oid} on remote '${remote.name}' has ${st.size} bytes, ${u.size} expected`);
        else if (!opts.fast) {
          const h = await createHasher(u.hashName);
          const stream = await remote.backend.get(k, { signal: opts.signal });
          for await (const c of stream) { const b = typeof c === 'string' ? Buffer.from(c) : (c as Buffer); h.update(b); res.downloadedBytes += b.length; }
          const actual = h.digest() + (u.isDir ? '.dir' : '');
          if (actual !== u.oid) add('corrupt', `object ${u.oid} on remote '${remote.name}' is corrupted (content hashes to ${actual})`);
        }
      }
      progress({ phase: 'checking remote', done: ++done, total, bytesDone: res.downloadedBytes, item: u.paths[0] });
    }, opts.signal);
    progress({ phase: 'checking remote', done: total, total, bytesDone: res.downloadedBytes, finished: true });
    if (opts.repair && res.problems.length) {
      if (remote.readOnly) throw new AppError('remote-read-only', `remote '${remote.name}' is read-only`, 1, { hint: 'unset read_only to repair it' });
      const odb = new ObjectDB(repo.cacheDir);
      for (const p of res.problems) {
        const local = odb.path(p.hashName, p.oid);
        if (!existsSync(local)) { p.repairError = 'no copy in the local cache'; continue; }
        const actual = isDirOid(p.oid) ? hashBuffer(readFileSync(local), p.hashName) + '.dir' : (await hashFile(local, p.hashName)).value;
        if (actual !== p.oid) { p.repairError = 'the local copy is corrupted too (run `geodvc fsck`)'; continue; }
        if (p.chunked) {
          try {
            await repairChunk(remote, repo.cacheDir, local, { hashName: p.hashName, oid: p.oid, size: statSync(local).size }, p.key, remote.chunking === 'cdc' ? 'cdc' : 'tiles', opts.signal);
            p.repaired = true;
            res.repaired++;
          } catch (e) { p.repairError = (e as Error).message; }
          continue;
        }
        try {
          await remote.backend.put(p.key, { path: local, size: statSync(local).size }, { concurrency: remote.uploadConcurrency, partSize: remote.partSize, signal: opts.signal });
          p.repaired = true;
          res.repaired++;
        } catch (e) { p.repairError = (e as Error).message; }
      }
    }
  } finally {
    await remote.backend.close().catch(() => {});
  }
  return res;
}
