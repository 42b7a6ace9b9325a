/**
 * `geo chip` on the own TIFF reader (no native GDAL, or remote inputs read in place): windowed
 * reads of only the blocks a chip touches; a chip that is exactly one source tile copies the
 * compressed tile verbatim, other windows are decoded, assembled and written with DEFLATE. Local
 * inputs with enough windows are cut on worker threads (windows dealt round-robin), the index
 * merged here in the serial order.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { deflateSync } from 'node:zlib';
import { AppError, UsageError, type ErrorCode } from '../../../lib/errors.js';
import { tmpPathFor } from '../../../lib/atomic.js';
import { throttledProgress } from '../../../lib/progress.js';
import { startWorker, workerUrl } from '../../../lib/worker.js';
import { TiffFile } from '../../raster/tiff.js';
import { checkDecodeBudget } from '../../raster/budget.js';
import { readRasterInfo } from '../../raster/info.js';
import { transformer, WGS84 } from '../../crs/crs.js';
import { encodeTiff } from '../tiff-writer.js';
import { CHIP_INDEX, type ChipInput, type ChipOptions, type ChipRecord, type ChipResult } from './types.js';
import { chipParams, chipParamsKey, windows } from './plan.js';
import { finishChips, md5File, readPreviousIndex } from './index-file.js';
import { aoiBoxes, chipInputs, crsLabel } from './inputs.js';
import { openRemoteSource, openSource, rawBlock, stageBlocks, windowBlocks, type Source } from './own-source.js';
import { applyHorizontalPredictor, baseTags, copyCodecTags, geoTags, nodataFraction, readWindow } from './own-window.js';

/** Windows below this count are cut in this thread (a worker's start-up would cost more). */
const PARALLEL_MIN_WINDOWS = 48;

export async function chipOwn(opts: ChipOptions): Promise<ChipResult> {
  const jobs = Math.max(1, Math.floor(opts.jobs ?? availableParallelism()));
  if (opts.part || jobs <= 1 || opts.inputs?.some((i) => i.remote)) return chipSerial(opts);
  const inputs = chipInputs(opts);
  // count the windows cheaply (headers only) to decide whether workers pay off
  let windowsTotal = 0;
  const size = opts.size;
  const stride = opts.stride ?? size - (opts.overlap ?? 0);
  if (!(Number.isInteger(size) && size > 0 && Number.isInteger(stride) && stride > 0)) return chipSerial(opts); // its errors
  for (const inp of inputs) {
    if (!inp.file) return chipSerial(opts);
    try {
      const info = await readRasterInfo(inp.file);
      const t = TiffFile.open(inp.file);
      try { checkDecodeBudget({ tiff: t, file: inp.name }); } finally { t.close(); } // over budget: the serial path reports it, before workers start
      windowsTotal += windows(info.size[0], size, stride, opts.edge ?? 'drop').length * windows(info.size[1], size, stride, opts.edge ?? 'drop').length;
    } catch { return chipSerial(opts); } // the serial path reports it
  }
  if (windowsTotal < PARALLEL_MIN_WINDOWS) return chipSerial(opts);
  return chipParallel(opts, inputs, jobs);
}

async function chipParallel(opts: ChipOptions, inputs0: ChipInput[], jobs: number): Promise<ChipResult> {
  const progress = throttledProgress(opts.onProgress);
  // validate everything the serial path would, on the first window, before starting workers
  const outDir = resolve(opts.output);
  mkdirSync(outDir, { recursive: true });
  const inputs: ChipInput[] = [];
  for (const inp of inputs0) {
    progress({ phase: 'hashing', item: inp.name });
    inputs.push({ name: inp.name, file: inp.file, md5: inp.md5 ?? await md5File(inp.file!) });
  }
  const { onProgress: _p, signal, logger: _l, ...plain } = opts;
  const base = { ...plain, inputs, jobs: 1 };
  const entry = workerUrl(import.meta.url, 'own');
  const doneBy = new Array<number>(jobs).fill(0);
  const parts = await Promise.all(Array.from({ length: jobs }, (_, index) => new Promise<ChipResult>((resolvePart, reject) => {
    const w = startWorker(entry, { workerData: { opts: { ...base, part: { index, count: jobs } } } });
    const onAbort = () => { void w.terminate(); reject(signal?.reason ?? new Error('aborted')); };
    signal?.addEventListener('abort', onAbort, { once: true });
    w.on('message', (m: { type: string; done?: number; result?: ChipResult; error?: { message: string; code?: string; hint?: string; exitCode?: number } }) => {
      if (m.type === 'progress') { doneBy[index] = m.done ?? 0; progress({ phase: 'chipping', done: doneBy.reduce((a, b) => a + b, 0) }); return; }
      signal?.removeEventListener('abort', onAbort);
      if (m.type === 'done') resolvePart(m.result!);
      else reject(m.error?.code ? new AppError(m.error.code as ErrorCode, m.error.message, m.error.exitCode ?? 1, { hint: m.error.hint }) : new Error(m.error?.message));
      void w.terminate();
    });
    w.once('error', (e) => { signal?.removeEventListener('abort', onAbort); reject(e); });
  })));
  progress({ phase: 'chipping', finished: true });
  // the serial order: inputs in order, windows row-major
  const order = new Map(inputs.map((i, n) => [i.name, n]));
  const records = parts.flatMap((p) => p.chips).sort((x, y) => (order.get(x.source)! - order.get(y.source)!) || (x.row - y.row) || (x.col - y.col));
  const sum = (k: 'written' | 'unchanged' | 'skippedNodata' | 'skippedAoi') => parts.reduce((a, p) => a + p[k], 0);
  const paramsKey = chipParamsKey(opts);
  return finishChips(outDir, inputs, records, join(outDir, opts.indexName ?? CHIP_INDEX), paramsKey,
    { written: sum('written'), unchanged: sum('unchanged'), skippedNodata: sum('skippedNodata'), skippedAoi: sum('skippedAoi') });
}

