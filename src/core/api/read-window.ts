/**
 * Windowed reads of an opened raster (`open`): a pixel window or a bounding box (in the raster's
 * CRS or any EPSG CRS) → samples, written as a GeoTIFF with the chip writer (`encodeTiff`): GeoKeys,
 * GDAL_NODATA/GDAL_METADATA copied, tiepoint (or ModelTransformation) shifted to the window, so GDAL
 * reads the geotransform `gdal_translate -srcwin` would write.
 */
import { deflateSync } from 'node:zlib';
import { UsageError, AppError } from '../../lib/errors.js';
import { writeFileAtomicSync } from '../../lib/atomic.js';
import { encodeTiff, T, type TagValue } from '../../geo/ops/tiff-writer.js';
import { crsFromText, transformer } from '../../geo/crs/crs.js';
import type { OpenedRaster } from './open.js';

export type Window = [number, number, number, number]; // x, y, width, height

export function parseNumbers(s: string, n: number, what: string): number[] {
  const v = s.split(',').map((x) => Number(x.trim()));
  if (v.length !== n || v.some((x) => !Number.isFinite(x))) throw new UsageError(`${what} needs ${n} comma-separated numbers, got '${s}'`, { hint: what === '--window' ? '--window 1024,2048,512,512 (x,y,width,height in pixels)' : '--bbox 11.2,45.1,11.4,45.3 (minx,miny,maxx,maxy)' });
  return v;
}

export interface RasterGrid { width: number; height: number; gt: number[]; epsg?: number; bands: number }

/** Geotransform, size and EPSG code of the first image. */
export async function rasterGrid(r: OpenedRaster): Promise<RasterGrid> {
  const img = await r.tiff.getImage();
  const fd = img.getFileDirectory();
  const mt = await fd.loadValue('ModelTransformation');
  let gt: number[];
  if (mt && mt.length >= 8) gt = [mt[3], mt[0], mt[1], mt[7], mt[4], mt[5]];
  else {
    const [ox, oy] = img.getOrigin();
    const [rx, ry] = img.getResolution();
    gt = [ox, rx, 0, oy, 0, ry];
  }
  const keys = img.getGeoKeys() ?? {};
  const epsg = [keys.ProjectedCSTypeGeoKey, keys.GeographicTypeGeoKey].find((k: unknown) => typeof k === 'number' && k > 0 && k < 32767) as number | undefined;
  return { width: img.getWidth(), height: img.getHeight(), gt, epsg, bands: img.getSamplesPerPixel() };
}

/** The pixel window covering `bbox` (in `crs`, default the raster's), clipped to the raster. */
export function bboxToWindow(g: RasterGrid, bbox: number[], crs?: string): Window {
  let pts: [number, number][] = [];
  const [x0, y0, x1, y1] = bbox as [number, number, number, number];
  if (x1 <= x0 || y1 <= y0) throw new UsageError(`--bbox ${bbox.join(',')} is empty (min >= max)`, { hint: 'minx,miny,maxx,maxy' });
  const n = 8;
  for (let i = 0; i <= n; i++) { const t = i / n; pts.push([x0 + t * (x1 - x0), y0], [x0 + t * (x1 - x0), y1], [x0, y0 + t * (y1 - y0)], [x1, y0 + t * (y1 - y0)]); }
  if (crs) {
    const from = crsFromText(crs);
    if (!from) throw new UsageError(`unknown CRS '${crs}'`, { hint: 'use EPSG:n' });
    if (g.epsg === undefined) throw new AppError('no-crs', 'the raster has no EPSG CRS to transform the bbox into', 1, { hint: 'pass the bbox in the raster CRS (omit --crs) or use --window' });
    if (from.epsg !== g.epsg) { const f = transformer(from, crsFromText(`EPSG:${g.epsg}`)!); pts = pts.map(f); }
  }
  const [a, b, c, d, e, f] = g.gt as [number, number, number, number, number, number];
  const det = b * f - c * e;
  const px = pts.map(([x, y]) => [((x - a) * f - (y - d) * c) / det, ((y - d) * b - (x - a) * e) / det] as [number, number]);
  const eps = 1e-9;
  const minx = Math.max(0, Math.floor(Math.min(...px.map((p) => p[0])) + eps)), maxx = Math.min(g.width, Math.ceil(Math.max(...px.map((p) => p[0])) - eps));
  const miny = Math.max(0, Math.floor(Math.min(...px.map((p) => p[1])) + eps)), maxy = Math.min(g.height, Math.ceil(Math.max(...px.map((p) => p[1])) - eps));
  if (maxx <= minx || maxy <= miny) throw new UsageError(`--bbox ${bbox.join(',')} does not intersect the raster`, { hint: 'check the CRS of the bbox (--crs)' });
  return [minx, miny, maxx - minx, maxy - miny];
}

