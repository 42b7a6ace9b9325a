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
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, readdirSync, readSync, renameSync, rmSync, writev as writevCb, writeSync } from 'node:fs';
import { writeAllAt } from '../../lib/fs-async.js';
import { basename, dirname, join } from 'node:path';
import { getBuffer, type Backend } from '../../storage/backend.js';
import { StorageError } from '../../storage/errors.js';
import { withRetry } from '../../storage/retry.js';
import { LocalBackend } from '../../storage/backends/local.js';
import { createHasherSync, hashBuffer, readyHasherSync, type HashName } from '../odb/hash.js';
import { followHash } from '../odb/pool.js';
import { chunkFile, chunkHashFor, cutChunks, type ChunkMode, type CutChunk } from '../chunk/chunker.js';
import { chunkKey, listKey, parseChunkList, rememberedChunkList, saveLocalList, serializeChunkList, MARKER_KEY, MARKER_TEXT, CHUNK_LIST_VERSION, type ChunkList } from '../chunk/list.js';
import { mapLimitSettled } from '../../lib/pool.js';
import { AppError, InterruptedError, toAppError } from '../../lib/errors.js';
import { remoteHas } from './exists.js';
import { PackWriter, RemotePacks, STAGE, giveStage, takeStage, type PackEntry, type WholeCopy, forgetRemotePacks, hasChunkObjects, indexKey, loadRemotePacks, packKey, readBudget, readPackRange, remotePacksOf } from './pack.js';
import { ENGINE_RETRY, isFatal, isRemoteLevel } from './faults.js';
import type { RemoteHandle } from './remote.js';

export { rememberedChunkList, saveLocalList };

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
  /** Bytes of chunk lists (and, in a push, of pack indexes) uploaded / downloaded. */
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
  return localBackendOf(r.backend);
}

