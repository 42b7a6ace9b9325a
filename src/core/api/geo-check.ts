/**
 * `geo check`: integrity walk over raster and vector files (workspace paths, directories, or the
 * whole repository by default). Files are checked one after another (each raster decode runs in
 * its own capped child process).
 */
import { existsSync, statSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import type { OpContext } from '../../lib/progress.js';
import { throttledProgress } from '../../lib/progress.js';
import { PathError, UsageError } from '../../lib/errors.js';
import { mapLimit } from '../../lib/pool.js';
import { checkRaster, type FileCheck } from '../../geo/raster/check.js';
import { checkVector } from '../../geo/vector/check.js';
import { sniffRaster } from '../../geo/raster/info.js';
import { sniffFormat } from '../../geo/sniff.js';
import { findRepoRoot } from '../repo/repo.js';
import { griddedFormat } from '../../geo/gridded/source.js';
import { isGeoData, listGeoFiles } from './geo-info.js';

export type { FileCheck, CheckProblem } from '../../geo/raster/check.js';

export interface GeoCheckOptions extends OpContext {
  cwd: string;
  targets: string[];
  deep?: boolean;
  /** Files checked at once (each raster decode is its own child process); default 2. */
  jobs?: number;
  /** Overall time limit in seconds (default 600, `DEFAULT_CHECK_TIMEOUT_S`): what is not reached by then is listed, not checked. */
  timeoutS?: number;
}

/** Default overall time limit of `geo check` (seconds). */
export const DEFAULT_CHECK_TIMEOUT_S = 600;

export interface GeoCheckResult {
  files: FileCheck[];
  failed: number;
  /** true when the time limit stopped the check: `notReached` and the files' `notReached` say what was left. */
  timedOut: boolean;
  timeoutS: number;
  /** Files not started before the time limit (relative paths). */
  notReached: string[];
}

export function collectTargets(cwd: string, targets: string[]): string[] {
  const roots = targets.length ? targets.map((t) => resolve(cwd, t)) : [findRepoRoot(cwd) ?? cwd];
  const files: string[] = [];
  for (const r of roots) {
    if (!existsSync(r)) throw new PathError('not-found', `${relative(cwd, r) || r} does not exist`, { hint: 'check the path' });
    if (statSync(r).isDirectory()) files.push(...listGeoFiles(r));
    else files.push(r);
  }
  return [...new Set(files)];
}

export async function checkFile(absPath: string, opts: { deep?: boolean; signal?: AbortSignal; deadline?: number } = {}): Promise<FileCheck> {
  let raster = false;
  try { raster = !!sniffRaster(absPath); } catch { /* handled by checkRaster */ }
  // JPEG2000, NetCDF, HDF5, Zarr: structure, GDAL open and a decode through native GDAL
  if (!raster && griddedFormat(absPath)) return (await import('../../geo/gridded/check.js')).checkGridded(absPath, { deep: opts.deep, signal: opts.signal, deadline: opts.deadline });
  if (raster || /\.(tiff?|vrt)$/i.test(absPath)) return checkRaster(absPath, { deep: opts.deep, signal: opts.signal, deadline: opts.deadline });
  // LAS/LAZ/COPC: header vs data, LAZ chunk table, COPC hierarchy, decode (src/geo/pointcloud)
  if (sniffSafe(absPath) === 'las' || /\.la[sz]$/i.test(absPath)) return (await import('../../geo/pointcloud/check.js')).checkPointCloud(absPath, { deep: opts.deep, signal: opts.signal });
  if (isGeoData(absPath)) return checkVector(absPath);
  return { file: absPath, kind: 'other', ok: true, problems: [] };
}

function sniffSafe(absPath: string): ReturnType<typeof sniffFormat> {
  try { return sniffFormat(absPath); } catch { return undefined; }
}

export async function geoCheck(opts: GeoCheckOptions): Promise<GeoCheckResult> {
  const timeoutS = opts.timeoutS ?? DEFAULT_CHECK_TIMEOUT_S;
  if (!(timeoutS > 0)) throw new UsageError(`--timeout must be a positive number of seconds, got ${timeoutS}`, { hint: 'e.g. --timeout 600' });
  const deadline = Date.now() + timeoutS * 1000;
  const files = collectTargets(opts.cwd, opts.targets);
  const progress = throttledProgress(opts.onProgress);
  let done = 0;
  const notReached: string[] = [];
  const rel = (f: string) => relative(opts.cwd, f).split(sep).join('/') || f;
  const out = await mapLimit(files, Math.max(1, opts.jobs ?? 2), async (f) => {
    if (Date.now() >= deadline) { notReached.push(rel(f)); return undefined; }
    const r = await checkFile(f, { deep: opts.deep, signal: opts.signal, deadline });
    progress({ phase: 'checking', done: ++done, total: files.length, item: f });
    return { ...r, file: rel(f) };
  }, opts.signal);
  progress({ phase: 'checking', done, total: files.length, finished: true });
  const checked = out.filter((r): r is FileCheck => r !== undefined);
  const timedOut = notReached.length > 0 || checked.some((r) => r.notReached !== undefined);
  return { files: checked, failed: checked.filter((r) => !r.ok).length, timedOut, timeoutS, notReached: notReached.sort() };
}
