/**
 * Worker threads as ordinary typed modules (`*.worker.ts`, compiled to `*.worker.js` in dist/),
 * started the way geotiff.js starts its decoders: `new Worker(new URL('./x.worker.js', import.meta.url))`.
 * From the TypeScript sources (tsx) the entry is a `.ts` file that Node 20 cannot load in a worker
 * by itself, so a small plain-JS bootstrap (`tsx-worker.mjs`) registers tsx there first.
 */
import { fileURLToPath } from 'node:url';
import { Worker, workerData, type WorkerOptions } from 'node:worker_threads';

/**
 * The URL of a worker module beside `callerUrl` (pass `import.meta.url`): `name.worker.js` in the
 * built package, `name.worker.ts` when the caller itself runs from sources.
 */
export function workerUrl(callerUrl: string, name: string): URL {
  const ext = callerUrl.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}.worker${ext}`, callerUrl);
}

/** Starts the worker module at `entry` with `opts.workerData` readable through `workerInput()`. */
export function startWorker(entry: URL, opts: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, opts);
  return new Worker(new URL('./tsx-worker.mjs', import.meta.url), { ...opts, workerData: { entry: entry.href, data: opts.workerData } });
}

/** Inside a worker started by `startWorker`: the `workerData` its parent passed. */
export function workerInput<T>(): T {
  const d = workerData as { entry?: unknown; data?: T } | T;
  if (d && typeof d === 'object' && 'entry' in d && typeof d.entry === 'string' && d.entry.endsWith('.ts')) return (d as { data: T }).data;
  return d as T;
}

/**
 * Node arguments that run the module `name` beside `callerUrl` as a child process's entry:
 * `[file.js]` from dist/, `[--import <tsx>, file.ts]` from sources. Put V8 flags before them.
 */
export function childModuleArgs(callerUrl: string, name: string): string[] {
  const ts = callerUrl.endsWith('.ts');
  const file = fileURLToPath(new URL(`./${name}${ts ? '.ts' : '.js'}`, callerUrl));
  return ts ? ['--import', import.meta.resolve('tsx'), file] : [file];
}
