/**
 * The chunked side of the transfer engine (docs/chunking.md). A file object on a chunked remote is
 * its chunk list plus content-addressed chunks; the file's own hash stays its identity.
 * - push: chunk the cached object (tile boundaries or CDC), ask the remote which chunks it lacks,
 *   upload those, then the chunk list (after all of its chunks, as a `.dir` after its entries).
 * - fetch: read the list, take every chunk the cache already has (chunks of other cached objects
 *   with a known list), download the rest (each verified against its chunk hash), write them at
 *   their offsets in a temp file, and verify the whole file's hash before it enters the cache.
 * Crash safety: chunks and lists are written atomically and a list only after its chunks, so a
 * killed push leaves chunks without a list (skipped when the push runs again: only the missing
 * ones move) and a killed fetch leaves only a temp file that nothing trusts.
 */
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, readdirSync, readSync, write as writeCb, writeSync, promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { getBuffer, type Backend } from '../../storage/backend.js';
import { StorageError } from '../../storage/errors.js';
import { withRetry } from '../../storage/retry.js';
import { LocalBackend } from '../../storage/backends/local.js';
import { hashBuffer, type HashName } from '../odb/hash.js';
import { followHash } from '../odb/pool.js';
import { chunkFile, chunkHashFor, cutChunks, type ChunkMode, type CutChunk } from '../chunk/chunker.js';
import { chunkKey, listKey, localListRel, parseChunkList, serializeChunkList, MARKER_KEY, MARKER_TEXT, CHUNK_LIST_VERSION, type ChunkList } from '../chunk/list.js';
import { mapLimitSettled } from '../../lib/pool.js';
import { AppError, InterruptedError, toAppError } from '../../lib/errors.js';
import { writeFileAtomicSync } from '../../lib/atomic.js';
import { remoteHas } from './exists.js';
import { ENGINE_RETRY, isFatal, isRemoteLevel } from './faults.js';
import type { RemoteHandle } from './remote.js';

export interface ChunkStats {
  /** File objects that went (or came) as chunks. */
  objects: number;
  /** Chunks those objects are made of (with repeats). */
  chunks: number;
  /** Chunks uploaded / downloaded now. */
  chunksMoved: number;
  /** Chunk bytes uploaded / downloaded now (lists not included). */
  bytesMoved: number;
  /** Bytes that did not move: already on the remote (push) or taken from the cache (fetch). */
  bytesReused: number;
  /** Bytes of chunk lists uploaded / downloaded. */
  listBytes: number;
}

export const emptyChunkStats = (): ChunkStats => ({ objects: 0, chunks: 0, chunksMoved: 0, bytesMoved: 0, bytesReused: 0, listBytes: 0 });

export const isChunkedRemote = (r: RemoteHandle): boolean => !!r.chunking && r.chunking !== 'off';

// ----------------------------------------------------------------------------------- local lists

/** The chunk list of a cached object for `mode`: remembered in the cache, else computed and saved. */
export function localChunkList(cacheDir: string, objPath: string, mode: ChunkMode, hash: HashName, oid: string, size: number, signal?: AbortSignal): ChunkList {
  const known = rememberedChunkList(cacheDir, mode, hash, oid, size);
  if (known) return known;
  const chunkHash = chunkHashFor(hash);
  const r = chunkFile(objPath, chunkHash, mode, { signal });
  if (r.size !== size) throw new AppError('cache-changed', `cached object ${oid} has ${r.size} bytes, ${size} expected`, 1, { hint: 'run `geodvc fsck` to check the cache' });
  const list: ChunkList = { version: CHUNK_LIST_VERSION, hash, oid, size, chunkHash, mode: r.mode, chunks: r.chunks };
  saveLocalList(cacheDir, list);
  return list;
}

/** The chunk list remembered in the cache for `mode` (tiles falls back to a file's CDC list), or null. */
export function rememberedChunkList(cacheDir: string, mode: ChunkMode, hash: HashName, oid: string, size: number): ChunkList | null {
  for (const m of mode === 'tiles' ? (['tiles', 'cdc'] as const) : (['cdc'] as const)) {
    const p = join(cacheDir, localListRel(m, hash, oid));
    if (!existsSync(p)) continue;
    try { return parseChunkList(readFileSync(p), { hash, oid, size }); } catch { /* damaged: recompute */ }
  }
  return null;
}

