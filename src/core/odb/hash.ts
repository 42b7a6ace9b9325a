/**
 * File and buffer hashing for the object database.
 *
 * - `md5`: DVC 3 (raw bytes), the default. `sha256`: Node crypto (SHA-NI).
 * - `xxh128`: XXH3-128, lowercase hex of the canonical (big-endian) digest, as `xxhsum -H2` prints it.
 *   Streaming uses hash-wasm (the only streaming XXH128 measured fast here); one-shot buffers use the
 *   native @node-rs/xxhash.
 * - `md5-dos2unix`: legacy DVC 2 hash (dvc-formats.md §1.2), used only to read/verify old entries:
 *   the file is cut into 1 MiB chunks; a chunk whose first 512 bytes look like text has its CRLF
 *   replaced by LF (within that chunk only) before being fed to md5.
 *
 * Files are read with one reused buffer and `readSync` (never loaded whole); see perf-limits.md §2.
 */
import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { nativeXxh128 } from './xxh-native.js';

export type HashName = 'md5' | 'md5-dos2unix' | 'xxh128' | 'sha256';
export const HASH_NAMES: readonly HashName[] = ['md5', 'md5-dos2unix', 'xxh128', 'sha256'];

const require = createRequire(import.meta.url);

/** Legacy chunk size (DVC 2 reads 1 MiB chunks and normalises each one on its own). */
export const LEGACY_CHUNK = 1 << 20;
const TEXT_PROBE = 512;

/** Incremental hasher with a sync update; xxh128 needs `await initHashers()` once first. */
export interface Hasher {
  update(chunk: Uint8Array): void;
  digest(): string;
}

interface WasmHasher { init(): unknown; update(d: Uint8Array): unknown; digest(enc: 'hex'): string }
let xxh128Factory: (() => Promise<WasmHasher>) | undefined;
const xxh128Pool: WasmHasher[] = [];

/** Loads the WASM XXH128 hasher (idempotent). */
export async function initHashers(): Promise<void> {
  if (xxh128Factory) return;
  const hw = require('hash-wasm') as { createXXHash128: () => Promise<WasmHasher> };
  xxh128Factory = hw.createXXHash128;
  xxh128Pool.push(await hw.createXXHash128());
}

/**
 * Makes the next `createHasherSync(name)` in this thread succeed: for xxh128 without the native
 * library, a WASM hasher is ready in the pool (concurrent async hashes each take one).
 */
export async function readyHasherSync(name: HashName): Promise<void> {
  if (name !== 'xxh128' || nativeXxh128()) return;
  await initHashers();
  if (xxh128Pool.length === 0) xxh128Pool.push(await xxh128Factory!());
}

async function takeXxh(): Promise<WasmHasher> {
  await initHashers();
  const h = xxh128Pool.pop() ?? (await xxh128Factory!());
  h.init();
  return h;
}

/** True for a chunk DVC 2 considers text (istextfile.py: first 512 bytes, no NUL, ≤30 % binary). */
export function isTextChunk(chunk: Uint8Array): boolean {
  const n = Math.min(chunk.length, TEXT_PROBE);
  if (n === 0) return true;
  let nontext = 0;
  for (let i = 0; i < n; i++) {
    const c = chunk[i]!;
    if (c === 0) return false;
    // TEXT_CHARS = bytes(range(32,127)) + b"\n\r\t\f\b"
    if (!((c >= 32 && c < 127) || c === 10 || c === 13 || c === 9 || c === 12 || c === 8)) nontext++;
  }
  return nontext / n <= 0.3;
}

/** Removes every CR that precedes an LF inside the chunk (no carry across chunks, as DVC 2). */
export function dos2unixChunk(chunk: Uint8Array): Uint8Array {
  let crlf = 0;
  for (let i = 0; i + 1 < chunk.length; i++) if (chunk[i] === 13 && chunk[i + 1] === 10) crlf++;
  if (crlf === 0) return chunk;
  const out = new Uint8Array(chunk.length - crlf);
  let j = 0;
  for (let i = 0; i < chunk.length; i++) {
    if (chunk[i] === 13 && i + 1 < chunk.length && chunk[i + 1] === 10) continue;
    out[j++] = chunk[i]!;
  }
  return out;
}

