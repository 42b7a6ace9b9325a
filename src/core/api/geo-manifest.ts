/**
 * `geo manifest`: SHA-256 manifests of annotation files (sha256sum format) and their check.
 */
import { resolve } from 'node:path';
import { writeFileAtomic } from '../../lib/atomic.js';
import type { OpContext } from '../../lib/progress.js';
import type { FingerprintResult } from '../../geo/annotations/fingerprint.js';
import { geoTolerance, parseTolerance, pixelTolerance } from '../../geo/annotations/tolerance.js';
import { parseCrs } from '../../geo/annotations/crs-bridge.js';
import { fingerprintSets, readAnnotationSets } from './geo-diff-dep.js';
import { buildManifest, checkManifest, formatManifest, type CheckResult, type ManifestEntry } from '../../geo/annotations/manifest.js';

export interface GeoManifestOptions extends OpContext {
  cwd: string;
  dir: string;
  /** Write the manifest here (paths inside are relative to its directory). */
  output?: string;
  /** Hash every file, not only annotation formats. */
  all?: boolean;
}

export interface GeoManifestResult { entries: ManifestEntry[]; text: string; output?: string }

export async function geoManifest(opts: GeoManifestOptions): Promise<GeoManifestResult> {
  const dir = resolve(opts.cwd, opts.dir);
  const output = opts.output ? resolve(opts.cwd, opts.output) : undefined;
  const entries = await buildManifest(dir, { output, baseDir: output ? undefined : opts.cwd, extensions: opts.all ? 'all' : undefined, signal: opts.signal, onProgress: opts.onProgress });
  const text = formatManifest(entries);
  if (output) await writeFileAtomic(output, text);
  return { entries, text, output };
}

export async function geoManifestCheck(opts: OpContext & { cwd: string; file: string; findUnlisted?: boolean }): Promise<CheckResult & { file: string }> {
  const file = resolve(opts.cwd, opts.file);
  return { file, ...(await checkManifest(file, opts)) };
}

/**
 * Semantic fingerprint of an annotation file or directory (see docs/annotations.md): vector
 * layers at a geographic tolerance (default 0.1m), COCO/VOC datasets in pixels (default 0.5px).
 */
export async function geoFingerprint(opts: OpContext & { cwd: string; path: string; tolerance?: string; crs?: string }): Promise<FingerprintResult & { datasets?: { path: string; format: string; images: number; annotations: number; categories: number }[] }> {
  const sets = await readAnnotationSets(resolve(opts.cwd, opts.path), undefined);
  const r = fingerprintSets(sets, { tolerance: geoTolerance(parseTolerance(opts.tolerance)), assumeCrs: opts.crs ? parseCrs(opts.crs) : undefined }, pixelTolerance(opts.tolerance), opts);
  if (!sets.pixel.length) return r;
  return { ...r, datasets: sets.pixel.map((p) => ({ path: p.path, format: p.dataset.format, ...p.dataset.counts })) };
}
