/**
 * Extension point for the `meta:` annotation of new `.dvc` files: by default `extractGeoMeta(absPath)`
 * of `src/geo/meta.ts`, loaded lazily (only for a file the sniffer says can have geo metadata), its
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
    const sniff = await import('../../geo/sniff.js');
    let mod: typeof import('../../geo/meta.js') | undefined;
    return async (p: string, isDir: boolean) => {
      if (isDir || !sniff.mayHaveGeoMeta(p)) return undefined;
      mod ??= await import('../../geo/meta.js');
      return mod.extractGeoMeta(p);
    };
  } catch { /* a broken install of the geo layer: add works without metadata */ }
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
    const mod = await import('../../geo/raster/quick-check.js');
    if (opts.single) {
      const f = files[0]!;
      return { warnings: mod.quickCheckTiff(f).map((message) => ({ file: opts.label(f), message })), checked: 1 };
    }
    return await mod.quickCheckRasters(files, { cap: opts.cap, label: opts.label, signal: opts.signal });
  } catch {
    return { warnings: [], checked: 0 };
  }
}
