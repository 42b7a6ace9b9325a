/**
 * `add` metadata of gridded files without loading GDAL, where a header reader is sure to give what
 * the GDAL path (`meta.ts`) gives: JPEG2000 (`jp2-meta.ts`) and classic NetCDF (`nc3-meta.ts`).
 * Returns undefined for everything else (HDF5/NetCDF-4, files a reader is unsure about): the
 * caller then reads the file with GDAL. Never throws for bad content.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { jp2FastMeta } from './jp2-meta.js';
import { nc3FastMeta } from './nc3-meta.js';

export function griddedFastMeta(absPath: string): Record<string, unknown> | undefined {
  if (process.env.GEODVC_GRIDDED_META === 'gdal') return undefined;
  try {
    const head = Buffer.alloc(12);
    const fd = openSync(absPath, 'r');
    let n = 0;
    try { n = readSync(fd, head, 0, 12, 0); } finally { closeSync(fd); }
    if ((n >= 12 && head.readUInt32BE(0) === 12 && head.toString('latin1', 4, 8) === 'jP  ') || (n >= 4 && head.readUInt32BE(0) === 0xff4fff51)) return jp2FastMeta(absPath);
    if (n >= 4 && head.toString('latin1', 0, 3) === 'CDF' && [1, 2, 5].includes(head[3]!)) return nc3FastMeta(absPath);
  } catch { /* unreadable here: GDAL says what it makes of it */ }
  return undefined;
}
