/**
 * The transfer engine: push (cache → remote), fetch (remote → cache) and cloud status over a
 * bounded pool. Only missing objects move (batch existence checks, see exists.ts); big objects go
 * as concurrent multipart uploads and come back as concurrent ranged GETs; every downloaded byte
 * is hashed before the object is renamed into the cache (a mismatch is quarantined and the object
 * is tried from the next remote); a `.dir` manifest is uploaded only after all of its entries.
 * Objects are written atomically on both sides, so an interrupted run is resumed by running it
 * again: what arrived is skipped, what did not is sent.
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync, writeFileSync, chmodSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { setMaxListeners } from 'node:events';
import { getBuffer, type Backend, type PutSource } from '../../storage/backend.js';
import { StorageError } from '../../storage/errors.js';
import { withRetry, isRetryable } from '../../storage/retry.js';
import { ObjectDB, CACHE_MODE } from '../odb/odb.js';
import { objectRelPath, isDirOid } from '../odb/layout.js';
import { createHasher, hashBuffer, hashFileWith, initHashers, type HashName } from '../odb/hash.js';
import { parseTree } from '../odb/tree.js';
import { HashPool, followHash, poolError, sameSource, type PoolResult } from '../odb/pool.js';
import { QUARANTINE_DIR } from '../repo/cache-objects.js';
import { mapLimitSettled } from '../../lib/pool.js';
import { AppError, InterruptedError, toAppError } from '../../lib/errors.js';
import { tmpPathFor } from '../../lib/atomic.js';
import { throttledProgress, type OpContext, type ProgressFn } from '../../lib/progress.js';
import { remoteHas } from './exists.js';
import { ENGINE_RETRY, isFatal, isRemoteLevel } from './faults.js';
import { DEFAULT_CHUNK_THRESHOLD } from './remote.js';
import { buildLocalChunkIndex, emptyChunkStats, fetchChunked, isChunkedRemote, pushChunked, saveLocalList, type ChunkFetchOutcome, type ChunkStats, type LocalChunkIndex } from './chunked.js';
import { chunkHashFor } from '../chunk/chunker.js';
import { listKey, MARKER_KEY } from '../chunk/list.js';
import type { RemoteHandle } from './remote.js';

export interface TransferObject {
  hashName: HashName;
  oid: string;
  isDir: boolean;
  size?: number;
  /** Repo paths that use it (for messages). */
  paths: string[];
  /** Its key on remotes and in the cache (`files/md5/ab/cdef…`), set once by keyOf. */
  key?: string;
}

export interface FailedObject {
  oid: string;
  hashName: HashName;
  paths: string[];
  code: string;
  message: string;
}

export interface CorruptObject {
  oid: string;
  remote: string;
  paths: string[];
  /** Hash of what the remote sent. */
  actual: string;
  /** Where the bad copy was kept. */
  quarantined?: string;
}

export interface PushResult {
  remote: string;
  /** Objects uploaded now. */
  pushed: number;
  bytes: number;
  /** Already on the remote. */
  skipped: number;
  /** Not in the local cache: cannot be pushed. */
  missingLocal: FailedObject[];
  failed: FailedObject[];
  /** Directories whose `.dir` was held back because an entry is missing or failed. */
  dirsHeldBack: string[];
  /** Chunked remotes: what went as chunks (bytes above include chunk and list bytes sent). */
  chunked?: ChunkStats;
}

export interface FetchResult {
  /** Objects downloaded now, per remote name. */
  fetched: number;
  bytes: number;
  /** Already in the cache. */
  skipped: number;
  byRemote: Record<string, number>;
  failed: FailedObject[];
  corrupt: CorruptObject[];
  /** Objects rebuilt from chunks (bytes above count only chunk and list bytes downloaded). */
  chunked?: ChunkStats;
}

export interface TransferOptions extends OpContext {
  /** Existence-check strategy override (bench/tests). */
  existsStrategy?: 'stat' | 'list';
  /** fetch: also download every entry of the directories (default true); false = manifests only. */
  expandDirs?: boolean;
  /** push to a chunked remote: also upload whole objects (as the remote option `dvc_compatible`). */
  whole?: boolean;
}

/**
 * The object's key, computed once and kept on the object: every map and set of a run then shares
 * one string per object instead of holding a copy each (100,000 objects, five maps).
 */
const keyOf = (o: TransferObject): string => (o.key ??= objectRelPath(o.hashName, o.oid));

