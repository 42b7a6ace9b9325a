/**
 * `geo reproject`: every raster onto one CRS and one pixel grid, written as COGs (tiled 512,
 * DEFLATE, overviews, nodata kept) or tiled GTiffs (`format: 'GTiff'`, no overviews).
 *
 * Engines: native GDAL (gdal-async) when installed: the grid is planned in this thread, the warps
 * run in a child process (killed on Ctrl-C) with GDAL's multithreaded warper, several files at
 * once. Else gdal3.js: files (and, for big outputs, row strips of one file) run in parallel worker
 * threads, one gdal3.js instance each. Native GDAL also warps GCP-georeferenced inputs.
 *
 * The grid is computed here and always passed to GDAL explicitly (-te/-tr): GDAL 3.8's suggested
 * extent differs from 3.6's by about a pixel, so a pinned grid is the only reproducible one.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, renameSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { AppError, InterruptedError, UsageError } from '../../lib/errors.js';
import { writeFileAtomicSync, tmpPathFor, TMP_PREFIX } from '../../lib/atomic.js';
import { throttledProgress, type OpContext } from '../../lib/progress.js';
import { GDAL_ENGINE, withDataset, outName, vpath } from './gdal.js';
import { listInputs, rasterInfo, type GeoTransform, type OpsRasterInfo } from './info.js';
import { GdalWorkerPool, defaultJobs } from './worker-pool.js';
import { buildVrt } from '../export/vrt.js';
import { engineKind, nativeEngineName } from '../engine/native.js';
import { NativeRunner, runnerFacts, runnerSuggestedGrid } from '../engine/runner.js';
import { mapLimit } from '../../lib/pool.js';

export type Resampling = 'nearest' | 'bilinear' | 'cubic' | 'average' | 'mode';
export const RESAMPLINGS: Resampling[] = ['nearest', 'bilinear', 'cubic', 'average', 'mode'];
/** Output formats: COG (default: overviews, readable by range requests) or tiled GTiff (faster, no overviews). */
export type OutputFormat = 'COG' | 'GTiff';
export const OUTPUT_FORMATS: OutputFormat[] = ['COG', 'GTiff'];

export interface ReprojectOptions extends OpContext {
  input: string;
  output: string;
  /** 'EPSG:XXXX' (any CRS string GDAL accepts) or 'utm'. */
  crs: string;
  res?: number;
  tap?: boolean;
  resampling?: Resampling;
  nodata?: number;
  jobs?: number;
  /** COG (default) or tiled GTiff. */
  format?: OutputFormat;
  /**
   * Each file on its own grid, the one gdalwarp would choose for it alone (and, with crs 'utm', its
   * own zone), instead of one common grid (origin and the finest resolution of all inputs).
   */
  perFileGrid?: boolean;
  /** Outputs larger than this many pixels are warped in row strips across workers. */
  stripThresholdPixels?: number;
  /**
   * Identity of input files (absolute path -> e.g. the object hash) for the idempotency key, instead
   * of size + mtime: inputs fetched from a remote into temp files (`reprojectTracked`).
   */
  inputKeys?: Record<string, string>;
}

export interface ReprojectedFile {
  input: string;
  output: string;
  width: number;
  height: number;
  geoTransform: GeoTransform;
  /** Target CRS of this file (differs between files only with perFileGrid and crs 'utm'). */
  crs: string;
  /** The exact gdalwarp arguments used (besides input/output), for reproducing with native GDAL. */
  warpArgs: string[];
  skipped: boolean;
}
export interface ReprojectResult {
  crs: string;
  res: number;
  origin: [number, number];
  engine: string;
  format: OutputFormat;
  files: ReprojectedFile[];
  outputDir: string;
}

export const REPROJECT_MANIFEST = '_reproject.json';

/** Declared inputs/outputs for `stage add`. */
export function describeIO(args: { input: string; output: string }): { deps: string[]; outs: string[] } {
  return { deps: [args.input], outs: [args.output] };
}

