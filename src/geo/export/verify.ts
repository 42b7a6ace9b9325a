/**
 * Decode check of rasters before `geo vrt` and `geo stac` publish them: a raster whose header is
 * fine but whose pixels GDAL cannot decode (a corrupt tile or strip, a truncated file, a block
 * over the decode budget) fails the command with an error naming the file, the band and the
 * tile/strip, before anything is written. With native GDAL the check is GDAL's own checksum of
 * every block (`gdalinfo -checksum`'s verdict), run in the native runner child (killed on
 * Ctrl-C), files and ranges of block rows of big files in parallel; without it, `geo check
 * --deep`'s decode of every block. Opt out (`--no-verify`) for huge inputs already checked.
 */
import { availableParallelism } from 'node:os';
import { statSync } from 'node:fs';
import { InterruptedError, InvalidFileError } from '../../lib/errors.js';
import { mapLimit } from '../../lib/pool.js';
import { throttledProgress, type OpContext } from '../../lib/progress.js';
import { engineKind } from '../engine/native.js';
import { NativeRunner, NativeGdalError } from '../engine/runner.js';
import { decodeBudgetBytes } from '../raster/budget.js';
import type { VerifyFailure, VerifyResult, VerifySpec } from './verify-task.js';

export interface VerifyInput {
  /** The file GDAL reads. */
  path: string;
  /** How the user knows it (shown in errors); default `path`. */
  name?: string;
}

export interface VerifyOptions extends OpContext {
  /** Tasks in flight (default: the machine's cores). */
  jobs?: number;
  /** What is being written, for the hint ("the VRT", "the STAC catalog"). */
  what?: string;
}

export interface VerifySummary { files: number; blocks: number }

/** Files bigger than this are split into ranges of block rows checked in parallel. */
const SPLIT_BYTES = 8 * 1024 * 1024;

