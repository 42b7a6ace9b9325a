/**
 * Point records of a LAS/LAZ/COPC file, in batches of raw LAS records (the uncompressed layout of
 * the header's point format and record length, extra bytes included).
 *
 * - LAS: positioned reads of the point data.
 * - COPC: every hierarchy node with points is one LAZ chunk at a known offset and byte size; each is
 *   decoded on its own with laz-perf's ChunkDecoder (so memory is one chunk, not the file).
 * - LAZ: laz-perf's LASZip over the file in WASM memory (the LASzip chunk table is arithmetic-coded;
 *   LASZip reads it). The file must fit the decode budget (GEODVC_DECODE_BUDGET, default 1 GiB).
 *
 * laz-perf (WASM LASzip by the PDAL/hobu people) is an optional dependency loaded on first use.
 */
import { closeSync, openSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { basename } from 'node:path';
import { InvalidFileError } from '../../lib/errors.js';
import { missingDependency } from '../../lib/optional-deps.js';
import { decodeBudgetBytes, formatBytes } from '../raster/budget.js';
import { FileReader, type LasHeader } from './header.js';

export interface PointBatch {
  /** `count` records of `recordLength` bytes, back to back. */
  data: Buffer;
  count: number;
}

interface LazPerfModule {
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(p: number): void;
  LASZip: new () => { open(p: number, n: number): void; getPoint(p: number): void; getCount(): number; getPointLength(): number; getPointFormat(): number; delete(): void };
  ChunkDecoder: new () => { open(fmt: number, len: number, p: number): void; getPoint(p: number): void; delete(): void };
}

let lazPerf: Promise<LazPerfModule> | undefined;

/** Loads laz-perf's WASM module once per process. */
export function loadLazPerf(): Promise<LazPerfModule> {
  lazPerf ??= (async () => {
    let m: any;
    try { m = await import('laz-perf'); } catch (e) {
      lazPerf = undefined;
      throw missingDependency(e, 'laz') ?? e;
    }
    const create = m.createLazPerf ?? m.default?.createLazPerf ?? m.default?.create;
    return (await create()) as LazPerfModule;
  })();
  return lazPerf;
}

/** A COPC hierarchy node that holds points: one LAZ chunk. */
export interface CopcNode { key: [number, number, number, number]; offset: number; byteSize: number; pointCount: number }

/** Walks the COPC hierarchy pages (bounded by the file) and returns every node with points, in file order. */
export function readCopcNodes(r: FileReader, h: LasHeader, file: string): CopcNode[] {
  const c = h.copc!;
  const nodes: CopcNode[] = [];
  const pages: [number, number][] = [[c.rootHierOffset, c.rootHierSize]];
  const seen = new Set<number>();
  while (pages.length) {
    const [off, size] = pages.pop()!;
    if (seen.has(off)) continue;
    seen.add(off);
    if (off + size > r.size || size % 32 !== 0) throw new InvalidFileError(`${basename(file)}: COPC hierarchy page at byte ${off} (${size} bytes) lies outside the file (${r.size} bytes) or is not a whole number of entries`, { hint: 'the file is truncated or corrupt; fetch it again' });
    const b = r.read(off, size);
    for (let i = 0; i < size; i += 32) {
      const key: CopcNode['key'] = [b.readInt32LE(i), b.readInt32LE(i + 4), b.readInt32LE(i + 8), b.readInt32LE(i + 12)];
      const offset = Number(b.readBigUInt64LE(i + 16));
      const byteSize = b.readInt32LE(i + 24);
      const pointCount = b.readInt32LE(i + 28);
      if (pointCount === -1) pages.push([offset, byteSize]);
      else if (pointCount > 0) nodes.push({ key, offset, byteSize, pointCount });
    }
  }
  return nodes.sort((a, b) => a.offset - b.offset);
}

export interface ReadPointsOptions {
  /** Points per batch (default 65536). */
  batchSize?: number;
  signal?: AbortSignal;
  /** COPC: decoder threads (default: the cores, up to 8, for clouds of ≥ PARALLEL_MIN_POINTS; 1 = this thread). */
  threads?: number;
}

/** COPC clouds with fewer points are decoded in this thread (starting workers costs more). */
export const PARALLEL_MIN_POINTS = 500_000;

function defaultThreads(points: number): number {
  const env = Number(process.env.GEODVC_PC_THREADS);
  if (Number.isInteger(env) && env > 0) return env;
  return points >= PARALLEL_MIN_POINTS ? Math.min(8, availableParallelism()) : 1;
}

/**
 * COPC chunks decoded on worker threads, yielded in file order. Chunks are handed out one at a
 * time with at most 2 per thread in flight, so a slow consumer never lets decoded chunks pile up.
 */
async function* decodeCopcParallel(absPath: string, h: LasHeader, nodes: CopcNode[], threads: number, signal?: AbortSignal): AsyncGenerator<PointBatch> {
  const { startWorker, workerUrl } = await import('../../lib/worker.js');
  const name = basename(absPath);
  const workers = Array.from({ length: Math.min(threads, nodes.length) }, () => startWorker(workerUrl(import.meta.url, 'decode'), { workerData: { file: absPath, pointFormat: h.pointFormat, recordLength: h.pointRecordLength } }));
  const done = new Map<number, PointBatch | Error>();
  let wake: (() => void) | undefined;
  let next = 0;
  const inFlight = new Map<Worker, number>();
  const send = (w: Worker) => {
    if (next >= nodes.length) return;
    const n = nodes[next]!;
    w.postMessage({ seq: next++, offset: n.offset, byteSize: n.byteSize, pointCount: n.pointCount });
    inFlight.set(w, (inFlight.get(w) ?? 0) + 1);
  };
  for (const w of workers) {
    w.on('message', (m: { seq: number; data?: ArrayBuffer; count?: number; error?: string }) => {
      inFlight.set(w, (inFlight.get(w) ?? 1) - 1);
      done.set(m.seq, m.error !== undefined ? new InvalidFileError(`${name}: ${m.error}`, { hint: 'the file is truncated or corrupt; fetch it again' }) : { data: Buffer.from(m.data!), count: m.count! });
      wake?.();
    });
    w.on('error', (e) => { done.set(-1, e); wake?.(); });
    send(w); send(w);
  }
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (let seq = 0; seq < nodes.length; seq++) {
      while (!done.has(seq) && !done.has(-1)) {
        signal?.throwIfAborted();
        await new Promise<void>((res) => { wake = res; });
        wake = undefined;
      }
      const failed = done.get(-1);
      if (failed) throw failed;
      const b = done.get(seq)!;
      done.delete(seq);
      if (b instanceof Error) throw b;
      // refill: one more chunk for every thread below 2 in flight
      for (const w of workers) if ((inFlight.get(w) ?? 0) < 2) send(w);
      yield b;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    for (const w of workers) void w.terminate();
  }
}

/**
 * Yields the points of a file whose header has no structural problem (check `header.problems`
 * first). Throws InvalidFileError, naming the file, when the data turns out shorter than declared.
 */
export async function* readPoints(absPath: string, h: LasHeader, o: ReadPointsOptions = {}): AsyncGenerator<PointBatch> {
  const batch = Math.max(1, o.batchSize ?? 65536);
  const len = h.pointRecordLength;
  const name = basename(absPath);
  const fd = openSync(absPath, 'r');
  try {
    const r = new FileReader(fd);
    if (!h.compressed) {
      const avail = Math.floor(Math.max(0, r.size - h.offsetToPointData) / len);
      if (avail < h.pointCount) throw new InvalidFileError(`${name}: the header declares ${h.pointCount} points but the file holds ${avail}`, { hint: 'the file is truncated; fetch it again from its source' });
      for (let done = 0; done < h.pointCount; done += batch) {
        o.signal?.throwIfAborted();
        const n = Math.min(batch, h.pointCount - done);
        yield { data: r.read(h.offsetToPointData + done * len, n * len), count: n };
      }
      return;
    }
    const L = await loadLazPerf();
    if (h.copc) {
      const nodes = readCopcNodes(r, h, absPath);
      const total = nodes.reduce((s, n) => s + n.pointCount, 0);
      if (total !== h.pointCount) throw new InvalidFileError(`${name}: the COPC hierarchy holds ${total} points, the header declares ${h.pointCount}`, { hint: 'the file is corrupt; rewrite it with PDAL (writers.copc) or untwine' });
      const threads = o.threads ?? defaultThreads(total);
      if (threads > 1 && nodes.length > 1) { yield* decodeCopcParallel(absPath, h, nodes, threads, o.signal); return; }
      const maxPts = Math.max(...nodes.map((n) => n.pointCount), 1);
      const maxBytes = Math.max(...nodes.map((n) => n.byteSize), 1);
      const inPtr = L._malloc(maxBytes);
      const outPtr = L._malloc(Math.min(maxPts, batch) * len);
      const dec = new L.ChunkDecoder();
      try {
        for (const node of nodes) {
          o.signal?.throwIfAborted();
          if (node.offset + node.byteSize > r.size) throw new InvalidFileError(`${name}: COPC chunk at byte ${node.offset} (${node.byteSize} bytes) runs past the end of the file (${r.size} bytes)`, { hint: 'the file is truncated; fetch it again' });
          L.HEAPU8.set(r.read(node.offset, node.byteSize), inPtr);
          dec.open(h.pointFormat, len, inPtr);
          for (let done = 0; done < node.pointCount; done += batch) {
            const n = Math.min(batch, node.pointCount - done);
            for (let i = 0; i < n; i++) dec.getPoint(outPtr + i * len);
            yield { data: Buffer.from(L.HEAPU8.slice(outPtr, outPtr + n * len).buffer), count: n };
          }
        }
      } finally { dec.delete(); L._free(inPtr); L._free(outPtr); }
      return;
    }
    const budget = decodeBudgetBytes();
    if (r.size > budget) throw new InvalidFileError(`${name}: a ${formatBytes(r.size)} LAZ file is decoded in memory and exceeds the decode budget of ${formatBytes(budget)}`, { hint: 'raise GEODVC_DECODE_BUDGET (e.g. 4G), or convert the file to COPC, which is decoded chunk by chunk' });
    const bytes = r.read(0, r.size);
    const filePtr = L._malloc(bytes.length);
    const outPtr = L._malloc(batch * len);
    const z = new L.LASZip();
    try {
      L.HEAPU8.set(bytes, filePtr);
      try { z.open(filePtr, bytes.length); } catch (e) { throw new InvalidFileError(`${name}: LASzip cannot open the compressed point data: ${(e as Error).message ?? e}`, { hint: 'the file is corrupt or truncated; fetch it again', cause: e }); }
      if (z.getPointLength() !== len) throw new InvalidFileError(`${name}: LASzip decodes ${z.getPointLength()}-byte points, the header says ${len}`, { hint: 'the file is corrupt' });
      const count = Math.min(z.getCount(), h.pointCount);
      if (z.getCount() < h.pointCount) throw new InvalidFileError(`${name}: LASzip finds ${z.getCount()} points, the header declares ${h.pointCount}`, { hint: 'the file is corrupt or truncated' });
      for (let done = 0; done < count; done += batch) {
        o.signal?.throwIfAborted();
        const n = Math.min(batch, count - done);
        try { for (let i = 0; i < n; i++) z.getPoint(outPtr + i * len); } catch (e) {
          throw new InvalidFileError(`${name}: LAZ decoding failed after ${done} of ${count} points: ${(e as Error).message ?? e}`, { hint: 'the file is corrupt or truncated; fetch it again', cause: e });
        }
        yield { data: Buffer.from(L.HEAPU8.slice(outPtr, outPtr + n * len).buffer), count: n };
      }
    } finally { z.delete(); L._free(filePtr); L._free(outPtr); }
  } finally { closeSync(fd); }
}

/** Offsets inside a point record (LAS 1.4 R15): classification and return number. */
export function recordLayout(pointFormat: number): { classOffset: number; classMask: number; returnOffset: number; returnMask: number } {
  return pointFormat >= 6 ? { classOffset: 16, classMask: 0xff, returnOffset: 14, returnMask: 0x0f } : { classOffset: 15, classMask: 0x1f, returnOffset: 14, returnMask: 0x07 };
}
