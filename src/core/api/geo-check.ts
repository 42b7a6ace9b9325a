/**
 * `geo check`: integrity walk over raster and vector files (workspace paths, directories, or the
 * whole repository by default). Files are checked one after another (each raster decode runs in
 * its own capped child process).
 */
import { existsSync, statSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import type { OpContext } from '../../lib/progress.js';
import { throttledProgress } from '../../lib/progress.js';
import { PathError } from '../../lib/errors.js';
import { mapLimit } from '../../lib/pool.js';
import { checkRaster, type FileCheck } from '../../geo/raster/check.js';
import { checkVector } from '../../geo/vector/check.js';
import { sniffRaster } from '../../geo/raster/info.js';
import { findRepoRoot } from '../repo/repo.js';
import { isGeoData, listGeoFiles } from './geo-info.js';

export type { FileCheck, CheckProblem } from '../../geo/raster/check.js';

export interface GeoCheckOptions extends OpContext {
  cwd: string;
  targets: string[];
  deep?: boolean;
  /** Files checked at once (each raster decode is its own child process); default 2. */
  jobs?: number;
}

export interface GeoCheckResult { files: FileCheck[]; failed: number }

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

export async function checkFile(absPath: string, opts: { deep?: boolean; signal?: AbortSignal } = {}): Promise<FileCheck> {
  let raster = false;
  try { raster = !!sniffRaster(absPath); } catch { /* handled by checkRaster */ }
  if (raster || /\.(tiff?|vrt)$/i.test(absPath)) return checkRaster(absPath, { deep: opts.deep, signal: opts.signal });
  if (isGeoData(absPath)) return checkVector(absPath);
  return { file: absPath, kind: 'other', ok: true, problems: [] };
}

export async function geoCheck(opts: GeoCheckOptions): Promise<GeoCheckResult> {
  const files = collectTargets(opts.cwd, opts.targets);
  const progress = throttledProgress(opts.onProgress);
  let done = 0;
  const out = await mapLimit(files, Math.max(1, opts.jobs ?? 2), async (f) => {
    const r = await checkFile(f, { deep: opts.deep, signal: opts.signal });
    progress({ phase: 'checking', done: ++done, total: files.length, item: f });
    return { ...r, file: relative(opts.cwd, f).split(sep).join('/') || f };
  }, opts.signal);
  progress({ phase: 'checking', done, total: files.length, finished: true });
  return { files: out, failed: out.filter((r) => !r.ok).length };
}
