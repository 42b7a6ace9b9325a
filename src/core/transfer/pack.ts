/**
 * Pack files of chunked remotes (docs/chunking.md): many chunks in one remote object, so a push
 * of new data is a few large sequential writes (a multipart upload on S3) and a pull a few ranged
 * reads, instead of one object per chunk.
 *
 *   chunked/packs/<id>    the chunks' bytes, concatenated
 *   chunked/index/<id>    the pack's index (JSON: one [chunk id, offset, size] per chunk), written
 *                         only after the pack is complete on the remote: the index is the commit point
 *
 * `<id>` is the chunk-algorithm hash (xxh128 or sha256) of the index text, so an index checks
 * itself (a damaged one is refused) and names its pack. A pack counts only when its index reads
 * and verifies and the pack is on the remote with the size the index says: a push killed at any
 * point leaves at most a pack (or a temp file) without index, which nothing trusts and gc removes.
 * Indexes are cached in `<cache>/packindex/<id>` (derived data: immutable, re-downloaded when
 * missing or damaged), so a push lists the remote's packs and indexes and downloads only new indexes.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { openNewFile, removeQuietly } from '../../lib/fs-async.js';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { getBuffer, type Backend } from '../../storage/backend.js';
import { withRetry } from '../../storage/retry.js';
import type { LocalBackend } from '../../storage/backends/local.js';
import { hashBuffer, parseHashName, type HashName } from '../odb/hash.js';
import { isValidOid } from '../odb/layout.js';
import { mapLimitSettled } from '../../lib/pool.js';
import { writeFileAtomicSync } from '../../lib/atomic.js';
import { InvalidFileError } from '../../lib/errors.js';
import { ENGINE_RETRY, isFatal } from './faults.js';

export const PACK_INDEX_VERSION = 1;
export const PACK_PREFIX = 'chunked/packs/';
export const INDEX_PREFIX = 'chunked/index/';
export const packKey = (id: string): string => `${PACK_PREFIX}${id}`;
export const indexKey = (id: string): string => `${INDEX_PREFIX}${id}`;

/**
 * Target pack size: 64 MiB. Per-pack costs (a file create + rename, or a multipart upload of 4
 * parts of 16 MiB, and an index) are then negligible against the bytes (16 packs per GiB against
 * ~2300 chunk objects), the temp file of a pack on its way to S3 stays small, and `gc -c` (which
 * removes a pack only when none of its chunks is used) leaves at most 64 MiB of garbage per
 * partially used pack. GEODVC_PACK_SIZE (bytes) overrides it (tests, tuning).
 */
export const DEFAULT_PACK_SIZE = 64 << 20;

export function packTarget(): number {
  const v = Number(process.env.GEODVC_PACK_SIZE);
  return Number.isSafeInteger(v) && v > 0 ? v : DEFAULT_PACK_SIZE;
}

export interface PackEntry { hash: string; offset: number; size: number }
export interface PackIndex { id: string; chunkHash: HashName; size: number; entries: PackEntry[] }

export function serializePackIndex(chunkHash: HashName, size: number, entries: PackEntry[]): { id: string; text: Buffer } {
  const chunks = entries.map((e) => `["${e.hash}",${e.offset},${e.size}]`).join(',');
  const text = Buffer.from(`{"version":${PACK_INDEX_VERSION},"chunk_hash":"${chunkHash}","size":${size},"chunks":[${chunks}]}\n`);
  return { id: hashBuffer(text, chunkHash), text };
}

const bad = (id: string, why: string) => new InvalidFileError(`pack index ${id} is invalid: ${why}`, { hint: 'run `geodvc gc -c` to drop the damaged pack, then push again from a cache that has the data' });

