/**
 * `geo check`: integrity walk over raster and vector files (workspace paths, directories, or the
 * whole repository by default). Two stages: the structure of each file (TIFF IFDs, tags and block
 * table, VRT XML and sources, JPEG2000 boxes, GDAL opening NetCDF/HDF5 variables; vectors and
 * point clouds completely), `jobs` files at a time; then, for the rasters whose structure is sound,
 * GDAL's checksum of every block of every band, overview and internal mask (every subdataset of
 * a container) through verifyEach (src/geo/export/verify.ts: the native runner child, files and
 * block-row ranges in parallel), each file getting its own verdict naming its first bad block.
 * `quick` decodes a sample of blocks instead (geodvc's own decoder, in a capped child); `deep` adds
 * geodvc's own decoder over every block (its decode-bomb guards) to GDAL's check. Without native
 * GDAL the own decoder reads every block (`quick`: a sample).
 */
import { existsSync, statSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import type { OpContext } from '../../lib/progress.js';
import { throttledProgress } from '../../lib/progress.js';
import { PathError, UsageError } from '../../lib/errors.js';
import { mapLimit } from '../../lib/pool.js';
import { checkRaster, type CheckProblem, type FileCheck } from '../../geo/raster/check.js';
import { describeFailure, verifyEach, type VerifyFileResult } from '../../geo/export/verify.js';
import { engineKind } from '../../geo/engine/native.js';
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
  /** Also decode every TIFF block with geodvc's own decoder (its decode-bomb guards), besides GDAL's check. */
  deep?: boolean;
  /** Decode a sample of blocks per image instead of every block (the check before issue 18). */
  quick?: boolean;
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

/** How pixels are checked: see FileCheck.decode. */
type DecodeMode = NonNullable<FileCheck['decode']>;

export interface CheckFileOptions { deep?: boolean; quick?: boolean; signal?: AbortSignal; deadline?: number }

function decodeMode(opts: { deep?: boolean; quick?: boolean }): DecodeMode {
  if (opts.deep && opts.quick) throw new UsageError('--deep and --quick exclude each other', { hint: 'drop one: --quick samples blocks, --deep adds geodvc\'s own decoder to GDAL\'s check of every block' });
  if (opts.quick) return 'sample';
  if (engineKind() !== 'native') return 'own';
  return opts.deep ? 'gdal+own' : 'gdal';
}

/** The structure of one file (and the own decoder's pass, per mode); GDAL's decode is the second stage. */
async function checkStructure(absPath: string, mode: DecodeMode, opts: CheckFileOptions): Promise<FileCheck> {
  let raster = false;
  try { raster = !!sniffRaster(absPath); } catch { /* handled by checkRaster */ }
  const { signal, deadline } = opts;
  // JPEG2000, NetCDF, HDF5, Zarr: structure, GDAL open (and with --quick a decode of sample windows)
  if (!raster && griddedFormat(absPath)) {
    const r = await (await import('../../geo/gridded/check.js')).checkGridded(absPath, { deep: false, decode: mode === 'sample', signal, deadline });
    return { ...r, decode: mode === 'sample' ? 'sample' : 'gdal' };
  }
  if (raster || /\.(tiff?|vrt)$/i.test(absPath)) {
    const own = mode === 'own' || mode === 'gdal+own';
    const r = await checkRaster(absPath, { deep: own, decode: mode !== 'gdal', signal, deadline });
    return { ...r, decode: mode };
  }
  // LAS/LAZ/COPC: header vs data, LAZ chunk table, COPC hierarchy, decode (src/geo/pointcloud)
  if (sniffSafe(absPath) === 'las' || /\.la[sz]$/i.test(absPath)) return (await import('../../geo/pointcloud/check.js')).checkPointCloud(absPath, { deep: opts.deep, signal });
  if (isGeoData(absPath)) return checkVector(absPath);
  return { file: absPath, kind: 'other', ok: true, problems: [] };
}

/** Whether GDAL's decode stage runs on a file after its structure check. */
function wantsGdalDecode(c: FileCheck, mode: DecodeMode): boolean {
  return (mode === 'gdal' || mode === 'gdal+own') && c.kind === 'raster' && c.ok && c.notReached === undefined;
}

/** GDAL's verdict on a file's pixels, as problems of its check. */
export function mergeVerdict(c: FileCheck, v: VerifyFileResult): FileCheck {
  const problems: CheckProblem[] = [...c.problems];
  if (v.notReached) {
    problems.push({ code: 'time-limit', structure: 'decoder', message: 'stopped by the time limit before GDAL decoded every block', severity: 'warning' });
    return { ...c, problems, notReached: 'pixels not decoded by GDAL (time limit)' };
  }
  if (v.openError !== undefined) {
    problems.push({ code: 'open-failed', structure: 'file', message: `GDAL cannot open it: ${v.openError}`, severity: 'error' });
  } else if (v.failure) {
    const f = v.failure;
    const x0 = f.blockX * f.blockW, y0 = f.blockY * f.blockH;
    const x1 = Math.min(x0 + f.blockW, f.width ?? Infinity) - 1, y1 = Math.min(y0 + f.blockH, f.height ?? Infinity) - 1;
    problems.push({
      code: f.overBudget !== undefined ? 'decode-budget' : 'decode-failed',
      structure: describeFailure(f),
      message: f.overBudget !== undefined ? `not decoded: ${f.message}` : `GDAL cannot decode it: ${f.message}`,
      severity: 'error',
      block: { band: f.band, overview: f.level, ...(f.subdataset ? { subdataset: f.subdataset } : {}), column: f.blockX, row: f.blockY, pixels: [x0, y0, x1, y1] },
    });
  }
  return { ...c, problems, ok: !problems.some((p) => p.severity === 'error'), blocksDecoded: v.blocks };
}

/**
 * One file: its structure, then (rasters, by default) GDAL's checksum of every block. A directory
 * or many files: `geoCheck`, which runs GDAL's stage on all of them in one runner.
 */
export async function checkFile(absPath: string, opts: CheckFileOptions = {}): Promise<FileCheck> {
  const mode = decodeMode(opts);
  const c = await checkStructure(absPath, mode, opts);
  if (!wantsGdalDecode(c, mode)) return c;
  const v = await verifyEach([{ path: absPath, name: c.file }], { jobs: 2, signal: opts.signal, deadline: opts.deadline, what: 'geo check', native: true });
  return mergeVerdict(c, v.files[0]!);
}

function sniffSafe(absPath: string): ReturnType<typeof sniffFormat> {
  try { return sniffFormat(absPath); } catch { return undefined; }
}

export async function geoCheck(opts: GeoCheckOptions): Promise<GeoCheckResult> {
  const timeoutS = opts.timeoutS ?? DEFAULT_CHECK_TIMEOUT_S;
  if (!(timeoutS > 0)) throw new UsageError(`--timeout must be a positive number of seconds, got ${timeoutS}`, { hint: 'e.g. --timeout 600' });
  const mode = decodeMode(opts);
  const deadline = Date.now() + timeoutS * 1000;
  const files = collectTargets(opts.cwd, opts.targets);
  const jobs = Math.max(1, opts.jobs ?? 2);
  const progress = throttledProgress(opts.onProgress);
  let done = 0;
  const notReached: string[] = [];
  const rel = (f: string) => relative(opts.cwd, f).split(sep).join('/') || f;
  const out = await mapLimit(files, jobs, async (f) => {
    if (Date.now() >= deadline) { notReached.push(rel(f)); return undefined; }
    const r = await checkStructure(f, mode, { deep: opts.deep, signal: opts.signal, deadline });
    progress({ phase: 'checking', done: ++done, total: files.length, item: f });
    return { abs: f, check: { ...r, file: rel(f) } };
  }, opts.signal);
  progress({ phase: 'checking', done, total: files.length, finished: true });
  const checked = out.filter((r): r is { abs: string; check: FileCheck } => r !== undefined);
  // GDAL's checksum of every block of the rasters whose structure is sound, all in one runner
  const decode = checked.filter((r) => wantsGdalDecode(r.check, mode));
  if (decode.length) {
    const v = await verifyEach(decode.map((r) => ({ path: r.abs, name: r.check.file })), { jobs, signal: opts.signal, deadline, onProgress: opts.onProgress, what: 'geo check', native: true });
    decode.forEach((r, i) => { r.check = mergeVerdict(r.check, v.files[i]!); });
  }
  const checks = checked.map((r) => r.check);
  const timedOut = notReached.length > 0 || checks.some((r) => r.notReached !== undefined);
  return { files: checks, failed: checks.filter((r) => !r.ok).length, timedOut, timeoutS, notReached: notReached.sort() };
}
