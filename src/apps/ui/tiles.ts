/**
 * XYZ raster tiles for the `geodvc ui` map: 256 x 256 PNGs in Web Mercator (EPSG:3857), read
 * straight from cache objects by the native GDAL engine (gdal-async). Each tile is one in-memory
 * gdalwarp of only the window it covers, from the overview that matches its resolution (GDAL's
 * `-ovr AUTO`), so a continent-scale tile over a 10980² COG reads a few overview blocks and a
 * zoom-14 tile reads a 256-pixel window of the full resolution.
 *
 * Opened datasets are kept (cache objects never change; at most `maxOpen`, least recently used
 * closed first), with their band statistics: the percentile stretch (default 2-98 %) is computed
 * once per band from the smallest overview (or a decimated read), so adjacent tiles share one
 * colour scale. Before a file is opened the same header budget check as the previews runs
 * (src/geo/raster/budget.ts): a tile or strip declared larger than the budget is refused.
 *
 * Without gdal-async (or with GEODVC_GDAL_ENGINE=wasm) `available()` is false; the page then
 * draws the downsampled preview (preview.ts) at the raster's footprint instead.
 */
import { AppError, InvalidFileError } from '../../lib/errors.js';
import { engineKind, loadNativeGdal, type NativeGdal } from '../../geo/engine/native.js';
import { TiffFile } from '../../geo/raster/tiff.js';
import { checkDecodeBudget } from '../../geo/raster/budget.js';
import { encodePng } from './png.js';

export const TILE_SIZE = 256;
const HALF = 20037508.342789244;

export interface TileOptions {
  /** 1-based band numbers: one (grey) or three (RGB); default 1,2,3 when there are 3+ bands, else 1. */
  bands?: number[];
  /** Percentiles of the stretch, default [2, 98]; null = the data type's range (min/max for floats). */
  stretch?: [number, number] | null;
  /** Aborted when the client went away: a tile still waiting for its turn is not warped. */
  signal?: AbortSignal;
}

export interface TileRendererOptions {
  /** Files kept open (default 16). */
  maxOpen?: number;
  /** Dataset handles per file, so tiles of one file warp in parallel (default 2). */
  handlesPerFile?: number;
  /** Header budget (bytes) of one tile/strip, as previews (default 128 MiB). */
  blockBudgetBytes?: number;
}

interface Handle { ds: any; busy: Promise<unknown>; pending: number }

interface OpenRaster {
  ds: any;
  /** Handles warps run on (a GDAL dataset runs one operation at a time): up to `handlesPerFile`. */
  handles: Handle[];
  bandCount: number;
  /** Extent in EPSG:3857: [minx, miny, maxx, maxy]. */
  extent: [number, number, number, number];
  dtype: string;
  /** Per band: sorted sample of values (for percentiles). */
  samples: Map<number, Float64Array>;
}

/** Web Mercator bounds of tile z/x/y: [minx, miny, maxx, maxy]. */
export function tileBounds(z: number, x: number, y: number): [number, number, number, number] {
  const size = (2 * HALF) / 2 ** z;
  return [-HALF + x * size, HALF - (y + 1) * size, -HALF + (x + 1) * size, HALF - y * size];
}

/** The value at percentile `p` (0..100) of a sorted array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!sorted.length) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round((p / 100) * (sorted.length - 1))));
  return sorted[i]!;
}

const DTYPE_RANGE: Record<string, [number, number]> = {
  Byte: [0, 255], UInt16: [0, 65535], Int16: [-32768, 32767], UInt32: [0, 4294967295], Int32: [-2147483648, 2147483647],
};

let emptyTile: Buffer | undefined;
/** A fully transparent tile (outside the raster). */
export function emptyTilePng(): Buffer {
  if (!emptyTile) emptyTile = encodePng(TILE_SIZE, TILE_SIZE, 4, new Uint8Array(TILE_SIZE * TILE_SIZE * 4));
  return emptyTile;
}

export class TileRenderer {
  private gdal: NativeGdal | null | undefined;
  private open = new Map<string, Promise<OpenRaster>>();
  private readonly maxOpen: number;
  private readonly budget: number;
  private readonly handlesPerFile: number;
  constructor(o: TileRendererOptions = {}) {
    this.maxOpen = o.maxOpen ?? 16;
    this.handlesPerFile = Math.max(1, o.handlesPerFile ?? 2);
    this.budget = o.blockBudgetBytes ?? 128 * 1024 * 1024;
  }

  /** Whether tiles can be rendered here (native GDAL loaded, not forced to the WASM engine). */
  available(): boolean {
    if (this.gdal === undefined) {
      let kind: 'native' | 'wasm' = 'wasm';
      try { kind = engineKind(); } catch { kind = 'wasm'; }
      this.gdal = kind === 'native' ? loadNativeGdal() : null;
    }
    return !!this.gdal;
  }