/** UTM zone EPSG code for a lon/lat point (WGS 84: 326xx north, 327xx south). */
export function utmEpsgFor(lon: number, lat: number): number {
  const l = ((((lon + 180) % 360) + 360) % 360) - 180;
  const zone = Math.min(60, Math.floor((l + 180) / 6) + 1);
  return (lat >= 0 ? 32600 : 32700) + zone;
}

function centroidOf(infos: OpsRasterInfo[]): [number, number] {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const i of infos) {
    if (!i.wgs84Bbox) continue;
    minX = Math.min(minX, i.wgs84Bbox[0]); minY = Math.min(minY, i.wgs84Bbox[1]);
    maxX = Math.max(maxX, i.wgs84Bbox[2]); maxY = Math.max(maxY, i.wgs84Bbox[3]);
  }
  if (!Number.isFinite(minX)) throw new AppError('no-footprint', 'cannot choose a UTM zone: no input has a footprint GDAL can compute in WGS 84', 1, { hint: 'pass an explicit --crs EPSG:XXXX' });
  return [(minX + maxX) / 2, (minY + maxY) / 2];
}

/** Snaps an extent outward onto the grid (origin ox, oy; pixel size res x resY). Returns -te values and size. */
export function snapExtent(e: [number, number, number, number], res: number, ox: number, oy: number, resY = res): { te: [number, number, number, number]; width: number; height: number } {
  const eps = 1e-6;
  const i0 = Math.floor((e[0] - ox) / res + eps);
  const i1 = Math.ceil((e[2] - ox) / res - eps);
  const j0 = Math.floor((oy - e[3]) / resY + eps); // rows counted downward from oy
  const j1 = Math.ceil((oy - e[1]) / resY - eps);
  const width = Math.max(1, i1 - i0);
  const height = Math.max(1, j1 - j0);
  const minX = ox + i0 * res;
  const maxY = oy - j0 * resY;
  return { te: [minX, maxY - height * resY, minX + width * res, maxY], width, height };
}

const fmt = (x: number) => String(x);

function warpCommonArgs(o: { crs: string; resampling: Resampling; nodata?: number }): string[] {
  const a = ['-t_srs', o.crs, '-r', o.resampling];
  if (o.nodata !== undefined) a.push('-dstnodata', fmt(o.nodata));
  return a;
}

function isCrsError(err: unknown): boolean {
  const m = String((err as Error)?.message ?? err);
  return /crs not found|Translating source or target SRS failed|Failed to process SRS definition|Unknown projection|unrecognized|Invalid SRS/i.test(m);
}

/** Suggested warp extent (in the target CRS) of one raster, from a gdal3.js warp to VRT. */
async function suggestedExtent(src: OpsRasterInfo, crs: string, tmpDir: string): Promise<{ extent: [number, number, number, number]; res: number; resX: number; resY: number }> {
  // unique names: gdal3.js's NODEFS caches directory entries, so never reuse a temp name
  const vrtBase = tmpPathFor(join(tmpDir, `suggest-${basename(src.path).replace(/\W/g, '_')}`));
  try {
    const gt = await withDataset(`gdalwarp (grid) ${src.path}`, src.path, async (g, ds) => {
      await g.gdalwarp(ds, ['-of', 'VRT', '-t_srs', crs], outName(vrtBase));
      const vds = (await g.open(vpath(`${vrtBase}.vrt`))).datasets[0];
      if (!vds) throw new AppError('gdal-error', 'cannot open the warp VRT');
      try {
        const j = await g.gdalinfo(vds, []);
        return { gt: j.geoTransform as GeoTransform, size: j.size as [number, number] };
      } finally { await g.close(vds); }
    });
    const [x0, rx, , y0, , ry] = gt.gt;
    return { extent: [x0, y0 + gt.size[1] * ry, x0 + gt.size[0] * rx, y0], res: Math.min(Math.abs(rx), Math.abs(ry)), resX: Math.abs(rx), resY: Math.abs(ry) };
  } catch (err) {
    if (isCrsError(err)) throw new UsageError(`unknown CRS: ${crs}`, { hint: 'use an EPSG code like EPSG:32632, or "utm"', cause: err });
    throw err;
  } finally {
    rmSync(`${vrtBase}.vrt`, { force: true });
  }
}