export interface WindowRead { window: Window; width: number; height: number; bands: number; data: ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }; gt: number[] }

export async function readWindow(r: OpenedRaster, w: Window, signal?: AbortSignal): Promise<WindowRead> {
  const g = await rasterGrid(r);
  const [x, y, wd, ht] = w;
  if (!(wd > 0 && ht > 0) || x < 0 || y < 0 || x + wd > g.width || y + ht > g.height || ![x, y, wd, ht].every(Number.isInteger)) {
    throw new UsageError(`window ${w.join(',')} is not inside the ${g.width}x${g.height} raster`, { hint: 'x,y,width,height in whole pixels within the raster' });
  }
  const img = await r.tiff.getImage();
  const data = await img.readRasters({ window: [x, y, x + wd, y + ht], interleave: true, signal });
  const [a, b, c, d, e, f] = g.gt as [number, number, number, number, number, number];
  return { window: w, width: wd, height: ht, bands: g.bands, data, gt: [a + x * b + y * c, b, c, d + x * e + y * f, e, f] };
}

/** Writes a window as a DEFLATE-compressed, stripped GeoTIFF with the source's georeferencing. */
export async function writeWindowTiff(r: OpenedRaster, wr: WindowRead, outPath: string): Promise<number> {
  const img = await r.tiff.getImage();
  const fd = img.getFileDirectory();
  const load = async (t: string) => { try { return await fd.loadValue(t); } catch { return undefined; } };
  const spp = img.getSamplesPerPixel();
  const bps: number[] = Array.from({ length: spp }, (_, i) => img.getBitsPerSample(i));
  const sf: number[] = Array.from({ length: spp }, (_, i) => img.getSampleFormat(i));
  const tags: TagValue[] = [
    { tag: 258, type: T.SHORT, values: bps },
    { tag: 259, type: T.SHORT, values: [8] },
    { tag: 262, type: T.SHORT, values: [(await load('PhotometricInterpretation')) ?? 1] },
    { tag: 277, type: T.SHORT, values: [spp] },
    { tag: 284, type: T.SHORT, values: [1] },
    { tag: 339, type: T.SHORT, values: sf },
  ];
  const extra = await load('ExtraSamples');
  if (extra) tags.push({ tag: 338, type: T.SHORT, values: Array.from(extra as ArrayLike<number>) });
  const mt = await load('ModelTransformation');
  if (mt && mt.length >= 16) {
    const m = Array.from(mt as ArrayLike<number>);
    m[3] = wr.gt[0]!; m[7] = wr.gt[3]!;
    tags.push({ tag: 34264, type: T.DOUBLE, values: m });
  } else {
    const scale = await load('ModelPixelScale');
    const tie = await load('ModelTiepoint');
    if (scale && tie) {
      // keep the source's tiepoint semantics (PixelIsArea/Point through the copied GeoKeys)
      const [sx, sy] = [scale[0] as number, scale[1] as number];
      const [ti, tj, , tx, ty] = Array.from(tie as ArrayLike<number>);
      const [x, y] = wr.window;
      tags.push({ tag: 33550, type: T.DOUBLE, values: Array.from(scale as ArrayLike<number>) });
      tags.push({ tag: 33922, type: T.DOUBLE, values: [0, 0, 0, tx! + (x - ti!) * sx, ty! - (y - tj!) * sy, 0] });
    }
  }
  for (const [name, tag, type] of [['GeoKeyDirectory', 34735, T.SHORT], ['GeoDoubleParams', 34736, T.DOUBLE], ['GeoAsciiParams', 34737, T.ASCII], ['GDAL_METADATA', 42112, T.ASCII], ['GDAL_NODATA', 42113, T.ASCII]] as const) {
    const v = await load(name);
    if (v === undefined || v === null) continue;
    tags.push({ tag, type, values: typeof v === 'string' ? v.replace(/\0+$/, '') : Array.from(v as ArrayLike<number>) });
  }
  const bytesPerPixel = bps.reduce((s, b) => s + b / 8, 0);
  const rowBytes = wr.width * bytesPerPixel;
  const rowsPerStrip = Math.max(1, Math.min(wr.height, Math.floor((256 << 10) / Math.max(1, rowBytes))));
  const raw = new Uint8Array(wr.data.buffer, wr.data.byteOffset, wr.data.byteLength);
  const blocks: Uint8Array[] = [];
  for (let row = 0; row < wr.height; row += rowsPerStrip) {
    const n = Math.min(rowsPerStrip, wr.height - row);
    blocks.push(deflateSync(raw.subarray(row * rowBytes, (row + n) * rowBytes)));
  }
  const buf = encodeTiff({ littleEndian: true, width: wr.width, height: wr.height, tiled: false, blockW: wr.width, blockH: rowsPerStrip, blocks, tags });
  writeFileAtomicSync(outPath, buf);
  return buf.length;
}