export function saveLocalList(cacheDir: string, list: ChunkList): void {
  const p = join(cacheDir, localListRel(list.mode, list.hash, list.oid));
  try {
    mkdirSync(dirname(p), { recursive: true });
    writeFileAtomicSync(p, serializeChunkList(list), { fsync: false });
  } catch { /* a cache of derived data: losing it costs a recomputation only */ }
}

/** Where each chunk can be read from in the cache: chunk hash -> (object path, offset, size). */
export type LocalChunkIndex = Map<string, { path: string; offset: number; size: number }>;

/** At most this many remembered lists are read to find chunks already in the cache. */
const MAX_INDEX_LISTS = 20_000;

export function buildLocalChunkIndex(cacheDir: string, chunkHash: HashName, objectPath: (hash: HashName, oid: string) => string): LocalChunkIndex {
  const idx: LocalChunkIndex = new Map();
  let n = 0;
  const root = join(cacheDir, 'chunklists');
  if (!existsSync(root)) return idx;
  for (const mode of ['tiles', 'cdc']) {
    for (const algo of ['md5', 'xxh128', 'sha256']) {
      const base = join(root, mode, algo);
      let prefixes: string[];
      try { prefixes = readdirSync(base); } catch { continue; }
      for (const pre of prefixes) {
        let names: string[];
        try { names = readdirSync(join(base, pre)); } catch { continue; }
        for (const name of names) {
          if (++n > MAX_INDEX_LISTS) return idx;
          try {
            const list = parseChunkList(readFileSync(join(base, pre, name)));
            if (list.chunkHash !== chunkHash) continue;
            const path = objectPath(list.hash, list.oid);
            if (!existsSync(path)) continue;
            let off = 0;
            for (const c of list.chunks) {
              if (!idx.has(c.hash)) idx.set(c.hash, { path, offset: off, size: c.size });
              off += c.size;
            }
          } catch { /* not a list: ignore */ }
        }
      }
    }
  }
  return idx;
}

// ------------------------------------------------------------------------- local-directory remotes

/**
 * The local backend of a local-directory remote (the retry wrapper keeps the backend's absolute
 * root as its url), or undefined for other schemes. Chunks of a local remote are read and written
 * through its asynchronous buffer calls (putBuffer/readInto/hasSized: libuv's thread pool, reused
 * buffers) instead of one blocking put/get per chunk on the main thread: per-chunk file creation
 * is the cost of a chunked push to a local directory (an ext4 create + rename costs ~0.3 ms of CPU
 * here, ~2300 per GiB of 512² tiles), and spreading it over the pool's threads overlaps it with
 * reading and hashing (docs/chunking.md).
 */
export function localRemote(r: RemoteHandle): LocalBackend | undefined {
  return r.backend.scheme === 'local' && r.backend.localPath ? new LocalBackend(r.backend.url) : undefined;
}

/** Buffers reused across chunks (a fresh 1 MiB allocation is an mmap whose pages all fault in). */
class BufferPool {
  private free: Buffer[] = [];
  take(size: number): Buffer {
    const i = this.free.findIndex((b) => b.length >= size);
    if (i >= 0) return this.free.splice(i, 1)[0]!;
    return Buffer.allocUnsafeSlow(Math.max(size, 1 << 20));
  }
  give(b: Buffer): void { if (this.free.length < 64) this.free.push(b); }
}

/** Positional write of all of `buf[0, len)` at `pos` on the thread pool. */
function pwriteAll(fd: number, buf: Buffer, len: number, pos: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (off: number) => {
      if (off >= len) { resolve(); return; }
      writeCb(fd, buf, off, len - off, pos + off, (err, n) => { if (err) reject(err); else step(off + n); });
    };
    step(0);
  });
}

// ------------------------------------------------------------------------------------------ push

