/**
 * The chip plan: which windows a raster is cut into, what each chip is called, where it lies and
 * whether it touches the AOI. Pure (numbers in, numbers out: no files, no GDAL), so unit tests
 * check it directly; both readers (native GDAL and the own TIFF reader) cut the same plan.
 */
import { resolve } from 'node:path';
import { UsageError } from '../../../lib/errors.js';
import { CHIP_FORMATS, type ChipFormat, type ChipOptions, type ChipRecord, type EdgeMode } from './types.js';

export type GeoTransform6 = [number, number, number, number, number, number];
export type Box = [number, number, number, number];

export interface ChipParams { size: number; stride: number; edge: EdgeMode; maxNodata: number; format: ChipFormat }

/** The size/stride/edge/nodata/format options checked, with their defaults. */
export function chipParams(opts: Pick<ChipOptions, 'size' | 'overlap' | 'stride' | 'edge' | 'maxNodata' | 'format'>): ChipParams {
  const size = opts.size;
  if (!Number.isInteger(size) || size <= 0) throw new UsageError(`--size must be a positive integer, got ${size}`, { hint: 'e.g. --size 512' });
  if (opts.overlap !== undefined && opts.stride !== undefined) throw new UsageError('--overlap and --stride are mutually exclusive', { hint: 'stride = size - overlap' });
  const stride = opts.stride ?? size - (opts.overlap ?? 0);
  if (!Number.isInteger(stride) || stride <= 0) throw new UsageError(`the stride must be a positive integer (got ${stride})`, { hint: '--overlap must be smaller than --size' });
  const edge = opts.edge ?? 'drop';
  if (!['drop', 'pad', 'shift'].includes(edge)) throw new UsageError(`unknown --edge ${edge}`, { hint: 'use drop, pad or shift' });
  const format = CHIP_FORMATS.find((f) => f.toLowerCase() === String(opts.format ?? 'GTiff').toLowerCase());
  if (!format) throw new UsageError(`unknown chip format ${opts.format}`, { hint: `use ${CHIP_FORMATS.join(' or ')}` });
  return { size, stride, edge, maxNodata: opts.maxNodata ?? 1, format };
}

/** Windows along one axis: offsets of chips of `size` with `stride` over `n` pixels. */
export function windows(n: number, size: number, stride: number, edge: EdgeMode): number[] {
  const out: number[] = [];
  if (edge === 'pad') { for (let o = 0; o < n; o += stride) { out.push(o); if (o + size >= n) break; } return out; }
  for (let o = 0; o + size <= n; o += stride) out.push(o);
  if (edge === 'shift' && (out.length === 0 || out[out.length - 1]! + size < n)) out.push(n - size);
  return out;
}

/**
 * The key stored in the index: a rerun with the same key and the same source md5 keeps existing
 * chips. The native engine's key also names the engine and the format (its chips differ in bytes
 * from the own reader's).
 */
export function chipParamsKey(opts: ChipOptions, native = false): string {
  const size = opts.size;
  const stride = opts.stride ?? size - (opts.overlap ?? 0);
  const base = { size, stride, edge: opts.edge ?? 'drop', maxNodata: opts.maxNodata ?? 1, bands: opts.bands ?? null, aoi: opts.aoi ? resolve(opts.aoi) : null, v: 1 };
  return JSON.stringify(native ? { ...base, engine: 'gdal', format: chipParams(opts).format } : base);
}

export interface ChipWindow {
  /** Row-major window number. */
  k: number;
  row: number;
  col: number;
  x0: number;
  y0: number;
  name: string;
  /** Window corners in the raster's CRS (clockwise from the top-left pixel corner). */
  corners: [number, number][];
  bounds: Box;
  inAoi: boolean;
}

/** Every window of a `width` x `height` raster, row-major; `stem` names the chips (`stem_r0_c0.tif`). */
export function planWindows(a: { stem: string; width: number; height: number; gt: GeoTransform6; params: ChipParams; boxes?: Box[] }): ChipWindow[] {
  const { size, stride, edge } = a.params;
  const xs = windows(a.width, size, stride, edge), ys = windows(a.height, size, stride, edge);
  const [ga, gb, gc, gd, ge, gf] = a.gt;
  const out: ChipWindow[] = [];
  for (let r = 0; r < ys.length; r++) {
    for (let q = 0; q < xs.length; q++) {
      const x0 = xs[q]!, y0 = ys[r]!;
      const corners = ([[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size]] as [number, number][])
        .map(([px, py]): [number, number] => [ga + px * gb + py * gc, gd + px * ge + py * gf]);
      const bounds: Box = [
        Math.min(...corners.map((p) => p[0])), Math.min(...corners.map((p) => p[1])),
        Math.max(...corners.map((p) => p[0])), Math.max(...corners.map((p) => p[1])),
      ];
      const inAoi = !a.boxes || a.boxes.some((bb) => bb[0] <= bounds[2] && bb[2] >= bounds[0] && bb[1] <= bounds[3] && bb[3] >= bounds[1]);
      out.push({ k: r * xs.length + q, row: r, col: q, x0, y0, name: `${a.stem}_r${r}_c${q}.tif`, corners, bounds, inAoi });
    }
  }
  return out;
}