function failure(o: TransferObject, err: unknown): FailedObject {
  const e = toAppError(err);
  return { oid: o.oid, hashName: o.hashName, paths: o.paths, code: e.code, message: e.message };
}

/** One object per key; the callers' objects are reused (copied only when paths must be merged). */
function dedupe(objs: TransferObject[]): TransferObject[] {
  const m = new Map<string, TransferObject>();
  const copied = new Set<TransferObject>();
  for (const o of objs) {
    const k = keyOf(o);
    let prev = m.get(k);
    if (!prev) { m.set(k, o); continue; }
    if (!copied.has(prev)) { prev = { ...prev, paths: [...prev.paths] }; copied.add(prev); m.set(k, prev); }
    for (const p of o.paths) if (!prev.paths.includes(p)) prev.paths.push(p);
  }
  return [...m.values()];
}

// ------------------------------------------------------------------------------------------ push

export async function pushObjects(cacheDir: string, remote: RemoteHandle, objects: TransferObject[], o: TransferOptions = {}): Promise<PushResult> {
  if (remote.readOnly) {
    throw new AppError('remote-read-only', `remote '${remote.name}' is read-only`, 1, { hint: `push to another remote (-r NAME), or \`geodvc remote modify ${remote.name} read_only false\`` });
  }
  if (o.signal) setMaxListeners(0, o.signal);
  const odb = new ObjectDB(cacheDir);
  const progress = throttledProgress(o.onProgress);
  const all = dedupe(objects);
  const res: PushResult = { remote: remote.name, pushed: 0, bytes: 0, skipped: 0, missingLocal: [], failed: [], dirsHeldBack: [] };

  // Members of each directory, from the local manifests (a `.dir` goes up only after all of them).
  const members = new Map<string, TransferObject[]>();
  const byKey = new Map(all.map((x) => [keyOf(x), x]));
  for (const d of all.filter((x) => x.isDir)) {
    try {
      const tree = odb.readTree(d.hashName, d.oid);
      const list: TransferObject[] = [];
      for (const e of tree.entries) {
        const k = objectRelPath(d.hashName, e.oid);
        let m = byKey.get(k);
        if (!m) { m = { hashName: d.hashName, oid: e.oid, isDir: false, size: e.size, paths: d.paths.map((p) => `${p}/${e.relpath}`), key: k }; byKey.set(k, m); all.push(m); }
        list.push(m);
      }
      members.set(d.oid, list);
    } catch { /* manifest not in the cache: reported below as missing locally */ }
  }

  // Local presence (trusted read-only objects are not re-hashed).
  const local: TransferObject[] = [];
  for (const x of all) {
    if (odb.has(x.hashName, x.oid, x.isDir ? undefined : x.size)) local.push(x);
    else res.missingLocal.push({ oid: x.oid, hashName: x.hashName, paths: x.paths, code: 'missing-cache', message: `${x.paths[0] ?? x.oid} (${x.oid}) is not in the local cache` });
  }
  throwIfAborted(o.signal);

  progress({ phase: 'checking remote', done: 0, total: local.length });
  const localSizes = new Map<string, number>();
  // odb.has checked the recorded size of files; only directories (and files of unknown size) need a stat
  for (const x of local) localSizes.set(keyOf(x), x.size !== undefined && !x.isDir ? x.size : statSync(odb.path(x.hashName, x.oid)).size);
  const present = await remoteHas(remote.backend, local.map(keyOf), { jobs: Math.max(remote.jobs, 8), signal: o.signal, strategy: o.existsStrategy, sizes: localSizes, faultyAsAbsent: true, onProgress: (d, t) => progress({ phase: 'checking remote', done: d, total: t }) });
  progress({ phase: 'checking remote', done: local.length, total: local.length, finished: true });

  // Chunked remote: big files go as chunks + a chunk list (and also whole with dvc_compatible).
  const chunkTodo: TransferObject[] = [];
  const viaChunks = new Set<TransferObject>();
  if (isChunkedRemote(remote)) {
    const threshold = remote.chunkThreshold ?? DEFAULT_CHUNK_THRESHOLD;
    const cands = local.filter((x) => !x.isDir && x.hashName !== 'md5-dos2unix' && localSizes.get(keyOf(x))! >= threshold);
    const lists = await remoteHas(remote.backend, cands.map((x) => listKey(x.hashName, x.oid)), { jobs: Math.max(remote.jobs, 8), signal: o.signal, strategy: o.existsStrategy, faultyAsAbsent: true });
    for (const x of cands) {
      const hasList = lists.has(listKey(x.hashName, x.oid));
      if (!remote.dvcCompatible && !o.whole) {
        viaChunks.add(x);
        if (hasList) present.add(keyOf(x));
        else if (!present.has(keyOf(x))) chunkTodo.push(x);
      } else if (!hasList) chunkTodo.push(x);
    }
  }
  const todoFiles = local.filter((x) => !x.isDir && !present.has(keyOf(x)) && !viaChunks.has(x));
  const todoDirs = local.filter((x) => x.isDir && !present.has(keyOf(x)));
  const chunkOnly = chunkTodo.filter((x) => present.has(keyOf(x)) || viaChunks.has(x));
  res.skipped = local.length - todoFiles.length - todoDirs.length - chunkOnly.length;
  let bytesTotal = 0;
  for (const x of todoFiles) bytesTotal += localSizes.get(keyOf(x))!;
  for (const x of todoDirs) bytesTotal += localSizes.get(keyOf(x))!;
  const total = todoFiles.length + todoDirs.length;
  let done = 0;
  let bytesDone = 0;
  const report = (item?: string, finished = false) => progress({ phase: 'pushing', done, total, bytesDone, bytesTotal, item, finished });
  report();

  let remoteDown: unknown;
  const upload = async (x: TransferObject) => {
    if (remoteDown) throw remoteDown;
    const key = keyOf(x);
    const size = localSizes.get(key)!;
    let sentThisTry = 0;
    try {
      await withRetry('push', remote.url, async () => {
        bytesDone -= sentThisTry;
        sentThisTry = 0;
        // Small objects go as bytes (one read instead of a stream per object), read asynchronously
        // so `jobs` reads are in flight when the cache is not in memory. A local remote copies in
        // the kernel instead (copy_file_range).
        const path = odb.path(x.hashName, x.oid);
        const src: PutSource = size <= SMALL_OBJECT && !remote.backend.localPath ? { data: await readFile(path) } : { path, size };
        await remote.backend.put(key, src, {
          concurrency: remote.uploadConcurrency, partSize: remote.partSize, signal: o.signal,
          onBytes: (n) => { sentThisTry += n; bytesDone += n; report(x.paths[0]); },
        });
      }, ENGINE_RETRY, o.signal);
    } catch (err) {
      bytesDone -= sentThisTry;
      if (isRemoteLevel(err)) remoteDown ??= err;
      throw err;
    }
    if (sentThisTry < size) bytesDone += size - sentThisTry;
    done++;
    res.pushed++;
    res.bytes += size;
    present.add(key);
    report(x.paths[0]);
  };

  const runAll = async (xs: TransferObject[]) => {
    const settled = await mapLimitSettled(xs, remote.jobs, upload, o.signal);
    settled.forEach((s, i) => {
      if (s.status === 'rejected') {
        if (isFatal(s.reason)) throw toAppError(s.reason);
        res.failed.push(failure(xs[i]!, s.reason));
      }
    });
    // the remote itself failed (unreachable, access denied, no bucket): one clear error for the run
    if (remoteDown) throw remoteDown;
  };

  // Small objects first in one pool; big ones also run in the same pool with their own part concurrency.
  await runAll(todoFiles);
  if (chunkTodo.length) {
    const c = await pushChunked(remote, chunkTodo.map((x) => ({ hashName: x.hashName, oid: x.oid, size: localSizes.get(keyOf(x))!, path: odb.path(x.hashName, x.oid), paths: x.paths })), {
      cacheDir, signal: o.signal, existsStrategy: o.existsStrategy,
      report: (phase, d, t, bd, bt, item, finished) => progress({ phase, done: d, total: t, bytesDone: bd, bytesTotal: bt, item, finished }),
    });
    res.chunked = c.stats;
    res.bytes += c.stats.bytesMoved + c.stats.listBytes;
    const only = new Set(chunkOnly.map((x) => x.oid));
    for (const it of c.done) {
      if (only.has(it.oid)) res.pushed++;
      const x = chunkTodo.find((t) => t.oid === it.oid && t.hashName === it.hashName);
      if (x && viaChunks.has(x)) present.add(keyOf(x));
    }
    for (const f of c.failed) {
      const x = chunkTodo.find((t) => t.oid === f.item.oid && t.hashName === f.item.hashName)!;
      res.failed.push(failure(x, f.error));
    }
  }
  // Directories: only when every member is on the remote now.
  const readyDirs: TransferObject[] = [];
  for (const d of todoDirs) {
    const ms = members.get(d.oid);
    if (ms && ms.every((m) => present.has(keyOf(m)))) readyDirs.push(d);
    else res.dirsHeldBack.push(d.oid);
  }
  await runAll(readyDirs);
  report(undefined, true);
  return res;
}

