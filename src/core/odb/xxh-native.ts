/**
 * XXH3-128 through the system's libxxhash (Debian `libxxhash0`, which the `xxhash` package that
 * gives `xxhsum` depends on), called with koffi (a prebuilt FFI addon). libxxhash's `_dispatch`
 * entry points pick AVX2/AVX-512 at run time: tens of GB/s in memory, where the WASM streaming
 * hasher (hash-wasm) reaches ~3 GB/s and @node-rs/xxhash has no streaming XXH3-128 at all.
 * When koffi or the library is missing, callers fall back to hash-wasm (same digests).
 *
 * Loaded once per thread (the main thread and each hashing worker call `nativeXxh128()`).
 */
import { createRequire } from 'node:module';

export interface NativeXxh128 {
  oneShot(buf: Uint8Array): string;
  create(): { update(c: Uint8Array): void; digest(): string };
}

/** The parts of koffi's API used here (it is an optional dependency). */
interface Koffi {
  load(name: string): { func(decl: string): (...args: unknown[]) => unknown };
  struct(name: string, fields: Record<string, string>): unknown;
}
interface Xxh128Hash { l0: number; l1: number; h0: number; h1: number }

const require = createRequire(import.meta.url);
let loaded: NativeXxh128 | null | undefined;

/** Binds libxxhash through koffi; null when either is missing or fails the self-test. */
function loadNativeXxh128(): NativeXxh128 | null {
  if (process.env.GEODVC_NATIVE_XXH === '0') return null;
  let koffi: Koffi;
  try { koffi = require('koffi') as Koffi; } catch { return null; }
  let lib: ReturnType<Koffi['load']> | null = null;
  for (const n of ['libxxhash.so.0', 'libxxhash.so', 'libxxhash.0.dylib', 'libxxhash.dylib']) {
    try { lib = koffi.load(n); break; } catch { /* next */ }
  }
  if (!lib) return null;
  const l = lib;
  try {
    // koffi type names are process-wide: a second thread finds the struct declared already
    try { koffi.struct('geodvc_XXH128_hash_t', { l0: 'uint32', l1: 'uint32', h0: 'uint32', h1: 'uint32' }); } catch { /* declared */ }
    const pick = (decl: string, fallback: string) => { try { return l.func(decl); } catch { return l.func(fallback); } };
    const oneShot = pick('geodvc_XXH128_hash_t XXH3_128bits_dispatch(const void *p, size_t n)', 'geodvc_XXH128_hash_t XXH3_128bits(const void *p, size_t n)') as (p: Uint8Array, n: number) => Xxh128Hash;
    const update = pick('int XXH3_128bits_update_dispatch(void *st, const void *p, size_t n)', 'int XXH3_128bits_update(void *st, const void *p, size_t n)') as (st: unknown, p: Uint8Array, n: number) => number;
    const create = l.func('void *XXH3_createState(void)') as () => unknown;
    const reset = l.func('int XXH3_128bits_reset(void *st)') as (st: unknown) => number;
    const digest = l.func('geodvc_XXH128_hash_t XXH3_128bits_digest(void *st)') as (st: unknown) => Xxh128Hash;
    const hex8 = (x: number) => (x >>> 0).toString(16).padStart(8, '0');
    const hex = (r: Xxh128Hash) => hex8(r.h1) + hex8(r.h0) + hex8(r.l1) + hex8(r.l0);
    const free: unknown[] = [];
    const api: NativeXxh128 = {
      oneShot: (buf) => hex(oneShot(buf, buf.length)),
      create() {
        const st = free.pop() ?? create();
        reset(st);
        return { update: (c) => { update(st, c, c.length); }, digest: () => { const d = hex(digest(st)); free.push(st); return d; } };
      },
    };
    // self-test against the reference vector of the empty input
    if (api.oneShot(Buffer.alloc(0)) !== '99aa06d3014798d86001c324468d497f') return null;
    return api;
  } catch { return null; }
}

/** The native hasher in this thread, or null (then use hash-wasm). */
export function nativeXxh128(): NativeXxh128 | null {
  if (loaded === undefined) loaded = loadNativeXxh128();
  return loaded;
}
