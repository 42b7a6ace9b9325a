/**
 * The native GDAL engine: `gdal-async` (N-API bindings over the GDAL it was built against, every
 * driver of that GDAL: JPEG, WebP, ZSTD, LERC, JPEG2000, netCDF, HDF5, Zarr...).
 *
 * gdal-async is an optional dependency: `loadNativeGdal()` returns null when it is not installed or
 * fails to load, and the ops fall back to gdal3.js (GDAL in WebAssembly). `GEODVC_GDAL_ENGINE=wasm`
 * forces the fallback, `=native` makes a missing native engine an error.
 *
 * This module loads gdal-async in the calling thread for quick, metadata-only calls (open, size,
 * geotransform, CRS, the suggested warp grid). Pixel work (warp, translate, rasterize) runs in a
 * child process (`runner.ts`) so that Ctrl-C can stop it: GDAL's progress callback in gdal-async
 * cannot cancel, and a native call in flight keeps a Node process alive until it returns.
 */
import { Module, createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppError } from '../../lib/errors.js';

/** The gdal-async module (typed loosely: it is an optional dependency, absent at type-check time on some machines). */
export type NativeGdal = any;

/** Settings applied to every native GDAL (in this process and in runner children). */
export const NATIVE_CONFIG: Record<string, string> = {
  // MB of block cache per process: bounded memory whatever the raster size
  GDAL_CACHEMAX: '256',
  // multithreaded warper, compression and overview building
  GDAL_NUM_THREADS: 'ALL_CPUS',
  // no .aux.xml written next to inputs or outputs (outputs must be byte-stable)
  GDAL_PAM_ENABLED: 'NO',
  // no directory listing on open (slow in folders of 100k chips), but sidecars (.msk masks, .ovr
  // overviews) are still found by name: EMPTY_DIR would hide them and warps would ignore masks
  GDAL_DISABLE_READDIR_ON_OPEN: 'TRUE',
  CPL_LOG: '/dev/null',
};

let loaded: { gdal: NativeGdal | null; error?: string } | undefined;

/** Resolved path of gdal-async's entry (for the runner child), or undefined when not installed. */
export function nativeGdalEntry(): string | undefined {
  try { return createRequire(import.meta.url).resolve('gdal-async'); } catch { return undefined; }
}

/**
 * Whether gdal-async looks installed (package and its compiled binding present), without loading
 * it: loading costs ~0.4 s of CPU, and the ops load it once, in their runner child.
 */
export function nativeInstalled(): boolean {
  if (loaded) return !!loaded.gdal;
  const entry = nativeGdalEntry();
  if (!entry) return false;
  const root = dirname(dirname(entry));
  try {
    if (existsSync(join(root, 'build', 'Release', 'gdal.node'))) return true;
    const bin = join(root, 'lib', 'binding');
    return readdirSync(bin).some((d) => existsSync(join(bin, d, 'gdal.node')));
  } catch { return false; }
}

/**
 * Which engine the ops use: 'native' when gdal-async is installed (unless GEODVC_GDAL_ENGINE=wasm),
 * else 'wasm'. With `load`, gdal-async is loaded here and a failed load also means 'wasm'.
 */
export function engineKind(o: { load?: boolean } = {}): 'native' | 'wasm' {
  const want = (process.env.GEODVC_GDAL_ENGINE ?? '').toLowerCase();
  if (want === 'wasm' || want === 'gdal3.js') return 'wasm';
  const ok = o.load ? !!loadNativeGdal() : nativeInstalled();
  if (!ok && want === 'native') {
    throw new AppError('no-native-gdal', `GEODVC_GDAL_ENGINE=native but gdal-async cannot be loaded: ${loaded?.error ?? 'not installed'}`, 1, {
      hint: 'install it: npm install gdal-async (prebuilt), or with Debian libgdal-dev: npm install gdal-async --build-from-source --shared_gdal',
    });
  }
  return ok ? 'native' : 'wasm';
}

/** The node-pre-gyp options that change where a binding is looked for (argv or npm_config_*). */
const PRE_GYP_OPTIONS = /^(--)?(npm_config_)?(target|target_arch|target_platform|target_libc|runtime|module_root|module_path|build_from_source|fallback_to_build|napi_build_version)\b/i;