// ----------------------------------------------------------------------------------------- fetch

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new InterruptedError();
}

async function pipeToFd(stream: Readable, fd: number, position: number | null, hasher: { update(c: Uint8Array): void } | undefined, onBytes: (n: number) => void, signal?: AbortSignal): Promise<number> {
  let n = 0;
  let pos = position;
  try {
    for await (const chunk of stream) {
      if (signal?.aborted) throw new InterruptedError();
      const buf = chunk as Buffer;
      hasher?.update(buf);
      let off = 0;
      while (off < buf.length) {
        const w = writeSync(fd, buf, off, buf.length - off, pos);
        off += w;
        if (pos !== null) pos += w;
      }
      n += buf.length;
      onBytes(buf.length);
    }
  } catch (err) {
    stream.destroy();
    throw err;
  }
  return n;
}

interface DownloadOutcome { ok: boolean; actual: string; size: number }

/** Objects of a known size up to this are downloaded into memory, hashed and written at once. */
const SMALL_OBJECT = 1 << 20;

function ensureDir(dir: string, made: Set<string>): void {
  if (made.has(dir)) return;
  mkdirSync(dir, { recursive: true });
  made.add(dir);
}

const withDirSuffix = (x: TransferObject, digest: string) => (isDirOid(x.oid) ? digest + '.dir' : digest);