  private async openRaster(obj: string, label: string): Promise<OpenRaster> {
    let pr = this.open.get(obj);
    if (pr) { this.open.delete(obj); this.open.set(obj, pr); return pr; }
    pr = this.doOpen(obj, label);
    this.open.set(obj, pr);
    pr.catch(() => this.open.delete(obj));
    while (this.open.size > this.maxOpen) {
      const [k, old] = this.open.entries().next().value!;
      this.open.delete(k);
      old.then((r) => closeRaster(r), () => {});
    }
    return pr;
  }

  private async doOpen(obj: string, label: string): Promise<OpenRaster> {
    const gdal = this.gdal!;
    let t: TiffFile | undefined;
    try {
      t = TiffFile.open(obj);
      checkDecodeBudget({ tiff: t, file: label }, { budgetBytes: this.budget });
    } catch (e) {
      if (e instanceof InvalidFileError) throw new AppError('preview-too-large', `no tiles of ${e.message}`, 1, { hint: e.hint ?? 'check the file with `geodvc geo check`' });
      // not a TIFF our parser reads (VRT, JPEG2000...): GDAL decides
    } finally { t?.close(); }
    let ds: any;
    try { ds = await gdal.openAsync(obj); } catch (e) {
      throw new AppError('preview-failed', `cannot open ${label} with GDAL: ${(e as Error).message}`, 1, { hint: 'check the file with `geodvc geo check`' });
    }
    const srs = ds.srs;
    const gt = ds.geoTransform as number[] | null;
    if (!srs || !gt) { ds.close(); throw new AppError('preview-failed', `${label} has no georeferencing: it cannot be drawn on the map`, 1, { hint: 'assign a CRS and geotransform (gdal_edit.py -a_srs / -a_ullr)' }); }
    const { x: w, y: h } = ds.rasterSize;
    const merc = gdal.SpatialReference.fromEPSG(3857);
    const ct = new gdal.CoordinateTransformation(srs, merc);
    const xs: number[] = [], ys: number[] = [];
    const n = 16;
    for (let i = 0; i <= n; i++) {
      for (const [px, py] of [[(w * i) / n, 0], [(w * i) / n, h], [0, (h * i) / n], [w, (h * i) / n]] as [number, number][]) {
        const X = gt[0]! + px * gt[1]! + py * gt[2]!, Y = gt[3]! + px * gt[4]! + py * gt[5]!;
        try {
          const p = ct.transformPoint(X, Y);
          if (Number.isFinite(p.x) && Number.isFinite(p.y)) { xs.push(p.x); ys.push(p.y); }
        } catch { /* outside the projection's domain */ }
      }
    }
    if (!xs.length) { ds.close(); throw new AppError('preview-failed', `${label}: its extent cannot be expressed in Web Mercator`, 1, { hint: 'reproject it first (geodvc geo reproject)' }); }
    const extent: [number, number, number, number] = [Math.max(-HALF, Math.min(...xs)), Math.max(-HALF, Math.min(...ys)), Math.min(HALF, Math.max(...xs)), Math.min(HALF, Math.max(...ys))];
    return { ds, handles: [{ ds, busy: Promise.resolve(), pending: 0 }], bandCount: ds.bands.count(), extent, dtype: ds.bands.get(1).dataType, samples: new Map() };
  }

  /** A sorted sample of band `b` from its smallest overview of at least 256 pixels (or a decimated read). */
  private async bandSample(r: OpenRaster, b: number): Promise<Float64Array> {
    const hit = r.samples.get(b);
    if (hit) return hit;
    const band = r.ds.bands.get(b);
    const nodata = band.noDataValue;
    let src = band;
    const ovrs = band.overviews;
    let best: any;
    for (let i = 0; i < ovrs.count(); i++) {
      const o = ovrs.get(i);
      if (Math.max(o.size.x, o.size.y) >= 256 && (!best || o.size.x < best.size.x)) best = o;
    }
    if (best) src = best;
    const { x: w, y: h } = src.size;
    const s = Math.min(1, 512 / Math.max(w, h));
    const bw = Math.max(1, Math.round(w * s)), bh = Math.max(1, Math.round(h * s));
    const data = await src.pixels.readAsync(0, 0, w, h, new Float64Array(bw * bh), { buffer_width: bw, buffer_height: bh });
    const vals: number[] = [];
    for (let i = 0; i < data.length; i++) { const v = data[i]; if (Number.isFinite(v) && v !== nodata) vals.push(v); }
    const out = Float64Array.from(vals).sort();
    r.samples.set(b, out);
    return out;
  }

  /** Extent of a raster in EPSG:3857 (for the map source's `bounds`). */
  async extent(obj: string, label: string): Promise<{ extent: [number, number, number, number]; bands: number; dtype: string }> {
    const r = await this.openRaster(obj, label);
    return { extent: r.extent, bands: r.bandCount, dtype: r.dtype };
  }