/** A LocalBackend on the directory of a local-directory backend (which may come wrapped, e.g. with retries). */
function localBackendOf(b: Backend): LocalBackend | undefined {
  return b.scheme === 'local' && b.localPath ? new LocalBackend(b.url) : undefined;
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

/** Positional write of all of `bufs` (back to back) at `pos` on the thread pool. */
async function pwritevAll(fd: number, bufs: Buffer[], pos: number): Promise<void> {
  if (bufs.length === 1) { await writeAllAt(fd, bufs[0]!, 0, bufs[0]!.length, pos); return; }
  const n = await new Promise<number>((resolve, reject) => writevCb(fd, bufs, pos, (err, w) => (err ? reject(err) : resolve(w))));
  let total = 0;
  for (const b of bufs) total += b.length;
  if (n >= total) return;
  // a short write (rare on files): the rest one buffer at a time
  let skip = n;
  let at = pos + n;
  for (const b of bufs) {
    if (skip >= b.length) { skip -= b.length; continue; }
    const rest = b.subarray(skip);
    skip = 0;
    await writeAllAt(fd, rest, 0, rest.length, at);
    at += rest.length;
  }
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

/**
 * Objects from this size on none of whose chunks the remote has become one pack each: the cached
 * file itself (a kernel copy on a local remote, an upload straight from the cache elsewhere), no
 * bytes through the process. Smaller new objects share packs of the target size.
 */
const WHOLE_MIN = 16 << 20;
/** On a local remote, the whole-file copy starts once this many leading bytes were all new chunks. */
const SPECULATE_AFTER = 8 << 20;

const cacheChanged = (path: string) => new AppError('cache-changed', `${path} is shorter than its chunk list says`, 1, { hint: 'run `geodvc fsck` to check the cache' });

/**
 * Pushes big objects as chunks in pack files (pack.ts). The remote's pack indexes say which chunks
 * it holds; an object whose chunk list is not remembered yet is cut, hashed and its new chunks
 * written into the open pack in one read of the file (the writes run on the thread pool while the
 * next chunks are cut); an object with a remembered list has its new chunks read straight from
 * the cached file into the pack. Full packs are sealed in the background (the pack, then its
 * index: the commit point), and a chunk list goes up only once every one of its chunks is in a
 * sealed pack (or was on the remote already). Remotes written by earlier versions (one object per
 * chunk under chunked/data/) are read as well: chunks there count as present.
 */
export async function pushChunked(remote: RemoteHandle, items: ChunkPushItem[], o: ChunkPushOptions): Promise<ChunkPushOutcome> {
  const out: ChunkPushOutcome = { done: [], failed: [], stats: emptyChunkStats() };
  if (!items.length) return out;
  const b = remote.backend;
  const mode: ChunkMode = remote.chunking === 'cdc' ? 'cdc' : 'tiles';
  if (!b.canList) throw new StorageError('bad-option', `remote '${remote.name}' cannot be listed, so it cannot hold chunked objects (their pack files are found by listing)`, { hint: `push whole objects to it: \`geodvc remote modify ${remote.name} chunking off\`` });
  await withRetry('push', remote.url, () => ensureMarker(b, o.signal), ENGINE_RETRY, o.signal);
  o.report('checking chunks', 0, 1, 0, 0);
  const packs = await loadRemotePacks(b, { cacheDir: o.cacheDir, signal: o.signal, jobs: Math.max(remote.jobs, 8) });
  const legacy = await hasChunkObjects(b, o.signal);
  o.report('checking chunks', 1, 1, 0, 0, undefined, true);
  const local = localRemote(remote);
  const writers = new Map<HashName, PackWriter>();
  const writerFor = (h: HashName) => {
    let w = writers.get(h);
    if (!w) {
      writers.set(h, (w = new PackWriter({
        backend: b, local, tmpDir: join(o.cacheDir, 'packindex', 'tmp'), chunkHash: h,
        concurrency: remote.uploadConcurrency, partSize: remote.partSize, signal: o.signal,
      })));
    }
    return w;
  };
  /** Chunk keys of the per-chunk layout found on the remote (legacy remotes only). */
  const legacyPresent = new Set<string>();
  const lists = new Map<ChunkPushItem, ChunkList>();
  let bytesTotal = 0;
  for (const it of items) bytesTotal += it.size;
  let bytesDone = 0;
  let i = 0;

  /** Whether no chunk of `l` is on the remote or in a pack of this push (repeats within the file allowed). */
  const allNew = (l: ChunkList): boolean => {
    const w = writers.get(l.chunkHash);
    return l.chunks.every((c) => !packs.has(c.hash, c.size) && !w?.written.has(c.hash) && !legacyPresent.has(chunkKey(l.chunkHash, c.hash)));
  };

  /**
   * Cuts and hashes an object whose list is not known yet (one sequential read). On a local remote,
   * once the leading SPECULATE_AFTER bytes were all new chunks, a kernel copy of the whole file into
   * a temp pack starts on the thread pool while the cut goes on (a fresh object: the copy and the
   * hashing overlap); it is dropped if a chunk turns out to be on the remote already.
   */
  const cutList = (it: ChunkPushItem, w: PackWriter): { list: ChunkList; copy?: WholeCopy } => {
    const chunkHash = chunkHashFor(it.hashName);
    const chunks: ChunkList['chunks'] = [];
    let fresh = !legacy && it.size >= WHOLE_MIN;
    let copy: WholeCopy | undefined;
    const gen = cutChunks(it.path, chunkHash, mode, { signal: o.signal });
    let r: IteratorResult<CutChunk, { mode: ChunkMode; size: number }>;
    try {
      for (r = gen.next(); !r.done; r = gen.next()) {
        const c = r.value;
        chunks.push({ hash: c.hash, size: c.size });
        if (fresh && (packs.has(c.hash, c.size) || w.written.has(c.hash))) fresh = false;
        if (fresh && !copy && local && c.offset + c.size >= SPECULATE_AFTER) copy = w.startCopy(it.path);
        o.report('chunking', i, items.length, bytesDone + c.offset + c.size, bytesTotal, it.paths[0]);
      }
    } catch (err) {
      void w.dropCopy(copy);
      throw err;
    } finally {
      gen.return({ mode, size: 0 }); // closes the file when the pass stopped early
    }
    if (r.value.size !== it.size) {
      void w.dropCopy(copy);
      throw new AppError('cache-changed', `cached object ${it.oid} has ${r.value.size} bytes, ${it.size} expected`, 1, { hint: 'run `geodvc fsck` to check the cache' });
    }
    const list: ChunkList = { version: CHUNK_LIST_VERSION, hash: it.hashName, oid: it.oid, size: it.size, chunkHash, mode: r.value.mode, chunks };
    saveLocalList(o.cacheDir, list);
    return { list, copy };
  };

  /** An object none of whose chunks the remote has, from WHOLE_MIN bytes on: one pack, the cached file itself. */
  const packWhole = async (it: ChunkPushItem, l: ChunkList, copy: WholeCopy | undefined): Promise<void> => {
    const w = writerFor(l.chunkHash);
    const entries: PackEntry[] = [];
    let off = 0;
    for (const c of l.chunks) { entries.push({ hash: c.hash, offset: off, size: c.size }); off += c.size; }
    await w.wholeFile(it.path, it.size, entries, copy);
    out.stats.chunksMoved += new Set(l.chunks.map((c) => c.hash)).size;
    out.stats.bytesMoved += it.size;
    o.report('pushing chunks', i, items.length, bytesDone + it.size, bytesTotal, it.paths[0]);
  };

  /** Remotes with chunks stored on their own (earlier versions): which chunks of `l` are there. */
  const checkLegacy = async (l: ChunkList): Promise<void> => {
    const keys = [...new Set(l.chunks.filter((c) => !packs.has(c.hash, c.size)).map((c) => chunkKey(l.chunkHash, c.hash)))].filter((k) => !legacyPresent.has(k));
    const sizes = new Map(l.chunks.map((c) => [chunkKey(l.chunkHash, c.hash), c.size]));
    if (keys.length) for (const k of await remoteHas(b, keys, { jobs: Math.max(remote.jobs, 8), signal: o.signal, strategy: o.existsStrategy, sizes, faultyAsAbsent: true })) legacyPresent.add(k);
  };

  /** Pack the chunks of a known list that the remote lacks, read from the cached object. */
  const packFromList = async (it: ChunkPushItem, l: ChunkList): Promise<void> => {
    const w = writerFor(l.chunkHash);
    const fd = openSync(it.path, 'r');
    try {
      let off = 0;
      for (const c of l.chunks) {
        if (o.signal?.aborted) throw new InterruptedError();
        if (packs.has(c.hash, c.size) || w.written.has(c.hash) || legacyPresent.has(chunkKey(l.chunkHash, c.hash))) out.stats.bytesReused += c.size;
        else {
          const at = off;
          await w.appendRead(c.hash, c.size, (buf, bo, n) => {
            let got = 0;
            while (got < n) { const k = readSync(fd, buf, bo + got, n - got, at + got); if (k <= 0) break; got += k; }
            if (got !== n) throw cacheChanged(it.path);
            return got;
          });
          out.stats.chunksMoved++;
          out.stats.bytesMoved += c.size;
        }
        off += c.size;
        o.report('pushing chunks', i, items.length, bytesDone + off, bytesTotal, it.paths[0]);
      }
    } finally {
      closeSync(fd);
    }
  };

  try {
    for (const it of items) {
      if (o.signal?.aborted) throw new InterruptedError();
      try {
        const known = rememberedChunkList(o.cacheDir, mode, it.hashName, it.oid, it.size);
        const w = writerFor(chunkHashFor(it.hashName));
        const { list: l, copy } = known ? { list: known, copy: undefined } : cutList(it, w);
        if (legacy) await checkLegacy(l);
        if (it.size >= WHOLE_MIN && allNew(l)) await packWhole(it, l, copy);
        else {
          await w.dropCopy(copy);
          await packFromList(it, l);
        }
        lists.set(it, l);
        out.stats.objects++;
        out.stats.chunks += lists.get(it)!.chunks.length;
      } catch (err) {
        if (isFatal(err) || isRemoteLevel(err)) throw err;
        out.failed.push({ item: it, error: err });
      }
      bytesDone += it.size;
      i++;
    }
    o.report('pushing chunks', items.length, items.length, bytesDone, bytesTotal, undefined, false);
    for (const w of writers.values()) await w.finish();
  } catch (err) {
    for (const w of writers.values()) await w.abort().catch(() => undefined);
    throw err;
  }
  o.report('pushing chunks', items.length, items.length, bytesDone, bytesTotal, undefined, true);
  let remoteDown: unknown;
  for (const w of writers.values()) {
    out.stats.listBytes += w.indexBytes;
    for (const e of w.failed.values()) if (isRemoteLevel(e)) remoteDown ??= e;
  }
  if (remoteDown) throw remoteDown;

  // the lists, each only once all of its chunks are on the remote
  for (const [it, l] of lists) {
    const w = writers.get(l.chunkHash);
    const missing = l.chunks.find((c) => !packs.has(c.hash, c.size) && !w?.stored.has(c.hash) && !legacyPresent.has(chunkKey(l.chunkHash, c.hash)));
    if (missing) { out.failed.push({ item: it, error: w?.failed.get(missing.hash) ?? new StorageError('transient', `chunk ${missing.hash} did not reach remote '${remote.name}'`) }); continue; }
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
  forgetRemotePacks(b);
  return out;
}

// ----------------------------------------------------------------------------------------- fetch

/** Largest ranged read of a pack in a fetch (chunks lying back to back are read together up to this). */
const RANGE_MAX = STAGE;

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
  const li = local();
  const whole = !got.list.chunks.some((c) => li.has(c.hash)) ? await wholeFromPack(r, x, got.list, tmp, onBytes, signal) : null;
  if (whole) { whole.listBytes = got.bytes; return whole; }
  const first = await rebuild(r, x, got.list, tmp, li, onBytes, signal);
  first.listBytes = got.bytes;
  if (first.ok || first.reused === 0) return first;
  const again = await rebuild(r, x, got.list, tmp, new Map(), onBytes, signal);
  again.listBytes = got.bytes;
  again.moved += first.moved;
  again.chunksMoved += first.chunksMoved;
  return again;
}

/**
 * The cache directory holding the temp file of a fetched object (`<cache>/files/<algo>/xx/<tmp>`,
 * the object layout), for the pack index cache; undefined when the path does not have that shape.
 */
function cacheDirOfTemp(tmp: string): string | undefined {
  const files = dirname(dirname(dirname(tmp)));
  return basename(files) === 'files' ? dirname(files) : undefined;
}

/**
 * A local remote whose pack is exactly this object (what a push of a new big object writes: the
 * cached file itself, chunks in file order): the pack is copied in the kernel (copy_file_range) on
 * one worker while another hashes it with the object's algorithm, as a whole-object fetch does.
 * null when the object is not held that way, or the copy's hash is not the object's (the caller
 * then rebuilds chunk by chunk, which checks every chunk, finds a bad chunk's other copies or
 * reports it). Chunk ids are not checked here: a matching whole-file hash covers every byte.
 */
async function wholeFromPack(r: RemoteHandle, x: ChunkFetchTarget, list: ChunkList, tmp: string, onBytes: (n: number) => void, signal?: AbortSignal): Promise<ChunkFetchOutcome | null> {
  const local = localRemote(r);
  if (!local || list.size < (4 << 20) || x.hashName === 'md5-dos2unix') return null;
  const packs = await remotePacksOf(r.backend, { cacheDir: cacheDirOfTemp(tmp), signal, jobs: Math.max(r.jobs, 8) });
  const first = packs.locate(list.chunks[0]!.hash, list.chunks[0]!.size).find((l) => l.offset === 0);
  if (!first || packs.indexes.get(first.pack)?.size !== list.size) return null;
  let off = 0;
  for (const c of list.chunks) {
    if (!packs.locate(c.hash, c.size).some((l) => l.pack === first.pack && l.offset === off)) return null;
    off += c.size;
  }
  const src = local.localPath(packKey(first.pack));
  if (!src) return null;
  const { HashPool, poolError, sameSource } = await import('../odb/pool.js');
  let last = 0;
  const job = HashPool.shared().run({
    op: 'hash', name: x.hashName, cache: dirname(tmp), signal,
    items: [{ path: src, size: list.size, op: 'hash' }, { path: src, size: list.size, op: 'copy-tmp' }],
    onProgress: (_d, bytes) => { const t = Math.min(list.size, Math.round(bytes / 2)); onBytes(t - last); last = t; },
  });
  let results: Awaited<typeof job>;
  try { results = await job; } catch (err) {
    if (signal?.aborted) throw new InterruptedError();
    throw err;
  }
  const [h, c] = results as [NonNullable<(typeof results)[0]>, NonNullable<(typeof results)[0]>];
  const drop = () => { if (c.tmp) rmSync(c.tmp, { force: true }); };
  const failed = h.error ?? c.error;
  if (failed) { drop(); onBytes(-last); throw toAppError(poolError(failed)); }
  // the whole file's hash decides: when it matches, every chunk is right too; when it does not (a
  // damaged pack), the caller rebuilds chunk by chunk, which checks each chunk, takes other copies
  // of a bad one and names what is damaged
  if (!sameSource(h, c) || h.oid !== x.oid || h.size !== list.size) { drop(); onBytes(-last); return null; }
  try { renameSync(c.tmp!, tmp); } catch (err) { drop(); throw err; }
  if (list.size > last) onBytes(list.size - last);
  return { ok: true, actual: h.oid!, size: h.size!, list, moved: list.size, reused: 0, listBytes: 0, chunksMoved: new Set(list.chunks.map((q) => q.hash)).size };
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
    await readyHasherSync(list.chunkHash); // hashOf may hash a chunk spread over several response buffers
    const packs = remoteChunks.length ? await remotePacksOf(r.backend, { cacheDir: cacheDirOfTemp(tmp), signal, jobs: Math.max(r.jobs, 8) }) : new RemotePacks();
    const bufs = new BufferPool();
    const corrupt = (h: string, got: string, actual: string) => new AppError('chunk-corrupt', `chunk ${h} of ${x.paths[0] ?? x.oid} on remote '${r.name}' is corrupted (${got} bytes, content hashes to ${actual})`, 1, { hint: 'push the file again from a cache that has it (`geodvc push`), or run `geodvc fsck -r REMOTE`' });
    const count = (size: number) => { out.moved += size; out.chunksMoved++; };
    /** The pieces of `src` (buffers back to back) covering bytes [from, to). */
    const slices = (src: Buffer[], from: number, to: number): Buffer[] => {
      const outv: Buffer[] = [];
      let base = 0;
      for (const p of src) {
        const end = base + p.length;
        if (end > from && base < to) outv.push(p.subarray(Math.max(0, from - base), Math.min(p.length, to - base)));
        base = end;
        if (base >= to) break;
      }
      return outv;
    };
    const hashOf = (src: Buffer[], from: number, to: number): string => {
      const v = slices(src, from, to);
      if (v.length === 1) return hashBuffer(v[0]!, list.chunkHash);
      const hh = createHasherSync(list.chunkHash);
      for (const p of v) hh.update(p);
      return hh.digest();
    };
    /** Writes verified chunks lying back to back in `src` at their offsets: one write per run contiguous in the file too. */
    const deliver = async (src: Buffer[], cs: { h: string; at: number; size: number }[]) => {
      let k = 0;
      while (k < cs.length) {
        const first = cs[k]!;
        const pos0 = at.get(first.h)!;
        let len = first.size;
        let j = k + 1;
        if (pos0.length === 1) {
          let end = offs[pos0[0]!]! + first.size;
          while (j < cs.length) {
            const c = cs[j]!;
            const p = at.get(c.h)!;
            if (p.length !== 1 || offs[p[0]!] !== end || c.at !== first.at + len) break;
            len += c.size;
            end += c.size;
            j++;
          }
        }
        if (j > k + 1) {
          await pwritevAll(fd, slices(src, first.at, first.at + len), offs[pos0[0]!]!);
          for (let q = k; q < j; q++) done[at.get(cs[q]!.h)![0]!] = 1;
        } else {
          for (const i of pos0) { await pwritevAll(fd, slices(src, first.at, first.at + first.size), offs[i]!); done[i] = 1; }
        }
        k = j;
      }
      for (const c of cs) count(c.size);
      advance();
    };
    /**
     * Reads `len` bytes of a pack from `start`: into a pooled buffer on a local remote, as the
     * response's own buffers elsewhere (no copy); `got` > len means the server sent more.
     */
    const readRange = async (pack: string, start: number, len: number): Promise<{ src: Buffer[]; got: number; release: () => void }> => {
      if (local) {
        const buf = len <= STAGE ? await takeStage() : bufs.take(len);
        const release = () => { if (buf.length === STAGE) giveStage(buf); else bufs.give(buf); };
        try {
          const got = await local.readAt(packKey(pack), buf, 0, len, start);
          onBytes(got);
          return { src: [buf.subarray(0, got)], got, release };
        } catch (err) {
          release();
          throw err;
        }
      }
      let counted = 0;
      const src = await withRetry('get-chunk', r.url, async () => {
        onBytes(-counted);
        counted = 0;
        const s = await r.backend.get(packKey(pack), { range: { start, end: start + len - 1 }, signal });
        const pieces: Buffer[] = [];
        for await (const c of s) {
          const piece = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
          pieces.push(piece);
          counted += piece.length;
          onBytes(piece.length);
          if (counted > len) { s.destroy?.(); break; }
        }
        return pieces;
      }, ENGINE_RETRY, signal);
      return { src, got: counted, release: () => undefined };
    };
    /** One chunk stored on its own (the per-chunk layout of earlier versions), verified. */
    const fetchObject = async (h: string): Promise<Buffer | { got: string; actual: string }> => {
      const key = chunkKey(list.chunkHash, h);
      const size = sizeOf(h);
      if (local) {
        const buf = Buffer.allocUnsafe(size + 1);
        const got = await local.readInto(key, buf, size + 1);
        const actual = hashBuffer(buf.subarray(0, Math.min(got, size)), list.chunkHash);
        onBytes(Math.min(got, size));
        if (got !== size || actual !== h) return { got: got > size ? `more than ${size}` : String(got), actual };
        return buf.subarray(0, size);
      }
      let counted = 0;
      const buf = await withRetry('get-chunk', r.url, async () => {
        onBytes(-counted);
        counted = 0;
        const b = r.backend.getSmall && size <= (1 << 20) ? await r.backend.getSmall(key, signal) : await getBuffer(r.backend, key, { signal });
        counted = b.length;
        onBytes(b.length);
        return b;
      }, ENGINE_RETRY, signal);
      const actual = hashBuffer(buf, list.chunkHash);
      if (buf.length !== size || actual !== h) return { got: String(buf.length), actual };
      return buf;
    };
    /** A chunk whose first copy was bad or missing: its other pack copies, then a chunk object. */
    const fallback = async (h: string, skipPack: string | undefined, why: { got: string; actual: string } | undefined) => {
      const size = sizeOf(h);
      let first = why;
      for (const l of packs.locate(h, size)) {
        if (l.pack === skipPack) continue;
        const { src, got, release } = await readRange(l.pack, l.offset, size);
        try {
          const actual = hashOf(src, 0, Math.min(got, size));
          if (got === size && actual === h) { await deliver(src, [{ h, at: 0, size }]); return; }
          first ??= { got: got > size ? `more than ${size}` : String(got), actual };
        } finally { release(); }
      }
      let got: Awaited<ReturnType<typeof fetchObject>>;
      try { got = await fetchObject(h); } catch (err) {
        if (err instanceof StorageError && err.kind === 'object-missing') {
          if (first) throw corrupt(h, first.got, first.actual);
          throw new StorageError('object-missing', `chunk ${h} of ${x.paths[0] ?? x.oid} is missing on remote '${r.name}' (in no pack, not stored on its own)`, { cause: err, hint: 'push the file again from a cache that has it (`geodvc push`), or run `geodvc fsck -r REMOTE`' });
        }
        throw err;
      }
      if (!Buffer.isBuffer(got)) throw corrupt(h, (first ?? got).got, (first ?? got).actual);
      await deliver([got], [{ h, at: 0, size }]);
    };
    // coalesce the chunks found in packs into ranged reads of up to RANGE_MAX bytes
    type Range = { pack: string; start: number; len: number; chunks: { h: string; at: number; size: number }[] };
    const byPack = new Map<string, { h: string; offset: number; size: number }[]>();
    const alone: string[] = [];
    for (const h of remoteChunks) {
      const l = packs.locate(h, sizeOf(h))[0];
      if (!l) { alone.push(h); continue; }
      const a = byPack.get(l.pack);
      if (a) a.push({ h, offset: l.offset, size: l.size }); else byPack.set(l.pack, [{ h, offset: l.offset, size: l.size }]);
    }
    const rangeMax = local ? RANGE_MAX : Math.max(RANGE_MAX, r.partSize);
    const ranges: Range[] = [];
    for (const [pack, cs] of byPack) {
      cs.sort((a, b) => a.offset - b.offset);
      let cur: Range | undefined;
      for (const c of cs) {
        if (cur && c.offset === cur.start + cur.len && cur.len + c.size <= rangeMax) {
          cur.chunks.push({ h: c.h, at: cur.len, size: c.size });
          cur.len += c.size;
        } else {
          if (cur) ranges.push(cur);
          cur = { pack, start: c.offset, len: c.size, chunks: [{ h: c.h, at: 0, size: c.size }] };
        }
      }
      if (cur) ranges.push(cur);
    }
    const doRange = async (g: Range) => {
      await readBudget.take(g.len);
      const retry: { h: string; why?: { got: string; actual: string } }[] = [];
      try {
        const { src, got, release } = await readRange(g.pack, g.start, g.len);
        try {
          const good: Range['chunks'] = [];
          for (const c of g.chunks) {
            const avail = got > g.len ? 0 : Math.max(0, Math.min(c.size, got - c.at));
            const actual = hashOf(src, c.at, c.at + avail);
            if (avail === c.size && actual === c.h) good.push(c);
            else retry.push({ h: c.h, why: { got: got > g.len ? `more than ${c.size}` : String(avail), actual } });
          }
          await deliver(src, good);
        } finally { release(); }
      } finally { readBudget.give(g.len); }
      for (const c of retry) await fallback(c.h, g.pack, c.why);
    };
    const jobs = Math.max(1, Math.min(r.jobs, local ? 4 : r.downloadConcurrency));
    const tasks: (() => Promise<void>)[] = [...ranges.map((g) => () => doRange(g)), ...alone.map((h) => () => fallback(h, undefined, undefined))];
    const settled = await mapLimitSettled(tasks, alone.length > ranges.length ? Math.max(r.jobs, local ? 8 : 4) : jobs, (t) => t(), signal);
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

/** A remote's temp file untouched this long is left by a killed push (gc removes it). */
export const STALE_TEMP_MS = 60 * 60 * 1000;

export interface ChunkGcResult {
  removed: string[];
  unreadableLists: string[];
  /** Pack indexes that could not be read: their packs were kept (their contents are unknown). */
  unreadableIndexes: string[];
  /** Bytes of unused chunks left in packs that still hold used ones (packs are not rewritten). */
  packGarbageBytes: number;
}

/**
 * Chunked part of `gc -c`: the chunk lists of objects not in `keep` (`algo:oid`), then every pack
 * none of whose chunks a kept list references (its index first, then the pack: a crash in between
 * leaves a pack without index, which nothing trusts and the next gc removes), packs without index
 * (left by a killed push), and chunks stored on their own (earlier versions' layout) that no kept
 * list references. Lists go first, so a crash in between leaves unused chunks (taken by the next
 * gc), never a list whose chunks are gone. A kept list that cannot be read stops the chunk sweep
 * (its chunks are unknown, so none may go). A pack holding used and unused chunks is kept whole:
 * `packGarbageBytes` says how much it could free by rewriting (not done).
 */
export async function gcChunked(b: Backend, keep: Set<string>, o: { dry?: boolean; signal?: AbortSignal; jobs?: number; cacheDir?: string }): Promise<ChunkGcResult> {
  const res: ChunkGcResult = { removed: [], unreadableLists: [], unreadableIndexes: [], packGarbageBytes: 0 };
  const keptChunks = new Set<string>();
  const dropLists: string[] = [];
  const keptLists: { key: string; hash: HashName; oid: string }[] = [];
  // only a remote that holds chunked objects (its marker is written before the first chunk) has
  // lists to look at; others may not even allow listing those prefixes (geodvc serve: HTTP 400)
  let chunked = false;
  try { chunked = !!(await b.stat(MARKER_KEY)); } catch { chunked = false; }
  if (!chunked) return res;
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
      for (const c of list.chunks) keptChunks.add(c.hash);
    } catch { res.unreadableLists.push(l.key); }
  }, o.signal);
  const del = async (keys: string[]) => {
    const settled = await mapLimitSettled(keys, o.jobs ?? 8, async (k) => { if (!o.dry) await b.delete(k); }, o.signal);
    settled.forEach((s, i) => { if (s.status === 'fulfilled') res.removed.push(keys[i]!); });
    return settled.every((s) => s.status === 'fulfilled');
  };
  await del(dropLists);
  if (res.unreadableLists.length) return res;
  // packs: unused ones (index, then pack), packs without index
  const packs = await loadRemotePacks(b, { cacheDir: o.cacheDir, signal: o.signal, jobs: o.jobs });
  res.unreadableIndexes.push(...packs.unreadable);
  const dropPacks: string[] = [];
  for (const ix of packs.indexes.values()) {
    let used = false;
    let unused = 0;
    for (const e of ix.entries) { if (keptChunks.has(e.hash)) used = true; else unused += e.size; }
    if (used) res.packGarbageBytes += unused;
    else dropPacks.push(ix.id);
  }
  // an index whose pack is missing or of another size: nothing trusts it; its pack (if any) goes with it
  const withPack = new Set(dropPacks);
  for (const d of packs.dangling) { dropPacks.push(d.id); if (d.packSize !== undefined) withPack.add(d.id); }
  await mapLimitSettled(dropPacks, o.jobs ?? 8, async (id) => {
    if (!o.dry) await b.delete(indexKey(id));
    res.removed.push(indexKey(id));
    if (!withPack.has(id)) return;
    if (!o.dry) await b.delete(packKey(id));
    res.removed.push(packKey(id));
  }, o.signal);
  await del(packs.unindexed.map((p) => packKey(p.id)));
  // a local remote: temp files of pushes killed mid-write (never listed, so never in `unindexed`)
  const lb = localBackendOf(b);
  if (lb) for (const dir of ['chunked/packs', 'chunked/index']) res.removed.push(...(await lb.sweepTemps(dir, STALE_TEMP_MS, o.dry)));
  const dropChunks: string[] = [];
  for await (const key of b.list('chunked/data/', o.signal)) {
    const h = key.slice(key.lastIndexOf('/') - 2).replace('/', '');
    if (!keptChunks.has(h)) dropChunks.push(key);
  }
  await del(dropChunks);
  return res;
}