/**
 * Downloads one object of `remote` into `tmp` and hashes it:
 * - small objects of a known size: into memory, hashed, written with one call;
 * - a local-directory remote: copied and hashed in one pass (no second read);
 * - a backend with its own file download (SFTP: many reads in flight): that, then hashed;
 * - large objects: concurrent ranged GETs written at their offsets, hashed in order as the
 *   contiguous prefix completes (hashing overlaps the download instead of following it);
 * - otherwise one stream, hashed as it is written.
 */
/** Big objects of a local-directory remote are hashed on one worker while another copies them. */
const SPLIT_FETCH_BYTES = 32 << 20;

/**
 * A big object of a local-directory remote: one worker hashes the remote file while another copies
 * it into a temp file in the cache in the kernel (copy_file_range), as `add` does, so the copy
 * overlaps the hash instead of following it. The copy is the object only if both saw the same
 * (ino, mtime, size) of the remote file; the caller compares the hash with the oid as usual.
 */
async function splitLocalFetch(pool: HashPool, src: string, x: TransferObject, tmp: string, cacheDir: string, onBytes: (n: number) => void, signal: AbortSignal | undefined): Promise<DownloadOutcome> {
  const size = x.size!;
  let last = 0;
  let results: PoolResult[];
  try {
    results = await pool.run({
      op: 'hash', name: x.hashName, cache: cacheDir, signal,
      items: [{ path: src, size, op: 'hash' }, { path: src, size, op: 'copy-tmp' }],
      // both items report bytes: half of the total is this object's progress
      onProgress: (_d, bytes) => { const t = Math.min(size, Math.round(bytes / 2)); onBytes(t - last); last = t; },
    });
  } catch (err) {
    if (signal?.aborted) throw new InterruptedError();
    throw err;
  }
  const [h, c] = results as [PoolResult, PoolResult];
  const drop = () => { if (c.tmp) rmSync(c.tmp, { force: true }); };
  const failed = h.error ?? c.error;
  if (failed) {
    drop();
    const e = poolError(failed);
    if (failed.code === 'ENOENT') throw new StorageError('object-missing', `${keyOf(x)} not found on remote (${src})`, { cause: e });
    throw toAppError(e);
  }
  if (!sameSource(h, c)) {
    drop();
    throw new StorageError('transient', `${src} changed on the remote while it was being fetched`);
  }
  try { renameSync(c.tmp!, tmp); } catch (err) { drop(); throw err; }
  if (size > last) onBytes(size - last);
  return { ok: withDirSuffix(x, h.oid!) === x.oid, actual: h.oid!, size: h.size! };
}

