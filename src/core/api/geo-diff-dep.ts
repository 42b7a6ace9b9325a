/**
 * Annotation dependencies of pipeline stages. A stage declares a dep's kind in dvc.yaml under
 * `meta.geodvc.dep-kinds` (plain DVC ignores `meta`, and still sees an ordinary dep):
 *
 *     stages:
 *       train:
 *         cmd: python train.py
 *         deps: [labels/fields.geojson]
 *         meta:
 *           geodvc:
 *             dep-kinds:
 *               labels/fields.geojson: annotations@0.5m   # or `annotations` (default 0.1 m)
 *
 * The pipeline compares such a dep by its semantic fingerprint instead of its md5
 * (src/core/pipeline/fingerprint.ts). Because a vertex drifting by less than the tolerance can
 * still cross a grid-cell boundary and change a quantized fingerprint, the fingerprinter keeps
 * snapshots of the versions it fingerprinted (`.dvc/tmp/annotation-snapshots/`) and, when a new
 * fingerprint is not known, runs the tolerance-aware comparison against them: a version that is
 * only a precision/format/order change of a known one gets that version's fingerprint.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { writeFileAtomicSync } from '../../lib/atomic.js';
import { AppError } from '../../lib/errors.js';
import { findRepoRoot } from '../repo/repo.js';
import { FINGERPRINT_VERSION, fingerprintLayers, type CanonicalOptions, type NamedLayer } from '../../geo/annotations/fingerprint.js';
import { compareLayers } from '../../geo/annotations/diff.js';
import { isVectorFile, readAnnotationFile } from '../../geo/annotations/load.js';
import { parseTolerance, pixelTolerance, geoTolerance, type Tolerance } from '../../geo/annotations/tolerance.js';
import type { FingerprintResult } from '../../geo/annotations/fingerprint.js';
import type { NamedPixelDataset } from '../../geo/annotations/pixel.js';
import { readPixelDir, readPixelFile, sniffPixelFile } from '../../geo/annotations/pixel-load.js';
import { comparePixelDatasets, fingerprintPixelDatasets } from '../../geo/annotations/pixel-diff.js';

const KEEP_SNAPSHOTS = 5;

function walk(dir: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile() && /\.(geojson|json|shp|gpkg|fgb)$/i.test(e.name) && !sniffPixelFile(p) && isVectorFile(p)) out.push(p);
  }
}

/** The layers of a file, or of every vector file under a directory (paths relative to it). */
export async function readAnnotationPath(absPath: string, label?: string): Promise<NamedLayer[]> {
  let st;
  try { st = statSync(absPath); } catch (err) {
    throw new AppError('not-found', `annotation dependency ${label ?? absPath} does not exist`, 1, { cause: err, hint: 'check the dep path in dvc.yaml' });
  }
  if (!st.isDirectory()) {
    if (sniffPixelFile(absPath)) return [];
    return readAnnotationFile(absPath, label ?? '.');
  }
  const files: string[] = [];
  walk(absPath, files);
  files.sort();
  const out: NamedLayer[] = [];
  for (const f of files) out.push(...(await readAnnotationFile(f, relative(absPath, f).split(sep).join('/'))));
  return out;
}

/** Geographic layers and image-space (COCO/VOC) datasets of a file or directory. */
export interface AnnotationSets { layers: NamedLayer[]; pixel: NamedPixelDataset[] }

export async function readAnnotationSets(absPath: string, label?: string): Promise<AnnotationSets> {
  const layers = await readAnnotationPath(absPath, label);
  let pixel: NamedPixelDataset[];
  if (statSync(absPath).isDirectory()) pixel = readPixelDir(absPath);
  else pixel = sniffPixelFile(absPath) ? [{ path: label ?? basename(absPath), dataset: readPixelFile(absPath, label ?? basename(absPath)) }] : [];
  return { layers, pixel };
}

/** Fingerprint of geographic layers and pixel datasets together (each kind with its own tolerance). */
export function fingerprintSets(sets: AnnotationSets, geoOpts: CanonicalOptions, px: Tolerance, ctx: Parameters<typeof fingerprintLayers>[2] = {}): FingerprintResult {
  if (!sets.pixel.length) return fingerprintLayers(sets.layers, geoOpts, ctx);
  const p = fingerprintPixelDatasets(sets.pixel, px);
  if (!sets.layers.length) return p;
  const g = fingerprintLayers(sets.layers, geoOpts, ctx);
  const h = createHash('sha256').update(`${g.fingerprint}\n${p.fingerprint}\n`).digest('hex');
  return {
    fingerprint: `${FINGERPRINT_VERSION}-${g.tolerance}+${p.tolerance}-${h}`, tolerance: `${g.tolerance}, ${p.tolerance}`, space: g.space,
    features: g.features + p.features, crs: [...g.crs, ...p.crs], issues: g.issues, files: [...g.files, ...p.files],
  };
}