/** Parses and verifies the index of pack `id` (its text must hash to `id`). */
export function parsePackIndex(id: string, bytes: Uint8Array): PackIndex {
  let j: Record<string, unknown>;
  try { j = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>; } catch { throw bad(id, 'not JSON'); }
  if (!j || typeof j !== 'object') throw bad(id, 'not an object');
  if (j.version !== PACK_INDEX_VERSION) throw bad(id, `unsupported version ${String(j.version)} (this geodvc reads version ${PACK_INDEX_VERSION}; upgrade geodvc)`);
  const chunkHash = parseHashName(j.chunk_hash as string);
  if (!chunkHash || chunkHash === 'md5-dos2unix') throw bad(id, 'unknown hash algorithm');
  if (hashBuffer(bytes, chunkHash) !== id) throw bad(id, 'its content does not hash to its name');
  const size = j.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw bad(id, 'bad size');
  if (!Array.isArray(j.chunks)) throw bad(id, 'no chunk array');
  const entries: PackEntry[] = [];
  let end = 0;
  for (const c of j.chunks as unknown[]) {
    if (!Array.isArray(c) || typeof c[0] !== 'string' || !isValidOid(chunkHash, c[0]) || c[0].endsWith('.dir')) throw bad(id, 'bad chunk entry');
    const [, offset, n] = c as [string, unknown, unknown];
    if (typeof offset !== 'number' || typeof n !== 'number' || !Number.isSafeInteger(offset) || !Number.isSafeInteger(n) || n <= 0 || offset < end || offset + n > size) throw bad(id, 'bad chunk entry');
    entries.push({ hash: c[0], offset, size: n });
    end = offset + n;
  }
  return { id, chunkHash, size, entries };
}

/** Where a chunk is: pack id, byte offset, size. */
export interface ChunkLoc { pack: string; offset: number; size: number }

/** The packs of a remote, as its listing and indexes say. */
export class RemotePacks {
  /** Usable packs: index verified, pack present with the size its index says. */
  readonly indexes = new Map<string, PackIndex>();
  /** Index keys that could not be read or did not verify (their packs' contents are unknown). */
  readonly unreadable: string[] = [];
  /** Packs without an index (a killed push's, or a finished push whose index did not arrive). */
  readonly unindexed: { id: string; size: number }[] = [];
  /** Indexes whose pack is missing or of another size (nothing trusts them); `packSize` when the pack is there. */
  readonly dangling: { id: string; packSize?: number }[] = [];
  private at = new Map<string, ChunkLoc[]>();

  add(ix: PackIndex): void {
    if (this.indexes.has(ix.id)) return;
    this.indexes.set(ix.id, ix);
    for (const e of ix.entries) {
      const loc = { pack: ix.id, offset: e.offset, size: e.size };
      const a = this.at.get(e.hash);
      if (a) a.push(loc); else this.at.set(e.hash, [loc]);
    }
  }

  /** Every location of a chunk of `size` bytes (first written first). */
  locate(hash: string, size: number): ChunkLoc[] {
    return (this.at.get(hash) ?? []).filter((l) => l.size === size);
  }

  has(hash: string, size: number): boolean {
    return (this.at.get(hash) ?? []).some((l) => l.size === size);
  }

  get chunkCount(): number { return this.at.size; }
}

const isId = (s: string) => /^[0-9a-f]{32,64}$/.test(s);

/**
 * Reads the remote's packs: one listing of chunked/packs/ (with sizes) and one of chunked/index/,
 * then every index not cached yet in `<cacheDir>/packindex/`.
 */
