/**
 * Gridded sources (JPEG2000, NetCDF, HDF5, Zarr) as GDAL names: the subdataset syntax users know
 * (`NETCDF:"file.nc":var`, `HDF5:"file.h5"://grp/var`, `ZARR:"store.zarr":/var`) parsed into a
 * file and a variable, and built back from a file plus `--variable`. Pure: no GDAL loaded here.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { sniffFormat } from '../sniff.js';
import { UsageError } from '../../lib/errors.js';

export type GriddedFormat = 'jp2' | 'netcdf' | 'hdf5' | 'zarr';

export interface GriddedSource {
  /** Absolute path of the file (or Zarr directory). */
  file: string;
  format: GriddedFormat;
  /** Variable (full path for HDF5/NetCDF-4 groups, e.g. `/grp/var`; plain name at the root). */
  variable?: string;
}

const PREFIX: Record<string, GriddedFormat> = { NETCDF: 'netcdf', HDF5: 'hdf5', ZARR: 'zarr' };

/** Whether a directory is a Zarr store (v2 `.zgroup`/`.zarray`, v3 `zarr.json`). */
export function isZarrStore(absPath: string): boolean {
  try {
    if (!statSync(absPath).isDirectory()) return false;
  } catch { return false; }
  return ['.zgroup', '.zarray', 'zarr.json', '.zmetadata'].some((n) => existsSync(resolve(absPath, n)));
}

/** The gridded family of a file by content (a Zarr store by its metadata files), or undefined. */
export function griddedFormat(absPath: string): GriddedFormat | undefined {
  if (isZarrStore(absPath)) return 'zarr';
  let f;
  try { f = sniffFormat(absPath); } catch { return undefined; }
  // NetCDF-4 is HDF5 underneath: the name says which one the user means (GDAL's driver decides
  // when the file is opened)
  if (f === 'hdf5' && /\.(nc|nc4|cdf|netcdf)$/i.test(absPath)) return 'netcdf';
  return f === 'jp2' || f === 'netcdf' || f === 'hdf5' ? f : undefined;
}

/**
 * Parses `NETCDF:"file.nc":var`, `NETCDF:file.nc:var`, `HDF5:"file.h5"://path`, `ZARR:"dir":/var`
 * (case-insensitive prefix). Returns undefined for anything else (a plain path).
 */
export function parseSubdatasetName(name: string, cwd = process.cwd()): GriddedSource | undefined {
  const m = /^(NETCDF|HDF5|ZARR):(?:"([^"]+)"|([^:]+))(?::(.*))?$/i.exec(name);
  if (!m) return undefined;
  const format = PREFIX[m[1]!.toUpperCase()]!;
  const file = resolve(cwd, m[2] ?? m[3]!);
  let variable: string | undefined = m[4];
  if (variable !== undefined) {
    variable = variable.replace(/^\/+/, '/');
    if (format === 'netcdf' && variable.startsWith('/') && variable.lastIndexOf('/') === 0) variable = variable.slice(1);
    if (!variable || variable === '/') variable = undefined;
  }
  return { file, format, variable };
}

/** The GDAL (classic raster API) name of a variable: `NETCDF:"/abs/f.nc":var` and so on. */
export function subdatasetName(src: GriddedSource): string {
  if (!src.variable || src.format === 'jp2') return src.file;
  const v = src.variable;
  if (src.format === 'netcdf') return `NETCDF:"${src.file}":${v.replace(/^\/(?=[^/]*$)/, '')}`;
  if (src.format === 'hdf5') return `HDF5:"${src.file}"://${v.replace(/^\/+/, '')}`;
  return `ZARR:"${src.file}":/${v.replace(/^\/+/, '')}`;
}

/**
 * Resolves what the user named (a subdataset string, or a path plus `--variable`) to a source.
 * Throws a UsageError for a variable on a format without variables, or a path that is not gridded.
 */
export function resolveGriddedSource(input: string, opts: { variable?: string; cwd?: string } = {}): GriddedSource {
  const cwd = opts.cwd ?? process.cwd();
  const parsed = parseSubdatasetName(input, cwd);
  if (parsed) {
    if (opts.variable && parsed.variable && opts.variable.replace(/^\//, '') !== parsed.variable.replace(/^\//, '')) {
      throw new UsageError(`${input} already names variable ${parsed.variable}; --variable ${opts.variable} contradicts it`, { hint: 'give the variable once: either in the subdataset name or with --variable' });
    }
    if (!existsSync(parsed.file)) throw new UsageError(`${parsed.file} does not exist (from ${input})`, { hint: 'check the file name inside the subdataset name' });
    return { ...parsed, variable: parsed.variable ?? opts.variable };
  }
  const file = isAbsolute(input) ? input : resolve(cwd, input);
  const format = griddedFormat(file);
  if (!format) throw new UsageError(`${input} is not a JPEG2000, NetCDF, HDF5 or Zarr file`, { hint: 'variables (--variable) and time steps (--time) apply to gridded files only' });
  if (opts.variable && format === 'jp2') throw new UsageError(`${input} is a JPEG2000 image: it has no variables`, { hint: 'drop --variable (use --band to pick a band)' });
  return { file, format, variable: opts.variable };
}
