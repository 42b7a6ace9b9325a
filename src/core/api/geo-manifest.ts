/**
 * `geo manifest`: SHA-256 manifests of annotation files (sha256sum format) and their check.
 */
import { resolve } from 'node:path';
import { writeFileAtomic } from '../../lib/atomic.js';
import type { OpContext } from '../../lib/progress.js';
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
