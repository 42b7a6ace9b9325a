/**
 * A geotiff.js-compatible byte source over a storage Backend (or a local file): `fetch(slices)`
 * returns ArrayBuffers for byte ranges, read through a small LRU block cache; missing adjacent
 * blocks are merged into one ranged GET and at most `concurrency` GETs are in flight. Counts the
 * bytes and requests it made (what a windowed read costs).
 */
import { open as openFile, type FileHandle } from 'node:fs/promises';
import type { Backend } from '../../storage/backend.js';

export interface RangeReader {
  /** Reads `length` bytes at `offset` (inclusive range offset..offset+length-1). */
  read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array>;
  close(): Promise<void>;
  readonly describe: string;
  /** Bytes received from the server (before any clipping), when the reader counts them. */
  readonly received?: number;
}

export function backendReader(b: Backend, key: string): RangeReader {
  const r = {
    received: 0,
    describe: `${b.url}/${key}`,
    async read(offset: number, length: number, signal?: AbortSignal) {
      const s = await b.get(key, { start: offset, end: offset + length - 1, signal });
      const chunks: Buffer[] = [];
      let n = 0;
      for await (const c of s) { const buf = typeof c === 'string' ? Buffer.from(c) : (c as Buffer); chunks.push(buf); n += buf.length; }
      r.received += n;
      const out = Buffer.concat(chunks, n);
      // a server that ignores Range sends the whole object: keep the asked part only
      return out.length > length ? out.subarray(offset, offset + length) : out;
    },
    async close() { /* the backend is closed by its owner */ },
  };
  return r;
}

export function fileReader(path: string): RangeReader {
  let fh: Promise<FileHandle> | undefined;
  return {
    describe: path,
    async read(offset, length) {
      fh ??= openFile(path, 'r');
      const h = await fh;
      const buf = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await h.read(buf, got, length - got, offset + got);
        if (!bytesRead) break;
        got += bytesRead;
      }
      return buf.subarray(0, got);
    },
    async close() { if (fh) { const h = await fh; fh = undefined; await h.close(); } },
  };
}

export interface RangeSourceOptions {
  /** Bytes per cache block (default 64 KiB). */
  blockSize?: number;
  /** Blocks kept (default 512 = 32 MiB at 64 KiB). */
  cacheBlocks?: number;
  /** Ranged GETs in flight (default 8). */
  concurrency?: number;
  /** Object size when known (reads past it are clipped). */
  size?: number;
}

export interface RangeStats { bytes: number; requests: number; cacheHits: number }