interface Plan {
  src: OpsRasterInfo;
  out: string;
  width: number;
  height: number;
  te: [number, number, number, number];
  resX: number;
  resY: number;
  crs: string;
  args: string[];
  key: string;
}

function fileKey(path: string): string {
  const st = statSync(path);
  return `${st.size}:${Math.round(st.mtimeMs)}`;
}

/** Plans and runs the reprojection. Idempotent: outputs whose inputs and options did not change are kept. */
export async function reproject(opts: ReprojectOptions): Promise<ReprojectResult> {
  const resampling = opts.resampling ?? 'nearest';
  if (!RESAMPLINGS.includes(resampling)) throw new UsageError(`unknown resampling ${resampling}`, { hint: `use one of ${RESAMPLINGS.join(', ')}` });
  if (opts.res !== undefined && !(opts.res > 0)) throw new UsageError(`--res must be a positive number, got ${opts.res}`, { hint: 'the pixel size in target CRS units, e.g. --res 10' });
  const format = opts.format ?? 'COG';
  if (!OUTPUT_FORMATS.includes(format)) throw new UsageError(`unknown output format ${format}`, { hint: `use one of ${OUTPUT_FORMATS.join(', ')}` });
  const native = engineKind() === 'native';
  const files = listInputs(opts.input, 'raster');
  const outDir = resolve(opts.output);
  mkdirSync(outDir, { recursive: true });
  // leftovers of an interrupted run (strips can be GBs): temp names are never outputs
  for (const n of readdirSync(outDir)) if (n.startsWith(TMP_PREFIX)) rmSync(join(outDir, n), { force: true, recursive: true });

  // native: one runner child does everything (facts, grids, warps): gdal-async loads once, Ctrl-C kills it
  const runner = native ? new NativeRunner(opts.signal) : undefined;
  try {
    const engine = runner ? nativeEngineName(await runner.version()) : GDAL_ENGINE;
    return await reprojectWith(opts, { files, outDir, format, engine, resampling, runner });
  } catch (err) {
    if (opts.signal?.aborted && !(err instanceof InterruptedError)) throw new InterruptedError(undefined, { cause: err });
    throw err;
  } finally {
    await runner?.close();
  }
}