function readRange(path: string, offset: number, size: number): Buffer {
  const buf = Buffer.allocUnsafe(size);
  const fd = openSync(path, 'r');
  try {
    let got = 0;
    while (got < size) {
      const n = readSync(fd, buf, got, size - got, offset + got);
      if (n <= 0) break;
      got += n;
    }
    if (got !== size) throw new AppError('cache-changed', `${path} is shorter than its chunk list says`, 1, { hint: 'run `geodvc fsck` to check the cache' });
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** Writes the marker that tells people (and DVC users) this remote holds chunked objects. */
export async function ensureMarker(b: Backend, signal?: AbortSignal): Promise<void> {
  if (await b.stat(MARKER_KEY)) return;
  await b.put(MARKER_KEY, { data: Buffer.from(MARKER_TEXT) }, { signal });
}

export interface ChunkPushItem { hashName: HashName; oid: string; size: number; path: string; paths: string[] }

export interface ChunkPushOutcome {
  /** Objects whose chunk list is on the remote now. */
  done: ChunkPushItem[];
  failed: { item: ChunkPushItem; error: unknown }[];
  stats: ChunkStats;
}

export interface ChunkPushOptions {
  cacheDir: string;
  signal?: AbortSignal;
  existsStrategy?: 'stat' | 'list';
  /** Progress: phase, done/total items, bytes. */
  report: (phase: string, done: number, total: number, bytesDone: number, bytesTotal: number, item?: string, finished?: boolean) => void;
}

export async function pushChunked(remote: RemoteHandle, items: ChunkPushItem[], o: ChunkPushOptions): Promise<ChunkPushOutcome> {
  const out: ChunkPushOutcome = { done: [], failed: [], stats: emptyChunkStats() };
  if (!items.length) return out;
  const b = remote.backend;
  const mode: ChunkMode = remote.chunking === 'cdc' ? 'cdc' : 'tiles';
  await withRetry('push', remote.url, () => ensureMarker(b, o.signal), ENGINE_RETRY, o.signal);

  // 1. chunk lists (remembered in the cache, or computed: one sequential read of each object)
  const lists = new Map<ChunkPushItem, ChunkList>();
  const local = localRemote(remote);
  const bufs = new BufferPool();
  let remoteDown: unknown;
  const failedChunks = new Map<string, unknown>();
  // chunks a fused pass (below) wrote or found on the remote
  const fusedKeys = new Set<string>();
  const fusedPresent = new Set<string>();
  let i = 0;
  for (const it of items) {
    if (o.signal?.aborted) throw new InterruptedError();
    o.report('chunking', i++, items.length, 0, 0, it.paths[0]);
    try {
      const known = local ? rememberedChunkList(o.cacheDir, mode, it.hashName, it.oid, it.size) : null;
      if (local && !known) lists.set(it, await chunkAndPutLocal(local, it));
      else lists.set(it, known ?? localChunkList(o.cacheDir, it.path, mode, it.hashName, it.oid, it.size, o.signal));
    } catch (err) {
      if (isFatal(err) || (remoteDown && err === remoteDown)) throw err;
      out.failed.push({ item: it, error: err });
    }
  }
  o.report('chunking', items.length, items.length, 0, 0, undefined, true);

  /**
   * Local-directory remote, object without a remembered list: one pass cuts and hashes the chunks
   * and, while the next ones are cut, checks (stat with size) and writes each on the thread pool,
   * at most `jobs` in flight. The list comes out at the end and goes to the remote in step 4 like
   * any other: only once every one of its chunks is there.
   */
  async function chunkAndPutLocal(dir: LocalBackend, it: ChunkPushItem): Promise<ChunkList> {
    const chunkHash = chunkHashFor(it.hashName);
    const chunks: ChunkList['chunks'] = [];
    const inflight = new Set<Promise<void>>();
    let fatal: unknown;
    const gen = cutChunks(it.path, chunkHash, mode, { signal: o.signal });
    let r: IteratorResult<CutChunk, { mode: ChunkMode; size: number }>;
    try {
      for (r = gen.next(); !r.done; r = gen.next()) {
        const c = r.value;
        chunks.push({ hash: c.hash, size: c.size });
        const k = chunkKey(chunkHash, c.hash);
        if (fusedKeys.has(k)) continue;
        fusedKeys.add(k);
        const buf = bufs.take(c.size);
        buf.set(c.data);
        const size = c.size;
        const job = (async () => {
          try {
            // (a chunk directory this push created holds nothing else: no stat there)
            if (dir.hasSized(k, size)) { out.stats.bytesReused += size; fusedPresent.add(k); return; }
            await dir.putBuffer(k, buf, size);
            fusedPresent.add(k);
            out.stats.chunksMoved++;
            out.stats.bytesMoved += size;
          } catch (err) {
            if (isFatal(err)) fatal ??= err;
            else if (isRemoteLevel(err)) remoteDown ??= err;
            failedChunks.set(k, err);
          } finally {
            bufs.give(buf);
          }
        })();
        inflight.add(job);
        void job.then(() => inflight.delete(job));
        o.report('pushing chunks', i - 1, items.length, c.offset + c.size, it.size, it.paths[0]);
        while (inflight.size >= remote.jobs) await Promise.race(inflight);
        if (fatal) throw fatal;
        if (remoteDown) throw remoteDown;
      }
    } finally {
      gen.return({ mode, size: 0 }); // closes the file when the pass stopped early
      await Promise.all(inflight);
    }
    if (fatal) throw fatal;
    if (remoteDown) throw remoteDown;
    if (r.value.size !== it.size) throw new AppError('cache-changed', `cached object ${it.oid} has ${r.value.size} bytes, ${it.size} expected`, 1, { hint: 'run `geodvc fsck` to check the cache' });
    const list: ChunkList = { version: CHUNK_LIST_VERSION, hash: it.hashName, oid: it.oid, size: it.size, chunkHash, mode: r.value.mode, chunks };
    saveLocalList(o.cacheDir, list);
    return list;
  }

  // 2. which chunks the remote lacks (one source per distinct chunk)
  const src = new Map<string, { path: string; offset: number; size: number }>();
  for (const [it, l] of lists) {
    let off = 0;
    for (const c of l.chunks) {
      const k = chunkKey(l.chunkHash, c.hash);
      if (!src.has(k) && !fusedKeys.has(k)) src.set(k, { path: it.path, offset: off, size: c.size });
      off += c.size;
    }
    out.stats.objects++;
    out.stats.chunks += l.chunks.length;
  }
  const sizes = new Map([...src].map(([k, v]) => [k, v.size]));
  const present = src.size ? await remoteHas(b, [...src.keys()], {
    jobs: Math.max(remote.jobs, 8), signal: o.signal, strategy: o.existsStrategy, sizes, faultyAsAbsent: true,
    onProgress: (d, t) => o.report('checking chunks', d, t, 0, 0),
  }) : new Set<string>();
  const todo = [...src.keys()].filter((k) => !present.has(k));
  for (const k of fusedPresent) present.add(k);
  let bytesTotal = 0;
  for (const k of todo) bytesTotal += src.get(k)!.size;
  for (const [k, v] of src) if (present.has(k)) out.stats.bytesReused += v.size;

  // 3. upload the missing chunks
  let done = 0;
  let bytesDone = 0;
  const fds = new Map<string, number>();
  const read = (s: { path: string; offset: number; size: number }) => {
    let fd = fds.get(s.path);
    if (fd === undefined) fds.set(s.path, (fd = openSync(s.path, 'r')));
    const buf = Buffer.allocUnsafe(s.size);
    let got = 0;
    while (got < s.size) { const n = readSync(fd, buf, got, s.size - got, s.offset + got); if (n <= 0) break; got += n; }
    if (got !== s.size) throw new AppError('cache-changed', `${s.path} is shorter than its chunk list says`, 1, { hint: 'run `geodvc fsck` to check the cache' });
    return buf;
  };
  const srcHandles = new Map<string, Promise<Awaited<ReturnType<typeof fsp.open>>>>();
  const putLocal = async (k: string, s: { path: string; offset: number; size: number }) => {
    let h = srcHandles.get(s.path);
    if (!h) srcHandles.set(s.path, (h = fsp.open(s.path, 'r')));
    const fh = await h;
    const buf = bufs.take(s.size);
    try {
      let got = 0;
      while (got < s.size) { const { bytesRead } = await fh.read(buf, got, s.size - got, s.offset + got); if (bytesRead <= 0) break; got += bytesRead; }
      if (got !== s.size) throw new AppError('cache-changed', `${s.path} is shorter than its chunk list says`, 1, { hint: 'run `geodvc fsck` to check the cache' });
      await local!.putBuffer(k, buf, s.size);
    } finally {
      bufs.give(buf);
    }
  };
  const settled = await mapLimitSettled(todo, remote.jobs, async (k) => {
    if (remoteDown) throw remoteDown;
    const s = src.get(k)!;
    try {
      if (local) await putLocal(k, s);
      else await withRetry('push', remote.url, async () => {
        await b.put(k, { data: read(s) }, { signal: o.signal });
      }, ENGINE_RETRY, o.signal);
    } catch (err) {
      if (isRemoteLevel(err)) remoteDown ??= err;
      throw err;
    }
    present.add(k);
    done++;
    bytesDone += s.size;
    out.stats.chunksMoved++;
    out.stats.bytesMoved += s.size;
    o.report('pushing chunks', done, todo.length, bytesDone, bytesTotal);
  }, o.signal);
  for (const fd of fds.values()) closeSync(fd);
  for (const h of srcHandles.values()) await (await h.catch(() => undefined))?.close().catch(() => undefined);
  settled.forEach((r, j) => {
    if (r.status === 'rejected') {
      if (isFatal(r.reason)) throw toAppError(r.reason);
      failedChunks.set(todo[j]!, r.reason);
    }
  });
  if (remoteDown) throw remoteDown;
  o.report('pushing chunks', done, todo.length, bytesDone, bytesTotal, undefined, true);

  // 4. the lists, each only once all of its chunks are on the remote
  for (const [it, l] of lists) {
    const bad = l.chunks.map((c) => chunkKey(l.chunkHash, c.hash)).find((k) => !present.has(k));
    if (bad) { out.failed.push({ item: it, error: failedChunks.get(bad) ?? new StorageError('transient', `chunk ${bad} did not reach remote '${remote.name}'`) }); continue; }
    const text = Buffer.from(serializeChunkList(l));
    try {
      await withRetry('push', remote.url, () => b.put(listKey(l.hash, l.oid), { data: text }, { signal: o.signal }), ENGINE_RETRY, o.signal);
    } catch (err) {
      if (isFatal(err) || isRemoteLevel(err)) throw err;
      out.failed.push({ item: it, error: err });
      continue;
    }
    out.stats.listBytes += text.length;
    out.done.push(it);
  }
  return out;
}

// ----------------------------------------------------------------------------------------- fetch

export interface ChunkFetchTarget { hashName: HashName; oid: string; size?: number; paths: string[] }

export interface ChunkFetchOutcome { ok: boolean; actual: string; size: number; list: ChunkList; moved: number; reused: number; listBytes: number; chunksMoved: number }

/** Reads and checks the chunk list of `x` on `r`; null when the remote has none. */
export async function getChunkList(r: RemoteHandle, x: ChunkFetchTarget, signal?: AbortSignal): Promise<{ list: ChunkList; bytes: number } | null> {
  let bytes: Buffer;
  try {
    bytes = await withRetry('fetch', r.url, () => getBuffer(r.backend, listKey(x.hashName, x.oid), { signal }), ENGINE_RETRY, signal);
  } catch (err) {
    if (err instanceof StorageError && err.kind === 'object-missing') return null;
    throw err;
  }
  return { list: parseChunkList(bytes, { hash: x.hashName, oid: x.oid, size: x.size }), bytes: bytes.length };
}

/**
 * Rebuilds object `x` from its chunks into `tmp` (which the caller renames into the cache when
 * `ok`). Returns null when the remote holds no chunk list for it. Chunks found in cached objects
 * are copied from there (trusted read-only objects: not re-hashed one by one); the rest are
 * downloaded, each checked against its chunk hash. A worker hashes the file in order as its
 * leading chunks complete, so the whole-file check overlaps the transfer. If the whole file does
 * not match and chunks came from the cache, it is rebuilt once more from the remote alone.
 */
export async function fetchChunked(r: RemoteHandle, x: ChunkFetchTarget, tmp: string, local: () => LocalChunkIndex, onBytes: (n: number) => void, signal?: AbortSignal): Promise<ChunkFetchOutcome | null> {
  const got = await getChunkList(r, x, signal);
  if (!got) return null;
  const first = await rebuild(r, x, got.list, tmp, local(), onBytes, signal);
  first.listBytes = got.bytes;
  if (first.ok || first.reused === 0) return first;
  const again = await rebuild(r, x, got.list, tmp, new Map(), onBytes, signal);
  again.listBytes = got.bytes;
  again.moved += first.moved;
  again.chunksMoved += first.chunksMoved;
  return again;
}

async function rebuild(r: RemoteHandle, x: ChunkFetchTarget, list: ChunkList, tmp: string, idx: LocalChunkIndex, onBytes: (n: number) => void, signal?: AbortSignal): Promise<ChunkFetchOutcome> {
  const out: ChunkFetchOutcome = { ok: false, actual: '', size: list.size, list, moved: 0, reused: 0, listBytes: 0, chunksMoved: 0 };
  // chunk positions in file order; a chunk repeated in the file is fetched once
  const n = list.chunks.length;
  const offs = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) offs[i + 1] = offs[i]! + list.chunks[i]!.size;
  const at = new Map<string, number[]>();
  list.chunks.forEach((c, i) => { const a = at.get(c.hash); if (a) a.push(i); else at.set(c.hash, [i]); });
  const done = new Uint8Array(n);
  mkdirSync(dirname(tmp), { recursive: true });
  const fd = openSync(tmp, 'w+', 0o644);
  // a worker hashes the leading complete bytes as they land
  const hashing = followHash(tmp, list.size, x.hashName);
  let cursor = 0;
  const advance = () => { while (cursor < n && done[cursor]) cursor++; hashing.complete(offs[cursor]!); };
  const srcFds = new Map<string, number>();
  try {
    ftruncateSync(fd, list.size);
    const writeAll = (buf: Buffer, idxs: number[]) => {
      for (const i of idxs) {
        const p = offs[i]!;
        let w = 0;
        while (w < buf.length) w += writeSync(fd, buf, w, buf.length - w, p + w);
        done[i] = 1;
      }
    };
    const remoteChunks: string[] = [];
    const sizeOf = (h: string) => list.chunks[at.get(h)![0]!]!.size;
    for (const [h, idxs] of at) {
      if (signal?.aborted) throw new InterruptedError();
      const l = idx.get(h);
      if (l && l.size === sizeOf(h)) {
        try {
          let sfd = srcFds.get(l.path);
          if (sfd === undefined) srcFds.set(l.path, (sfd = openSync(l.path, 'r')));
          const buf = Buffer.allocUnsafe(l.size);
          let g = 0;
          while (g < l.size) { const k = readSync(sfd, buf, g, l.size - g, l.offset + g); if (k <= 0) break; g += k; }
          if (g === l.size) { writeAll(buf, idxs); out.reused += buf.length * idxs.length; onBytes(buf.length * idxs.length); advance(); continue; }
        } catch { /* fall back to the remote */ }
      }
      remoteChunks.push(h);
    }
    const local = localRemote(r);
    const bufs = new BufferPool();
    const corrupt = (h: string, got: string, actual: string) => new AppError('chunk-corrupt', `chunk ${h} of ${x.paths[0] ?? x.oid} on remote '${r.name}' is corrupted (${got} bytes, content hashes to ${actual})`, 1, { hint: 'push the file again from a cache that has it (`geodvc push`), or run `geodvc fsck -r REMOTE`' });
    // a local-directory remote: read into reused buffers and write at the offsets on the thread pool
    const fetchLocal = async (h: string) => {
      const key = chunkKey(list.chunkHash, h);
      const size = sizeOf(h);
      const buf = bufs.take(size + 1);
      try {
        const got = await local!.readInto(key, buf, size + 1);
        const actual = hashBuffer(buf.subarray(0, Math.min(got, size)), list.chunkHash);
        if (got !== size || actual !== h) throw corrupt(h, got > size ? `more than ${size}` : String(got), actual);
        onBytes(size);
        for (const i of at.get(h)!) { await pwriteAll(fd, buf, size, offs[i]!); done[i] = 1; }
      } finally {
        bufs.give(buf);
      }
      out.moved += size;
      out.chunksMoved++;
      advance();
    };
    const settled = await mapLimitSettled(remoteChunks, Math.max(r.jobs, local ? 8 : 4), async (h) => {
      if (local) { await fetchLocal(h); return; }
      const key = chunkKey(list.chunkHash, h);
      const size = sizeOf(h);
      let counted = 0;
      const buf = await withRetry('get-chunk', r.url, async () => {
        onBytes(-counted);
        counted = 0;
        const b = r.backend.getSmall && size <= (1 << 20) ? await r.backend.getSmall(key, signal) : await getBuffer(r.backend, key, { signal });
        counted = b.length;
        onBytes(b.length);
        return b;
      }, ENGINE_RETRY, signal);
      if (buf.length !== size || hashBuffer(buf, list.chunkHash) !== h) throw corrupt(h, String(buf.length), hashBuffer(buf, list.chunkHash));
      writeAll(buf, at.get(h)!);
      out.moved += buf.length;
      out.chunksMoved++;
      advance();
    }, signal);
    const bad = settled.find((s) => s.status === 'rejected') as PromiseRejectedResult | undefined;
    if (bad) throw bad.reason;
    if (signal?.aborted) throw new InterruptedError();
    advance();
    const h = await hashing.result();
    out.actual = h.oid;
    out.size = h.size;
    out.ok = out.actual === x.oid && out.size === list.size;
    return out;
  } catch (err) {
    await hashing.abort();
    throw err;
  } finally {
    closeSync(fd);
    for (const f of srcFds.values()) closeSync(f);
  }
}

// -------------------------------------------------------------------------------------------- gc

/**
 * Chunked part of `gc -c`: the chunk lists of objects not in `keep` (`algo:oid`), then every chunk
 * no kept list references. Lists go first, so a crash in between leaves unreferenced chunks (taken
 * by the next gc), never a list whose chunks are gone. A kept list that cannot be read stops the
 * chunk sweep (its chunks are unknown, so none may go).
 */
export async function gcChunked(b: Backend, keep: Set<string>, o: { dry?: boolean; signal?: AbortSignal; jobs?: number }): Promise<{ removed: string[]; unreadableLists: string[] }> {
  const removed: string[] = [];
  const unreadableLists: string[] = [];
  const keptChunks = new Set<string>();
  const dropLists: string[] = [];
  const keptLists: { key: string; hash: HashName; oid: string }[] = [];
  // only a remote that holds chunked objects (its marker is written before the first chunk) has
  // lists to look at; others may not even allow listing those prefixes (geodvc serve: HTTP 400)
  let chunked = false;
  try { chunked = !!(await b.stat(MARKER_KEY)); } catch { chunked = false; }
  if (!chunked) return { removed, unreadableLists };
  for (const algo of ['md5', 'xxh128', 'sha256'] as HashName[]) {
    for await (const key of b.list(`chunked/lists/${algo}/`, o.signal)) {
      const m = /^chunked\/lists\/[a-z0-9]+\/([0-9a-f]{2})\/([0-9a-f]+)$/.exec(key);
      if (!m) continue;
      const oid = m[1]! + m[2]!;
      if (keep.has(`${algo}:${oid}`)) keptLists.push({ key, hash: algo, oid });
      else dropLists.push(key);
    }
  }
  await mapLimitSettled(keptLists, o.jobs ?? 8, async (l) => {
    try {
      const list = parseChunkList(await getBuffer(b, l.key, { signal: o.signal }), { hash: l.hash, oid: l.oid });
      for (const c of list.chunks) keptChunks.add(chunkKey(list.chunkHash, c.hash));
    } catch { unreadableLists.push(l.key); }
  }, o.signal);
  const del = async (keys: string[]) => {
    const settled = await mapLimitSettled(keys, o.jobs ?? 8, async (k) => { if (!o.dry) await b.delete(k); }, o.signal);
    settled.forEach((s, i) => { if (s.status === 'fulfilled') removed.push(keys[i]!); });
  };
  await del(dropLists);
  if (unreadableLists.length) return { removed, unreadableLists };
  const dropChunks: string[] = [];
  for await (const key of b.list('chunked/data/', o.signal)) if (!keptChunks.has(key)) dropChunks.push(key);
  await del(dropChunks);
  return { removed, unreadableLists };
}

// ------------------------------------------------------------------------------------------ fsck

export interface ChunkProblem { kind: 'missing' | 'corrupt' | 'size-mismatch'; key: string; message: string }

/**
 * `fsck -r` of one object held as chunks: its list readable and describing it, every chunk present
 * with its size, and (unless `fast`) every chunk hashing to its name and the whole to the object
 * id. `found` is false when the remote holds no chunk list for it.
 */
export async function checkChunkedObject(r: RemoteHandle, x: ChunkFetchTarget, o: { fast?: boolean; signal?: AbortSignal } = {}): Promise<{ found: boolean; problems: ChunkProblem[]; downloaded: number; list?: ChunkList }> {
  const lk = listKey(x.hashName, x.oid);
  let got: Awaited<ReturnType<typeof getChunkList>>;
  try { got = await getChunkList(r, x, o.signal); } catch (err) {
    if (err instanceof AppError && err.code === 'invalid-file') return { found: true, problems: [{ kind: 'corrupt', key: lk, message: err.message }], downloaded: 0 };
    throw err;
  }
  if (!got) return { found: false, problems: [], downloaded: 0 };
  const { list } = got;
  const problems: ChunkProblem[] = [];
  const keys = [...new Set(list.chunks.map((c) => chunkKey(list.chunkHash, c.hash)))];
  const sizes = new Map(list.chunks.map((c) => [chunkKey(list.chunkHash, c.hash), c.size]));
  const present = await remoteHas(r.backend, keys, { jobs: Math.max(r.jobs, 8), signal: o.signal, sizes });
  for (const k of keys) if (!present.has(k)) problems.push({ kind: 'missing', key: k, message: `chunk ${k} of object ${x.oid} is missing (or truncated) on remote '${r.name}'` });
  let downloaded = got.bytes;
  if (o.fast || problems.length) return { found: true, problems, downloaded, list };
  const { createHasher } = await import('../odb/hash.js');
  const whole = await createHasher(x.hashName);
  for (const c of list.chunks) {
    if (o.signal?.aborted) throw new InterruptedError();
    const k = chunkKey(list.chunkHash, c.hash);
    const buf = await withRetry('get-chunk', r.url, () => getBuffer(r.backend, k, { signal: o.signal }), ENGINE_RETRY, o.signal);
    downloaded += buf.length;
    const actual = hashBuffer(buf, list.chunkHash);
    if (buf.length !== c.size || actual !== c.hash) {
      problems.push({ kind: 'corrupt', key: k, message: `chunk ${k} of object ${x.oid} on remote '${r.name}' is corrupted (content hashes to ${actual})` });
      return { found: true, problems, downloaded, list };
    }
    whole.update(buf);
  }
  const actual = whole.digest();
  if (actual !== x.oid) problems.push({ kind: 'corrupt', key: lk, message: `object ${x.oid} rebuilt from its chunks on remote '${r.name}' hashes to ${actual}` });
  return { found: true, problems, downloaded, list };
}

/** Uploads a chunk (or the list) of a cached object again over a bad remote copy (`fsck -r --repair`). */
export async function repairChunk(r: RemoteHandle, cacheDir: string, objPath: string, x: { hashName: HashName; oid: string; size: number }, key: string, mode: ChunkMode, signal?: AbortSignal): Promise<void> {
  const list = localChunkList(cacheDir, objPath, mode, x.hashName, x.oid, x.size, signal);
  if (key === listKey(x.hashName, x.oid)) {
    await r.backend.put(key, { data: Buffer.from(serializeChunkList(list)) }, { signal });
    return;
  }
  let off = 0;
  for (const c of list.chunks) {
    if (chunkKey(list.chunkHash, c.hash) === key) {
      const data = readRange(objPath, off, c.size);
      if (hashBuffer(data, list.chunkHash) !== c.hash) throw new AppError('cache-changed', `the cached copy of ${x.oid} does not hold chunk ${c.hash}`, 1, { hint: 'run `geodvc fsck` on the cache' });
      await r.backend.put(key, { data }, { signal });
      return;
    }
    off += c.size;
  }
  throw new AppError('chunk-not-local', `chunk ${key} is not part of the cached copy of ${x.oid} (the remote list was made with other chunking)`, 1, { hint: 'push the object again after `geodvc gc -c` removed its list' });
}