/** The source given to `GeoTIFF.fromSource` (duck-typed geotiff.js BaseSource). */
export class RangeSource {
  readonly stats: RangeStats = { bytes: 0, requests: 0, cacheHits: 0 };
  private readonly blockSize: number;
  private readonly cacheBlocks: number;
  private readonly concurrency: number;
  private readonly cache = new Map<number, Uint8Array>();
  private readonly pending = new Map<number, Promise<Uint8Array>>();
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly reader: RangeReader, private readonly opts: RangeSourceOptions = {}) {
    this.blockSize = opts.blockSize ?? 64 << 10;
    this.cacheBlocks = opts.cacheBlocks ?? 512;
    this.concurrency = Math.max(1, opts.concurrency ?? 8);
  }

  get fileSize(): number | null { return this.opts.size ?? null; }

  private async slot<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    try { return await fn(); } finally { this.active--; this.queue.shift()?.(); }
  }

  private readonly deferred = new Map<number, { res: (d: Uint8Array) => void; rej: (e: unknown) => void }>();
  private readonly wanted = new Set<number>();
  private flushScheduled = false;

  /**
   * Marks block `b` as wanted; the GETs start on the next macrotask, so the requests geotiff.js
   * makes for neighbouring tiles in the same turn are merged into one ranged GET per run.
   */
  private request(b: number, signal?: AbortSignal): void {
    const p = new Promise<Uint8Array>((res, rej) => this.deferred.set(b, { res, rej }));
    p.catch(() => { /* the awaiting fetch() reports it */ });
    this.pending.set(b, p);
    this.wanted.add(b);
    if (!this.flushScheduled) { this.flushScheduled = true; setImmediate(() => this.flush(signal)); }
  }

  private flush(signal?: AbortSignal): void {
    this.flushScheduled = false;
    const missing = [...this.wanted].sort((a, b) => a - b);
    this.wanted.clear();
    for (let i = 0; i < missing.length;) {
      let j = i;
      while (j + 1 < missing.length && missing[j + 1] === missing[j]! + 1) j++;
      this.loadRun(missing[i]!, missing[j]!, signal);
      i = j + 1;
    }
  }

  /** Fetches blocks [first..last] in one ranged GET, caches them and settles their promises. */
  private loadRun(first: number, last: number, signal?: AbortSignal): void {
    const start = first * this.blockSize;
    let len = (last - first + 1) * this.blockSize;
    if (this.opts.size !== undefined) len = Math.max(0, Math.min(len, this.opts.size - start));
    const settle = (b: number, fn: (d: { res: (d: Uint8Array) => void; rej: (e: unknown) => void }) => void) => {
      const d = this.deferred.get(b);
      this.deferred.delete(b);
      this.pending.delete(b);
      if (d) fn(d);
    };
    this.slot(async () => {
      const data = await this.reader.read(start, len, signal);
      // bytes as received from the backend when the reader counts them (before clipping)
      this.stats.bytes = this.reader.received ?? this.stats.bytes + data.length;
      this.stats.requests++;
      return data;
    }).then((d) => {
      for (let b = first; b <= last; b++) {
        const off = (b - first) * this.blockSize;
        const blk = d.subarray(off, Math.min(d.length, off + this.blockSize));
        this.put(b, blk);
        settle(b, (x) => x.res(blk));
      }
    }, (err) => { for (let b = first; b <= last; b++) settle(b, (x) => x.rej(err)); });
  }

  private put(b: number, data: Uint8Array): void {
    this.cache.set(b, data);
    while (this.cache.size > this.cacheBlocks) this.cache.delete(this.cache.keys().next().value!);
  }

  private block(b: number): Promise<Uint8Array> | Uint8Array {
    const hit = this.cache.get(b);
    if (hit) { this.cache.delete(b); this.cache.set(b, hit); this.stats.cacheHits++; return hit; }
    return this.pending.get(b)!;
  }

  async fetch(slices: { offset: number; length?: number }[], signal?: AbortSignal): Promise<ArrayBuffer[]> {
    // every block the slices need, missing ones grouped into runs of adjacent blocks
    const need = new Set<number>();
    const bounded = slices.map((s) => {
      let length = s.length ?? (this.opts.size !== undefined ? this.opts.size - s.offset : this.blockSize);
      if (this.opts.size !== undefined) length = Math.max(0, Math.min(length, this.opts.size - s.offset));
      return { offset: s.offset, length };
    });
    for (const s of bounded) {
      if (!s.length) continue;
      for (let b = Math.floor(s.offset / this.blockSize); b <= Math.floor((s.offset + s.length - 1) / this.blockSize); b++) need.add(b);
    }
    for (const b of need) if (!this.cache.has(b) && !this.pending.has(b)) this.request(b, signal);
    // hold the needed blocks (a long run could evict blocks needed by the same call)
    const got = new Map<number, Uint8Array>();
    await Promise.all([...need].map(async (b) => { got.set(b, await this.block(b)); }));
    return bounded.map((s) => {
      const out = new Uint8Array(s.length);
      let pos = 0;
      while (pos < s.length) {
        const abs = s.offset + pos;
        const b = Math.floor(abs / this.blockSize);
        const blk = got.get(b)!;
        const from = abs - b * this.blockSize;
        const n = Math.min(s.length - pos, blk.length - from);
        if (n <= 0) break; // past the end of the object
        out.set(blk.subarray(from, from + n), pos);
        pos += n;
      }
      return pos === s.length ? out.buffer : out.buffer.slice(0, pos);
    });
  }

  async fetchSlice(slice: { offset: number; length: number }, signal?: AbortSignal): Promise<{ offset: number; length: number; data: ArrayBuffer }> {
    const [data] = await this.fetch([slice], signal);
    return { ...slice, data: data! };
  }

  async close(): Promise<void> { await this.reader.close(); }
}
