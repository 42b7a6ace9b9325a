/**
 * `geo chip` on native GDAL (gdal-async in the runner child, `engine/runner.ts`): every driver and
 * codec of the linked GDAL (JPEG-in-TIFF, WebP, ZSTD, LERC, JPEG 2000, netCDF...), chips cut by
 * `gdal_translate -srcwin`, so geotransforms (south-up rasters, ModelTransformation, GCPs shifted
 * to the window), nodata, colour tables, masks and metadata are GDAL's. The windows of a raster
 * are dealt into `jobs` contiguous runs cut concurrently, one runner child per run, each with its
 * own dataset handle. Chips are written to a private temp folder and renamed into place; on Ctrl-C
 * the children are killed and the folder removed. A block GDAL cannot decode fails the command
 * naming the file, the chip and the block.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { AppError, InterruptedError, InvalidFileError, UsageError } from '../../../lib/errors.js';
import { tmpPathFor } from '../../../lib/atomic.js';
import { throttledProgress } from '../../../lib/progress.js';
import { NativeGdalError, NativeRunner } from '../../engine/runner.js';
import { nativeEngineName } from '../../engine/native.js';
import type { CoordinateSystem } from '../../raster/types.js';
import { checkBlockRange, checkDecodeBudget, tiffLayout, type TiffLayout } from '../../raster/budget.js';
import { Tag, TiffFile } from '../../raster/tiff.js';
import { sniffRaster } from '../../sniff.js';
import { finishChips, md5File, readPreviousIndex } from './index-file.js';
import { aoiBoxes, chipInputs } from './inputs.js';
import { chipCreationArgs, chipParams, chipParamsKey, fitGeoTransform, planWindows, rasterRuns, type ChipWindow, type GeoTransform6 } from './plan.js';
import type { ChipFacts, ChipTaskSpec } from './native-task.js';
import type { ChipOptions, ChipRecord, ChipResult } from './types.js';

function gdalMessage(err: unknown): string {
  return String((err as NativeGdalError)?.details?.gdal ?? (err as Error)?.message ?? err);
}

/** A failed cut as an error naming the file, the chip and (from GDAL's message) the block. */
function cutError(name: string, chipName: string, err: unknown): AppError {
  const msg = gdalMessage(err);
  if (!/IReadBlock|Read error|Decode|decode|corrupt|Corrupt|truncat|Cannot read|No such file/.test(msg)) {
    return new AppError('gdal-error', `${name}: GDAL could not write chip ${chipName}: ${msg}`, 1, { cause: err, hint: 'check free space and the --format/--bands options; rerun with -v for the cause' });
  }
  const m = /IReadBlock failed at X offset (\d+), Y offset (\d+)/.exec(msg);
  const where = m ? `block ${m[1]},${m[2]} (column, row of tiles/strips)` : 'a block';
  return new InvalidFileError(`${name}: GDAL cannot decode ${where} read for chip ${chipName}: ${msg}`, {
    cause: err, hint: 'the file is corrupt or truncated (no chip was written for it); `geodvc geo check` lists the bad blocks',
  });
}

/**
 * What the own reader refuses from a TIFF's header, before GDAL touches the pixels: a block over
 * the decode budget (a decompression bomb: GDAL would decode the whole block for every window it
 * touches), block tables shorter than the declared image or cut by the end of the file, and blocks
 * ending past the end of the file; each names the file and the block. A header the own parser
 * cannot read is left to GDAL to judge.
 */
function tiffHeaderGuard(file: string, name: string): void {
  if (sniffRaster(file) !== 'tiff') return;
  let t: TiffFile;
  try { t = TiffFile.open(file); } catch { return; }
  try {
    let layout: TiffLayout;
    const ifd = t.ifds.find((i) => i.parent === undefined) ?? t.ifds[0];
    try { layout = tiffLayout(t, ifd, name); } catch { return; }
    checkDecodeBudget(layout);
    const offE = ifd?.entries.get(layout.tiled ? Tag.TileOffsets : Tag.StripOffsets);
    const cntE = ifd?.entries.get(layout.tiled ? Tag.TileByteCounts : Tag.StripByteCounts);
    if (!offE || !cntE) return;
    const offsets = t.array(offE), counts = t.array(cntE);
    for (let i = 0; i < layout.blockCount; i++) checkBlockRange(layout, i, offsets[i], counts[i], t.size);
  } finally { t.close(); }
}

