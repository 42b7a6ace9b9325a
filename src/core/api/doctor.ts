/**
 * `geodvc version` (alias `doctor`): what this installation runs on — the geo engine (native GDAL
 * or gdal3.js) and its PROJ, the xxhash backend, and the cache of the repository around `cwd`.
 */
import { engineReport, loadNativeGdal } from '../../geo/engine/native.js';
import { nativeXxh128 } from '../odb/xxh-native.js';
import { getConfig } from '../repo/config.js';
import { findRepoRoot, openRepoSync } from '../repo/repo.js';

export interface RuntimeReport {
  /** The geo engine in use, its drivers, and why native GDAL is unavailable when it is. */
  geo: ReturnType<typeof engineReport>;
  /** PROJ's version as native GDAL reports it, when native GDAL runs. */
  proj?: string;
  /** True when xxh128 hashing runs on the native libxxhash (else WebAssembly). */
  xxhashNative: boolean;
  /** The repository around `cwd`, when there is one that opens. */
  repo?: { root: string; cacheDir: string; cacheType: string };
}

export function runtimeReport(cwd: string): RuntimeReport {
  const geo = engineReport();
  let proj: string | undefined;
  if (geo.engine === 'native') {
    try {
      const g = loadNativeGdal();
      const v = g?.config?.get?.('PROJ_VERSION') ?? g?.versions?.proj;
      if (typeof v === 'string' && v) proj = v;
    } catch { /* unknown */ }
  }
  let repo: RuntimeReport['repo'];
  try {
    if (findRepoRoot(cwd)) {
      const r = openRepoSync(cwd);
      repo = { root: r.root, cacheDir: r.cacheDir, cacheType: getConfig(r, 'cache.type') ?? 'reflink, copy' };
    }
  } catch { /* outside a repo, or a broken config: doctor still answers */ }
  return { geo, proj, xxhashNative: Boolean(nativeXxh128()), repo };
}
