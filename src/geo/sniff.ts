/**
 * Cheap sniffing of geospatial files: the first bytes and the extension, with no format library
 * loaded. `add` asks this before it loads the metadata readers (geotiff, proj4, flatgeobuf…), so a
 * non-geo file costs one 512-byte read instead of ~100 ms of module loading.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';

/** Sniffs the first bytes: 'tiff', 'vrt' or undefined. */
export function sniffRaster(absPath: string): 'tiff' | 'vrt' | undefined {
  const fd = openSync(absPath, 'r');
  try {
    const b = Buffer.alloc(512);
    const n = readSync(fd, b, 0, 512, 0);
    const h = b.subarray(0, n);
    if (n >= 4 && ((h[0] === 0x49 && h[1] === 0x49) || (h[0] === 0x4d && h[1] === 0x4d))) return 'tiff';
    if (/<VRTDataset\b/.test(h.toString('latin1'))) return 'vrt';
    return undefined;
  } finally { closeSync(fd); }
}

const VECTOR_EXT = ['.shp', '.geojson', '.json', '.fgb', '.gpkg'];

/** By extension: a vector format geodvc reads. */
export function looksLikeVector(path: string): boolean {
  return VECTOR_EXT.includes(extname(path).toLowerCase());
}

/**
 * What `extractGeoMeta` would describe: a raster (TIFF/VRT by content), a vector (by extension),
 * or nothing (companion metadata YAML, unreadable files, anything else). The one place that
 * decides, used both before the readers are loaded (`add`'s meta hook) and by the readers.
 */
export function geoKind(absPath: string): 'raster' | 'vector' | undefined {
  if (/\.(metadata\.)?ya?ml$/i.test(absPath)) return undefined;
  let raster;
  try { raster = sniffRaster(absPath); } catch { return undefined; }
  if (raster) return 'raster';
  return looksLikeVector(absPath) ? 'vector' : undefined;
}

/** Whether `extractGeoMeta` could describe this file. */
export function mayHaveGeoMeta(absPath: string): boolean {
  return geoKind(absPath) !== undefined;
}