// ------------------------------------------------------------------------------------------ fsck

export interface ChunkProblem { kind: 'missing' | 'corrupt' | 'size-mismatch'; key: string; message: string }

/** A chunk's bytes from the first of its pack copies (or its own object) that verifies; null when none does. */
async function readGoodChunk(r: RemoteHandle, packs: RemotePacks, chunkHash: HashName, h: string, size: number, signal?: AbortSignal): Promise<{ buf: Buffer | null; downloaded: number; where: string }> {
  let downloaded = 0;
  let where = chunkKey(chunkHash, h);
  const local = localRemote(r);
  for (const l of packs.locate(h, size)) {
    const buf = Buffer.allocUnsafe(size + 1);
    const got = await withRetry('get-chunk', r.url, () => readPackRange(r.backend, local, l.pack, l.offset, size, buf, signal), ENGINE_RETRY, signal);
    downloaded += Math.min(got, size);
    if (got === size && hashBuffer(buf.subarray(0, size), chunkHash) === h) return { buf: buf.subarray(0, size), downloaded, where: packKey(l.pack) };
    where = packKey(l.pack);
  }
  try {
    const buf = await withRetry('get-chunk', r.url, () => getBuffer(r.backend, chunkKey(chunkHash, h), { signal }), ENGINE_RETRY, signal);
    downloaded += buf.length;
    if (buf.length === size && hashBuffer(buf, chunkHash) === h) return { buf, downloaded, where: chunkKey(chunkHash, h) };
  } catch (err) {
    if (!(err instanceof StorageError && err.kind === 'object-missing')) throw err;
  }
  return { buf: null, downloaded, where };
}