async function downloadObject(remote: RemoteHandle, x: TransferObject, tmp: string, onBytes: (n: number) => void, signal: AbortSignal | undefined, dirs: Set<string>, cacheDir: string): Promise<DownloadOutcome> {
  const key = keyOf(x);
  const b: Backend = remote.backend;
  ensureDir(dirname(tmp), dirs);
  if (x.size !== undefined && x.size <= SMALL_OBJECT && !x.isDir) {
    const bytes = b.getSmall ? await b.getSmall(key, signal) : await getBuffer(b, key, { signal });
    onBytes(bytes.length);
    const actual = hashBuffer(bytes, x.hashName);
    writeFileSync(tmp, bytes, { mode: 0o644 });
    return { ok: actual === x.oid, actual, size: bytes.length };
  }
  if (b.localPath) {
    const src = b.localPath(key);
    if (!src) throw new StorageError('object-missing', `${key} not found on remote '${remote.name}'`);
    const pool = HashPool.shared();
    if (!x.isDir && (x.size ?? 0) >= SPLIT_FETCH_BYTES && pool.size >= 2 && x.hashName !== 'md5-dos2unix') {
      return await splitLocalFetch(pool, src, x, tmp, cacheDir, onBytes, signal);
    }
    const fd = openSync(tmp, 'w', 0o644);
    try {
      let last = 0;
      const h = hashFileWith(src, await createHasher(x.hashName), { copyToFd: fd, signal, onBytes: (t) => { onBytes(t - last); last = t; } });
      return { ok: withDirSuffix(x, h.value) === x.oid, actual: h.value, size: h.size };
    } finally {
      closeSync(fd);
    }
  }
  if (b.getToFile) {
    let last = 0;
    await b.getToFile(key, tmp, { signal, onBytes: (n) => { onBytes(n); last += n; } });
    const h = hashFileWith(tmp, await createHasher(x.hashName), { signal });
    if (h.size > last) onBytes(h.size - last);
    return { ok: withDirSuffix(x, h.value) === x.oid, actual: h.value, size: h.size };
  }
  let size = x.size;
  const part = remote.partSize;
  if (size !== undefined && size >= 2 * part && remote.downloadConcurrency > 1) {
    const st = await b.stat(key);
    if (!st) throw new StorageError('object-missing', `${key} not found on remote '${remote.name}'`);
    size = st.size;
  }
  if (size !== undefined && size >= 2 * part && remote.downloadConcurrency > 1) {
    const fd = openSync(tmp, 'w+', 0o644);
    // A worker thread hashes the parts in order as soon as the contiguous prefix is on disk (read
    // back from the page cache), so the hash is ready when the last part lands and this thread
    // stays free to receive: hashing md5 here stalled the sockets for seconds per GiB.
    const hashing = followHash(tmp, size, x.hashName);
    try {
      const parts: { start: number; end: number; done: boolean }[] = [];
      for (let s = 0; s < size; s += part) parts.push({ start: s, end: Math.min(size, s + part) - 1, done: false });
      let cursor = 0;
      const advance = () => {
        while (cursor < parts.length && parts[cursor]!.done) cursor++;
        hashing.complete(cursor < parts.length ? parts[cursor]!.start : size);
      };
      const settled = await mapLimitSettled(parts, remote.downloadConcurrency, async (p) => {
        let got = 0;
        await withRetry('get-range', remote.url, async () => {
          onBytes(-got);
          got = 0;
          const s = await b.get(key, { range: p, signal });
          got = await pipeToFd(s, fd, p.start, undefined, (n) => { onBytes(n); }, signal);
          if (got !== p.end - p.start + 1) throw new StorageError('transient', `short read of ${key} bytes ${p.start}-${p.end} from '${remote.name}'`);
        }, ENGINE_RETRY, signal);
        p.done = true;
        advance();
      }, signal);
      const bad = settled.find((s) => s.status === 'rejected') as PromiseRejectedResult | undefined;
      if (bad) throw bad.reason;
      advance();
      const { oid: actual, size: hashed } = await hashing.result();
      return { ok: withDirSuffix(x, actual) === x.oid, actual, size: hashed };
    } catch (err) {
      await hashing.abort();
      throw err;
    } finally {
      closeSync(fd);
    }
  }
  const hasher = await createHasher(x.hashName);
  const fd = openSync(tmp, 'w', 0o644);
  try {
    const s = await b.get(key, { signal });
    const n = await pipeToFd(s, fd, null, hasher, onBytes, signal);
    const actual = hasher.digest();
    return { ok: withDirSuffix(x, actual) === x.oid, actual, size: n };
  } finally {
    closeSync(fd);
  }
}

