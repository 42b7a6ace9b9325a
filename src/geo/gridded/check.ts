/**
 * `geo check` for gridded files (JPEG2000, NetCDF, HDF5, Zarr): the structure (JPEG2000 boxes and
 * codestream end, see jp2-boxes.ts), whether GDAL opens the file and each of its variables, then a
 * decode of the first and last rows of every raster (every row with `deep`) in the native GDAL
 * runner child (killed on Ctrl-C). `geo check` by default skips that decode (`decode: false`) and
 * has GDAL checksum every block of every subdataset instead (verifyEach, src/geo/export/verify.ts). Each problem names the structure; a file GDAL cannot open fails
 * with GDAL's message.
 */
import type { CheckProblem, FileCheck } from '../raster/check.js';
import { NativeRunner } from '../engine/runner.js';
import { nativeInstalled } from '../engine/native.js';
import { InterruptedError } from '../../lib/errors.js';
import { readGriddedInfo, type GriddedInfo, type GriddedRaster } from './info.js';
import { walkJp2 } from './jp2-boxes.js';
import { griddedFormat } from './source.js';

/** Bytes decoded per window task (deep checks walk the raster in strips of about this size). */
const STRIP_BYTES = 64 * 1024 * 1024;
/** Columns decoded per window in a sampled (not deep) check. */
const SAMPLE_COLS = 4096;

let shared: { runner: NativeRunner; signal?: AbortSignal } | undefined;
let inFlight = 0;
let idleTimer: NodeJS.Timeout | undefined;

/**
 * One runner child for all files of a `geo check` (starting one costs a GDAL load); it is closed
 * when no gridded check has started for a short while (its pipes would keep the process alive).
 */
function sharedRunner(signal?: AbortSignal): NativeRunner {
  if (idleTimer) { clearTimeout(idleTimer); idleTimer = undefined; }
  if (!shared || shared.signal !== signal) {
    const old = shared?.runner;
    if (old) void old.close();
    shared = { runner: new NativeRunner(signal), signal };
  }
  return shared.runner;
}

function releaseRunner(): void {
  if (--inFlight > 0) return;
  idleTimer = setTimeout(() => {
    const s = shared;
    shared = undefined;
    idleTimer = undefined;
    if (s) void s.runner.close();
  }, 50);
}

export interface GriddedCheckOptions {
  deep?: boolean;
  /** Decode the sample windows (every row with `deep`); default true. `geo check` turns it off when GDAL's checksum of every block runs instead (src/core/api/geo-check.ts). */
  decode?: boolean;
  signal?: AbortSignal;
  deadline?: number;
}

function windowsOf(r: GriddedRaster, deep: boolean): [number, number, number, number][] {
  const [w, h] = r.size;
  if (!w || !h) return [];
  const bands = Math.max(1, r.bands.length);
  if (deep) {
    const rows = Math.max(1, Math.floor(STRIP_BYTES / (w * bands * 8)));
    const out: [number, number, number, number][] = [];
    for (let y = 0; y < h; y += rows) out.push([0, y, w, Math.min(rows, h - y)]);
    return out;
  }
  const bh = Math.max(1, Math.min(h, r.bands[0]?.block[1] ?? 1, Math.max(1, Math.floor(STRIP_BYTES / (Math.min(w, SAMPLE_COLS) * bands * 8)))));
  const cols = Math.min(w, SAMPLE_COLS);
  const first: [number, number, number, number] = [0, 0, cols, bh];
  const last: [number, number, number, number] = [w - cols, h - bh, cols, bh];
  return first[1] === last[1] && first[0] === last[0] ? [first] : [first, last];
}

export async function checkGridded(absPath: string, opts: GriddedCheckOptions = {}): Promise<FileCheck> {
  const format = griddedFormat(absPath);
  const res: FileCheck = { file: absPath, kind: 'raster', format: format ?? 'unknown', ok: true, problems: [] };
  const problems: CheckProblem[] = res.problems;
  if (format === 'jp2') {
    try {
      const s = walkJp2(absPath);
      for (const p of s.problems) problems.push({ code: 'jp2-structure', structure: p.structure, offset: p.offset, message: p.message, severity: 'error' });
    } catch (e) {
      problems.push({ code: 'unreadable', structure: 'file', message: (e as Error).message, severity: 'error' });
    }
  }
  if (!nativeInstalled()) {
    problems.push({ code: 'no-native-gdal', structure: 'engine', message: 'native GDAL (gdal-async) is not installed: the file could not be opened', severity: 'error' });
    res.ok = false;
    return res;
  }
  let info: GriddedInfo;
  try { info = readGriddedInfo(absPath); } catch (e) {
    problems.push({ code: 'open-failed', structure: 'header', offset: 0, message: (e as Error).message, severity: 'error' });
    res.ok = false;
    return res;
  }
  // (JPEG2000: the box walk's findings are already listed above)
  for (const w of format === 'jp2' ? [] : info.warnings) problems.push({ code: 'gdal-warning', structure: 'variables', message: w, severity: w.includes('more subdatasets') ? 'warning' : 'error' });
  // decode: the file's own raster, else each subdataset
  const rasters = opts.decode === false ? [] : info.rasters.filter((r) => r.subdataset || info.rasters.length === 1 || !info.subdatasets.length);
  if (!rasters.length) { res.ok = !problems.some((p) => p.severity === 'error'); return res; }
  const seen = new Set<string>();
  inFlight++;
  const runner = sharedRunner(opts.signal);
  let windowsTotal = 0, windowsDone = 0;
  try {
    for (const r of rasters) {
      const name = r.subdataset ?? absPath;
      if (seen.has(name)) continue;
      seen.add(name);
      const label = r.variable ? `variable ${r.variable}` : 'raster';
      for (const [x, y, w, h] of windowsOf(r, !!opts.deep)) {
        windowsTotal++;
        if (opts.deadline !== undefined && Date.now() >= opts.deadline) { res.notReached = `${windowsTotal - windowsDone} window(s) not decoded`; continue; }
        try {
          await runner.run({ op: 'translate', input: name, output: '', args: ['-of', 'MEM', '-srcwin', String(x), String(y), String(w), String(h)] }, `decode ${label}`);
          windowsDone++;
        } catch (e) {
          if (e instanceof InterruptedError) throw e;
          // GDAL crashed on this file: the next file gets a new child
          if (/native GDAL process ended|did not start/.test((e as Error).message) && shared?.runner === runner) shared = undefined;
          const msg = String((e as { details?: { gdal?: string } }).details?.gdal ?? (e as Error).message);
          problems.push({ code: 'decode-failed', structure: `${label} rows ${y}..${y + h - 1}`, message: `GDAL cannot decode the pixels: ${msg}`, severity: 'error' });
          break;
        }
      }
    }
  } finally { releaseRunner(); }
  res.blocksTotal = windowsTotal;
  res.blocksDecoded = windowsDone;
  res.decode = opts.deep ? 'gdal' : 'sample';
  res.ok = !problems.some((p) => p.severity === 'error');
  return res;
}
