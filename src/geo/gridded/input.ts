/**
 * Input resolution for the raster ops (`geo chip`, `geo reproject`): a gridded source (a JPEG2000
 * file, a NetCDF/HDF5/Zarr variable named as `NETCDF:"f.nc":var` or by `--variable`, optionally one
 * time step by `--time INDEX`) becomes a temporary GeoTIFF written by native GDAL
 * (`gdal_translate SUBDATASET [-b N]` in the runner child), which the ops read like any GeoTIFF.
 * The pixels, geotransform and CRS are GDAL's for that subdataset, so the op's result equals the
 * GDAL utility run on the subdataset itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { UsageError, InvalidFileError } from '../../lib/errors.js';
import { NativeGdalError, NativeRunner } from '../engine/runner.js';
import { readGriddedInfo, type GriddedInfo } from './info.js';
import { griddedFormat, parseSubdatasetName, resolveGriddedSource, subdatasetName } from './source.js';

export interface GriddedInputOptions {
  variable?: string;
  /** 0-based index along the variable's time dimension. */
  time?: number;
  /** 1-based band of the variable's raster view (instead of --time). */
  band?: number;
  cwd?: string;
  signal?: AbortSignal;
}

export interface ResolvedGriddedInput {
  /** The temporary GeoTIFF the op reads. */
  file: string;
  /** The GDAL dataset name it was made from (subdataset syntax for variables). */
  source: string;
  variable?: string;
  /** Band of the source written (undefined: all bands). */
  band?: number;
  /** Time value of that band (ISO 8601 for CF time), when --time picked it. */
  time?: string;
  /** Removes the temporary file. */
  cleanup(): void;
}

/** Whether the op's input needs resolving here (a gridded file or a subdataset name, or gridded options given). */
export function isGriddedInput(input: string, opts: { variable?: string; time?: unknown; band?: unknown; cwd?: string } = {}): boolean {
  if (opts.variable !== undefined || opts.time !== undefined || opts.band !== undefined) return true;
  if (parseSubdatasetName(input, opts.cwd)) return true;
  return !!griddedFormat(resolve(opts.cwd ?? process.cwd(), input));
}

/** The band of `info`'s raster holding time index `t` (NETCDF_DIM_<time> metadata per band). */
function bandOfTime(info: GriddedInfo, t: number, label: string): { band: number; time: string } {
  const v = info.variables.find((x) => x.name.replace(/^\//, '') === info.variable?.replace(/^\//, ''));
  const tdim = v?.dims.find((d) => d.type === 'TEMPORAL' || /^time$/i.test(d.name));
  if (!tdim) throw new UsageError(`${label} has no time dimension`, { hint: 'drop --time, or pick bands with --band' });
  if (!Number.isInteger(t) || t < 0 || t >= tdim.size) throw new UsageError(`--time ${t} is outside ${tdim.name} (0..${tdim.size - 1})`, { hint: `${label} has ${tdim.size} time step(s)` });
  const value = tdim.values?.[t];
  const bands = info.bandDims ?? [];
  const matches = value === undefined ? [] : bands.flatMap((d, i) => (d[tdim.name] !== undefined && Number(d[tdim.name]) === value ? [i + 1] : []));
  if (matches.length === 1) return { band: matches[0]!, time: tdim.times?.[t] ?? String(value) };
  if (matches.length > 1) throw new UsageError(`${label}: time step ${t} spans ${matches.length} bands (other dimensions besides time)`, { hint: `pick one band with --band (bands ${matches.join(', ')})` });
  // a variable whose only extra dimension is time: band k+1 is time k
  if (info.bands && info.bands.length === tdim.size) return { band: t + 1, time: tdim.times?.[t] ?? String(value ?? t) };
  throw new UsageError(`${label}: cannot find the band of time step ${t}`, { hint: 'pick the band with --band' });
}

/**
 * Writes the selected variable/time step/band to a temporary GeoTIFF. Throws a UsageError naming
 * the variables when a multidimensional file is given without one.
 */
export async function resolveGriddedInput(input: string, opts: GriddedInputOptions = {}): Promise<ResolvedGriddedInput> {
  const src = resolveGriddedSource(input, { variable: opts.variable, cwd: opts.cwd });
  const info = readGriddedInfo(src.variable ? subdatasetName(src) : src.file, src.variable ? {} : { variable: undefined });
  let variable = src.variable ?? info.variable;
  const grids = info.rasters.filter((r) => r.subdataset);
  if (!variable && !(info.bands?.length)) {
    if (grids.length === 1) variable = grids[0]!.variable;
    else {
      throw new UsageError(`${basename(src.file)} holds ${grids.length} variables: name the one to use`, {
        hint: `--variable ${grids[0]?.variable ?? 'NAME'} (variables: ${grids.map((g) => g.variable).join(', ') || 'none GDAL reads as a raster'}), or NETCDF:"file":var`,
      });
    }
  }
  const name = variable ? subdatasetName({ ...src, variable }) : src.file;
  const vinfo = variable && !src.variable ? readGriddedInfo(name) : info;
  if (!vinfo.bands?.length) throw new InvalidFileError(`${name}: GDAL reads no raster band from it`, { hint: 'pick a 2-D (or more) variable' });
  const label = variable ? `${basename(src.file)}:${variable}` : basename(src.file);
  let band = opts.band;
  let time: string | undefined;
  if (opts.time !== undefined) {
    if (band !== undefined) throw new UsageError('--time and --band both pick a band', { hint: 'give one of them' });
    ({ band, time } = bandOfTime({ ...vinfo, variable: variable ?? vinfo.variable }, opts.time, label));
  }
  if (band !== undefined && (!Number.isInteger(band) || band < 1 || band > vinfo.bands.length)) {
    throw new UsageError(`--band ${band} is outside 1..${vinfo.bands.length}`, { hint: `${label} has ${vinfo.bands.length} band(s)` });
  }
  const stem = basename(src.file).replace(/\.[^.]*$/, '');
  const safeVar = variable ? `_${variable.replace(/^\/+/, '').replace(/[^A-Za-z0-9._-]+/g, '-')}` : '';
  const suffix = opts.time !== undefined ? `_t${opts.time}` : band !== undefined ? `_b${band}` : '';
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-gridded-'));
  const file = join(dir, `${stem}${safeVar}${suffix}.tif`);
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  const runner = new NativeRunner(opts.signal);
  try {
    const args = ['-of', 'GTiff', '-co', 'TILED=YES', '-co', 'BIGTIFF=IF_SAFER', ...(band !== undefined ? ['-b', String(band)] : [])];
    await runner.run({ op: 'translate', input: name, output: file, args }, `gdal_translate ${label}`);
  } catch (e) {
    await runner.close();
    cleanup();
    if (e instanceof NativeGdalError) {
      throw new InvalidFileError(`${label}: GDAL cannot read the pixels: ${String(e.details?.gdal ?? e.message)}`, { hint: 'the file may be truncated or corrupt: run `geodvc geo check` on it', cause: e });
    }
    throw e;
  }
  await runner.close();
  return { file, source: name, variable, band, time, cleanup };
}