  /** PNG tile z/x/y of the raster at `obj` (`label` names it in errors). */
  async render(obj: string, label: string, z: number, x: number, y: number, o: TileOptions = {}): Promise<Buffer> {
    if (!this.available()) throw new AppError('no-native-gdal', 'raster tiles need the native GDAL engine (gdal-async)', 1, { hint: 'install gdal-async; the map shows the raster preview meanwhile' });
    if (!Number.isInteger(z) || z < 0 || z > 24 || !Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0 || x >= 2 ** z || y >= 2 ** z) {
      throw new AppError('bad-request', `no tile ${z}/${x}/${y}`, 254, { hint: 'z 0-24, x and y 0 to 2^z-1' });
    }
    const r = await this.openRaster(obj, label);
    const tb = tileBounds(z, x, y);
    if (tb[0] >= r.extent[2] || tb[2] <= r.extent[0] || tb[1] >= r.extent[3] || tb[3] <= r.extent[1]) return emptyTilePng();
    const bands = o.bands?.length ? o.bands : r.bandCount >= 3 ? [1, 2, 3] : [1];
    if (bands.length !== 1 && bands.length !== 3) throw new AppError('bad-request', `bands=${bands.join(',')}: give one band (grey) or three (RGB)`, 254, { hint: 'e.g. bands=4,3,2' });
    for (const b of bands) if (!Number.isInteger(b) || b < 1 || b > r.bandCount) throw new AppError('bad-request', `${label} has no band ${b} (it has ${r.bandCount})`, 254, { hint: `bands are numbered 1 to ${r.bandCount}` });
    const ranges: [number, number][] = [];
    for (const b of bands) {
      if (o.stretch === null) { ranges.push(DTYPE_RANGE[r.dtype] ?? [0, 1]); continue; }
      const [pl, ph] = o.stretch ?? [2, 98];
      const s = await this.bandSample(r, b);
      const lo = percentile(s, pl), hi = percentile(s, ph);
      ranges.push([lo, hi > lo ? hi : lo + 1]);
    }
    const gdal = this.gdal!;
    // an idle handle, else a new one (up to handlesPerFile), else the least loaded
    let h = r.handles.find((x) => x.pending === 0);
    if (!h && r.handles.length < this.handlesPerFile) {
      h = { ds: null, busy: Promise.resolve(), pending: 0 };
      r.handles.push(h);
      const opening = gdal.openAsync(obj).then((d: any) => { h!.ds = d; });
      h.busy = opening;
      opening.catch(() => { r.handles.splice(r.handles.indexOf(h!), 1); });
    }
    if (!h) h = r.handles.reduce((a, b) => (b.pending < a.pending ? b : a));
    const handle = h;
    handle.pending++;
    const job = handle.busy.then(async () => {
      if (o.signal?.aborted) throw new AppError('interrupted', 'the tile request was cancelled', 252, { hint: 'none needed: the map no longer shows this tile' });
      const out = await gdal.warpAsync('geodvc-tile', null, [handle.ds], [
        '-of', 'MEM', '-t_srs', 'EPSG:3857', '-te', ...tb.map(String), '-ts', String(TILE_SIZE), String(TILE_SIZE),
        '-r', z >= 12 ? 'near' : 'bilinear', '-ot', 'Float32', '-dstalpha', '-wo', 'INIT_DEST=0', '-q',
      ]);
      try {
        const n = TILE_SIZE * TILE_SIZE;
        const alpha = await out.bands.get(r.bandCount + 1).pixels.readAsync(0, 0, TILE_SIZE, TILE_SIZE, new Float32Array(n));
        const chans: Float32Array[] = [];
        for (const b of bands) chans.push(await out.bands.get(b).pixels.readAsync(0, 0, TILE_SIZE, TILE_SIZE, new Float32Array(n)));
        return { alpha, chans };
      } finally { out.close(); }
    });
    handle.busy = job.catch(() => {}).finally(() => { handle.pending--; });
    const { alpha, chans } = await job;
    const rgba = new Uint8Array(TILE_SIZE * TILE_SIZE * 4);
    const scale = ranges.map(([lo, hi]) => 255 / (hi - lo));
    for (let p = 0; p < alpha.length; p++) {
      const a = alpha[p]!;
      if (a <= 0) continue;
      for (let c = 0; c < 3; c++) {
        const k = chans.length === 3 ? c : 0;
        const v = (chans[k]![p]! - ranges[k]![0]) * scale[k]!;
        rgba[p * 4 + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
      }
      rgba[p * 4 + 3] = a >= 255 ? 255 : Math.round(a);
    }
    return encodePng(TILE_SIZE, TILE_SIZE, 4, rgba, 1);
  }

  close(): void {
    for (const pr of this.open.values()) pr.then((r) => closeRaster(r), () => {});
    this.open.clear();
  }
}

/** Closes every handle of a file once its queued warps are done. */
function closeRaster(r: OpenRaster): void {
  for (const h of r.handles) h.busy.finally(() => { try { h.ds?.close(); } catch { /* closed */ } });
}