export async function loadRemotePacks(b: Backend, o: { cacheDir?: string; signal?: AbortSignal; jobs?: number } = {}): Promise<RemotePacks> {
  const out = new RemotePacks();
  // a remote that cannot be listed (plain HTTP) holds no packs geodvc can find: chunks there can
  // only be objects of their own (read as such); a push refuses to chunk to it
  if (!b.canList) return out;
  const sizes = new Map<string, number>();
  if (b.listDetailed) {
    for await (const { key, size } of b.listDetailed(PACK_PREFIX, o.signal)) {
      const id = key.slice(PACK_PREFIX.length);
      if (isId(id)) sizes.set(id, size);
    }
  } else {
    const ids: string[] = [];
    for await (const key of b.list(PACK_PREFIX, o.signal)) { const id = key.slice(PACK_PREFIX.length); if (isId(id)) ids.push(id); }
    await mapLimitSettled(ids, o.jobs ?? 8, async (id) => { const st = await b.stat(packKey(id)); if (st) sizes.set(id, st.size); }, o.signal);
  }
  const idxIds: string[] = [];
  for await (const key of b.list(INDEX_PREFIX, o.signal)) { const id = key.slice(INDEX_PREFIX.length); if (isId(id)) idxIds.push(id); }
  idxIds.sort();
  const parsed = new Map<string, PackIndex>();
  const cacheDir = o.cacheDir ? join(o.cacheDir, 'packindex') : undefined;
  await mapLimitSettled(idxIds, o.jobs ?? 8, async (id) => {
    const cached = cacheDir ? join(cacheDir, id) : undefined;
    if (cached && existsSync(cached)) {
      try { parsed.set(id, parsePackIndex(id, readFileSync(cached))); return; } catch { /* damaged: download again */ }
    }
    try {
      const bytes = await withRetry('fetch', b.url, () => getBuffer(b, indexKey(id), { signal: o.signal }), ENGINE_RETRY, o.signal);
      parsed.set(id, parsePackIndex(id, bytes));
      if (cacheDir) {
        try { mkdirSync(cacheDir, { recursive: true }); writeFileAtomicSync(join(cacheDir, id), bytes, { fsync: false }); } catch { /* derived data */ }
      }
    } catch (err) {
      if (isFatal(err)) throw err;
      out.unreadable.push(indexKey(id));
    }
  }, o.signal).then((s) => { for (const r of s) if (r.status === 'rejected' && isFatal(r.reason)) throw r.reason; });
  for (const id of idxIds) {
    const ix = parsed.get(id);
    if (!ix) continue;
    if (sizes.get(id) === ix.size) out.add(ix);
    else out.dangling.push({ id, packSize: sizes.get(id) });
  }
  const unreadableIds = new Set(out.unreadable.map((k) => k.slice(INDEX_PREFIX.length)));
  for (const [id, size] of sizes) if (!parsed.has(id) && !unreadableIds.has(id)) out.unindexed.push({ id, size });
  return out;
}

const memo = new WeakMap<Backend, Promise<RemotePacks>>();

/** loadRemotePacks once per backend (fetch and fsck: the packs of a remote do not change under a read). */
export function remotePacksOf(b: Backend, o: { cacheDir?: string; signal?: AbortSignal; jobs?: number } = {}): Promise<RemotePacks> {
  let p = memo.get(b);
  if (!p) {
    memo.set(b, (p = loadRemotePacks(b, o)));
    p.catch(() => memo.delete(b));
  }
  return p;
}

/** Forgets what remotePacksOf read (after packs were written or removed). */
export function forgetRemotePacks(b: Backend): void { memo.delete(b); }

/** Whether the remote holds chunks in the per-chunk layout of earlier geodvc versions (chunked/data/). */
export async function hasChunkObjects(b: Backend, signal?: AbortSignal): Promise<boolean> {
  for await (const key of b.list('chunked/data/', signal, 0)) { void key; return true; }
  return false;
}

// --------------------------------------------------------------------------------------- writing

/** Where the bytes of the pack being written go. */
interface PackSink {
  write(data: Uint8Array, off: number, len: number, pos: number): Promise<void>;
  /** The pack complete under its final key on the remote. */
  commit(id: string, size: number): Promise<void>;
  discard(): Promise<void>;
}

/** A pack written to a local temp file, then uploaded as one object (a multipart upload when big). */
async function uploadSink(b: Backend, tmpDir: string, put: { concurrency: number; partSize: number; signal?: AbortSignal }): Promise<PackSink> {
  mkdirSync(tmpDir, { recursive: true });
  const path = join(tmpDir, `pack-${randomBytes(8).toString('hex')}.tmp`);
  const file = await openNewFile(path, 0o600);
  return {
    write: (data, off, len, pos) => file.write(data, off, len, pos),
    async commit(id, size) {
      try {
        await file.close();
        await withRetry('push', b.url, () => b.put(packKey(id), { path, size }, { concurrency: put.concurrency, partSize: put.partSize, signal: put.signal }), ENGINE_RETRY, put.signal);
      } finally {
        await removeQuietly(path);
      }
    },
    async discard() { await file.close().catch(() => undefined); await removeQuietly(path); },
  };
}

async function localSink(dir: LocalBackend): Promise<PackSink> {
  const t = await dir.createTemp(packKey('new'));
  return { write: (d, off, len, pos) => t.write(d, off, len, pos), commit: (id) => t.commit(packKey(id)), discard: () => t.discard() };
}

