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
    '`geodvc geo check --deep FILE` lists every bad block; --no-verify skips this check (readers of the output would then fail or read zeros)';
}

/** Throws InvalidFileError for the first input GDAL cannot fully decode. */
export async function verifyDecodable(inputs: VerifyInput[], opts: VerifyOptions = {}): Promise<VerifySummary> {
  if (!inputs.length) return { files: 0, blocks: 0 };
  const what = opts.what ?? 'the output';
  if (engineKind({ load: true }) !== 'native') return verifyWithOwnDecoder(inputs, what, opts);
  const jobs = Math.max(1, opts.jobs ?? availableParallelism());
  const budgetBytes = decodeBudgetBytes();
  const tasks: { input: VerifyInput; spec: VerifySpec }[] = [];
  for (const input of inputs) {
    let size = 0;
    try { size = statSync(input.path).size; } catch { size = 0; }
    const parts = size > SPLIT_BYTES ? jobs : 1;
    for (let part = 0; part < parts; part++) tasks.push({ input, spec: { input: input.path, part, parts, budgetBytes } });
  }
  const progress = throttledProgress(opts.onProgress);
  const fractions = new Array<number>(tasks.length).fill(0);
  const report = (item?: string) => progress({ phase: 'verifying', done: Math.floor(fractions.reduce((a, b) => a + b, 0) * 1000) / 1000, total: tasks.length, item });
  const runner = new NativeRunner(opts.signal);
  let blocks = 0;
  try {
    await mapLimit(tasks, jobs, async ({ input, spec }, i) => {
      const name = input.name ?? input.path;
      let r: VerifyResult;
      try {
        r = await runner.run({ op: 'verify', spec }, `decode check of ${name}`, (f) => { fractions[i] = f; report(name); });
      } catch (err) {
        if (err instanceof InterruptedError || !(err instanceof NativeGdalError)) throw err;
        throw new InvalidFileError(`${name}: GDAL cannot open it: ${String(err.details?.gdal ?? err.message)}`, { cause: err, hint: verifyHint(what) });
      }
      fractions[i] = 1;
      blocks += r.blocks;
      if (r.failure) {
        const f = r.failure;
        const msg = f.overBudget !== undefined
          ? `${name}: ${describeFailure(f)} is not decoded: ${f.message}`
          : `${name}: GDAL cannot decode ${describeFailure(f)}: ${f.message}`;
        throw new InvalidFileError(msg, {
          hint: f.overBudget !== undefined ? 'a crafted or unusual block layout; raise GEODVC_DECODE_BUDGET (e.g. 4GiB) if the file is trusted, or re-tile it (gdal_translate -co TILED=YES)' : verifyHint(what),
          details: { file: name, ...f },
        });
      }
      report(name);
    }, opts.signal);
  } finally {
    await runner.close();
  }
  progress({ phase: 'verifying', done: tasks.length, total: tasks.length, finished: true });
  return { files: inputs.length, blocks };
}

/**
 * Without native GDAL: `geo check --deep`'s decode of every block of the TIFFs (VRTs: their
 * sources exist); other formats are left to the engine that reads them.
 */
async function verifyWithOwnDecoder(inputs: VerifyInput[], what: string, opts: VerifyOptions): Promise<VerifySummary> {
  const { checkRaster } = await import('../raster/check.js');
  const { sniffRaster } = await import('../raster/info.js');
  let blocks = 0;
  for (const input of inputs) {
    opts.signal?.throwIfAborted();
    let kind: string | undefined;
    try { kind = sniffRaster(input.path); } catch { kind = undefined; }
    if (kind !== 'tiff' && kind !== 'vrt') continue;
    const name = input.name ?? input.path;
    const r = await checkRaster(input.path, { deep: true, signal: opts.signal });
    if (opts.signal?.aborted) throw new InterruptedError();
    blocks += r.blocksDecoded ?? 0;
    const p = r.problems.find((x) => x.severity === 'error');
    if (p) throw new InvalidFileError(`${name}: ${p.structure}: ${p.message}`, { hint: verifyHint(what), details: { file: name, problem: p } });
  }
  return { files: inputs.length, blocks };
}
