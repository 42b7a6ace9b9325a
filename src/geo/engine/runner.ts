/**
 * Native GDAL utilities (warp, translate, rasterize, vector translate, buildVRT) in a child
 * process that holds gdal-async. Why a child: gdal-async's progress callback cannot cancel a
 * running utility, and a native call in flight keeps a Node process alive until it returns. On
 * abort the child is killed (SIGKILL), every pending task rejects with InterruptedError, and the
 * caller removes its temp directory after the child is gone, so nothing half-written remains and
 * nothing is recreated behind the cleanup.
 *
 * Tasks sent together run concurrently in the child (gdal-async's *Async calls, libuv's thread
 * pool); GDAL itself uses all cores for each warp (-multi, NUM_THREADS=ALL_CPUS).
 *
 * The child is an ordinary module (`runner-child.ts`, started through `childModuleArgs`: the
 * compiled `.js` from dist/, the `.ts` through tsx from sources). It exits when its parent goes
 * away (IPC disconnect).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { AppError, InterruptedError } from '../../lib/errors.js';
import { childModuleArgs } from '../../lib/worker.js';
import { nativeGdalEntry } from './native.js';
import type { NativeRasterInfo, WarpGrid } from './info.js';
import type { ChipTaskSpec } from '../ops/chip/native-task.js';
import type { VerifySpec } from '../export/verify-task.js';

export type NativeTask =
  | { op: 'warp'; inputs: string[]; output: string; args: string[] }
  | { op: 'translate'; input: string; output: string; args: string[] }
  | { op: 'rasterize'; input: string; output: string; args: string[] }
  | { op: 'vectorTranslate'; input: string; output: string; args: string[] }
  | { op: 'buildVRT'; inputs: string[]; output: string; args: string[] }
  | { op: 'facts'; input: string }
  | { op: 'suggest'; input: string; crs: string }
  | { op: 'chip'; spec: ChipTaskSpec }
  | { op: 'verify'; spec: VerifySpec };

export class NativeGdalError extends AppError {
  constructor(message: string, opts: { hint?: string; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super('gdal-error', message, 1, { hint: opts.hint ?? 'check the input file and options; rerun with -v for GDAL\'s messages', ...opts });
  }
}

/** A task sent to the runner child. */
export interface RunnerRequest { id: number; task: NativeTask }
/** What the runner child sends back (`runner-child.ts`). */
export type RunnerMessage =
  | { ready: true; version: string }
  | { id: number; progress: number }
  | { id: number; ok: true; result: unknown }
  | { id: number; error: string };

interface Pending { resolve: (v: any) => void; reject: (e: unknown) => void; onProgress?: (fraction: number) => void; what: string }

/** One child process running native GDAL tasks; `close()` it when done. */
export class NativeRunner {
  private child: ChildProcess | undefined;
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private exited: Promise<void>;
  private dead: AppError | undefined;
  private onAbort = () => { this.kill(new InterruptedError()); };
  private gdalVersion: string | undefined;
  private onReady: (() => void) | undefined;

  constructor(private readonly signal?: AbortSignal) {
    if (!nativeGdalEntry()) throw new NativeGdalError('gdal-async is not installed', { hint: 'npm install gdal-async' });
    const child = spawn(process.execPath, childModuleArgs(import.meta.url, 'runner-child'), { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.child = child;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { if (stderr.length < 8192) stderr += d.toString(); });
    child.on('message', (m: RunnerMessage) => {
      if ('ready' in m) { this.gdalVersion = m.version; this.onReady?.(); return; }
      const p = this.pending.get(m.id);
      if (!p) return;
      if ('progress' in m) { p.onProgress?.(m.progress); return; }
      this.pending.delete(m.id);
      if ('ok' in m) p.resolve(m.result);
      else p.reject(new NativeGdalError(`${p.what} failed: ${m.error}`, { details: { gdal: m.error } }));
      this.refresh();
    });
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, sig) => {
        this.child = undefined;
        const err = this.dead ?? new NativeGdalError(`the native GDAL process ended (${sig ?? `exit ${code}`})${stderr ? `: ${stderr.trim().slice(-500)}` : ''}`, {
          hint: 'GDAL crashed or was killed; rerun with GEODVC_GDAL_ENGINE=wasm to use the WebAssembly engine',
        });
        this.dead = err;
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        resolve();
      });
      child.on('error', () => { /* reported through exit */ });
    });
    if (signal) {
      if (signal.aborted) this.kill(new InterruptedError());
      else signal.addEventListener('abort', this.onAbort, { once: true });
    }
    this.refresh();
  }

  /** Set once the child is being ended: it stays ref'ed until its exit event (see refresh). */
  private ending = false;

  private refresh(): void {
    // a task message arriving after close()/kill() must not unref the child: the process would
    // exit (code 13, unsettled await) before the child's exit event resolves `exited`
    if (!this.child || this.ending) return;
    if (this.pending.size) { this.child.ref(); (this.child as any).channel?.ref?.(); }
    else { this.child.unref(); (this.child as any).channel?.unref?.(); }
  }

  /** Runs one task; resolves when GDAL has written and closed the output (or with the facts/grid asked for). */
  run(task: NativeTask, what: string, onProgress?: (fraction: number) => void): Promise<any> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<any>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress, what });
      this.refresh();
      const req: RunnerRequest = { id, task };
      this.child!.send(req);
    });
  }

  private kill(err: AppError): void {
    if (!this.child) return;
    this.ending = true;
    this.dead ??= err;
    this.child.ref();
    this.child.kill('SIGKILL');
  }

  /** The GDAL version of the child (waits for it to start); rejects if it cannot load gdal-async. */
  async version(): Promise<string> {
    if (this.gdalVersion) return this.gdalVersion;
    if (this.dead) throw this.dead;
    this.child?.ref();
    await Promise.race([new Promise<void>((r) => { this.onReady = r; }), this.exited]);
    this.refresh();
    if (!this.gdalVersion) throw this.dead ?? new NativeGdalError('the native GDAL process did not start');
    return this.gdalVersion;
  }

  /** Waits until the child is gone (after an abort: before removing temp files). */
  async closed(): Promise<void> { await this.exited; }

  /** Ends the child (killing it if tasks are still running) and waits for it. */
  async close(): Promise<void> {
    this.signal?.removeEventListener('abort', this.onAbort);
    if (this.child) {
      this.ending = true;
      this.child.ref(); // keep the loop alive until the exit event

      if (this.pending.size) this.kill(new InterruptedError());
      else { this.dead ??= new NativeGdalError('runner closed'); this.child.kill('SIGTERM'); }
    }
    await this.exited;
  }
}

/** Raster facts read in the runner child (no gdal-async load in this process). */
export async function runnerFacts(runner: NativeRunner, path: string): Promise<NativeRasterInfo> {
  try {
    return await runner.run({ op: 'facts', input: path }, `gdalinfo ${path}`);
  } catch (err) {
    if (err instanceof InterruptedError || !(err instanceof NativeGdalError)) throw err;
    throw new AppError('not-a-raster', `GDAL cannot open ${path}: ${String(err.details?.gdal ?? err.message)}`, 1, { hint: 'check that the file exists and is a raster format GDAL reads', cause: err });
  }
}

/** gdalwarp's suggested grid for `path` in `crs`, computed in the runner child. */
export function runnerSuggestedGrid(runner: NativeRunner, path: string, crs: string): Promise<WarpGrid> {
  return runner.run({ op: 'suggest', input: path, crs }, `gdalwarp (grid) ${path}`);
}