/** Bytes gathered before one write of the pack (fewer, larger writes); also the size of the shared buffers. */
export const STAGE = 8 << 20;
/** Writes of one pack in flight. */
const WRITES = 4;

/**
 * Write buffers shared by every pack writer of the process and kept for reuse: a fresh 8 MiB
 * buffer is a new mapping whose pages all fault in when first filled, which costs more CPU here
 * than the copy itself (~2 ms per MiB on this VM against ~0.1 ms for a reused one). At most
 * STAGE_BUFFERS exist; a writer waits for one to come back from a finished write.
 */
const STAGE_BUFFERS = 8;
const stagePool = { free: [] as Buffer[], made: 0, waiters: [] as ((b: Buffer) => void)[] };

export async function takeStage(): Promise<Buffer> {
  const b = stagePool.free.pop();
  if (b) return b;
  if (stagePool.made < STAGE_BUFFERS) { stagePool.made++; return Buffer.allocUnsafeSlow(STAGE); }
  return new Promise((resolve) => stagePool.waiters.push(resolve));
}

export function giveStage(b: Buffer): void {
  const w = stagePool.waiters.shift();
  if (w) w(b); else stagePool.free.push(b);
}

/** A whole-file copy started before its chunks were all known (PackWriter.startCopy). */
export interface WholeCopy { path: string; done: Promise<{ commit(key: string): Promise<void>; discard(): Promise<void> }> }

interface OpenPack { sink: Promise<PackSink>; entries: PackEntry[]; size: number; writes: Set<Promise<void>>; stage?: Buffer; staged: number; failed?: unknown }

export interface PackWriterOptions {
  backend: Backend;
  /** The local backend of a local-directory remote: packs are written in place (temp + rename). */
  local?: LocalBackend;
  /** Other remotes: where a pack is written before its upload. */
  tmpDir: string;
  chunkHash: HashName;
  target?: number;
  concurrency: number;
  partSize: number;
  signal?: AbortSignal;
  /** Packs being sealed (uploaded) at once while the next one fills. */
  sealing?: number;
}

/**
 * Writes new chunks into packs of about `target` bytes. `append` copies a chunk into the open
 * pack's write buffer (8 MiB, written on the thread pool when full); a full pack is sealed in the
 * background (pack complete on the remote, then its index) while the next one fills. `finish`
 * seals the last pack and waits for all of them. A chunk is stored (and may be named by a chunk
 * list) only once `stored` says so.
 */
export class PackWriter {
  private cur?: OpenPack;
  private sealing = new Set<Promise<void>>();
  /** Chunks appended (to an open, sealing or sealed pack) by this writer. */
  readonly written = new Set<string>();
  /** Chunks whose pack and index are on the remote. */
  readonly stored = new Set<string>();
  /** Chunks whose pack failed, with the error. */
  readonly failed = new Map<string, unknown>();
  readonly sealed: PackIndex[] = [];
  /** Bytes of the indexes written. */
  indexBytes = 0;
  private fatal: unknown;
  readonly target: number;

  constructor(private o: PackWriterOptions) { this.target = o.target ?? packTarget(); }

  private open(): OpenPack {
    if (!this.cur) {
      const sink = this.o.local ? localSink(this.o.local) : uploadSink(this.o.backend, this.o.tmpDir, { concurrency: this.o.concurrency, partSize: this.o.partSize, signal: this.o.signal });
      sink.catch(() => undefined);
      this.cur = { sink, entries: [], size: 0, writes: new Set(), staged: 0 };
    }
    return this.cur;
  }

  /** Writes the buffered bytes of `p` (on the thread pool); the buffer goes back to the pool after. */
  private flushStage(p: OpenPack): void {
    const buf = p.stage;
    if (!buf || !p.staged) return;
    const len = p.staged;
    const pos = p.size - len;
    p.stage = undefined;
    p.staged = 0;
    const w = p.sink.then((s) => s.write(buf, 0, len, pos)).catch((err) => { p.failed ??= err; }).finally(() => giveStage(buf));
    p.writes.add(w);
    void w.then(() => p.writes.delete(w));
  }

