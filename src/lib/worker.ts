/**
 * Worker threads as ordinary typed modules (`*.worker.ts`, compiled to `*.worker.js` in dist/),
 * started the way geotiff.js starts its decoders: `new Worker(new URL('./x.worker.js', import.meta.url))`.
 * From the TypeScript sources (tsx) the entry is a `.ts` file that Node 20 cannot load in a worker
 * by itself, so a small plain-JS bootstrap (`tsx-worker.mjs`) registers tsx there first.
 *
 * Running from sources, a worker or child whose compiled twin in dist/ is current (`freshCompiled`)
 * starts from dist/ instead: tsx's loader costs a child or worker ~0.3-0.5 s of CPU at start-up,
 * which every stage's supervisor and every hashing worker would pay in tests run from sources.
 * `GEODVC_FROM_SOURCES=1` turns that off (the `.ts` modules through tsx, always).
 */
import { readFileSync, statSync } from 'node:fs';
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

/** src/ and dist/ of this checkout, as seen from this module (src/lib/worker.ts or dist/lib/worker.js). */
const SRC_ROOT = new URL('../', import.meta.url);
const DIST_ROOT = new URL('../../dist/', import.meta.url);
const compiledCache = new Map<string, URL | null>();
const mtime = (u: URL): number | undefined => { try { return statSync(u).mtimeMs; } catch { return undefined; } };

/**
 * For a `.ts` module under src/: its compiled twin under dist/ when that file and every module it
 * imports (relative imports, followed through dist/) are at least as new as their `.ts` sources,
 * or the last build is (scripts/build-dist.mjs replaces a dist/ file whenever its output changes,
 * and touches dist/.build-signature after every build).
 * Undefined when running from dist/ already, with `GEODVC_FROM_SOURCES=1`, or when anything is
 * missing or older than its source.
 */
export function freshCompiled(entry: URL): URL | undefined {
  if (process.env.GEODVC_FROM_SOURCES === '1' || !/\.[cm]?ts$/.test(entry.href) || !entry.href.startsWith(SRC_ROOT.href)) return undefined;
  const hit = compiledCache.get(entry.href);
  if (hit !== undefined) return hit ?? undefined;
  const twin = (ts: URL) => new URL(ts.href.slice(SRC_ROOT.href.length).replace(/\.([cm]?)ts$/, '.$1js'), DIST_ROOT);
  // a build rewrites only the outputs that changed: a source edited without changing its output
  // (types, comments) is current when the last build (dist/.build-signature) is newer than it
  const builtAt = mtime(new URL('.build-signature', DIST_ROOT)) ?? -Infinity;
  let result: URL | null = twin(entry);
  const seen = new Set<string>();
  const todo: URL[] = [entry];
  while (result && todo.length) {
    const ts = todo.pop()!;
    if (seen.has(ts.href)) continue;
    seen.add(ts.href);
    const js = twin(ts);
    const tsTime = mtime(ts);
    const jsTime = mtime(js);
    if (tsTime === undefined || jsTime === undefined || (jsTime < tsTime && builtAt < tsTime)) { result = null; break; }
    for (const m of readFileSync(js, 'utf8').matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"](\.\.?\/[^'"]+)['"]/g)) {
      const dep = new URL(m[1]!.replace(/\.([cm]?)js$/, '.$1ts'), ts);
      // only compiled TypeScript modules can be checked against their source
      if (!/\.[cm]?ts$/.test(dep.href) || !dep.href.startsWith(SRC_ROOT.href)) { result = null; break; }
      todo.push(dep);
    }
  }
  compiledCache.set(entry.href, result);
  return result ?? undefined;
}

/** Starts the worker module at `entry` with `opts.workerData` readable through `workerInput()`. */
export function startWorker(entry: URL, opts: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, opts);
  const compiled = freshCompiled(entry);
  if (compiled) return new Worker(compiled, opts);
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
 * `[file.js]` from dist/ (or from sources when `freshCompiled` finds its current twin there),
 * `[--import <tsx>, file.ts]` from sources otherwise. Put V8 flags before them. A CommonJS entry
 * (`name.cts` in src/, which Node starts without its ESM loader) is named `name.cjs`.
 */
export function childModuleArgs(callerUrl: string, name: string): string[] {
  const ts = callerUrl.endsWith('.ts');
  const cjs = name.endsWith('.cjs');
  const base = cjs ? name.slice(0, -4) : name;
  const url = new URL(`./${base}${cjs ? (ts ? '.cts' : '.cjs') : ts ? '.ts' : '.js'}`, callerUrl);
  if (!ts) return [fileURLToPath(url)];
  const compiled = freshCompiled(url);
  return compiled ? [fileURLToPath(compiled)] : ['--import', import.meta.resolve('tsx'), fileURLToPath(url)];
}
