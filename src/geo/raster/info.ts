/**
 * `readRasterInfo(absPath)`: raster metadata with gdalinfo -json field names. TIFF (incl. BigTIFF,
 * COG) is read from the raw tags, VRT from its XML; anything else goes through gdal3.js gdalinfo.
 */
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

export async function readRasterInfo(absPath: string): Promise<RasterInfo> {
  const kind = sniffRaster(absPath);
  try {
    if (kind === 'tiff') return readGeoTiffInfo(absPath);
    if (kind === 'vrt') return readVrtInfo(absPath);
  } catch (e) {
    if (e instanceof TiffFormatError) {
      throw new InvalidFileError(`${basename(absPath)}: ${e.message}${e.offset !== undefined ? ` (byte offset ${e.offset})` : ''}`, { cause: e, hint: 'run `geodvc geo check` on the file; it may be truncated or not a TIFF', details: { offset: e.offset } });
    }
    throw e;
  }
  const { readRasterInfoGdal } = await import('./gdal-info.js');
  return readRasterInfoGdal(absPath);
}
