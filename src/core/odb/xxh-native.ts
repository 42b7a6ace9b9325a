/**
 * XXH3-128 through the system's libxxhash (Debian `libxxhash0`, which the `xxhash` package that
 * gives `xxhsum` depends on), called with koffi (a prebuilt FFI addon). libxxhash's `_dispatch`
 * entry points pick AVX2/AVX-512 at run time: tens of GB/s in memory, where the WASM streaming
 * hasher (hash-wasm) reaches ~3 GB/s and @node-rs/xxhash has no streaming XXH3-128 at all.
 * When koffi or the library is missing, callers fall back to hash-wasm (same digests).
 *
 * `NATIVE_XXH_SOURCE` is CommonJS text: the worker threads evaluate it too (they run eval'ed code).
 */
import { createRequire } from 'node:module';

export const NATIVE_XXH_SOURCE = String.raw`
function loadNativeXxh128(koffiPath) {
  if (process.env.GEODVC_NATIVE_XXH === '0' || !koffiPath) return null;
  let koffi;
  try { koffi = require(koffiPath); } catch { return null; }
  let lib = null;
  for (const n of ['libxxhash.so.0', 'libxxhash.so', 'libxxhash.0.dylib', 'libxxhash.dylib']) {
    try { lib = koffi.load(n); break; } catch { /* next */ }
  }
  if (!lib) return null;
  try {
    let H;
    try { H = koffi.struct('geodvc_XXH128_hash_t', { l0: 'uint32', l1: 'uint32', h0: 'uint32', h1: 'uint32' }); }
    catch { H = 'geodvc_XXH128_hash_t'; } // already declared in this thread
    const pick = (decl, fallback) => { try { return lib.func(decl); } catch { return lib.func(fallback); } };
    const oneShot = pick('geodvc_XXH128_hash_t XXH3_128bits_dispatch(const void *p, size_t n)', 'geodvc_XXH128_hash_t XXH3_128bits(const void *p, size_t n)');
    const update = pick('int XXH3_128bits_update_dispatch(void *st, const void *p, size_t n)', 'int XXH3_128bits_update(void *st, const void *p, size_t n)');
    const create = lib.func('void *XXH3_createState(void)');
    const reset = lib.func('int XXH3_128bits_reset(void *st)');
    const digest = lib.func('geodvc_XXH128_hash_t XXH3_128bits_digest(void *st)');
    const hex8 = (x) => (x >>> 0).toString(16).padStart(8, '0');
    const hex = (r) => hex8(r.h1) + hex8(r.h0) + hex8(r.l1) + hex8(r.l0);
    const free = [];
    const api = {
      oneShot: (buf) => hex(oneShot(buf, buf.length)),
      create() {
        const st = free.pop() || create();
        reset(st);
        return { update: (c) => { update(st, c, c.length); }, digest: () => { const d = hex(digest(st)); free.push(st); return d; } };
      },
    };
    // self-test against the reference vector of the empty input
    if (api.oneShot(Buffer.alloc(0)) !== '99aa06d3014798d86001c324468d497f') return null;
    return api;
  } catch { return null; }
}
`;

export interface NativeXxh128 {
  oneShot(buf: Uint8Array): string;
  create(): { update(c: Uint8Array): void; digest(): string };
}

const require = createRequire(import.meta.url);
let loaded: NativeXxh128 | null | undefined;

/** The koffi module path, for the worker threads (undefined when koffi is not installed). */
export function koffiPath(): string | undefined {
  try { return require.resolve('koffi'); } catch { return undefined; }
}

/** The native hasher in this thread, or null (then use hash-wasm). */
export function nativeXxh128(): NativeXxh128 | null {
  if (loaded !== undefined) return loaded;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function('require', 'process', `${NATIVE_XXH_SOURCE}; return loadNativeXxh128;`)(require, process) as (p?: string) => NativeXxh128 | null;
  loaded = factory(koffiPath());
  return loaded;
}
