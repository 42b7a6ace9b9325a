/**
 * `readRasterInfo(absPath)`: raster metadata with gdalinfo -json field names. TIFF (incl. BigTIFF,
 * COG) is read from the raw tags, VRT from its XML; anything else goes through gdal3.js gdalinfo.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { RasterInfo } from './types.js';
import { readGeoTiffInfo } from './geotiff-info.js';
import { readVrtInfo } from './vrt-info.js';
import { TiffFormatError } from './tiff.js';
import { InvalidFileError } from '../../lib/errors.js';

export type { RasterInfo, BandInfo, CoordinateSystem, Gcp } from './types.js';

export { sniffRaster } from '../sniff.js';
import { sniffRaster } from '../sniff.js';

const RASTER_EXT = new Set(['.tif', '.tiff', '.gtiff', '.vrt', '.ovr', '.jp2', '.img', '.nc', '.hdf', '.h5', '.png', '.jpg', '.jpeg', '.asc', '.dem', '.bil', '.grd', '.ers', '.kea', '.sid', '.ecw']);
export function looksLikeRaster(path: string): boolean { return RASTER_EXT.has(extname(path).toLowerCase()); }

const TIFF_EXT = new Set(['.tif', '.tiff', '.gtiff']);

/** A file named like a TIFF whose bytes are not one: says so, with what it starts with. */
function notATiff(absPath: string): InvalidFileError {
  let head = '';
  try {
    const fd = openSync(absPath, 'r');
    try { const b = Buffer.alloc(16); const n = readSync(fd, b, 0, 16, 0); head = b.subarray(0, n).toString('latin1'); } finally { closeSync(fd); }
  } catch { /* reported as not a TIFF anyway */ }
  const shown = JSON.stringify(head.replace(/[^\x20-\x7e]/g, '.'));
  return new InvalidFileError(`${basename(absPath)} is not a TIFF file (no II/MM byte-order mark; it starts with ${head.length ? shown : 'nothing: the file is empty'})`, { hint: 'the name says TIFF but the content is something else (a text file, an HTML error page, a Git LFS pointer?); fetch the real file', details: { offset: 0 } });
}

/**
 * A CRS the GeoTIFF keys define without an EPSG code (user-defined datums, projections in feet,
 * polar stereographic variants): its WKT as native GDAL builds it, when the native engine is
 * installed (loaded only for such files). Without it the CRS keeps its name and keys only.
 */
async function withNativeWkt(info: RasterInfo, absPath: string): Promise<RasterInfo> {
  const cs = info.coordinateSystem;
  if (!cs || cs.wkt || cs.epsg !== undefined) return info;
  // gdal-async is loaded in main threads only (chip workers read headers in worker threads)
  const { isMainThread } = await import('node:worker_threads');
  if (!isMainThread) return info;
  const { engineKind, loadNativeGdal } = await import('../engine/native.js');
  let native = false;
  try { native = engineKind() === 'native'; } catch { native = false; }
  const g = native ? loadNativeGdal() : null;
  if (!g) return info;
  try {
    const ds = g.open(absPath);
    try { const wkt = ds.srs?.toWKT(); if (wkt) cs.wkt = wkt; } finally { ds.close(); }
  } catch { /* GDAL cannot open it: the keys stay the answer */ }
  return info;
}

export async function readRasterInfo(absPath: string): Promise<RasterInfo> {
  const kind = sniffRaster(absPath);
  try {
    if (kind === 'tiff') return await withNativeWkt(readGeoTiffInfo(absPath), absPath);
    if (kind === 'vrt') return readVrtInfo(absPath);
  } catch (e) {
    if (e instanceof TiffFormatError) {
      throw new InvalidFileError(`${basename(absPath)}: ${e.message}${e.offset !== undefined ? ` (byte offset ${e.offset})` : ''}`, { cause: e, hint: 'run `geodvc geo check` on the file; it may be truncated or not a TIFF', details: { offset: e.offset } });
    }
    throw e;
  }
  const ext = extname(absPath).toLowerCase();
  if (ext === '.vrt') return readVrtInfo(absPath); // says "not a VRT" when the XML is not one
  if (TIFF_EXT.has(ext)) throw notATiff(absPath);
  const { readRasterInfoGdal } = await import('./gdal-info.js');
  return readRasterInfoGdal(absPath);
}
