/**
 * Cheap sniffing of geospatial files: the first bytes and the extension, with no format library
 * loaded. `add` asks this before it loads the metadata readers (geotiff, proj4, flatgeobuf…), so a
 * non-geo file costs one 512-byte read instead of ~100 ms of module loading.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { sniffPixelFile } from './annotations/pixel.js';

/** File families recognised by their first bytes. */
export type SniffedFormat = 'tiff' | 'vrt' | 'jp2' | 'netcdf' | 'hdf5' | 'las';

/**
 * Sniffs the first bytes: TIFF/BigTIFF, VRT XML, JPEG2000 (JP2 box or raw codestream), NetCDF
 * classic (CDF1/2/5), HDF5 (which includes NetCDF-4), LAS/LAZ/COPC ('LASF'), or undefined.
 */
export function sniffFormat(absPath: string): SniffedFormat | undefined {
  const fd = openSync(absPath, 'r');
  try {
    const b = Buffer.alloc(512);
    const n = readSync(fd, b, 0, 512, 0);
    const h = b.subarray(0, n);
    if (n >= 4 && ((h[0] === 0x49 && h[1] === 0x49) || (h[0] === 0x4d && h[1] === 0x4d))) return 'tiff';
    if (n >= 4 && h.toString('latin1', 0, 4) === 'LASF') return 'las';
    if (n >= 4 && h.toString('latin1', 0, 3) === 'CDF' && (h[3] === 1 || h[3] === 2 || h[3] === 5)) return 'netcdf';
    if (n >= 8 && h[0] === 0x89 && h.toString('latin1', 1, 8) === 'HDF\r\n\x1a\n') return 'hdf5';
    if (n >= 12 && h.readUInt32BE(0) === 12 && h.toString('latin1', 4, 8) === 'jP  ') return 'jp2';
    if (n >= 4 && h[0] === 0xff && h[1] === 0x4f && h[2] === 0xff && h[3] === 0x51) return 'jp2';
    if (/<VRTDataset\b/.test(h.toString('latin1'))) return 'vrt';
    return undefined;
  } finally { closeSync(fd); }
}

/** Sniffs the first bytes: 'tiff', 'vrt' or undefined (the rasters geodvc's own readers decode). */
export function sniffRaster(absPath: string): 'tiff' | 'vrt' | undefined {
  const f = sniffFormat(absPath);
  return f === 'tiff' || f === 'vrt' ? f : undefined;
}

const VECTOR_EXT = ['.shp', '.geojson', '.json', '.fgb', '.gpkg'];

/** By extension: a vector format geodvc reads. */
export function looksLikeVector(path: string): boolean {
  return VECTOR_EXT.includes(extname(path).toLowerCase());
}

/**
 * What `extractGeoMeta` would describe: a raster (TIFF/VRT by content), a point cloud (LAS/LAZ/COPC
 * by content), a gridded file GDAL reads (JPEG2000, NetCDF, HDF5 by content), a vector (by
 * extension), or nothing (companion metadata YAML, unreadable files, anything else). The one place that
 * decides, used both before the readers are loaded (`add`'s meta hook) and by the readers.
 */
export function geoKind(absPath: string): 'raster' | 'vector' | 'pointcloud' | 'gridded' | 'annotation' | undefined {
  if (/\.(metadata\.)?ya?ml$/i.test(absPath)) return undefined;
  let f;
  try { f = sniffFormat(absPath); } catch { return undefined; }
  if (f === 'tiff' || f === 'vrt') return 'raster';
  if (f === 'las') return 'pointcloud';
  // read through the native GDAL engine (JPEG2000, NetCDF, HDF5)
  if (f === 'jp2' || f === 'netcdf' || f === 'hdf5') return 'gridded';
  // image-space labels: COCO instance JSON, Pascal VOC XML (by content)
  if (/\.(json|xml)$/i.test(absPath) && sniffPixelFile(absPath)) return 'annotation';
  return looksLikeVector(absPath) ? 'vector' : undefined;
}

/** Whether `extractGeoMeta` could describe this file. */
export function mayHaveGeoMeta(absPath: string): boolean {
  return geoKind(absPath) !== undefined;
}