/**
 * `fsck -r` of one object held as chunks: its list readable and describing it, every chunk present
 * with its size (in a pack, or stored on its own), and (unless `fast`) every chunk hashing to its
 * name and the whole to the object id. `found` is false when the remote holds no chunk list for it.
 * A problem's `key` is the chunk's logical key (`chunked/data/<algo>/…`, what `repairChunk` takes).
 */
export async function checkChunkedObject(r: RemoteHandle, x: ChunkFetchTarget, o: { fast?: boolean; signal?: AbortSignal; cacheDir?: string } = {}): Promise<{ found: boolean; problems: ChunkProblem[]; downloaded: number; list?: ChunkList }> {
  const lk = listKey(x.hashName, x.oid);
  let got: Awaited<ReturnType<typeof getChunkList>>;
  try { got = await getChunkList(r, x, o.signal); } catch (err) {
    if (err instanceof AppError && err.code === 'invalid-file') return { found: true, problems: [{ kind: 'corrupt', key: lk, message: err.message }], downloaded: 0 };
    throw err;
  }
  if (!got) return { found: false, problems: [], downloaded: 0 };
  const { list } = got;
  const packs = await remotePacksOf(r.backend, { cacheDir: o.cacheDir, signal: o.signal, jobs: Math.max(r.jobs, 8) });
  const problems: ChunkProblem[] = [];
  const sizes = new Map(list.chunks.map((c) => [chunkKey(list.chunkHash, c.hash), c.size]));
  const alone = [...new Set(list.chunks.filter((c) => !packs.has(c.hash, c.size)).map((c) => chunkKey(list.chunkHash, c.hash)))];
  const present = alone.length ? await remoteHas(r.backend, alone, { jobs: Math.max(r.jobs, 8), signal: o.signal, sizes }) : new Set<string>();
  for (const k of alone) if (!present.has(k)) problems.push({ kind: 'missing', key: k, message: `chunk ${k} of object ${x.oid} is missing (or truncated) on remote '${r.name}'` });
  let downloaded = got.bytes;
  if (o.fast || problems.length) return { found: true, problems, downloaded, list };
  const { createHasher } = await import('../odb/hash.js');
  const whole = await createHasher(x.hashName);
  for (const c of list.chunks) {
    if (o.signal?.aborted) throw new InterruptedError();
    const k = chunkKey(list.chunkHash, c.hash);
    const g = await readGoodChunk(r, packs, list.chunkHash, c.hash, c.size, o.signal);
    downloaded += g.downloaded;
    if (!g.buf) {
      problems.push({ kind: 'corrupt', key: k, message: `chunk ${k} of object ${x.oid} on remote '${r.name}' is corrupted (in ${g.where})` });
      return { found: true, problems, downloaded, list };
    }
    whole.update(g.buf);
  }
  const actual = whole.digest();
  if (actual !== x.oid) problems.push({ kind: 'corrupt', key: lk, message: `object ${x.oid} rebuilt from its chunks on remote '${r.name}' hashes to ${actual}` });
  return { found: true, problems, downloaded, list };
}

/**
 * Uploads a good copy of a chunk (or the list) of a cached object over a bad remote copy
 * (`fsck -r --repair`): a chunk goes into a new pack of its own (with its index); readers take the
 * first copy that verifies, so the damaged one is no longer used (it stays in its pack until gc
 * removes the pack).
 */
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
      const w = new PackWriter({ backend: r.backend, local: localRemote(r), tmpDir: join(cacheDir, 'packindex', 'tmp'), chunkHash: list.chunkHash, concurrency: r.uploadConcurrency, partSize: r.partSize, signal });
      await w.append(c.hash, data);
      await w.finish();
      const err = w.failed.get(c.hash);
      if (err) throw err;
      forgetRemotePacks(r.backend);
      return;
    }
    off += c.size;
  }
  throw new AppError('chunk-not-local', `chunk ${key} is not part of the cached copy of ${x.oid} (the remote list was made with other chunking)`, 1, { hint: 'push the object again after `geodvc gc -c` removed its list' });
}