/**
 * The affine transform closest (least squares) to a raster's GCPs, as GDALGCPsToGeoTransform
 * computes it: for the bounds and footprints of chips of GCP-georeferenced rasters. Undefined with
 * fewer than 3 GCPs or collinear ones.
 */
export function fitGeoTransform(gcps: { pixel: number; line: number; x: number; y: number }[]): GeoTransform6 | undefined {
  if (gcps.length < 3) return undefined;
  // normal equations of [1 p l] * [c0 c1 c2]^T = v, for v = x and v = y
  const m = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  const bx = [0, 0, 0], by = [0, 0, 0];
  for (const g of gcps) {
    const row = [1, g.pixel, g.line];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) m[i]![j]! += row[i]! * row[j]!;
      bx[i]! += row[i]! * g.x; by[i]! += row[i]! * g.y;
    }
  }
  const cx = solve3(m, bx), cy = solve3(m, by);
  if (!cx || !cy) return undefined;
  return [cx[0], cx[1], cx[2], cy[0], cy[1], cy[2]];
}

function solve3(m: number[][], b: number[]): [number, number, number] | undefined {
  const det = (a: number[][]) => a[0]![0]! * (a[1]![1]! * a[2]![2]! - a[1]![2]! * a[2]![1]!)
    - a[0]![1]! * (a[1]![0]! * a[2]![2]! - a[1]![2]! * a[2]![0]!) + a[0]![2]! * (a[1]![0]! * a[2]![1]! - a[1]![1]! * a[2]![0]!);
  const d = det(m);
  if (!Number.isFinite(d) || Math.abs(d) < 1e-12) return undefined;
  const col = (k: number) => m.map((r, i) => r.map((v, j) => (j === k ? b[i]! : v)));
  return [det(col(0)) / d, det(col(1)) / d, det(col(2)) / d];
}

/**
 * One raster's share of a chip run's work queue: its `count` windows (row-major, `cols` per row)
 * cut into runs `[start, end)` of whole window rows, as many rows as one source block row covers
 * (`blockRows`: neighbouring windows share its blocks, and a block row cut between two jobs would be
 * decoded by both), about four runs per job, so jobs that take the next run when they are free stay
 * balanced, and at least `minRun` windows per run.
 */
export function rasterRuns(count: number, cols: number, blockRows: number, jobs: number, minRun = 4): [number, number][] {
  if (count <= 0) return [];
  const c = Math.max(1, cols), align = Math.max(1, Math.floor(blockRows));
  const rows = Math.ceil(count / c);
  const perJob = Math.max(1, Math.ceil(rows / (Math.max(1, jobs) * 4)));
  let runRows = Math.ceil(perJob / align) * align;
  while (runRows * c < minRun && runRows < rows) runRows += align;
  const len = runRows * c;
  const runs: [number, number][] = [];
  for (let s = 0; s < count; s += len) runs.push([s, Math.min(count, s + len)]);
  return runs;
}

/**
 * gdal_translate options of a chip file: tiled GTiff (tiles of the chip size when it is a multiple
 * of 16, else the next multiple of 16, at most 512), or COG; DEFLATE, with the predictor that suits
 * the data type.
 */
export function chipCreationArgs(format: ChipFormat, size: number, dataType: string, nbits?: number | null): string[] {
  // gdal_translate keeps NBITS (1-bit masks, 12-bit imagery): no predictor for those
  const packed = nbits !== undefined && nbits !== null && ![8, 16, 32, 64].includes(nbits);
  const predictor = packed ? undefined : /^(Byte|Int8|U?Int(16|32|64))$/.test(dataType) ? '2' : /^Float(32|64)$/.test(dataType) ? '3' : undefined;
  const block = size % 16 === 0 ? Math.min(size, 512) : Math.min(512, Math.ceil(size / 16) * 16);
  const pred = predictor ? ['-co', `PREDICTOR=${predictor}`] : [];
  if (format === 'COG') return ['-of', 'COG', '-co', 'COMPRESS=DEFLATE', '-co', `BLOCKSIZE=${block}`, '-co', 'OVERVIEWS=NONE', '-co', 'NUM_THREADS=1', ...pred];
  // band-interleaved with fast DEFLATE (libdeflate level 1): a third less CPU than GDAL's pixel
  // interleave at level 6 for a few % more bytes (bench/geo-native.bench.ts)
  return ['-of', 'GTiff', '-co', 'TILED=YES', '-co', `BLOCKXSIZE=${block}`, '-co', `BLOCKYSIZE=${block}`, '-co', 'COMPRESS=DEFLATE', '-co', 'ZLEVEL=1', '-co', 'INTERLEAVE=BAND', '-co', 'NUM_THREADS=1', ...pred];
}

/** The chip index as GeoJSON text (footprints in WGS 84; native bounds and CRS in properties). */
export function chipIndexGeoJson(records: ChipRecord[], paramsKey: string): string {
  const fc = {
    type: 'FeatureCollection',
    params_key: paramsKey,
    features: records.map((r) => ({
      type: 'Feature',
      geometry: r.footprint.length ? { type: 'Polygon', coordinates: [r.footprint] } : null,
      properties: {
        chip: r.chip, source: r.source, source_md5: r.sourceMd5, window: r.window, row: r.row, col: r.col,
        nodata_fraction: r.nodataFraction, bounds: r.bounds, crs: r.crs,
      },
    })),
  };
  return JSON.stringify(fc) + '\n';
}