/**
 * The semantic fingerprint of annotation files or directories (`geo1-<tolerance>-<sha256>`),
 * independent of feature order, file format, field order and sub-tolerance drift on the grid.
 */
export async function annotationFingerprint(paths: string[], tolerance?: string, opts: Omit<CanonicalOptions, 'tolerance'> = {}): Promise<string> {
  const sets: AnnotationSets = { layers: [], pixel: [] };
  for (const p of paths) {
    const got = await readAnnotationSets(resolve(p), paths.length > 1 ? p : undefined);
    sets.layers.push(...(paths.length > 1 ? got.layers.map((l) => ({ ...l, path: `${p}:${l.path}` })) : got.layers));
    sets.pixel.push(...(paths.length > 1 ? got.pixel.map((l) => ({ ...l, path: `${p}:${l.path}` })) : got.pixel));
  }
  return fingerprintSets(sets, { ...opts, tolerance: geoTolerance(parseTolerance(tolerance)) }, pixelTolerance(tolerance)).fingerprint;
}

function snapshotDir(absPath: string, tol: string): string | undefined {
  const root = findRepoRoot(dirname(absPath));
  if (!root) return undefined;
  const key = createHash('sha256').update(`${relative(root, absPath)}\0${tol}`).digest('hex').slice(0, 24);
  return join(root, '.dvc', 'tmp', 'annotation-snapshots', key);
}

function saveSnapshot(dir: string, fp: string, sets: AnnotationSets): void {
  mkdirSync(dir, { recursive: true });
  // vector-only snapshots keep their original form (an array of layers)
  writeFileAtomicSync(join(dir, `${fp}.json.gz`), gzipSync(JSON.stringify(sets.pixel.length ? sets : sets.layers)));
  const all = readdirSync(dir).filter((f) => f.endsWith('.json.gz')).map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs })).sort((a, b) => b.t - a.t);
  for (const old of all.slice(KEEP_SNAPSHOTS)) rmSync(join(dir, old.f), { force: true });
}

async function equivalent(sa: AnnotationSets, sb: AnnotationSets, opts: CanonicalOptions, px: Tolerance): Promise<boolean> {
  if (sa.pixel.length !== sb.pixel.length) return false;
  for (let i = 0; i < sa.pixel.length; i++) {
    if (sa.pixel[i]!.path !== sb.pixel[i]!.path) return false;
    const d = comparePixelDatasets(sa.pixel[i]!.path, sa.pixel[i]!.dataset, sb.pixel[i]!.dataset, { tolerance: px });
    if (d.status === 'semantic' || d.status === 'added' || d.status === 'removed') return false;
  }
  const a = sa.layers, b = sb.layers;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.path !== b[i]!.path) return false;
    const d = await compareLayers(a[i]!.path, a[i]!, b[i]!, opts);
    if (d.status === 'semantic' || d.status === 'added' || d.status === 'removed') return false;
  }
  return true;
}

/** Fingerprinter for the pipeline's `annotations[@TOL]` dep kind (see the module comment). */
export async function annotationDepFingerprint(absPath: string, tolerance?: string): Promise<string> {
  const opts: CanonicalOptions = { tolerance: geoTolerance(parseTolerance(tolerance)), validate: false };
  const px = pixelTolerance(tolerance);
  const sets = await readAnnotationSets(absPath);
  const fp = fingerprintSets(sets, opts, px).fingerprint;
  const dir = snapshotDir(absPath, sets.pixel.length ? `${opts.tolerance.text}+${px.text}` : opts.tolerance.text);
  if (!dir) return fp;
  const own = join(dir, `${fp}.json.gz`);
  if (existsSync(own)) { const now = new Date(); utimesSync(own, now, now); return fp; }
  if (existsSync(dir)) {
    const snaps = readdirSync(dir).filter((f) => f.endsWith('.json.gz')).map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs })).sort((a, b) => b.t - a.t);
    for (const s of snaps) {
      let prev: AnnotationSets;
      try {
        const v = JSON.parse(gunzipSync(readFileSync(join(dir, s.f))).toString('utf8'));
        prev = Array.isArray(v) ? { layers: v, pixel: [] } : v;
      } catch { continue; }
      if (await equivalent(prev, sets, opts, px)) return s.f.slice(0, -'.json.gz'.length);
    }
  }
  saveSnapshot(dir, fp, sets);
  return fp;
}
