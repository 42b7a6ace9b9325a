/**
 * Shared settings for the fuzz tier (test/fuzz/*.test.ts, fast-check). FUZZ_RUNS (default 10000 when CI=true, 2000 otherwise)
 * sets the cases per parser; FUZZ_SEED replays a failure (fast-check prints the seed and path).
 * Under CI=true the seed is fixed (CI_FUZZ_SEED) so a landing is reproducible; locally every run
 * draws a new seed, which is how new crashes are found (FUZZ_SEED=random forces that in CI too).
 * A parser passes when every input either parses or throws a typed AppError: any other exception
 * (TypeError, RangeError, a foreign error) is a crash, and each call must finish within MAX_MS of
 * this process's CPU time (a pathological input burns CPU; wall time would also count the time the
 * machine gave to other jobs, e.g. the other test files running beside this one). A hang that burns
 * no CPU is caught by the test's own timeout.
 */
import fc from 'fast-check';
import { AppError } from '../../src/lib/errors.js';

export const RUNS = Number(process.env.FUZZ_RUNS ?? (process.env.CI === 'true' ? 10_000 : 2_000));
const CI_FUZZ_SEED = 20261128;
export const SEED = process.env.FUZZ_SEED === 'random' ? undefined
  : process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED)
  : process.env.CI === 'true' ? CI_FUZZ_SEED : undefined;
export const MAX_MS = Number(process.env.FUZZ_MAX_MS ?? 2000);

export function params(runs = RUNS): fc.Parameters<unknown> {
  return { numRuns: runs, ...(SEED !== undefined ? { seed: SEED } : {}), endOnFailure: true };
}

/** Throws when the CPU time (user + system) since `c0` is over MAX_MS. */
function overBudget(c0: NodeJS.CpuUsage, where: string): void {
  const d = process.cpuUsage(c0);
  const ms = (d.user + d.system) / 1000;
  if (ms > MAX_MS) throw new Error(`${where} took ${ms.toFixed(0)} ms of CPU (> ${MAX_MS} ms)`);
}

/** Calls fn; returns its value or undefined when it threw an AppError; rethrows anything else. */
export function tolerate<T>(fn: () => T, where = 'parser'): T | undefined {
  const c0 = process.cpuUsage();
  try {
    return fn();
  } catch (err) {
    if (err instanceof AppError) return undefined;
    const e = err as Error;
    throw new Error(`${where} threw a non-AppError ${e?.constructor?.name}: ${e?.message}`, { cause: err });
  } finally {
    overBudget(c0, where);
  }
}

export async function tolerateAsync<T>(fn: () => Promise<T>, where = 'parser'): Promise<T | undefined> {
  const c0 = process.cpuUsage();
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AppError) return undefined;
    const e = err as Error;
    throw new Error(`${where} threw a non-AppError ${e?.constructor?.name}: ${e?.message}`, { cause: err });
  } finally {
    overBudget(c0, where);
  }
}

/** Path-ish strings that exercise every escape form. */
export const nastySegment = fc.constantFrom('..', '.', '', '/', '\\', 'C:', 'c:\\', '\u0000', '\n', '~', '%2e%2e', '..\\..', 'a', 'b.tif', 'ü', '😀', ' ', '*', '$HOME', '${x}', '&a', '*a', ':', '#', '- ', '"', "'");
export const nastyPath = fc.oneof(
  fc.array(nastySegment, { minLength: 0, maxLength: 6 }).map((s) => s.join('/')),
  fc.array(nastySegment, { minLength: 1, maxLength: 4 }).map((s) => '/' + s.join('/')),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('../../outside', '/etc/passwd', 'a/../../b', 'C:\\Windows', '\\\\server\\share', 'a\u0000b', 'data/../..', 'ok/file.tif'),
);

/** Random edits of a seed text: insertions, deletions, duplications, truncation. */
export function mutated(seeds: string[]): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 20 }), fc.oneof(fc.string({ maxLength: 12 }), nastyPath, fc.constantFrom(': ', '- ', '\n', '  ', '&a ', '*a', '[', '{', '!!binary ', '<<: *a', '"', '\t')), fc.nat({ max: 3 })), { maxLength: 6 }))
    .map(([seed, edits]) => {
      let s = seed;
      for (const [pos, len, ins, op] of edits) {
        const p = s.length ? pos % (s.length + 1) : 0;
        if (op === 0) s = s.slice(0, p) + ins + s.slice(p);
        else if (op === 1) s = s.slice(0, p) + s.slice(p + len);
        else if (op === 2) s = s.slice(0, p) + s.slice(p, p + len).repeat(3) + s.slice(p + len);
        else s = s.slice(0, p);
      }
      return s;
    });
}

/** Random bytes edits of a binary seed. */
export function mutatedBytes(seeds: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.nat({ max: seeds.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat({ max: 4 })), { minLength: 1, maxLength: 12 }))
    .map(([i, edits]) => {
      let b = Buffer.from(seeds[i]!);
      for (const [pos, val, op] of edits) {
        const p = b.length ? pos % b.length : 0;
        if (op <= 1 && b.length) b[p] = val;               // flip a byte
        else if (op === 2 && b.length >= 4) b.writeUInt32LE((val * 0x01010101) >>> 0, Math.min(p, b.length - 4)); // smash a 32-bit field
        else if (op === 3) b = b.subarray(0, p);            // truncate
        else b = Buffer.concat([b.subarray(0, p), Buffer.from([val, val, val, val]), b.subarray(p)]);
      }
      return b;
    });
}

function report(d: fc.RunDetails<unknown>): void {
  if (!d.failed) return;
  const err = d.errorInstance as Error | undefined;
  const shown = (() => { try { return fc.stringify(d.counterexample).slice(0, 400); } catch { return '?'; } })();
  const cause = (err?.cause as Error | undefined);
  throw new Error(`property failed after ${d.numRuns} runs (FUZZ_SEED=${d.seed}, path ${d.counterexamplePath}): ${err?.message ?? err}${cause ? `\ncaused by: ${cause.stack?.split('\n').slice(0, 4).join('\n')}` : ''}\ncounterexample (truncated): ${shown}`);
}

/** fc.assert with a short report: the error, its cause and a truncated counterexample. */
export function check<T>(prop: fc.IProperty<T>, p: fc.Parameters<T> = params() as fc.Parameters<T>): void {
  report(fc.check(prop, p) as fc.RunDetails<unknown>);
}
export async function checkAsync<T>(prop: fc.IAsyncProperty<T>, p: fc.Parameters<T> = params() as fc.Parameters<T>): Promise<void> {
  report(await fc.check(prop, p) as fc.RunDetails<unknown>);
}