/**
 * gdal-async's entry (lib/gdal.js) requires @mapbox/node-pre-gyp (with semver, nopt, consola:
 * ~60 modules) only to compute the path of its compiled binding, and xmlbuilder2 (~150 modules
 * with @oozcitak/dom and js-yaml) only for gdal.wrapVRT, which geodvc never calls: together
 * ~130 ms of CPU in every process that loads GDAL (a geo command, each runner child, each decode
 * worker), more than half of the load. Before the first require this puts in the require cache:
 * for node-pre-gyp, a `find()` answering the path node-pre-gyp computes from gdal-async's
 * package.json ({node_abi}-{platform}-{arch} under its module_path), only when that file exists
 * and nothing in argv or the environment would make node-pre-gyp look elsewhere (else the real one
 * loads); for wrapVRT.js, a function that loads the real one on its first call. Same binding, same
 * gdal object.
 */
function preseedGdalAsync(req: NodeJS.Require, entry: string): void {
  const root = dirname(dirname(entry));
  const seed = (file: string, exports: unknown) => {
    if (req.cache[file]) return;
    const m = new Module(file);
    m.filename = file;
    m.loaded = true;
    m.exports = exports;
    req.cache[file] = m;
  };
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { binary?: { module_name?: string; module_path?: string } };
    const tpl = pkg.binary?.module_path, name = pkg.binary?.module_name;
    const otherOptions = process.argv.some((a) => PRE_GYP_OPTIONS.test(a)) || Object.keys(process.env).some((k) => /^npm_config_/i.test(k) && PRE_GYP_OPTIONS.test(k));
    if (tpl && name && !otherOptions) {
      const dir = tpl.replace('{node_abi}', `node-v${process.versions.modules}`).replace('{platform}', process.platform).replace('{arch}', process.arch);
      const binding = join(root, dir, `${name}.node`);
      if (!/[{}]/.test(dir) && existsSync(binding)) {
        const preGyp = createRequire(entry).resolve('@mapbox/node-pre-gyp');
        seed(preGyp, { find: () => binding });
      }
    }
  } catch { /* the real node-pre-gyp finds it */ }
  const wrapFile = join(root, 'lib', 'wrapVRT.js');
  if (existsSync(wrapFile)) {
    let real: ((...a: unknown[]) => unknown) | undefined;
    seed(wrapFile, function wrapVRT(this: unknown, ...a: unknown[]) {
      if (!real) {
        delete req.cache[wrapFile];
        real = req(wrapFile) as (...a: unknown[]) => unknown;
      }
      return real.apply(this, a);
    });
  }
}

/**
 * gdal-async, loaded once and configured (cache size, threads, no PAM), or null when unavailable.
 * Never throws.
 */
export function loadNativeGdal(): NativeGdal | null {
  if (loaded) return loaded.gdal;
  try {
    const req = createRequire(import.meta.url);
    const entry = req.resolve('gdal-async');
    preseedGdalAsync(req, entry);
    const gdal = req(entry);
    for (const [k, v] of Object.entries(NATIVE_CONFIG)) gdal.config.set(k, v);
    // GDAL errors become exceptions of the call that raised them; keep stderr quiet
    if (typeof gdal.quiet === 'function') gdal.quiet();
    loaded = { gdal };
  } catch (err) {
    loaded = { gdal: null, error: (err as Error)?.message ?? String(err) };
  }
  return loaded.gdal;
}

/** Why the native engine is not available ('' when it is). */
export function nativeLoadError(): string {
  loadNativeGdal();
  return loaded?.error ?? '';
}

/**
 * "GDAL 3.6.2 (gdal-async 3.12.3, native)", recorded in results and idempotency keys. The GDAL
 * version comes from the caller (the runner child reports it) or from loading gdal-async here.
 */
export function nativeEngineName(gdalVersion?: string): string {
  const version = gdalVersion ?? loadNativeGdal()?.version;
  if (!version) return 'unavailable';
  let pkg = '?';
  try { pkg = createRequire(import.meta.url)('gdal-async/package.json').version; } catch { /* keep ? */ }
  return `GDAL ${version} (gdal-async ${pkg}, native)`;
}

/** Engine facts for `geodvc version --json` / `doctor`. */
export function engineReport(): { engine: 'native' | 'wasm'; native: string; nativeError?: string; drivers?: string[] } {
  let kind: 'native' | 'wasm' = 'wasm';
  try { kind = engineKind({ load: true }); } catch { kind = 'wasm'; }
  const g = loadNativeGdal();
  const out: ReturnType<typeof engineReport> = { engine: kind, native: nativeEngineName() };
  if (!g) out.nativeError = nativeLoadError();
  else {
    const want = ['GTiff', 'COG', 'VRT', 'JPEG', 'WEBP', 'JP2OpenJPEG', 'netCDF', 'HDF5', 'Zarr'];
    const names = new Set<string>(g.drivers.getNames());
    out.drivers = want.filter((d) => names.has(d));
  }
  return out;
}