  /** A write buffer with room for `n` bytes (flushing the full one), at most WRITES writes in flight. */
  private async stageFor(p: OpenPack, n: number): Promise<Buffer> {
    if (p.stage && n > STAGE - p.staged) this.flushStage(p);
    while (p.writes.size >= WRITES) await Promise.race(p.writes);
    if (this.fatal) throw this.fatal;
    return (p.stage ??= await takeStage());
  }

  /** Adds a chunk (copied: `data` may be reused once the promise settles). No-op for a chunk already appended. */
  async append(hash: string, data: Uint8Array): Promise<void> {
    if (this.written.has(hash)) return;
    this.written.add(hash);
    const p = this.open();
    if (data.length > STAGE) {
      this.flushStage(p);
      const copy = Buffer.from(data);
      const pos = p.size;
      p.entries.push({ hash, offset: pos, size: data.length });
      p.size += data.length;
      const w = p.sink.then((s) => s.write(copy, 0, copy.length, pos)).catch((err) => { p.failed ??= err; });
      p.writes.add(w);
      void w.then(() => p.writes.delete(w));
    } else {
      const stage = await this.stageFor(p, data.length);
      stage.set(data, p.staged);
      p.entries.push({ hash, offset: p.size, size: data.length });
      p.staged += data.length;
      p.size += data.length;
    }
    if (p.size >= this.target) await this.seal();
  }

  /**
   * Adds a chunk read straight into the write buffer (a cached object's bytes: no copy in between).
   * `read` fills `buf[at, at + size)` and returns the bytes read.
   */
  async appendRead(hash: string, size: number, read: (buf: Buffer, at: number, size: number) => number): Promise<void> {
    if (this.written.has(hash)) return;
    if (size > STAGE) {
      const buf = Buffer.allocUnsafe(size);
      if (read(buf, 0, size) !== size) throw new Error('short read');
      await this.append(hash, buf);
      return;
    }
    const p = this.open();
    const stage = await this.stageFor(p, size);
    if (read(stage, p.staged, size) !== size) throw new Error('short read');
    this.written.add(hash);
    p.entries.push({ hash, offset: p.size, size });
    p.staged += size;
    p.size += size;
    if (p.size >= this.target) await this.seal();
  }

  /**
   * Starts copying the whole file `path` as a pack (local remotes: a kernel copy into a temp file
   * beside the packs), before it is known whether every chunk of it is new: `wholeFile` then
   * takes the copy, `dropCopy` removes it.
   */
  startCopy(path: string): WholeCopy | undefined {
    if (!this.o.local) return undefined;
    const p = this.o.local.copyToTemp(packKey('new'), path);
    p.catch(() => undefined);
    return { path, done: p };
  }

  async dropCopy(c: WholeCopy | undefined): Promise<void> {
    if (c) await (await c.done.catch(() => undefined))?.discard();
  }

  /**
   * Stores the whole file `path` as one pack whose chunks are `entries` (all new, in file order,
   * covering the file): on a local remote the kernel copy `copy` (or a new one), elsewhere an
   * upload of the cached file itself (a multipart upload when big), then the index; sealed in the
   * background like a full pack.
   */
  async wholeFile(path: string, size: number, entries: PackEntry[], copy?: WholeCopy): Promise<void> {
    for (const e of entries) this.written.add(e.hash);
    const job = (async () => {
      let tmp: Awaited<WholeCopy['done']> | undefined;
      try {
        const { id, text } = serializePackIndex(this.o.chunkHash, size, entries);
        if (this.o.local) {
          tmp = await (copy && copy.path === path ? copy.done : this.o.local.copyToTemp(packKey('new'), path));
          await tmp.commit(packKey(id));
          tmp = undefined;
          await this.o.local.putBuffer(indexKey(id), text);
        } else {
          await withRetry('push', this.o.backend.url, () => this.o.backend.put(packKey(id), { path, size }, { concurrency: this.o.concurrency, partSize: this.o.partSize, signal: this.o.signal }), ENGINE_RETRY, this.o.signal);
          await withRetry('push', this.o.backend.url, () => this.o.backend.put(indexKey(id), { data: text }, { signal: this.o.signal }), ENGINE_RETRY, this.o.signal);
        }
        for (const e of entries) this.stored.add(e.hash);
        this.indexBytes += text.length;
        this.sealed.push({ id, chunkHash: this.o.chunkHash, size, entries });
      } catch (err) {
        await tmp?.discard().catch(() => undefined);
        if (isFatal(err)) this.fatal ??= err;
        for (const e of entries) this.failed.set(e.hash, err);
      }
    })();
    this.sealing.add(job);
    void job.then(() => this.sealing.delete(job));
    while (this.sealing.size >= (this.o.sealing ?? 2)) await Promise.race(this.sealing);
    if (this.fatal) throw this.fatal;
  }