/**
 * Downloads the objects missing from the cache, trying `remotes` in order for each object (the
 * first is the chosen remote, then `core.fallback_remotes`). `.dir` manifests come first so their
 * entries can be added.
 */
export async function fetchObjects(cacheDir: string, remotes: RemoteHandle[], objects: TransferObject[], o: TransferOptions = {}): Promise<FetchResult> {
  if (objects.some((x) => x.hashName === 'xxh128')) await initHashers();
  if (o.signal) setMaxListeners(0, o.signal);
  const odb = new ObjectDB(cacheDir);
  const progress: ProgressFn = throttledProgress(o.onProgress);
  const res: FetchResult = { fetched: 0, bytes: 0, skipped: 0, byRemote: {}, failed: [], corrupt: [] };
  const primary = remotes[0]!;
  let all = dedupe(objects);
  const seen = new Set(all.map(keyOf));
  let done = 0;
  let total = 0;
  let bytesDone = 0;
  let bytesTotal = 0;
  const report = (item?: string, finished = false) => progress({ phase: 'fetching', done, total, bytesDone, bytesTotal, item, finished });

  const down = new Map<string, unknown>();
  // chunked remotes: where chunks already in the cache are (built on first use), which remotes carry the marker
  const indexes = new Map<HashName, LocalChunkIndex>();
  const localIndex = (h: HashName) => () => {
    let idx = indexes.get(h);
    if (!idx) indexes.set(h, (idx = buildLocalChunkIndex(cacheDir, chunkHashFor(h), (a, oid) => odb.path(a, oid))));
    return idx;
  };
  const markers = new Map<string, Promise<boolean>>();
  const hasMarker = (r: RemoteHandle) => {
    let m = markers.get(r.name);
    if (!m) markers.set(r.name, (m = r.backend.stat(MARKER_KEY).then((st) => !!st, () => false)));
    return m;
  };
  const chunkable = (x: TransferObject) => !x.isDir && x.hashName !== 'md5-dos2unix';
  const madeDirs = new Set<string>();
  const fetchOne = async (x: TransferObject): Promise<void> => {
    const final = odb.path(x.hashName, x.oid);
    let lastErr: unknown;
    for (const r of remotes) {
      throwIfAborted(o.signal);
      if (down.has(r.name)) { lastErr ??= down.get(r.name); continue; }
      const tmp = tmpPathFor(final);
      let counted = 0;
      try {
        const onBytes = (n: number) => { counted += n; bytesDone += n; report(x.paths[0]); };
        let chunkOut: ChunkFetchOutcome | null = null;
        const chunksFirst = chunkable(x) && isChunkedRemote(r) && (x.size === undefined || x.size >= (r.chunkThreshold ?? DEFAULT_CHUNK_THRESHOLD));
        if (chunksFirst) chunkOut = await fetchChunked(r, x, tmp, localIndex(x.hashName), onBytes, o.signal);
        let out: DownloadOutcome;
        if (chunkOut) out = chunkOut;
        else {
          try {
            out = await withRetry('fetch', r.url, () => {
              bytesDone -= counted;
              counted = 0;
              return downloadObject(r, x, tmp, onBytes, o.signal, madeDirs, cacheDir);
            }, ENGINE_RETRY, o.signal);
          } catch (err) {
            // not there whole: a chunked remote (whatever this repository's config says) may hold it as chunks
            if (!(err instanceof StorageError && err.kind === 'object-missing') || chunksFirst || !chunkable(x) || !(await hasMarker(r))) throw err;
            rmSync(tmp, { force: true });
            bytesDone -= counted;
            counted = 0;
            chunkOut = await fetchChunked(r, x, tmp, localIndex(x.hashName), onBytes, o.signal);
            if (!chunkOut) throw err;
            out = chunkOut;
          }
        }
        if (!out.ok || (x.size !== undefined && !x.isDir && out.size !== x.size)) {
          const q = join(cacheDir, QUARANTINE_DIR, `${x.oid}.${r.name.replace(/[^\w.-]/g, '_')}.${Date.now()}`);
          try { mkdirSync(dirname(q), { recursive: true }); renameSync(tmp, q); } catch { rmSync(tmp, { force: true }); }
          res.corrupt.push({ oid: x.oid, remote: r.name, paths: x.paths, actual: out.actual, quarantined: q });
          o.logger?.warn(`object ${x.oid} (${x.paths[0] ?? ''}) on remote '${r.name}' is corrupted: its content hashes to ${out.actual}; kept in ${q}`);
          bytesDone -= counted;
          lastErr = new AppError('hash-mismatch', `object ${x.oid} (${x.paths.join(', ')}) on remote '${r.name}' is corrupted (content hashes to ${out.actual})`, 1, { hint: 'push a good copy to that remote, or add a mirror to core.fallback_remotes' });
          continue;
        }
        chmodSync(tmp, CACHE_MODE);
        renameSync(tmp, final);
        res.fetched++;
        if (chunkOut) {
          saveLocalList(cacheDir, chunkOut.list);
          const st = (res.chunked ??= emptyChunkStats());
          st.objects++;
          st.chunks += chunkOut.list.chunks.length;
          st.chunksMoved += chunkOut.chunksMoved;
          st.bytesMoved += chunkOut.moved;
          st.bytesReused += chunkOut.reused;
          st.listBytes += chunkOut.listBytes;
          res.bytes += chunkOut.moved + chunkOut.listBytes;
          // later objects of this run can take chunks from this one
          const idx = indexes.get(x.hashName);
          if (idx) { let off = 0; for (const c of chunkOut.list.chunks) { if (!idx.has(c.hash)) idx.set(c.hash, { path: final, offset: off, size: c.size }); off += c.size; } }
        } else res.bytes += out.size;
        res.byRemote[r.name] = (res.byRemote[r.name] ?? 0) + 1;
        if (r !== primary) o.logger?.info(`object ${x.oid} (${x.paths[0] ?? ''}) recovered from fallback remote '${r.name}'`);
        return;
      } catch (err) {
        rmSync(tmp, { force: true });
        bytesDone -= counted;
        if (isFatal(err)) throw err;
        const e = err as NodeJS.ErrnoException;
        if (e?.code === 'ENOSPC') throw toAppError(err);
        if (isRemoteLevel(err)) down.set(r.name, err);
        // keep the most telling error: a corruption report beats a later "missing"
        if (!(lastErr instanceof AppError && lastErr.code === 'hash-mismatch')) lastErr = err;
        // a damaged chunk or chunk list: try the next remote
        if (err instanceof AppError && (err.code === 'chunk-corrupt' || err.code === 'invalid-file')) { lastErr = err; continue; }
        if (!(err instanceof StorageError) && !isRetryable(err)) throw err;
      }
    }
    throw lastErr;
  };

  const runAll = async (xs: TransferObject[]) => {
    total += xs.length;
    for (const x of xs) bytesTotal += x.size ?? 0;
    report();
    const settled = await mapLimitSettled(xs, primary.jobs, async (x) => { await fetchOne(x); done++; report(x.paths[0]); }, o.signal);
    let fatal: unknown;
    settled.forEach((s, i) => {
      if (s.status === 'rejected') {
        if (isFatal(s.reason) || (s.reason as NodeJS.ErrnoException)?.code === 'ENOSPC') fatal ??= s.reason;
        else res.failed.push(failure(xs[i]!, s.reason));
      }
    });
    if (fatal) throw toAppError(fatal);
    // every remote is down: one clear error rather than a list of identical failures
    if (xs.length && down.size === remotes.length) throw down.get(primary.name);
  };

  // 1. manifests of directories that are not in the cache
  const dirs = all.filter((x) => x.isDir);
  const needDirs = dirs.filter((x) => !odb.has(x.hashName, x.oid));
  res.skipped += dirs.length - needDirs.length;
  await runAll(needDirs);
  // 2. expand every directory whose manifest is now local
  for (const d of o.expandDirs === false ? [] : dirs) {
    let tree;
    try { tree = odb.readTree(d.hashName, d.oid); } catch { continue; }
    for (const e of tree.entries) {
      const m: TransferObject = { hashName: d.hashName, oid: e.oid, isDir: false, size: e.size, paths: d.paths.map((p) => `${p}/${e.relpath}`) };
      const k = keyOf(m);
      if (seen.has(k)) continue;
      seen.add(k);
      all.push(m);
    }
  }
  all = all.filter((x) => !x.isDir);
  // many objects: one readdir per prefix tells which are absent, instead of a failing stat each
  const listed = new Map<HashName, Set<string>>();
  const inCache = (x: TransferObject) => {
    if (all.length < 1000) return odb.has(x.hashName, x.oid, x.size);
    let set = listed.get(x.hashName);
    if (!set) listed.set(x.hashName, (set = odb.listOids(x.hashName)));
    return set.has(x.oid) && odb.has(x.hashName, x.oid, x.size);
  };
  const needFiles = all.filter((x) => !inCache(x));
  res.skipped += all.length - needFiles.length;
  await runAll(needFiles);
  report(undefined, true);
  return res;
}

