/**
 * `add` metadata of gridded files without loading GDAL, where a header reader is sure to give what
 * the GDAL path (`meta.ts`) gives: JPEG2000 (`jp2-meta.ts`), classic NetCDF (`nc3-meta.ts`) and
 * HDF5 / NetCDF-4 (`hdf5-meta.ts`). Returns undefined for everything else (files a reader is unsure
 * about): the caller then reads the file with GDAL. Never throws for bad content.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { jp2FastMeta } from './jp2-meta.js';
import { nc3FastMeta } from './nc3-meta.js';
import { hdf5FastMeta } from './hdf5-meta.js';

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

export function griddedFastMeta(absPath: string): Record<string, unknown> | undefined {
  if (process.env.GEODVC_GRIDDED_META === 'gdal') return undefined;
  try {
    const head = Buffer.alloc(12);
    const fd = openSync(absPath, 'r');
    let n = 0;
    try { n = readSync(fd, head, 0, 12, 0); } finally { closeSync(fd); }
    if ((n >= 12 && head.readUInt32BE(0) === 12 && head.toString('latin1', 4, 8) === 'jP  ') || (n >= 4 && head.readUInt32BE(0) === 0xff4fff51)) return jp2FastMeta(absPath);
    if (n >= 4 && head.toString('latin1', 0, 3) === 'CDF' && [1, 2, 5].includes(head[3]!)) return nc3FastMeta(absPath);
    if (n >= 8 && head.subarray(0, 8).equals(HDF5_SIGNATURE)) return hdf5FastMeta(absPath);
  } catch { /* unreadable here: GDAL says what it makes of it */ }
  return undefined;
}
