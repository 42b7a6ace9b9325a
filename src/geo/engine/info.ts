/**
 * Raster facts and warp grids from native GDAL, in this thread (metadata only: no pixel work).
 * Same shape as the gdal3.js `rasterInfo` of `ops/info.ts`, plus the GCP count: a raster
 * georeferenced by GCPs has no geotransform but gdalwarp warps it, and so do we.
 */
import { resolve } from 'node:path';
import { AppError } from '../../lib/errors.js';
import type { OpsRasterInfo } from '../ops/info.js';
import { loadNativeGdal, type NativeGdal } from './native.js';

export interface NativeRasterInfo extends OpsRasterInfo {
  /** Number of GCPs (0 unless the raster is georeferenced by ground control points). */
  gcps: number;
  /** Whether the raster has a geotransform (false: GCPs, RPCs or nothing). */
  hasGeoTransform: boolean;
  /** Default-domain metadata. */
  metadata: Record<string, string>;
}

function gdalOrThrow(): NativeGdal {
  const g = loadNativeGdal();
  if (!g) throw new AppError('no-native-gdal', 'native GDAL (gdal-async) is not available', 1, { hint: 'npm install gdal-async, or unset GEODVC_GDAL_ENGINE' });
  return g;
}

/** Opens a raster with native GDAL; errors name the file. */
export function openNative(path: string): any {
  const g = gdalOrThrow();
  try {
    return g.open(path);
  } catch (err) {
    throw new AppError('not-a-raster', `GDAL cannot open ${path}: ${(err as Error).message}`, 1, { hint: 'check that the file exists and is a raster format GDAL reads', cause: err });
  }
}

/**
 * Raster facts from an open gdal-async module. Self-contained on purpose (no closure, no import):
 * the runner child evaluates this function's source too, so facts are read with the GDAL already
 * loaded there instead of loading gdal-async a second time in the parent.
 */
export function rasterFacts(gdal: any, abs: string): NativeRasterInfo {
  const ds = gdal.open(abs);
  try {
    let gcps = 0;
    try { gcps = ds.getGCPs().length; } catch { gcps = 0; }
    let wkt = '';
    let epsg: number | undefined;
    const srs = ds.srs;
    if (srs) {
      try { wkt = srs.toWKT(); } catch { wkt = ''; }
      if (wkt) {
        try { srs.autoIdentifyEPSG(); } catch { /* not identifiable */ }
        try {
          if (srs.getAuthorityName(null) === 'EPSG' && srs.getAuthorityCode(null)) epsg = Number(srs.getAuthorityCode(null));
        } catch { /* none */ }
      }
    }
    if (!wkt && gcps) {
      try { wkt = ds.getGCPProjection() ?? ''; } catch { wkt = ''; }
    }
    let gt: [number, number, number, number, number, number] = [0, 1, 0, 0, 0, 1];
    let hasGeoTransform = false;
    try { if (ds.geoTransform) { gt = ds.geoTransform; hasGeoTransform = true; } } catch { /* none */ }
    const bands = [];
    for (let i = 1; i <= ds.bands.count(); i++) {
      const b = ds.bands.get(i);
      const nd = b.noDataValue;
      bands.push({
        dataType: String(b.dataType),
        nodata: nd === null || nd === undefined ? undefined : Number(nd),
        blockXSize: b.blockSize.x,
        blockYSize: b.blockSize.y,
        colorInterp: b.colorInterpretation ?? undefined,
        description: b.description || undefined,
      });
    }
    let md: Record<string, string> = {};
    try { md = ds.getMetadata() ?? {}; } catch { md = {}; }
    return {
      path: abs, width: ds.rasterSize.x, height: ds.rasterSize.y, geoTransform: gt, wkt, epsg, bands,
      datetime: md.ACQUISITIONDATETIME ?? md.TIFFTAG_DATETIME ?? md.DATETIME,
      driver: ds.driver.description, gcps, hasGeoTransform, metadata: md,
    };
  } finally {
    ds.close();
  }
}

/** Size, geotransform, CRS, bands and GCP count of a raster, by native GDAL in this thread. */
export function nativeRasterInfo(path: string): NativeRasterInfo {
  const abs = resolve(path);
  const g = gdalOrThrow();
  try {
    return rasterFacts(g, abs);
  } catch (err) {
    throw new AppError('not-a-raster', `GDAL cannot open ${path}: ${(err as Error).message}`, 1, { hint: 'check that the file exists and is a raster format GDAL reads', cause: err });
  }
}

export interface WarpGrid {
  extent: [number, number, number, number];
  /** The finer of the two pixel sizes. */
  res: number;
  /** GDAL's pixel width and height (equal, except where GDAL clamps the grid to the world, e.g. a polar raster to lon/lat). */
  resX: number;
  resY: number;
  width: number;
  height: number;
}

/**
 * The grid gdalwarp would choose for `abs` in `crs` (GDAL's suggested output: extent in the
 * target CRS and the pixel size), from a warped VRT in memory. Works for every georeferencing
 * GDAL knows (geotransform, south-up, ModelTransformationTag, GCPs, RPCs). Self-contained like
 * `rasterFacts` (evaluated in the runner child too).
 */