async function reprojectWith(opts: ReprojectOptions, c: { files: string[]; outDir: string; format: OutputFormat; engine: string; resampling: Resampling; runner?: NativeRunner }): Promise<ReprojectResult> {
  const { files, outDir, format, engine, resampling, runner } = c;
  const native = !!runner;
  const progress = throttledProgress(opts.onProgress);
  progress({ phase: 'reading', done: 0, total: files.length });
  const infos: OpsRasterInfo[] = [];
  for (const f of files) {
    opts.signal?.throwIfAborted();
    if (native) {
      const i = await runnerFacts(runner, f);
      if (!i.wkt) throw new AppError('no-crs', `${f} has no CRS${i.gcps ? ' (its GCPs have no CRS either)' : ''}`, 1, { hint: 'assign one first (e.g. gdal_edit.py -a_srs EPSG:XXXX) or remove the file from the input' });
      infos.push(i);
    } else {
      const i = await rasterInfo(f);
      if (!i.wkt) throw new AppError('no-crs', `${f} has no CRS`, 1, { hint: 'assign one first (e.g. gdal_edit.py -a_srs EPSG:XXXX) or remove the file from the input' });
      infos.push(i);
    }
  }

  // the target CRS of each file: 'utm' is the zone of the centroid of all inputs (of each file with perFileGrid)
  const crsOf: string[] = infos.map(() => opts.crs);
  let crs = opts.crs;
  if (crs.toLowerCase() === 'utm') {
    if (native) {
      for (const i of infos) {
        const g = await runnerSuggestedGrid(runner, i.path, 'EPSG:4326');
        i.wgs84Bbox = g.extent;
      }
    }
    const [lon, lat] = centroidOf(infos);
    crs = `EPSG:${utmEpsgFor(lon, lat)}`;
    infos.forEach((info, k) => {
      if (!opts.perFileGrid) { crsOf[k] = crs; return; }
      const [x, y] = centroidOf([info]);
      crsOf[k] = `EPSG:${utmEpsgFor(x, y)}`;
    });
  }

  progress({ phase: 'planning', done: 0, total: infos.length });
  const sugg: { extent: [number, number, number, number]; res: number; resX: number; resY: number }[] = [];
  for (const [k, i] of infos.entries()) {
    if (native) {
      try { sugg.push(await runnerSuggestedGrid(runner, i.path, crsOf[k]!)); } catch (err) {
        if (err instanceof InterruptedError) throw err;
        if (isCrsError(err)) throw new UsageError(`unknown CRS: ${crsOf[k]}`, { hint: 'use an EPSG code like EPSG:32632, or "utm"', cause: err });
        throw new AppError('warp-failed', `cannot plan the warp of ${i.path} to ${crsOf[k]}: ${(err as Error).message}`, 1, { hint: 'check that GDAL can transform this raster\'s extent to the target CRS', cause: err });
      }
    } else sugg.push(await suggestedExtent(i, crsOf[k]!, outDir));
  }
  // pixel size: --res, else GDAL's suggestion (the finest of all inputs on a common grid; its own per file)
  const resOf = (k: number): [number, number] => {
    if (opts.res !== undefined) return [opts.res, opts.res];
    if (opts.perFileGrid) return [sugg[k]!.resX, sugg[k]!.resY];
    return [Math.min(...sugg.map((s) => s.resX)), Math.min(...sugg.map((s) => s.resY))];
  };
  const res = opts.res ?? Math.min(...sugg.map((s) => s.res));
  let ox = 0, oy = 0;
  if (!opts.tap) {
    ox = Math.min(...sugg.map((s) => s.extent[0]));
    oy = Math.max(...sugg.map((s) => s.extent[3]));
  }

  const plans: Plan[] = infos.map((src, k) => {
    const [rx, ry] = resOf(k);
    const g = opts.perFileGrid && !opts.tap
      ? snapExtent(sugg[k]!.extent, rx, sugg[k]!.extent[0], sugg[k]!.extent[3], ry)
      : snapExtent(sugg[k]!.extent, rx, ox, oy, ry);
    const args = [...warpCommonArgs({ crs: crsOf[k]!, resampling, nodata: opts.nodata }), '-te', ...g.te.map(fmt), '-tr', fmt(rx), fmt(ry)];
    if (native) args.push('-multi', '-wo', 'NUM_THREADS=ALL_CPUS');
    const out = join(outDir, basename(src.path, extname(src.path)) + '.tif');
    return { src, out, width: g.width, height: g.height, te: g.te, resX: rx, resY: ry, crs: crsOf[k]!, args, key: JSON.stringify({ in: opts.inputKeys?.[src.path] ?? fileKey(src.path), args, engine, ...(format === 'COG' ? {} : { format }) }) };
  });
  const outs = new Set<string>();
  for (const p of plans) {
    if (outs.has(p.out)) throw new UsageError(`two inputs map to the same output ${p.out}`, { hint: 'rename one of the inputs' });
    outs.add(p.out);
  }

  const manifestPath = join(outDir, REPROJECT_MANIFEST);
  let previous: Record<string, string> = {};
  try { previous = JSON.parse(readFileSync(manifestPath, 'utf8')).keys ?? {}; } catch { /* first run */ }

  const todo = plans.filter((p) => !(existsSync(p.out) && previous[basename(p.out)] === p.key));
  const jobs = Math.max(1, opts.jobs ?? defaultJobs());
  let done = 0;
  progress({ phase: 'warping', done, total: todo.length });
  try {
    if (native) {
      await warpNative(runner, todo, { jobs, format, outDir, signal: opts.signal }, (p) => {
        done++;
        progress({ phase: 'warping', done, total: todo.length, item: basename(p.out) });
      });
    } else {
      const threshold = opts.stripThresholdPixels ?? 16_000_000;
      const pool = new GdalWorkerPool(Math.min(jobs, Math.max(1, todo.reduce((n, p) => n + (p.width * p.height > threshold ? jobs : 1), 0))));
      try {
        await Promise.all(todo.map(async (p) => {
          opts.signal?.throwIfAborted();
          await warpOne(p, pool, jobs, threshold, format);
          done++;
          progress({ phase: 'warping', done, total: todo.length, item: basename(p.out) });
        }));
      } finally {
        await pool.close();
      }
    }
  } catch (err) {
    if (isCrsError(err)) throw new UsageError(`unknown CRS: ${crs}`, { hint: 'use an EPSG code like EPSG:32632, or "utm"', cause: err });
    throw err;
  }
  progress({ phase: 'warping', done, total: todo.length, finished: true });

  // one CRS for all, or (per-file UTM zones) the CRS asked for; each file says its own
  if (new Set(crsOf).size > 1) crs = opts.crs;
  const result: ReprojectResult = {
    crs, res, origin: [ox, oy], engine, format, outputDir: outDir,
    files: plans.map((p) => ({
      input: p.src.path, output: p.out, width: p.width, height: p.height, crs: p.crs,
      geoTransform: [p.te[0], p.resX, 0, p.te[3], 0, -p.resY], warpArgs: p.args, skipped: !todo.includes(p),
    })),
  };
  writeFileAtomicSync(manifestPath, JSON.stringify({
    crs, res, origin: [ox, oy], engine, format,
    keys: Object.fromEntries(plans.map((p) => [basename(p.out), p.key])),
  }, null, 2) + '\n');
  return result;
}