/** "band 2 tile (3, 1) (pixels 768..1023 x 256..511)" from a failure. */
export function describeFailure(f: VerifyFailure): string {
  const band = f.band === 0 ? 'the mask band' : `band ${f.band}`;
  const level = `${f.level ? ` of overview ${f.level}` : ''}${f.subdataset ? ` of ${f.subdataset.replace(/^[A-Z0-9]+:"[^"]*":?/, '') || f.subdataset}` : ''}`;
  const x0 = f.blockX * f.blockW, y0 = f.blockY * f.blockH;
  const single = f.blockX === 0 && f.blockY === 0 && f.whole;
  const block = single ? 'its only block' : f.strips ? `strip ${f.blockY}` : `tile (${f.blockX}, ${f.blockY}) (column, row)`;
  const x1 = Math.min(x0 + f.blockW, f.width ?? Infinity) - 1, y1 = Math.min(y0 + f.blockH, f.height ?? Infinity) - 1;
  return `${band}${level}, ${block} (pixels x ${x0}..${x1}, y ${y0}..${y1})`;
}

function verifyHint(what: string): string {
  return `the file is corrupt or truncated (nothing was written for ${what}): fetch or re-create it, or leave it out; ` +
    '`geodvc geo check FILE` names the first bad block of every file; --no-verify skips this check (readers of the output would then fail or read zeros)';
}

/** The decode check of one input: GDAL's verdict on every block, or why it was not reached. */
export interface VerifyFileResult {
  input: VerifyInput;
  /** `input.name ?? input.path`. */
  name: string;
  /** Blocks GDAL decoded (over all bands, overviews and the mask). */
  blocks: number;
  /** The first block GDAL cannot decode (first by overview level, band, block row, block column). */
  failure?: VerifyFailure;
  /** GDAL's message when it cannot open the file at all. */
  openError?: string;
  /** The time limit (`deadline`) stopped the check of this file before it ended. */
  notReached?: boolean;
  /** The error `verifyDecodable` throws for this file (set when `failure` or `openError` is). */
  error?: InvalidFileError;
}

export interface VerifyEachOptions extends VerifyOptions {
  /** Epoch ms: work not finished by then is stopped and its files marked `notReached`. */
  deadline?: number;
  /** The caller knows native GDAL is installed (`engineKind()`): gdal-async is not loaded here to find out (~0.4 s of CPU). */
  native?: boolean;
}

export interface VerifyEachResult { files: VerifyFileResult[]; blocks: number; timedOut: boolean }

/** A runner that died under a task (GDAL crashed or was killed), not a file GDAL refuses. */
function runnerDied(err: unknown): boolean {
  return err instanceof NativeGdalError && /native GDAL process ended|did not start|runner closed/.test(err.message);
}

function failureOrder(f: VerifyFailure): number[] {
  return [f.subdataset ? 1 : 0, f.level, f.band === 0 ? Number.MAX_SAFE_INTEGER : f.band, f.blockY, f.blockX];
}
function firstFailure(a: VerifyFailure | undefined, b: VerifyFailure): VerifyFailure {
  if (!a) return b;
  const x = failureOrder(a), y = failureOrder(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? a : b;
  return a;
}

function fileError(r: VerifyFileResult, what: string, cause?: unknown): InvalidFileError {
  if (r.openError !== undefined) return new InvalidFileError(`${r.name}: GDAL cannot open it: ${r.openError}`, { cause, hint: verifyHint(what), details: { file: r.name } });
  const f = r.failure!;
  const msg = f.overBudget !== undefined
    ? `${r.name}: ${describeFailure(f)} is not decoded: ${f.message}`
    : `${r.name}: GDAL cannot decode ${describeFailure(f)}: ${f.message}`;
  return new InvalidFileError(msg, {
    hint: f.overBudget !== undefined ? 'a crafted or unusual block layout; raise GEODVC_DECODE_BUDGET (e.g. 4GiB) if the file is trusted, or re-tile it (gdal_translate -co TILED=YES)' : verifyHint(what),
    details: { file: r.name, ...f },
  });
}

/**
 * GDAL's checksum of every block of every input (native GDAL: in the runner child, files and
 * ranges of block rows in parallel; without it, the own decoder on TIFFs and VRTs). Every file is
 * checked and gets its own verdict (a bad file does not stop the others); a file found bad has its
 * remaining row ranges skipped. A runner killed under its tasks (GDAL crashed on some file) is
 * replaced and those tasks rerun one at a time, so the crash is pinned on the file that causes it.
 * Ctrl-C (`signal`) kills the child and throws InterruptedError.
 */
export async function verifyEach(inputs: VerifyInput[], opts: VerifyEachOptions = {}): Promise<VerifyEachResult> {
  const files: VerifyFileResult[] = inputs.map((input) => ({ input, name: input.name ?? input.path, blocks: 0 }));
  if (!inputs.length) return { files, blocks: 0, timedOut: false };
  const what = opts.what ?? 'the output';
  if (!opts.native && engineKind({ load: true }) !== 'native') return verifyEachWithOwnDecoder(files, what, opts);
  const jobs = Math.max(1, opts.jobs ?? availableParallelism());
  const budgetBytes = decodeBudgetBytes();
  const tasks: { file: VerifyFileResult; spec: VerifySpec }[] = [];
  for (const file of files) {
    let size = 0;
    try { size = statSync(file.input.path).size; } catch { size = 0; }
    // big files, and every file when there are fewer files than jobs (a small file on disk can
    // decode to a lot of pixels), are split into ranges of block rows
    const parts = size > SPLIT_BYTES || files.length < jobs ? jobs : 1;
    for (let part = 0; part < parts; part++) tasks.push({ file, spec: { input: file.input.path, part, parts, budgetBytes } });
  }
  const progress = throttledProgress(opts.onProgress);
  const fractions = new Array<number>(tasks.length).fill(0);
  const report = (item?: string) => progress({ phase: 'verifying', done: Math.floor(fractions.reduce((a, b) => a + b, 0) * 1000) / 1000, total: tasks.length, item });
  // the time limit kills the runner (its tasks end at once) without being a Ctrl-C
  const limit = new AbortController();
  const timer = opts.deadline !== undefined ? setTimeout(() => limit.abort(), Math.max(0, opts.deadline - Date.now())) : undefined;
  const signal = opts.signal ? AbortSignal.any([opts.signal, limit.signal]) : limit.signal;
  let runner = new NativeRunner(signal);
  let blocks = 0;
  const retry: number[] = [];
  const runTask = async (i: number, r: NativeRunner): Promise<'done' | 'died'> => {
    const { file, spec } = tasks[i]!;
    if (file.failure || file.openError !== undefined) { fractions[i] = 1; return 'done'; }
    if (limit.signal.aborted) { file.notReached = true; return 'done'; }
    let res: VerifyResult;
    try {
      res = await r.run({ op: 'verify', spec }, `decode check of ${file.name}`, (f) => { fractions[i] = f; report(file.name); });
    } catch (err) {
      if (opts.signal?.aborted) throw new InterruptedError();
      if (limit.signal.aborted) { file.notReached = true; return 'done'; }
      if (runnerDied(err)) return 'died';
      if (err instanceof InterruptedError || !(err instanceof NativeGdalError)) throw err;
      file.openError ??= String(err.details?.gdal ?? err.message);
      file.error ??= fileError(file, what, err);
      return 'done';
    }
    fractions[i] = 1;
    file.blocks += res.blocks;
    blocks += res.blocks;
    if (res.failure) file.failure = firstFailure(file.failure, res.failure);
    report(file.name);
    return 'done';
  };
  try {
    try {
      await mapLimit(tasks, jobs, async (_t, i) => { if (await runTask(i, runner) === 'died') retry.push(i); }, opts.signal);
    } catch (err) {
      if (opts.signal?.aborted) throw new InterruptedError();
      throw err;
    }
    // tasks under a runner that died: one at a time in a fresh runner; a task that kills it alone
    // is the file's fault
    for (const i of retry.sort((a, b) => a - b)) {
      opts.signal?.throwIfAborted();
      const file = tasks[i]!.file;
      await runner.close();
      runner = new NativeRunner(signal);
      // a runner that cannot start at all is the engine's fault, not the file's
      try { await runner.version(); } catch (e) {
        if (opts.signal?.aborted) throw new InterruptedError();
        if (limit.signal.aborted) { file.notReached = true; continue; }
        throw e;
      }
      if (await runTask(i, runner) === 'died' && !file.failure) {
        file.openError ??= 'the native GDAL process crashed reading it';
        file.error ??= fileError(file, what);
      }
    }
  } finally {
    if (timer) clearTimeout(timer);
    await runner.close();
  }
  if (opts.signal?.aborted) throw new InterruptedError();
  for (const f of files) if (f.failure && !f.error) f.error = fileError(f, what);
  progress({ phase: 'verifying', done: tasks.length, total: tasks.length, finished: true });
  return { files, blocks, timedOut: files.some((f) => f.notReached) };
}

/**
 * Throws InvalidFileError for the first input (in the order given) GDAL cannot fully decode,
 * after checking them all: its message names the others.
 */
export async function verifyDecodable(inputs: VerifyInput[], opts: VerifyOptions = {}): Promise<VerifySummary> {
  const r = await verifyEach(inputs, opts);
  const bad = r.files.filter((f) => f.error);
  if (bad.length) {
    const e = bad[0]!.error!;
    if (bad.length === 1) throw e;
    const others = bad.slice(1).map((f) => f.name);
    throw new InvalidFileError(`${e.message} (and ${others.length} more input(s) GDAL cannot decode: ${others.slice(0, 5).join(', ')}${others.length > 5 ? ', ...' : ''})`, {
      hint: e.hint, cause: e.cause, details: { ...e.details, otherFiles: others },
    });
  }
  return { files: inputs.length, blocks: r.blocks };
}

/**
 * Without native GDAL: `geo check`'s own decode of every block of the TIFFs (VRTs: their
 * sources exist); other formats are left to the engine that reads them.
 */
async function verifyEachWithOwnDecoder(files: VerifyFileResult[], what: string, opts: VerifyEachOptions): Promise<VerifyEachResult> {
  const { checkRaster } = await import('../raster/check.js');
  const { sniffRaster } = await import('../raster/info.js');
  let blocks = 0;
  for (const file of files) {
    opts.signal?.throwIfAborted();
    let kind: string | undefined;
    try { kind = sniffRaster(file.input.path); } catch { kind = undefined; }
    if (kind !== 'tiff' && kind !== 'vrt') continue;
    const r = await checkRaster(file.input.path, { deep: true, signal: opts.signal, deadline: opts.deadline });
    if (opts.signal?.aborted) throw new InterruptedError();
    file.blocks = r.blocksDecoded ?? 0;
    blocks += file.blocks;
    if (r.notReached) file.notReached = true;
    const p = r.problems.find((x) => x.severity === 'error');
    if (p) {
      file.openError = `${p.structure}: ${p.message}`;
      file.error = new InvalidFileError(`${file.name}: ${p.structure}: ${p.message}`, { hint: verifyHint(what), details: { file: file.name, problem: p } });
    }
  }
  return { files, blocks, timedOut: files.some((f) => f.notReached) };
}