async function chipSerial(opts: ChipOptions): Promise<ChipResult> {
  const progress = throttledProgress(opts.onProgress);
  const { size, stride, edge, maxNodata, format } = chipParams(opts);
  if (format !== 'GTiff') throw new UsageError(`--format ${format} needs the native GDAL engine (gdal-async)`, { hint: 'install gdal-async (see README), or drop --format to write tiled GTiff chips' });
  const inputs = chipInputs(opts);
  const lookahead = Math.max(0, opts.lookahead ?? 2);
  const outDir = resolve(opts.output);
  mkdirSync(outDir, { recursive: true });
  const indexName = opts.indexName ?? CHIP_INDEX;
  const indexPath = join(outDir, indexName);
  const paramsKey = chipParamsKey(opts);
  const previous = readPreviousIndex(indexPath);

  const records: ChipRecord[] = [];
  let written = 0, unchanged = 0, skippedNodata = 0, skippedAoi = 0;
  for (const inp of inputs) {
    let s: Source;
    if (inp.remote) {
      progress({ phase: 'reading header', item: inp.name });
      s = await openRemoteSource(inp, opts.signal);
    } else {
      if (!inp.file) throw new UsageError(`chip input ${inp.name} has neither a file nor a remote reader`, { hint: 'pass file or remote' });
      s = openSource(inp.file, await readRasterInfo(inp.file), inp.name);
    }
    try {
      if (edge !== 'pad' && (size > s.width || size > s.height)) {
        throw new UsageError(`chip size ${size} is larger than ${inp.name} (${s.width}x${s.height})`, { hint: 'use a smaller --size, or --edge pad' });
      }
      const bands = opts.bands ?? Array.from({ length: s.spp }, (_, i) => i + 1);
      for (const b of bands) if (!(b >= 1 && b <= s.spp)) throw new UsageError(`band ${b} does not exist in ${inp.name} (${s.spp} bands)`, { hint: `use bands 1..${s.spp}` });
      checkDecodeBudget(s.layout, { windowBytes: size * size * bands.length * s.bytes, windowLabel: `a ${size}×${size} chip of ${bands.length} band(s)` });
      const allBands = bands.length === s.spp && bands.every((b, i) => b === i + 1);
      const boxes = opts.aoi ? await aoiBoxes(opts.aoi, s.crs) : undefined;
      const toWgs = s.crs ? (() => { try { return transformer(s.crs!, WGS84); } catch { return undefined; } })() : undefined;
      progress({ phase: 'hashing', item: inp.name });
      const md5 = inp.md5 ?? await md5File(inp.file!);
      const xs = windows(s.width, size, stride, edge);
      const ys = windows(s.height, size, stride, edge);
      const total = xs.length * ys.length;
      const [a, b, c, d, e, f] = s.gt as [number, number, number, number, number, number];
      // window k (row-major); `reads`: a remote chip that will fetch tiles (for the lookahead)
      interface Task { k: number; r: number; q: number; x0: number; y0: number; name: string; out: string; fast: boolean; corners: [number, number][]; bounds: [number, number, number, number]; inAoi: boolean; reads: boolean }
      const taskAt = (k: number): Task => {
        const r = Math.floor(k / xs.length), q = k % xs.length;
        const x0 = xs[q]!, y0 = ys[r]!;
        const corners: [number, number][] = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size]].map(([px, py]) => [a + px! * b + py! * c, d + px! * e + py! * f]);
        const bounds: [number, number, number, number] = [
          Math.min(...corners.map((p) => p[0])), Math.min(...corners.map((p) => p[1])),
          Math.max(...corners.map((p) => p[0])), Math.max(...corners.map((p) => p[1])),
        ];
        const inAoi = !boxes || boxes.some((bb) => bb[0] <= bounds[2] && bb[2] >= bounds[0] && bb[1] <= bounds[3] && bb[3] >= bounds[1]);
        const name = `${s.name}_r${r}_c${q}.tif`;
        const out = join(outDir, name);
        const fast = allBands && s.tiled && s.blockW === size && s.blockH === size && x0 % size === 0 && y0 % size === 0 && x0 + size <= s.width && y0 + size <= s.height;
        let reads = false;
        if (s.remote && inAoi) {
          const prev = previous.get(name);
          reads = s.nodata !== undefined || !fast || !(prev && prev.md5 === md5 && prev.key === paramsKey && existsSync(out));
        }
        return { k, r, q, x0, y0, name, out, fast, corners, bounds, inAoi, reads };
      };
      // remote: the reading chips from the current one on, so the tiles of the next `lookahead` are requested early
      const ahead: Task[] = [];
      let scan = 0;
      let done = 0;
      for (let k = 0; k < total; k++) {
        opts.signal?.throwIfAborted();
        if (opts.part && k % opts.part.count !== opts.part.index) continue;
        const t = taskAt(k);
        const { r, q, x0, y0, name, out, fast, corners, bounds } = t;
        done++;
        if (!t.inAoi) { skippedAoi++; continue; }
        if (s.remote && t.reads) {
          while (ahead.length && ahead[0]!.k < k) ahead.shift();
          scan = Math.max(scan, k);
          while (ahead.length < 1 + lookahead && scan < total) { const u = taskAt(scan++); if (u.reads) ahead.push(u); }
          const wanted = new Set<number>();
          for (const u of ahead) windowBlocks(s, u.x0, u.y0, size, size, bands, u.fast && s.nodata === undefined, wanted);
          stageBlocks(s, wanted);
        }
        let frac = 0;
        let pixels: Uint8Array | undefined;
        if (s.nodata !== undefined || !fast) {
          pixels = await readWindow(s, x0, y0, size, size, bands);
          frac = nodataFraction(s, pixels, bands.length);
          // padded pixels of a raster without nodata count as nodata too
          if (s.nodata === undefined && edge === 'pad') {
            const inside = (Math.min(s.width, x0 + size) - x0) * (Math.min(s.height, y0 + size) - y0);
            frac = 1 - inside / (size * size);
          }
        }
        if (frac > maxNodata) { skippedNodata++; continue; }
        const prev = previous.get(name);
        if (prev && prev.md5 === md5 && prev.key === paramsKey && existsSync(out)) unchanged++;
        else {
          let bytes: Buffer;
          if (fast) {
            const bxs = Math.ceil(s.width / s.blockW), bys = Math.ceil(s.height / s.blockH);
            const idx = (y0 / size) * bxs + x0 / size;
            const blocks: Uint8Array[] = [];
            const planes = s.planar === 2 ? s.spp : 1;
            for (let k = 0; k < planes; k++) { const i = k * bxs * bys + idx; blocks.push(await rawBlock(s, i)); }
            bytes = encodeTiff({ littleEndian: s.tiff.little, width: size, height: size, tiled: true, blockW: size, blockH: size, blocks,
              tags: [...baseTags(s, s.spp, true, s.compression, s.predictor, s.planar), ...copyCodecTags(s), ...s.copyTags, ...geoTags(s, x0, y0)] });
          } else {
            const tiled = size % 16 === 0;
            const predictor = applyHorizontalPredictor(s, pixels!, size, bands.length) ? 2 : 1;
            const block = deflateSync(pixels!, { level: 1 });
            bytes = encodeTiff({ littleEndian: s.tiff.little, width: size, height: size, tiled, blockW: size, blockH: size, blocks: [block],
              tags: [...baseTags(s, bands.length, allBands, 8, predictor, 1), ...s.copyTags, ...geoTags(s, x0, y0)] });
          }
          const tmp = tmpPathFor(out);
          writeFileSync(tmp, bytes);
          renameSync(tmp, out);
          written++;
        }
        records.push({
          chip: name, source: inp.name, sourceMd5: md5, window: [x0, y0, size, size], row: r, col: q, nodataFraction: frac,
          bounds, crs: crsLabel(s.crs), footprint: toWgs ? [...corners, corners[0]!].map((p) => toWgs(p)) : [], fastPath: fast,
        });
        progress({ phase: 'chipping', done, total, item: name });
      }
    } finally {
      s.remote?.staged.clear();
      s.tiff.close();
    }
  }
  progress({ phase: 'chipping', finished: true });
  if (opts.part) return { chips: records, written, unchanged, skippedNodata, skippedAoi, index: indexPath, removed: 0 };
  return finishChips(outDir, inputs, records, indexPath, paramsKey, { written, unchanged, skippedNodata, skippedAoi });
}