/** Creation options of a tiled GTiff output (same tiling and compression as the COG, no overviews). */
export const GTIFF_CO = ['-co', 'TILED=YES', '-co', 'BLOCKXSIZE=512', '-co', 'BLOCKYSIZE=512', '-co', 'COMPRESS=DEFLATE', '-co', 'BIGTIFF=IF_SAFER'];

/** `-of` and `-co` arguments of an output format. */
export function formatArgs(format: OutputFormat): string[] {
  return format === 'COG' ? ['-of', 'COG', ...COG_CO] : ['-of', 'GTiff', ...GTIFF_CO];
}

/**
 * Native warps: outputs are written into a private temp directory in the output directory and
 * renamed into place; on abort the runner child is killed first, then the directory removed.
 */
async function warpNative(runner: NativeRunner, todo: Plan[], o: { jobs: number; format: OutputFormat; outDir: string; signal?: AbortSignal }, onDone: (p: Plan) => void): Promise<void> {
  if (!todo.length) return;
  const tmpDir = tmpPathFor(join(o.outDir, 'warp'));
  mkdirSync(tmpDir);
  try {
    await mapLimit(todo, Math.min(o.jobs, todo.length), async (p) => {
      o.signal?.throwIfAborted();
      const tmp = join(tmpDir, basename(p.out));
      await runner.run({ op: 'warp', inputs: [p.src.path], output: tmp, args: [...p.args, ...formatArgs(o.format)] }, `gdalwarp ${p.src.path}`);
      o.signal?.throwIfAborted();
      renameSync(tmp, p.out);
      onDone(p);
    }, o.signal);
  } catch (err) {
    // the child must be gone before the temp dir is removed (nothing recreated behind the cleanup)
    if (o.signal?.aborted) { await runner.close(); throw new InterruptedError(undefined, { cause: err }); }
    throw err;
  } finally {
    if (o.signal?.aborted) await runner.close();
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

export const COG_CO = ['-co', 'COMPRESS=DEFLATE', '-co', 'BLOCKSIZE=512', '-co', 'OVERVIEWS=AUTO', '-co', 'BIGTIFF=IF_SAFER', '-co', 'RESAMPLING=AVERAGE'];

/** Strips are warped through the same COG (512-block warped VRT) path as whole files, so they give the same pixels. */
const STRIP_CO = ['-co', 'COMPRESS=NONE', '-co', 'BLOCKSIZE=512', '-co', 'OVERVIEWS=NONE', '-co', 'BIGTIFF=YES'];

async function warpOne(p: Plan, pool: GdalWorkerPool, jobs: number, threshold: number, format: OutputFormat): Promise<void> {
  const tmp = tmpPathFor(p.out);
  try {
    if (p.width * p.height <= threshold || jobs <= 1 || p.height < 2 * 512) {
      await pool.run({ op: 'gdalwarp', input: p.src.path, args: [...p.args, ...formatArgs(format)], output: tmp });
    } else {
      await warpInStrips(p, pool, jobs, tmp, format);
    }
    renameSync(`${tmp}.tif`, p.out);
  } finally {
    rmSync(`${tmp}.tif`, { force: true });
  }
}

/**
 * Big outputs: warp `n` row strips (multiples of 512 rows) in parallel into tiled GTiffs, stitch
 * them with a VRT, and translate that to the COG. Each strip pins its own -te on the same grid.
 */
async function warpInStrips(p: Plan, pool: GdalWorkerPool, jobs: number, tmp: string, format: OutputFormat): Promise<void> {
  const res = p.resY;
  const blocks = Math.ceil(p.height / 512);
  const n = Math.min(blocks, jobs * 2);
  const rowsPer = Math.ceil(blocks / n) * 512;
  const strips: { base: string; y0: number; rows: number }[] = [];
  for (let y0 = 0; y0 < p.height; y0 += rowsPer) strips.push({ base: `${tmp}-strip${strips.length}`, y0, rows: Math.min(rowsPer, p.height - y0) });
  const withoutTe: string[] = [];
  for (let i = 0; i < p.args.length; i++) {
    if (p.args[i] === '-te') { i += 4; continue; }
    withoutTe.push(p.args[i]!);
  }
  const vrtPath = `${tmp}-strips.vrt`;
  try {
    await Promise.all(strips.map((s) => {
      const maxY = p.te[3] - s.y0 * res;
      const te = [p.te[0], maxY - s.rows * res, p.te[2], maxY].map(fmt);
      return pool.run({ op: 'gdalwarp', input: p.src.path, args: [...withoutTe, '-te', ...te, '-of', 'COG', ...STRIP_CO], output: s.base });
    }));
    const infos = [];
    for (const s of strips) infos.push(await rasterInfo(`${s.base}.tif`));
    const { xml } = buildVrt(infos.map((i) => ({
      path: basename(i.path), relativeToVRT: true, width: i.width, height: i.height, geoTransform: i.geoTransform,
      bands: i.bands.map((b) => ({ dataType: b.dataType, nodata: b.nodata })),
    })), { wkt: infos[0]!.wkt, resolution: 'user', res: [p.resX, p.resY] });
    writeFileAtomicSync(vrtPath, xml, { fsync: false });
    await pool.run({ op: 'gdal_translate', input: vrtPath, args: formatArgs(format), output: tmp });
  } finally {
    rmSync(vrtPath, { force: true });
    for (const s of strips) rmSync(`${s.base}.tif`, { force: true });
  }
}
