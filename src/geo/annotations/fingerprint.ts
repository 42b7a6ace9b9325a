/**
 * Semantic fingerprint of annotation layers: the SHA-256 over the sorted per-feature digests of
 * (canonical geometry key at the tolerance quantum, canonical properties). It does not change
 * with feature order, file format, field order, ring orientation or start vertex, multi-part
 * order, duplicate vertices, or coordinate noise that stays on the same tolerance grid cell.
 *
 * A fingerprint is a fast equality test: two datasets with equal fingerprints are the same at
 * that tolerance. A vertex that drifts by less than the tolerance can still cross a grid-cell
 * boundary and change the fingerprint, so a differing fingerprint is confirmed by the
 * tolerance-aware comparison in diff.ts (`compareLayers`) before anything is called semantic.
 */
import { createHash } from 'node:crypto';
import { AppError, UsageError } from '../../lib/errors.js';
import { throttledProgress, type OpContext } from '../../lib/progress.js';
import { geometryKey, prepareFeature, propertiesKey, type PreparedFeature } from './canonical.js';
import { METRES_PER_DEGREE, toCanonical, type PointFn, type SpaceKind } from './crs-bridge.js';
import type { Tolerance } from './tolerance.js';
import type { AnnotationLayer, CoordinateSystem, GeometryIssue } from './types.js';
import { checkSelfIntersections } from './validity.js';

export const FINGERPRINT_VERSION = 'geo1';

export interface CanonicalOptions {
  tolerance: Tolerance;
  /** CRS for layers that declare none (`--crs`). */
  assumeCrs?: CoordinateSystem;
  /** Property names left out of the comparison (e.g. Shape_Area, editor timestamps). */
  ignoreFields?: string[];
  /** Property holding the feature id (left out of the attributes). Default: the GeoJSON `id`. */
  idField?: string;
  /** Check polygon rings for self-intersections (costly on huge rings; on by default). */
  validate?: boolean;
}

export interface NamedLayer { path: string; layer: AnnotationLayer }

export interface CanonicalSpace {
  space: SpaceKind;
  /** Quantum of the tolerance grid in canonical units. */
  quantum: number;
  /** Per-layer transform to the canonical space (null = identity) and CRS label. */
  transforms: { fn: PointFn | null; label: string }[];
}

/** Decides the canonical space for a set of layers; refuses to mix declared and undeclared CRSs. */
export function resolveSpace(layers: NamedLayer[], opts: Pick<CanonicalOptions, 'tolerance' | 'assumeCrs'>): CanonicalSpace {
  const transforms = layers.map((l) => toCanonical(l.layer.crs ?? opts.assumeCrs ?? null));
  const kinds = new Set(transforms.map((t) => t.space));
  if (kinds.size > 1) {
    const undeclared = layers.filter((_, i) => transforms[i]!.space === 'native').map((l) => l.path);
    const declared = layers.flatMap((l, i) => (transforms[i]!.space !== 'native' ? [`${l.path} (${transforms[i]!.label})`] : []));
    throw new AppError('mixed-crs', `mixed CRSs: ${undeclared.join(', ')} declare${undeclared.length === 1 ? 's' : ''} no CRS while ${declared.slice(0, 3).join(', ')} ${declared.length === 1 ? 'does' : 'do'}`, 1, {
      hint: 'declare the CRS of the files without one with --crs EPSG:<code> (or add a .prj / GeoJSON crs member)',
      details: { undeclared },
    });
  }
  const space: SpaceKind = kinds.has('native') ? 'native' : 'lonlat';
  const t = opts.tolerance;
  let quantum: number;
  if (space === 'native') quantum = t.value;
  else if (t.unit === 'm') quantum = t.value / METRES_PER_DEGREE;
  else if (t.unit === 'deg') quantum = t.value;
  else {
    throw new UsageError(`tolerance '${t.text}' is in CRS units, but the annotations have a CRS and are compared in WGS 84`, {
      hint: 'give the tolerance in metres (0.5m) or degrees (1e-6deg)',
    });
  }
  return { space, quantum, transforms: transforms.map((x) => ({ fn: x.fn, label: x.label })) };
}

