/**
 * `add` metadata of gridded files without loading GDAL, where a header reader is sure to give what
 * the GDAL path (`meta.ts`) gives: JPEG2000 (`jp2-meta.ts`), classic NetCDF (`nc3-meta.ts`) and
 * HDF5 / NetCDF-4 (`hdf5-meta.ts`). Returns undefined for everything else (files a reader is unsure
 * about): the caller then reads the file with GDAL. Never throws for bad content. `add` itself
 * goes through `griddedFastMetaLazy` (fast-meta-lazy.ts: the same answer, importing one reader).
 */
import { jp2FastMeta } from './jp2-meta.js';
import { nc3FastMeta } from './nc3-meta.js';
import { hdf5FastMeta } from './hdf5-meta.js';
import { griddedSignature } from './fast-meta-lazy.js';

export function griddedFastMeta(absPath: string): Record<string, unknown> | undefined {
  const sig = griddedSignature(absPath);
  try {
    if (sig === 'jp2') return jp2FastMeta(absPath);
    if (sig === 'nc3') return nc3FastMeta(absPath);
    if (sig === 'hdf5') return hdf5FastMeta(absPath);
  } catch { /* the readers answer undefined for bad content; anything else: GDAL says */ }
  return undefined;
}
