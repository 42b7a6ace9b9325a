/**
 * Affine (GDAL geotransform) and grid math: pixel <-> world, grid phase (the fractional pixel
 * offset of one grid's origin on another), resolution, footprint, bbox to EPSG:4326.
 */
import type { CoordinateSystem } from '../raster/types.js';
import { transformer, WGS84 } from './crs.js';

export type GeoTransform = [number, number, number, number, number, number] | number[];

/** World coordinates of pixel/line (x = column, y = row; 0,0 is the outer corner of pixel 0). */
export function pixelToWorld(gt: GeoTransform, px: number, line: number): [number, number] {
  return [gt[0]! + px * gt[1]! + line * gt[2]!, gt[3]! + px * gt[4]! + line * gt[5]!];
}

/** gdalinfo's `cornerCoordinates` (the same field names and order). */
export interface CornerCoordinates { upperLeft: [number, number]; lowerLeft: [number, number]; lowerRight: [number, number]; upperRight: [number, number]; center: [number, number] }

/**
 * `x` rounded to `p` decimals as C's printf("%.*f") does (what gdalinfo's JSON writer prints): the
 * exact binary value rounded, an exact tie to even. (`toFixed` rounds an exact tie away from zero.)
 */
export function printfRound(x: number, p: number): number {
  if (!Number.isFinite(x)) return x;
  const exact = Math.abs(x).toFixed(Math.min(100, p + 25));
  const dot = exact.indexOf('.');
  const cut = dot + 1 + p;
  let out: number;
  if (p > 0 && /^50*$/.test(exact.slice(cut)) && (exact.charCodeAt(cut - 1) - 48) % 2 === 0) out = Number(exact.slice(0, cut)) * Math.sign(x);
  else out = Number(x.toFixed(p));
  return out === 0 ? 0 : out; // no -0
}

/**
 * The four corners and the centre of a `width` x `height` raster through its geotransform, as
 * gdalinfo -json reports them: the same arithmetic in the same order, then rounded as gdalinfo
 * prints a corner (7 decimals when |x| < 181 and |y| < 91, else 3); pixel/line values when the
 * raster has no geotransform (ungeoreferenced, or GCPs only), as gdalinfo does.
 */
export function cornerCoordinates(size: [number, number], gt: GeoTransform | undefined): CornerCoordinates {
  const g = gt && gt.length === 6 ? gt : [0, 1, 0, 0, 0, 1];
  const [w, h] = size;
  const at = (px: number, line: number): [number, number] => {
    const [x, y] = pixelToWorld(g, px, line);
    const p = Math.abs(x) < 181 && Math.abs(y) < 91 ? 7 : 3;
    return [printfRound(x, p), printfRound(y, p)];
  };
  return { upperLeft: at(0, 0), lowerLeft: at(0, h), lowerRight: at(w, h), upperRight: at(w, 0), center: at(w / 2, h / 2) };
}

/** Inverse of pixelToWorld. Throws on a degenerate transform. */
export function worldToPixel(gt: GeoTransform, x: number, y: number): [number, number] {
  const det = gt[1]! * gt[5]! - gt[2]! * gt[4]!;
  if (det === 0) throw new Error('degenerate geotransform (determinant 0)');
  const dx = x - gt[0]!;
  const dy = y - gt[3]!;
  return [(dx * gt[5]! - dy * gt[2]!) / det, (dy * gt[1]! - dx * gt[4]!) / det];
}

/** Pixel size as [xres, yres] (both positive), for north-up and rotated grids. */
export function resolution(gt: GeoTransform): [number, number] {
  return [Math.hypot(gt[1]!, gt[4]!), Math.hypot(gt[2]!, gt[5]!)];
}

export function isRotated(gt: GeoTransform): boolean { return gt[2] !== 0 || gt[4] !== 0; }

/** Fraction in [-0.5, 0.5) of how far `value` sits from the nearest multiple of `step` from `origin`. */
export function phase(value: number, origin: number, step: number): number {
  const f = (value - origin) / step;
  let p = f - Math.round(f);
  if (p >= 0.5) p -= 1;
  return Math.abs(p) < 1e-12 ? 0 : p;
}

/**
 * Grid phase of `gt` relative to a reference grid (origin + resolution): the fractional pixel
 * offsets [px, py] of its origin; [0, 0] when the two grids share pixel boundaries.
 */
export function gridPhase(gt: GeoTransform, ref: { origin: [number, number]; res: [number, number] }): [number, number] {
  return [phase(gt[0]!, ref.origin[0], ref.res[0]), phase(gt[3]!, ref.origin[1], ref.res[1])];
}

/** [minx, miny, maxx, maxy] of a raster in its own CRS. */
export function rasterBounds(gt: GeoTransform, width: number, height: number): [number, number, number, number] {
  const pts = [pixelToWorld(gt, 0, 0), pixelToWorld(gt, width, 0), pixelToWorld(gt, 0, height), pixelToWorld(gt, width, height)];
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

/** Bounding box in EPSG:4326 (lon/lat) of a bbox in `crs`, densified along the edges. */
export function bboxToWgs84(bbox: [number, number, number, number], crs: CoordinateSystem, densify = 21): [number, number, number, number] | undefined {
  if (crs.epsg === 4326) return bbox;
  let f: (xy: [number, number]) => [number, number];
  try { f = transformer(crs, WGS84); } catch { return undefined; }
  const [x0, y0, x1, y1] = bbox;
  let minx = Infinity, miny = Infinity, maxx = -Infinity, maxy = -Infinity;
  for (let i = 0; i < densify; i++) {
    const t = i / (densify - 1);
    for (const p of [[x0 + t * (x1 - x0), y0], [x0 + t * (x1 - x0), y1], [x0, y0 + t * (y1 - y0)], [x1, y0 + t * (y1 - y0)]] as [number, number][]) {
      let q: [number, number];
      try { q = f(p); } catch { continue; }
      if (!Number.isFinite(q[0]) || !Number.isFinite(q[1])) continue;
      minx = Math.min(minx, q[0]); maxx = Math.max(maxx, q[0]); miny = Math.min(miny, q[1]); maxy = Math.max(maxy, q[1]);
    }
  }
  return Number.isFinite(minx) ? [minx, miny, maxx, maxy] : undefined;
}