class NodeHasher implements Hasher {
  private h;
  constructor(alg: 'md5' | 'sha256') { this.h = createHash(alg); }
  update(c: Uint8Array): void { this.h.update(c); }
  digest(): string { return this.h.digest('hex'); }
}

/**
 * The legacy hasher must see the data in 1 MiB chunks aligned to the file start; it buffers
 * partial input so callers may feed any chunk sizes.
 */
class Dos2UnixHasher implements Hasher {
  private h = createHash('md5');
  private pending: Buffer[] = [];
  private pendingLen = 0;
  update(c: Uint8Array): void {
    let off = 0;
    while (off < c.length) {
      const take = Math.min(LEGACY_CHUNK - this.pendingLen, c.length - off);
      if (this.pendingLen === 0 && take === LEGACY_CHUNK) {
        this.feed(c.subarray(off, off + take));
      } else {
        this.pending.push(Buffer.from(c.subarray(off, off + take)));
        this.pendingLen += take;
        if (this.pendingLen === LEGACY_CHUNK) this.flush();
      }
      off += take;
    }
  }
  private flush(): void {
    if (this.pendingLen === 0) return;
    const chunk = Buffer.concat(this.pending, this.pendingLen);
    this.pending = [];
    this.pendingLen = 0;
    this.feed(chunk);
  }
  private feed(chunk: Uint8Array): void {
    this.h.update(isTextChunk(chunk) ? dos2unixChunk(chunk) : chunk);
  }
  digest(): string {
    this.flush();
    return this.h.digest('hex');
  }
}

class XxhHasher implements Hasher {
  constructor(private h: WasmHasher) {}
  update(c: Uint8Array): void { this.h.update(c); }
  digest(): string {
    const d = this.h.digest('hex');
    xxh128Pool.push(this.h);
    return d;
  }
}

/**
 * A new incremental hasher, synchronously. For xxh128 `initHashers()` must have been awaited once
 * in this thread (throws otherwise).
 */
export function createHasherSync(name: HashName): Hasher {
  const direct = directHasher(name);
  if (direct) return direct;
  const h = xxh128Pool.pop();
  if (!h) throw new Error('xxh128 hasher not initialised: await initHashers() first');
  h.init();
  if (xxh128Pool.length === 0 && xxh128Factory) void xxh128Factory().then((x) => { xxh128Pool.push(x); });
  return new XxhHasher(h);
}

/** The hasher of `name` when it needs no WebAssembly instance (every one but xxh128 without the native binding). */
function directHasher(name: HashName): Hasher | undefined {
  switch (name) {
    case 'md5': return new NodeHasher('md5');
    case 'sha256': return new NodeHasher('sha256');
    case 'md5-dos2unix': return new Dos2UnixHasher();
    case 'xxh128': {
      const nx = nativeXxh128();
      return nx ? new NativeXxhHasher(nx.create()) : undefined;
    }
  }
}

/** Hashes a file synchronously (see createHasherSync for xxh128). */
export function hashFileSync(absPath: string, name: HashName, opts: HashFileOptions = {}): { value: string; size: number } {
  return hashFileWith(absPath, createHasherSync(name), opts);
}

/** A new incremental hasher. */
export async function createHasher(name: HashName): Promise<Hasher> {
  return directHasher(name) ?? new XxhHasher(await takeXxh());
}

class NativeXxhHasher implements Hasher {
  constructor(private h: { update(c: Uint8Array): void; digest(): string }) {}
  update(c: Uint8Array): void { this.h.update(c); }
  digest(): string { return this.h.digest(); }
}

let nativeXxh: ((b: Uint8Array) => bigint) | undefined;
function xxh128OneShot(buf: Uint8Array): string {
  const nx = nativeXxh128();
  if (nx) return nx.oneShot(buf);
  if (!nativeXxh) nativeXxh = (require('@node-rs/xxhash') as { xxh3: { xxh128: (b: Uint8Array) => bigint } }).xxh3.xxh128;
  return nativeXxh(buf).toString(16).padStart(32, '0');
}

