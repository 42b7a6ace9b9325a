/**
 * Extension point for the `meta:` annotation of new `.dvc` files. The geo module may provide
 * `extractGeoMeta(absPath)` in `src/geo/meta.ts`; when it exists it is loaded lazily and its
 * result written under `meta:`. Tests and embedders can replace the hook with `setMetaExtractor`.
 * A failing extractor never fails `add` (metadata is an annotation, not data).
 */
export type MetaExtractor = (absPath: string, isDir: boolean) => Promise<unknown> | unknown;

let extractor: MetaExtractor | null | undefined;

/** `null` disables the hook, `undefined` restores the lazily loaded default. */
export function setMetaExtractor(fn: MetaExtractor | null | undefined): void {
  extractor = fn;
}

async function loadDefault(): Promise<MetaExtractor | null> {
  if (process.env.GEODVC_NO_META === '1') return null;
  try {
    // the sniffer is tiny; the readers behind meta.js (geotiff, proj4, flatgeobuf…) load only for
    // a file that can have geo metadata
    const sniffPath = '../../geo/sniff.js';
    const modPath = '../../geo/meta.js';
    const sniff = (await import(sniffPath)) as { mayHaveGeoMeta: (p: string) => boolean };
    let mod: { extractGeoMeta?: (p: string) => Promise<unknown> | unknown } | undefined;
    return async (p: string, isDir: boolean) => {
      if (isDir || !sniff.mayHaveGeoMeta(p)) return undefined;
      mod ??= (await import(modPath)) as typeof mod;
      return typeof mod!.extractGeoMeta === 'function' ? mod!.extractGeoMeta(p) : undefined;
    };
  } catch { /* not provided (yet) */ }
  return null;
}

export async function extractMetaHook(absPath: string, isDir: boolean): Promise<unknown> {
  if (extractor === undefined) extractor = await loadDefault();
  if (!extractor) return undefined;
  try {
    const m = await extractor(absPath, isDir);
    return m === null ? undefined : m;
  } catch {
    return undefined;
  }
}

export interface RasterWarning { file: string; message: string }
export interface RasterCheckSummary { warnings: RasterWarning[]; checked: number; skipped?: number }

/**
 * Issue 20: the cheap integrity check of what `add` tracks (TIFF header + block table against the
 * file size, georeferencing present). `files` are absolute paths; a lone file is sniffed by
 * content, files of a directory by extension first. At most `cap` rasters are read. Like the meta
 * hook, a failing check never fails `add`: it yields no warnings.
 */
export async function rasterCheckHook(files: string[], opts: { single: boolean; cap?: number; label: (f: string) => string; signal?: AbortSignal }): Promise<RasterCheckSummary> {
  if (process.env.GEODVC_NO_META === '1') return { warnings: [], checked: 0 };
  try {
    const modPath = '../../geo/raster/quick-check.js';
    const mod = (await import(modPath)) as typeof import('../../geo/raster/quick-check.js');
    if (opts.single) {
      const f = files[0]!;
      return { warnings: mod.quickCheckTiff(f).map((message) => ({ file: opts.label(f), message })), checked: 1 };
    }
    return await mod.quickCheckRasters(files, { cap: opts.cap, label: opts.label, signal: opts.signal });
  } catch {
    return { warnings: [], checked: 0 };
  }
}