  /** Seals the open pack in the background (at most `sealing` at once: waits for room). */
  async seal(): Promise<void> {
    const p = this.cur;
    if (!p) return;
    this.cur = undefined;
    this.flushStage(p);
    if (p.stage) { giveStage(p.stage); p.stage = undefined; }
    const job = (async () => {
      let sink: PackSink | undefined;
      try {
        sink = await p.sink;
        await Promise.all(p.writes);
        if (p.failed) throw p.failed;
        const { id, text } = serializePackIndex(this.o.chunkHash, p.size, p.entries);
        await sink.commit(id, p.size);
        sink = undefined;
        if (this.o.local) await this.o.local.putBuffer(indexKey(id), text);
        else await withRetry('push', this.o.backend.url, () => this.o.backend.put(indexKey(id), { data: text }, { signal: this.o.signal }), ENGINE_RETRY, this.o.signal);
        for (const e of p.entries) this.stored.add(e.hash);
        this.indexBytes += text.length;
        this.sealed.push({ id, chunkHash: this.o.chunkHash, size: p.size, entries: p.entries });
      } catch (err) {
        await sink?.discard().catch(() => undefined);
        if (isFatal(err)) this.fatal ??= err;
        for (const e of p.entries) this.failed.set(e.hash, err);
      }
    })();
    this.sealing.add(job);
    void job.then(() => this.sealing.delete(job));
    while (this.sealing.size >= (this.o.sealing ?? 2)) await Promise.race(this.sealing);
    if (this.fatal) throw this.fatal;
  }

  /** Seals the last pack and waits for every pack; throws a fatal error (disk full, interrupted). */
  async finish(): Promise<void> {
    await this.seal();
    await Promise.all(this.sealing);
    if (this.fatal) throw this.fatal;
  }

  /** Drops the open pack (after a fatal error): its temp file is removed. */
  async abort(): Promise<void> {
    const p = this.cur;
    this.cur = undefined;
    if (p) {
      if (p.stage) { giveStage(p.stage); p.stage = undefined; }
      await Promise.all(p.writes);
      await (await p.sink.catch(() => undefined))?.discard().catch(() => undefined);
    }
    await Promise.all(this.sealing);
  }
}

// --------------------------------------------------------------------------------------- reading

/**
 * Reads `len` bytes of pack `id` from `start` into `buf` (positioned reads on a local remote, an
 * HTTP Range GET elsewhere); returns the bytes read (fewer when the pack is shorter).
 */
export async function readPackRange(b: Backend, local: LocalBackend | undefined, id: string, start: number, len: number, buf: Buffer, signal?: AbortSignal): Promise<number> {
  if (local) return local.readAt(packKey(id), buf, 0, len, start);
  const s = await b.get(packKey(id), { range: { start, end: start + len - 1 }, signal });
  let got = 0;
  for await (const c of s) {
    const piece = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    if (got + piece.length > len) { got = len + 1; s.destroy?.(); break; }
    piece.copy(buf, got);
    got += piece.length;
  }
  return got;
}

/** A bound on the bytes of pack ranges held in memory at once by all reads of the process. */
export class ByteBudget {
  private used = 0;
  private waiters: { n: number; go: () => void }[] = [];
  constructor(readonly max: number) {}
  async take(n: number): Promise<void> {
    const want = Math.min(n, this.max);
    if (this.used + want <= this.max && !this.waiters.length) { this.used += want; return; }
    await new Promise<void>((go) => this.waiters.push({ n: want, go }));
  }
  give(n: number): void {
    this.used -= Math.min(n, this.max);
    while (this.waiters.length && this.used + this.waiters[0]!.n <= this.max) {
      const w = this.waiters.shift()!;
      this.used += w.n;
      w.go();
    }
  }
}

export const readBudget = new ByteBudget(128 << 20);