export interface PreparedLayer {
  path: string;
  layer: AnnotationLayer;
  features: PreparedFeature[];
  /** Canonical properties text per feature. */
  props: string[];
  issues: GeometryIssue[];
}

export function ignoredKeys(opts: Pick<CanonicalOptions, 'ignoreFields' | 'idField'>): Set<string> {
  const s = new Set(opts.ignoreFields ?? []);
  if (opts.idField) s.add(opts.idField);
  return s;
}

/** Reprojects, flattens and validates every feature of a layer. */
export function prepareLayer(nl: NamedLayer, fn: PointFn | null, opts: CanonicalOptions, ctx: OpContext = {}): PreparedLayer {
  const ignore = ignoredKeys(opts);
  const feats = nl.layer.features;
  const out: PreparedFeature[] = new Array(feats.length);
  const props: string[] = new Array(feats.length);
  const issues: GeometryIssue[] = [];
  const progress = throttledProgress(ctx.onProgress);
  for (let i = 0; i < feats.length; i++) {
    const f = feats[i]!;
    const pf = prepareFeature(opts.idField && f.properties[opts.idField] !== undefined ? { ...f, id: f.properties[opts.idField] as string | number } : f, fn);
    if (opts.validate !== false) pf.issues.push(...checkSelfIntersections(pf));
    if (pf.issues.length) issues.push(...pf.issues);
    out[i] = pf;
    props[i] = propertiesKey(f.properties, ignore);
    if ((i & 1023) === 0) progress({ phase: 'canonicalizing', done: i, total: feats.length, item: nl.path });
  }
  ctx.onProgress?.({ phase: 'canonicalizing', done: feats.length, total: feats.length, item: nl.path, finished: true });
  return { path: nl.path, layer: nl.layer, features: out, props, issues };
}

/** SHA-256 (hex) of one feature's canonical geometry and properties at quantum q. */
export function featureDigest(pf: PreparedFeature, props: string, q: number): string {
  return createHash('sha256').update(geometryKey(pf.parts, q)).update('\u0000').update(props).digest('base64');
}

export interface FingerprintResult {
  /** `geo1-<tolerance>-<sha256 hex>`, lower case (fits DVC's checksum fields). */
  fingerprint: string;
  tolerance: string;
  space: SpaceKind;
  features: number;
  crs: string[];
  issues: (GeometryIssue & { path: string })[];
  /** Per-file fingerprints (same form), in input order. */
  files: { path: string; fingerprint: string; features: number }[];
}

function sortedDigest(digests: string[]): string {
  digests.sort();
  const h = createHash('sha256');
  for (const d of digests) h.update(d);
  return h.digest('hex');
}

/**
 * Fingerprint of one or several layers. With one layer the result does not depend on its
 * path; with several, each file's fingerprint is combined with its path.
 */
export function fingerprintLayers(layers: NamedLayer[], opts: CanonicalOptions, ctx: OpContext = {}): FingerprintResult {
  const cs = resolveSpace(layers, opts);
  const files: FingerprintResult['files'] = [];
  const issues: FingerprintResult['issues'] = [];
  let total = 0;
  for (let li = 0; li < layers.length; li++) {
    const pl = prepareLayer(layers[li]!, cs.transforms[li]!.fn, opts, ctx);
    for (const is of pl.issues) issues.push({ path: pl.path, ...is });
    const digests = pl.features.map((pf, i) => featureDigest(pf, pl.props[i]!, cs.quantum));
    total += digests.length;
    files.push({ path: pl.path, fingerprint: `${FINGERPRINT_VERSION}-${opts.tolerance.text}-${sortedDigest(digests)}`, features: digests.length });
  }
  let fp: string;
  if (files.length === 1) fp = files[0]!.fingerprint;
  else {
    const h = createHash('sha256');
    for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) h.update(`${f.path}\t${f.fingerprint}\n`);
    fp = `${FINGERPRINT_VERSION}-${opts.tolerance.text}-${h.digest('hex')}`;
  }
  ctx.onProgress?.({ phase: 'fingerprinting', done: total, total, finished: true });
  return { fingerprint: fp.toLowerCase(), tolerance: opts.tolerance.text, space: cs.space, features: total, crs: [...new Set(cs.transforms.map((t) => t.label))], issues, files };
}