// ---------------------------------------------------------------------------------- cloud status

export type CloudState = 'new' | 'deleted' | 'missing' | 'ok';

export interface CloudStatusEntry { oid: string; hashName: HashName; isDir: boolean; paths: string[]; state: CloudState }

export interface CloudStatusResult { remote: string; entries: CloudStatusEntry[]; inSync: boolean }

/** Compares the cache and the remote for `objects` (directory members included). */
export async function cloudStatusObjects(cacheDir: string, remote: RemoteHandle, objects: TransferObject[], o: TransferOptions = {}): Promise<CloudStatusResult> {
  const odb = new ObjectDB(cacheDir);
  let all = dedupe(objects);
  const progress = throttledProgress(o.onProgress);
  const check = (keys: string[]) => remoteHas(remote.backend, keys, { jobs: Math.max(remote.jobs, 8), signal: o.signal, strategy: o.existsStrategy, onProgress: (d, t) => progress({ phase: 'checking remote', done: d, total: t }) });
  const present = await check(all.map(keyOf));
  // Directories whose manifest is only on the remote: read it from there (verified, not stored)
  // so their files are compared too, as DVC does.
  const seen = new Set(all.map(keyOf));
  const extra: TransferObject[] = [];
  for (const d of all.filter((x) => x.isDir && !odb.exists(x.hashName, x.oid) && present.has(keyOf(x)))) {
    try {
      const bytes = await getBuffer(remote.backend, keyOf(d), { signal: o.signal });
      if (hashBuffer(bytes, d.hashName) + '.dir' !== d.oid) continue;
      for (const e of parseTree(bytes, d.hashName).entries) {
        const m: TransferObject = { hashName: d.hashName, oid: e.oid, isDir: false, size: e.size, paths: d.paths.map((p) => `${p}/${e.relpath}`) };
        if (seen.has(keyOf(m))) continue;
        seen.add(keyOf(m));
        extra.push(m);
      }
    } catch (err) {
      if (isFatal(err)) throw err;
    }
  }
  if (extra.length) {
    for (const k of await check(extra.map(keyOf))) present.add(k);
    all = [...all, ...extra];
  }
  // chunked objects: present when their chunk list is (it is uploaded only after all of its chunks)
  const notWhole = all.filter((x) => !x.isDir && x.hashName !== 'md5-dos2unix' && !present.has(keyOf(x)));
  if (notWhole.length && (isChunkedRemote(remote) || (await remote.backend.stat(MARKER_KEY).catch(() => null)))) {
    const lists = await remoteHas(remote.backend, notWhole.map((x) => listKey(x.hashName, x.oid)), { jobs: Math.max(remote.jobs, 8), signal: o.signal, strategy: o.existsStrategy });
    for (const x of notWhole) if (lists.has(listKey(x.hashName, x.oid))) present.add(keyOf(x));
  }
  progress({ phase: 'checking remote', finished: true });
  // many objects: one readdir per cache prefix instead of a stat per object
  const listed = new Map<HashName, Set<string>>();
  const cached = (x: TransferObject) => {
    if (all.length < 1000) return odb.exists(x.hashName, x.oid);
    let set = listed.get(x.hashName);
    if (!set) listed.set(x.hashName, (set = odb.listOids(x.hashName)));
    return set.has(x.oid);
  };
  const entries = all.map((x): CloudStatusEntry => {
    const inCache = cached(x);
    const onRemote = present.has(keyOf(x));
    const state: CloudState = inCache && onRemote ? 'ok' : inCache ? 'new' : onRemote ? 'deleted' : 'missing';
    return { oid: x.oid, hashName: x.hashName, isDir: x.isDir, paths: x.paths, state };
  });
  return { remote: remote.name, entries, inSync: entries.every((e) => e.state === 'ok') };
}