/** Node >= 20.12 hashes a buffer in one call, without a Hash object per small file. */
const oneShotHash = (crypto as { hash?: (alg: string, data: Uint8Array, enc: 'hex') => string }).hash;

/** Hash of an in-memory buffer (sync). */
export function hashBuffer(buf: Uint8Array, name: HashName): string {
  switch (name) {
    case 'md5':
    case 'sha256': return oneShotHash ? oneShotHash(name, buf, 'hex') : createHash(name).update(buf).digest('hex');
    case 'xxh128': return xxh128OneShot(buf);
    case 'md5-dos2unix': {
      const h = new Dos2UnixHasher();
      h.update(buf);
      return h.digest();
    }
  }
}

export interface HashFileOptions {
  /** Also write every byte read to this open file descriptor (hash and cache write in one pass). */
  copyToFd?: number;
  /** Called after each chunk with the bytes read so far. */
  onBytes?: (bytesDone: number) => void;
  signal?: AbortSignal;
  /** Read buffer size, default 1 MiB. */
  chunkSize?: number;
}

const SHARED_BUF_SIZE = 1 << 20;
let sharedBuf: Buffer | undefined;
let sharedBusy = false;

/**
 * Hashes a file by streaming it through one reused buffer. Returns the hex digest and the number
 * of bytes read. Synchronous reads: callers that need the event loop should hash in workers.
 */
export async function hashFile(absPath: string, name: HashName, opts: HashFileOptions = {}): Promise<{ value: string; size: number }> {
  const hasher = await createHasher(name);
  return hashFileWith(absPath, hasher, opts);
}

/** As hashFile with a prepared hasher (sync). */
export function hashFileWith(absPath: string, hasher: Hasher, opts: HashFileOptions = {}): { value: string; size: number } {
  const size = opts.chunkSize ?? SHARED_BUF_SIZE;
  let buf: Buffer;
  let ownsShared = false;
  if (size === SHARED_BUF_SIZE && !sharedBusy) {
    sharedBuf ??= Buffer.allocUnsafe(SHARED_BUF_SIZE);
    buf = sharedBuf;
    sharedBusy = true;
    ownsShared = true;
  } else {
    buf = Buffer.allocUnsafe(size);
  }
  const fd = openSync(absPath, 'r');
  try {
    let total = 0;
    const expected = fstatSync(fd).size;
    for (;;) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
      // Fill the whole buffer (a short read would break the legacy chunking, which the hasher
      // re-aligns anyway, and costs extra calls).
      let filled = 0;
      while (filled < buf.length) {
        const n = readSync(fd, buf, filled, buf.length - filled, null);
        if (n === 0) break;
        filled += n;
      }
      if (filled === 0) break;
      const chunk = filled === buf.length ? buf : buf.subarray(0, filled);
      hasher.update(chunk);
      if (opts.copyToFd !== undefined) {
        let off = 0;
        while (off < filled) off += writeSync(opts.copyToFd, chunk, off, filled - off);
      }
      total += filled;
      opts.onBytes?.(total);
      if (filled < buf.length && total >= expected) break;
    }
    return { value: hasher.digest(), size: total };
  } finally {
    closeSync(fd);
    if (ownsShared) sharedBusy = false;
  }
}

/** Parses a hash name from config/.dvc (`xxhash` is an alias of `xxh128`). */
export function parseHashName(s: string | undefined | null): HashName | undefined {
  if (s === undefined || s === null) return undefined;
  const v = String(s).trim().toLowerCase();
  if (v === 'md5' || v === 'sha256' || v === 'md5-dos2unix' || v === 'xxh128') return v;
  if (v === 'xxhash' || v === 'xxh3-128' || v === 'xxh3_128' || v === 'xxhash128') return 'xxh128';
  return undefined;
}

/** Length of the hex digest of an algorithm. */
export function digestLength(name: HashName): number {
  return name === 'sha256' ? 64 : 32;
}
