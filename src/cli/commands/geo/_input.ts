/** Input handling shared by `geo chip` and `geo reproject` (not a command: the `_` prefix). */
import { relative, resolve, sep } from 'node:path';
import { UsageError } from '../../../lib/errors.js';

/** A path as DVC prints it: relative to where the user is, with forward slashes (issue 20). */
export function shownPath(cwd: string, p: string): string {
  return relative(cwd, resolve(cwd, p)).split(sep).join('/') || '.';
}

/** A gridded --input (JPEG2000, NETCDF:"f.nc":var, --variable/--time) resolved to a temporary GeoTIFF, else undefined. */
export async function resolveGridded(ctx: { cwd: string; signal: AbortSignal }, opts: Record<string, any>) {
  const gi = await import('../../../core/api/geo-ops.js');
  if ((opts.rev || opts.remote) && (opts.variable !== undefined || opts.time !== undefined)) throw new UsageError('--variable/--time apply to workspace inputs', { hint: 'drop --rev/--remote, or pull the file first' });
  if (!(await gi.isGriddedInput(opts.input, { variable: opts.variable, time: opts.time, cwd: ctx.cwd }))) return undefined;
  const time = opts.time === undefined ? undefined : Number(opts.time);
  if (time !== undefined && !Number.isInteger(time)) throw new UsageError(`--time must be a 0-based integer index, got ${opts.time}`, { hint: '--time 0' });
  return gi.resolveGriddedInput(opts.input, { variable: opts.variable, time, cwd: ctx.cwd, signal: ctx.signal });
}