/** One raster's share of the run: its facts, plan and the windows GDAL must read or write. */
interface Planned {
  inp: { name: string; file: string };
  md5: Promise<string>;
  f: ChipFacts;
  wanted: ChipWindow[];
  cuts: { x0: number; y0: number; out: string; write: boolean }[];
  lonlat: Promise<number[] | null>;
  results: ({ frac: number; skipped?: boolean; written?: boolean } | undefined)[];
}

interface CutRun { p: Planned; run: number[]; spec: Omit<ChipTaskSpec, 'mode' | 'windows'> }

export async function chipNative(opts: ChipOptions): Promise<ChipResult> {
  const params = chipParams(opts);
  const progress = throttledProgress(opts.onProgress);
  const inputs = chipInputs(opts);
  const outDir = resolve(opts.output);
  mkdirSync(outDir, { recursive: true });
  const indexPath = join(outDir, opts.indexName ?? 'chips.geojson');
  const paramsKey = chipParamsKey(opts, true);
  const previous = readPreviousIndex(indexPath);
  const jobs = Math.max(1, Math.floor(opts.jobs ?? availableParallelism()));
  // one runner child per job: gdal-async runs the async calls of one process one after another
  // (measured: wall = CPU with two runs in one child), separate processes use every core
  // (each child costs ~0.5 s CPU to load GDAL: with fewer inputs than jobs, the children past the
  // first start only when a cutter takes a run, so a one-window raster or a refused file starts one)
  const runners: (NativeRunner | undefined)[] = new Array(jobs).fill(undefined);
  let closing = false;
  const runnerAt = (k: number): NativeRunner => {
    if (closing) throw new InterruptedError();
    return (runners[k % jobs] ??= new NativeRunner(opts.signal));
  };
  for (let k = 0; k < (inputs.length >= jobs ? jobs : 1); k++) runnerAt(k);
  const tmpDir = tmpPathFor(join(outDir, 'chips'));
  mkdirSync(tmpDir);
  const task = (spec: ChipTaskSpec, what: string, onProgress?: (f: number) => void, k = 0) => runnerAt(k).run({ op: 'chip', spec }, what, onProgress);
  const quiet = <T>(p: Promise<T>): Promise<T> => { p.catch(() => { /* reported where it is awaited */ }); return p; };
  // the runs of windows to cut, taken by the runners as they get free; a raster's runs are queued
  // as soon as it is planned, so the first chips are cut while later headers are still read
  const queue = new RunQueue<CutRun>();
  let total = 0, done = 0;
  const cutter = async (k: number) => {
    for (let item = await queue.take(); item; item = await queue.take()) {
      const { p, run, spec } = item;
      let doneHere = 0;
      const onProgress = (fr: number) => {
        const d = Math.round(fr * run.length);
        done += d - doneHere; doneHere = d;
        progress({ phase: 'chipping', done, total, item: p.inp.name });
      };
      let res: { frac: number; skipped?: boolean; written?: boolean }[];
      try {
        res = await task({ ...spec, mode: 'cut', windows: run.map((i) => p.cuts[i]!) }, `gdal_translate ${p.inp.name}`, onProgress, k);
      } catch (err) {
        queue.abort();
        if (err instanceof InterruptedError || !(err instanceof NativeGdalError)) throw err;
        throw cutError(p.inp.name, p.wanted[run[0]!]!.name, err);
      }
      run.forEach((i, n) => { p.results[i] = res[n]; });
    }
  };
  const cutters = quiet(Promise.all(runners.map((_, k) => cutter(k))));
  try {
    const { size } = params;
    // every raster's header is read (and its hash started) up front, spread over the runners;
    // errors are reported in input order
    const local = inputs.map((inp) => {
      if (!inp.file) throw new UsageError(`chip input ${inp.name} is not a local file`, { hint: 'remote inputs are read by the own TIFF reader' });
      return { name: inp.name, file: inp.file, md5: inp.md5 };
    });
    // source hashes one file after another (the first is ready first), while GDAL reads headers
    let chain: Promise<unknown> = Promise.resolve();
    const pending = local.map((inp, k) => {
      const md5 = quiet(inp.md5 !== undefined ? Promise.resolve(inp.md5) : chain.then(() => md5File(inp.file)));
      chain = md5.catch(() => undefined);
      let facts: Promise<ChipFacts>;
      try {
        tiffHeaderGuard(inp.file, inp.name);
        facts = task({ mode: 'facts', input: inp.file }, `gdalinfo ${inp.name}`, undefined, k);
      } catch (err) { facts = Promise.reject(err); }
      return { inp, md5, facts: quiet(facts) };
    });
    const planned: Planned[] = [];
    let skippedAoi = 0;
    for (const [k, { inp, md5, facts }] of pending.entries()) {
      progress({ phase: 'reading header', item: inp.name });
      let f: ChipFacts;
      try { f = await facts; } catch (err) {
        if (err instanceof InterruptedError || !(err instanceof NativeGdalError)) throw err;
        throw new InvalidFileError(`GDAL cannot open ${inp.name}: ${gdalMessage(err)}`, { cause: err, hint: 'check that the file is a raster GDAL reads (`geodvc geo check`)' });
      }
      if (!f.bands.length) {
        throw new AppError('no-bands', `${inp.name} has no raster bands${f.subdatasets.length ? ` (it holds ${f.subdatasets.length} subdataset(s), e.g. ${f.subdatasets[0]})` : ''}`, 1, {
          hint: f.subdatasets.length ? 'chip one subdataset: extract it first (gdal_translate SUBDATASET_NAME out.tif)' : 'geo chip cuts raster bands',
        });
      }
      if (params.edge !== 'pad' && (size > f.width || size > f.height)) {
        throw new UsageError(`chip size ${size} is larger than ${inp.name} (${f.width}x${f.height})`, { hint: 'use a smaller --size, or --edge pad' });
      }
      const nb = f.bands.length;
      const bands = opts.bands ?? Array.from({ length: nb }, (_, i) => i + 1);
      for (const b of bands) if (!(Number.isInteger(b) && b >= 1 && b <= nb)) throw new UsageError(`band ${b} does not exist in ${inp.name} (${nb} bands)`, { hint: `use bands 1..${nb}` });
      const allBands = bands.length === nb && bands.every((b, i) => b === i + 1);
      const gt = (f.gt ?? fitGeoTransform(f.gcps) ?? [0, 1, 0, 0, 0, 1]) as GeoTransform6;
      const crs: CoordinateSystem | undefined = f.epsg ? { epsg: f.epsg, wkt: f.wkt, name: f.crsName } : f.wkt ? { wkt: f.wkt, name: f.crsName } : undefined;
      const boxes = opts.aoi ? await aoiBoxes(opts.aoi, crs) : undefined;
      const stem = basename(inp.name, extname(inp.name));
      const plan = planWindows({ stem, width: f.width, height: f.height, gt, params, boxes });
      const wanted = plan.filter((w) => w.inAoi);
      skippedAoi += plan.length - wanted.length;
      // footprints in lon/lat by GDAL/PROJ (datum shifts, feet, any CRS GDAL knows), one call per raster
      const lonlat: Promise<number[] | null> = quiet(crs && wanted.length
        ? task({ mode: 'lonlat', input: inp.file, points: wanted.flatMap((w) => w.corners.flat()) }, `footprints ${inp.name}`, undefined, k)
        : Promise.resolve(null));
      const args = [...(allBands ? [] : bands.flatMap((b) => ['-b', String(b)])), ...chipCreationArgs(params.format, size, f.bands[bands[0]! - 1]!.type, f.bands[bands[0]! - 1]!.nbits)];
      const nodata = f.bands[bands[0]! - 1]!.nodata;
      // an earlier run's chip is kept when the source hash and the parameters are the same (the
      // hash is awaited only when an earlier run recorded chips of this raster)
      const srcMd5 = wanted.some((w) => previous.has(w.name)) ? await md5 : undefined;
      const cuts = wanted.map((w) => {
        const out = join(outDir, w.name);
        const prev = previous.get(w.name);
        return { x0: w.x0, y0: w.y0, out, write: !(prev && prev.md5 === srcMd5 && prev.key === paramsKey && existsSync(out)) };
      });
      const p: Planned = { inp, md5, f, wanted, cuts, lonlat, results: new Array(cuts.length) };
      planned.push(p);
      // windows that need neither pixels nor a write are not sent to GDAL
      const idx = cuts.map((c, i) => (c.write || nodata !== null ? i : -1)).filter((i) => i >= 0);
      const spec = { input: inp.file, size, bands, nodata, maxNodata: params.maxNodata, pad: params.edge === 'pad', tmpDir, args };
      const cols = plan.reduce((m, w) => Math.max(m, w.col + 1), 1);
      total += idx.length;
      for (const [s, e] of rasterRuns(idx.length, cols, Math.ceil(f.blockRows / params.stride), jobs)) queue.push({ p, run: idx.slice(s, e), spec });
    }
    queue.close();
    await cutters;
    const records: ChipRecord[] = [];
    let written = 0, unchanged = 0, skippedNodata = 0;
    for (const p of planned) {
      const { f, wanted, cuts, results, inp } = p;
      const md5 = await p.md5;
      progress({ phase: 'hashing', item: inp.name });
      const lonlat = await p.lonlat;
      for (const [i, w] of wanted.entries()) {
        const res = results[i] ?? { frac: params.edge === 'pad' ? 1 - (Math.min(f.width, w.x0 + size) - w.x0) * (Math.min(f.height, w.y0 + size) - w.y0) / (size * size) : 0 };
        if (res.frac > params.maxNodata) { skippedNodata++; continue; }
        if (cuts[i]!.write) written++; else unchanged++;
        const ring = lonlat ? [0, 1, 2, 3, 0].map((c): [number, number] => [lonlat[(i * 4 + c) * 2]!, lonlat[(i * 4 + c) * 2 + 1]!]) : [];
        records.push({
          chip: w.name, source: inp.name, sourceMd5: md5, window: [w.x0, w.y0, size, size], row: w.row, col: w.col, nodataFraction: res.frac,
          bounds: w.bounds, crs: f.epsg ? `EPSG:${f.epsg}` : f.crsName, footprint: ring, fastPath: false,
        });
      }
    }
    progress({ phase: 'chipping', finished: true });
    const result = finishChips(outDir, inputs, records, indexPath, paramsKey, { written, unchanged, skippedNodata, skippedAoi });
    return { ...result, engine: nativeEngineName(await runnerAt(0).version()) };
  } catch (err) {
    queue.abort();
    if (opts.signal?.aborted && !(err instanceof InterruptedError)) throw new InterruptedError(undefined, { cause: err });
    throw err;
  } finally {
    queue.abort();
    closing = true;
    await Promise.all(runners.map((r) => r?.close()));
    await cutters.catch(() => undefined);
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

/** A FIFO the cutters wait on: `take()` resolves with the next item, or undefined once closed and empty. */
class RunQueue<T> {
  private items: T[] = [];
  private waiting: ((v: T | undefined) => void)[] = [];
  private closed = false;
  push(item: T): void {
    if (this.closed) return;
    const w = this.waiting.shift();
    if (w) w(item); else this.items.push(item);
  }
  /** No more items: the queued ones are still taken. */
  close(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w(undefined);
  }
  /** Stops the run: queued items are dropped. */
  abort(): void {
    this.items.length = 0;
    this.close();
  }
  take(): Promise<T | undefined> {
    if (this.items.length) return Promise.resolve(this.items.shift());
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((r) => this.waiting.push(r));
  }
}
