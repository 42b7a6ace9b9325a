/**
 * Raster facts the ops need (size, geotransform, CRS, bands, nodata, WGS 84 footprint), read with
 * gdal3.js `gdalinfo -json` so that what we compute agrees with what GDAL will warp/translate.
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { AppError, PathError } from '../../lib/errors.js';
import { withDataset } from './gdal.js';

export type GeoTransform = [number, number, number, number, number, number];

export interface OpsBandInfo { dataType: string; nodata?: number; blockXSize: number; blockYSize: number; colorInterp?: string; description?: string }
export interface OpsRasterInfo {
  path: string;
  width: number;
  height: number;
  geoTransform: GeoTransform;
  /** WKT of the CRS, '' when the raster has none. */
  wkt: string;
  epsg?: number;
  bands: OpsBandInfo[];
  /** [minLon, minLat, maxLon, maxLat] of the footprint, when GDAL could compute it. */
  wgs84Bbox?: [number, number, number, number];
  /** ACQUISITIONDATETIME / TIFFTAG_DATETIME metadata when present. */
  datetime?: string;
  driver: string;
}

const RASTER_EXT = new Set(['.tif', '.tiff', '.vrt', '.img', '.jp2', '.nc']);
const VECTOR_EXT = new Set(['.geojson', '.json', '.shp', '.gpkg', '.fgb']);

/** Lists files: a file as itself, a directory's files with one of `exts` (not recursive), sorted. */
export function listInputs(input: string, kind: 'raster' | 'vector'): string[] {
  const abs = resolve(input);
  let st;
  try { st = statSync(abs); } catch { throw new PathError('not-found', `input not found: ${input}`, { hint: 'pass an existing file or directory' }); }
  if (st.isFile()) return [abs];
  const exts = kind === 'raster' ? RASTER_EXT : VECTOR_EXT;
  const files = readdirSync(abs).filter((n) => exts.has(extname(n).toLowerCase()) && !n.startsWith('.')).sort().map((n) => join(abs, n));
  if (!files.length) throw new PathError('no-inputs', `no ${kind} files in ${input}`, { hint: `expected files ending in ${[...exts].join(', ')}` });
  return files;
}

function bboxFromPolygon(p: any): [number, number, number, number] | undefined {
  const ring: number[][] | undefined = p?.coordinates?.[0];
  if (!ring?.length) return undefined;
  let a = Infinity, b = Infinity, c = -Infinity, d = -Infinity;
  for (const [x, y] of ring) { a = Math.min(a, x!); b = Math.min(b, y!); c = Math.max(c, x!); d = Math.max(d, y!); }
  return [a, b, c, d];
}

export function parseGdalInfo(path: string, j: any): OpsRasterInfo {
  const gt = (j.geoTransform ?? [0, 1, 0, 0, 0, 1]) as GeoTransform;
  const md = j.metadata?.[''] ?? {};
  const epsgStr = j.stac?.['proj:epsg'];
  return {
    path,
    width: j.size[0],
    height: j.size[1],
    geoTransform: gt,
    wkt: j.coordinateSystem?.wkt ?? '',
    epsg: typeof epsgStr === 'number' ? epsgStr : undefined,
    bands: (j.bands ?? []).map((b: any) => ({
      dataType: b.type,
      nodata: b.noDataValue === undefined ? undefined : (b.noDataValue === 'nan' || b.noDataValue === 'NaN' ? NaN : Number(b.noDataValue)),
      blockXSize: b.block?.[0] ?? j.size[0],
      blockYSize: b.block?.[1] ?? 1,
      colorInterp: b.colorInterpretation,
      description: b.description,
    })),
    wgs84Bbox: bboxFromPolygon(j.wgs84Extent),
    datetime: md.ACQUISITIONDATETIME ?? md.TIFFTAG_DATETIME ?? md.DATETIME,
    driver: j.driverShortName,
  };
}

/** gdalinfo -json of one raster, parsed. */
export async function rasterInfo(path: string): Promise<OpsRasterInfo> {
  const abs = resolve(path);
  const j = await withDataset(`gdalinfo ${path}`, abs, async (g, ds) => g.gdalinfo(ds, []));
  if (!j?.size) throw new AppError('not-a-raster', `${path} is not a raster GDAL can read`, 1, { hint: 'pass GeoTIFF/COG/VRT rasters' });
  return parseGdalInfo(abs, j);
}
