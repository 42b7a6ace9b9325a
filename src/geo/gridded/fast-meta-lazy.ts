/**
 * Which GDAL-free header reader a gridded file calls for, and `add`'s way to run it: only the
 * reader the file's signature asks for is imported (importing all three costs ~25 ms of CPU, a
 * tenth of a small file's whole `add`). `fast-meta.ts` gives the same answer synchronously.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

export type GriddedSignature = 'jp2' | 'nc3' | 'hdf5';

/** The header reader a file's first bytes call for (undefined: none, unreadable, or GEODVC_GRIDDED_META=gdal). */
export function griddedSignature(absPath: string): GriddedSignature | undefined {
  if (process.env.GEODVC_GRIDDED_META === 'gdal') return undefined;
  try {
    const head = Buffer.alloc(12);
    const fd = openSync(absPath, 'r');
    let n = 0;
    try { n = readSync(fd, head, 0, 12, 0); } finally { closeSync(fd); }
    if ((n >= 12 && head.readUInt32BE(0) === 12 && head.toString('latin1', 4, 8) === 'jP  ') || (n >= 4 && head.readUInt32BE(0) === 0xff4fff51)) return 'jp2';
    if (n >= 4 && head.toString('latin1', 0, 3) === 'CDF' && [1, 2, 5].includes(head[3]!)) return 'nc3';
    if (n >= 8 && head.subarray(0, 8).equals(HDF5_SIGNATURE)) return 'hdf5';
  } catch { /* unreadable here: GDAL says what it makes of it */ }
  return undefined;
}

/** griddedFastMeta (fast-meta.ts), importing only the reader the file needs. */
export async function griddedFastMetaLazy(absPath: string): Promise<Record<string, unknown> | undefined> {
  const sig = griddedSignature(absPath);
  try {
    if (sig === 'jp2') return (await import('./jp2-meta.js')).jp2FastMeta(absPath);
    if (sig === 'nc3') return (await import('./nc3-meta.js')).nc3FastMeta(absPath);
    if (sig === 'hdf5') return (await import('./hdf5-meta.js')).hdf5FastMeta(absPath);
  } catch { /* the readers answer undefined for bad content; anything else: GDAL says */ }
  return undefined;
}
