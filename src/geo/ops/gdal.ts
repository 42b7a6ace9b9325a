/**
 * gdal3.js (GDAL 3.8.4 compiled to wasm) behind a small, strict wrapper.
 *
 * - One instance per thread (gdal3.js keeps module state); operations are serialised by a mutex.
 * - Outputs go through NODEFS: the instance is initialised with `dest: '/'`, so the virtual
 *   `/output/<abs path without leading slash>` is the real absolute path. Inputs are opened through
 *   the same mount (`/output/...`), so no directory is remounted per file.
 * - gdal3.js resolves as success after errors with a number below 3 (out of memory included):
 *   we install an errorHandler, collect every `ERROR n:` line, and treat any of them as a failure.
 */
import { createRequire } from 'node:module';
import { relative, dirname, isAbsolute, resolve, join, basename } from 'node:path';
import { realpathSync } from 'node:fs';
import { AppError } from '../../lib/errors.js';

export const GDAL_ENGINE = 'GDAL 3.8.4-wasm (gdal3.js 2.8.1)';

export interface GdalDataset { pointer: number; path: string; type: string; info: any }
interface GdalApi {
  open(files: string | string[], options?: string[], vfs?: string[]): Promise<{ datasets: GdalDataset[]; errors: unknown[] }>;
  close(ds: GdalDataset): Promise<void>;
  gdalwarp(ds: GdalDataset, options: string[], outputName?: string): Promise<{ local: string }>;
  gdal_translate(ds: GdalDataset, options: string[], outputName?: string): Promise<{ local: string }>;
  gdal_rasterize(ds: GdalDataset, options: string[], outputName?: string): Promise<{ local: string }>;
  ogr2ogr(ds: GdalDataset, options: string[], outputName?: string): Promise<{ local: string }>;
  gdalinfo(ds: GdalDataset, options?: string[]): Promise<any>;
  gdaltransform(coords: number[][], options: string[]): Promise<number[][]>;
}

export class GdalError extends AppError {
  constructor(message: string, opts: { hint?: string; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super('gdal-error', message, 1, { hint: opts.hint ?? 'check the input file and options; rerun with -v for GDAL\'s messages', ...opts });
  }
}

let instance: Promise<GdalApi> | undefined;
const messages: string[] = [];
let chain: Promise<unknown> = Promise.resolve();

function packageDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('gdal3.js/package.json'));
}

async function init(): Promise<GdalApi> {
  const require = createRequire(import.meta.url);
  const initGdalJs = require('gdal3.js/node.js');
  // gdal3.js prefixes the path with "./" when reading its .data file, so it must be relative to cwd.
  const pkg = `${packageDir()}/dist/package`;
  const rel = relative(process.cwd(), pkg) || '.';
  const api: GdalApi = await initGdalJs({
    path: rel,
    dest: '/',
    logHandler: () => { /* stdout of GDAL utilities: unused */ },
    errorHandler: (text: string) => { messages.push(String(text)); },
    env: { CHECK_DISK_FREE_SPACE: 'FALSE', OGR2OGR_USE_ARROW_API: 'NO', GDAL_PAM_ENABLED: 'NO', GDAL_CACHEMAX: '256' },
  });
  return api;
}

/** The (lazily initialised) gdal3.js instance of this thread. */
export function getGdal(): Promise<GdalApi> {
  instance ??= init().catch((err) => {
    instance = undefined;
    throw new GdalError(`cannot start gdal3.js: ${(err as Error)?.message ?? err}`, { cause: err, hint: 'is the gdal3.js package installed (npm ci)?' });
  });
  return instance;
}

/**
 * Resolves symlinks in a path (or, for a path that does not exist yet, in its nearest existing
 * ancestor). Emscripten's NODEFS resolves an absolute symlink target inside its own file system,
 * not under our `/output` mount, so a path through a linked folder must be resolved here first.
 */
function resolveLinks(path: string): string {
  const abs = isAbsolute(path) ? path : resolve(path);
  let head = abs;
  const tail: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(head), ...tail.reverse());
    } catch {
      const parent = dirname(head);
      if (parent === head) return abs;
      tail.push(basename(head));
      head = parent;
    }
  }
}

/** Maps a real absolute path to the path gdal3.js sees through its NODEFS `/output` mount. */
export function vpath(realPath: string): string {
  return `/output${resolveLinks(realPath)}`;
}
/** The `outputName` argument for a real output path (gdal3.js appends the driver's extension). */
export function outName(realPathWithoutExt: string): string {
  return resolveLinks(realPathWithoutExt).slice(1);
}

function errorLines(lines: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (/^ERROR \d+:/.test(l)) {
      // GDAL splits some messages over several printErr calls; glue continuation lines.
      let msg = l;
      while (i + 1 < lines.length && !/^(ERROR|Warning) \d+:/.test(lines[i + 1]!)) msg += ' ' + lines[++i]!.trim();
      out.push(msg);
    }
  }
  return out;
}

/**
 * Runs `fn` with exclusive use of the gdal3.js instance. Throws GdalError when GDAL logged any
 * `ERROR` while it ran, even if gdal3.js resolved. `what` names the operation in the message.
 */
export async function withGdal<T>(what: string, fn: (g: GdalApi) => Promise<T>): Promise<T> {
  const g = await getGdal();
  const run = chain.then(async () => {
    messages.length = 0;
    let result: T;
    try {
      result = await fn(g);
    } catch (err) {
      const errs = errorLines(messages);
      const detail = errs.length ? errs.join('; ') : (err as any)?.message ?? JSON.stringify(err);
      throw err instanceof AppError ? err : new GdalError(`${what} failed: ${detail}`, { cause: err, details: { gdal: errs } });
    }
    const errs = errorLines(messages);
    if (errs.length) throw new GdalError(`${what} failed: ${errs.join('; ')}`, { details: { gdal: errs } });
    return result;
  });
  chain = run.catch(() => undefined);
  return run;
}

/** Opens one dataset (raster or vector) in place; the caller must close it. */
export async function openDataset(g: GdalApi, realPath: string): Promise<GdalDataset> {
  const r = await g.open(vpath(realPath));
  const ds = r.datasets[0];
  if (!ds) {
    throw new GdalError(`GDAL cannot open ${realPath}`, { hint: 'check that the file exists and is a raster/vector format GDAL reads (gdal3.js lacks JPEG/WEBP/ZSTD/LERC TIFF codecs)' });
  }
  return ds;
}

/** Opens, runs `fn`, closes: the usual pattern, under the instance mutex. */
export function withDataset<T>(what: string, realPath: string, fn: (g: GdalApi, ds: GdalDataset) => Promise<T>): Promise<T> {
  return withGdal(what, async (g) => {
    const ds = await openDataset(g, realPath);
    try {
      return await fn(g, ds);
    } finally {
      await g.close(ds).catch(() => undefined);
    }
  });
}