export function suggestGrid(gdal: any, abs: string, crs: string, vsi: string): WarpGrid {
  const ds = gdal.open(abs);
  try {
    const v = gdal.warp(vsi, null, [ds], ['-of', 'VRT', '-t_srs', crs]);
    try {
      const gt = v.geoTransform;
      const w = v.rasterSize.x, h = v.rasterSize.y;
      return { extent: [gt[0], gt[3] + h * gt[5], gt[0] + w * gt[1], gt[3]], res: Math.min(Math.abs(gt[1]), Math.abs(gt[5])), resX: Math.abs(gt[1]), resY: Math.abs(gt[5]), width: w, height: h };
    } finally { v.close(); }
  } finally {
    ds.close();
    try { gdal.vsimem.release(vsi); } catch { /* nothing kept */ }
  }
}

let vsiCounter = 0;

/** `suggestGrid` with native GDAL in this thread. */
export function nativeSuggestedGrid(path: string, crs: string): WarpGrid {
  return suggestGrid(gdalOrThrow(), resolve(path), crs, `/vsimem/geodvc-suggest-${process.pid}-${vsiCounter++}.vrt`);
}

/** Whether two rasters' CRSs are the same for GDAL (OSRIsSame), both missing included. */
export function nativeSameCrs(a: string, b: string): boolean {
  const da = openNative(a), db = openNative(b);
  try {
    const sa = da.srs, sb = db.srs;
    if (!sa || !sb) return !sa && !sb;
    return !!sa.isSame(sb);
  } finally { da.close(); db.close(); }
}

/** Boundary of a raster in lon/lat (WGS 84, lon first) and which poles it contains, by GDAL/PROJ. */
export interface LonLatBoundary {
  /** Densified pixel-space boundary (clockwise from the upper-left corner) as lon/lat; null where PROJ cannot transform the point. */
  ring: ([number, number] | null)[];
  /** Whether the north / south pole falls inside the raster. */
  north: boolean;
  south: boolean;
}

/**
 * The raster's outline in WGS 84 lon/lat through GDAL's own coordinate transformation (PROJ with
 * its datum grids: a NAD27 raster gets the datum shift, a CRS with no EPSG code or in feet is
 * transformed as GDAL reads it). Rasters with a geotransform only; undefined when there is no CRS
 * or geotransform, or PROJ cannot transform from the CRS.
 */
export function nativeLonLatBoundary(path: string, perEdge = 32): LonLatBoundary | undefined {
  const g = gdalOrThrow();
  let ds: any;
  try { ds = g.open(resolve(path)); } catch { return undefined; }
  // x = easting/longitude whatever the CRS's axis order (gdal-async builds SRS objects from WKT,
  // with the authority's order: EPSG:4326 lat/lon, NZTM northing/easting)
  const AXIS = 'OSR_DEFAULT_AXIS_MAPPING_STRATEGY';
  const before = g.config.get(AXIS);
  g.config.set(AXIS, 'TRADITIONAL_GIS_ORDER');
  try {
    const srs = ds.srs;
    let gt: number[] | null = null;
    try { gt = ds.geoTransform; } catch { gt = null; }
    if (!srs || !gt) return undefined;
    const w = ds.rasterSize.x, h = ds.rasterSize.y;
    let fwd: any, inv: any;
    try {
      const ll = g.SpatialReference.fromUserInput('OGC:CRS84');
      fwd = new g.CoordinateTransformation(srs, ll);
      inv = new g.CoordinateTransformation(ll, srs);
    } catch { return undefined; }
    const world = (px: number, py: number): [number, number] => [gt![0]! + px * gt![1]! + py * gt![2]!, gt![3]! + px * gt![4]! + py * gt![5]!];
    const ring: ([number, number] | null)[] = [];
    const edge = (x0: number, y0: number, x1: number, y1: number) => {
      for (let k = 0; k < perEdge; k++) {
        const t = k / perEdge;
        const [x, y] = world(x0 + t * (x1 - x0), y0 + t * (y1 - y0));
        try {
          const p = fwd.transformPoint(x, y);
          ring.push(Number.isFinite(p.x) && Number.isFinite(p.y) && Math.abs(p.y) <= 90.000001 ? [p.x, p.y] : null);
        } catch { ring.push(null); }
      }
    };
    edge(0, 0, w, 0); edge(w, 0, w, h); edge(w, h, 0, h); edge(0, h, 0, 0);
    const det = gt[1]! * gt[5]! - gt[2]! * gt[4]!;
    const inside = (lat: number): boolean => {
      if (det === 0) return false;
      try {
        const p = inv.transformPoint(0, lat);
        if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) return false;
        const dx = p.x - gt![0]!, dy = p.y - gt![3]!;
        const px = (dx * gt![5]! - dy * gt![2]!) / det, py = (dy * gt![1]! - dx * gt![4]!) / det;
        return px >= 0 && px <= w && py >= 0 && py <= h;
      } catch { return false; }
    };
    return { ring, north: inside(90), south: inside(-90) };
  } finally {
    g.config.set(AXIS, before ?? null);
    ds.close();
  }
}
