/**
 * Feature matching and diff of two versions of an annotation layer.
 *
 * Matching, in order: (1) features equal at full precision (digest at quantum/10^4),
 * (2) features equal on the tolerance grid, (3) same feature id (GeoJSON `id` or --id-field),
 * (4) geometry: overlapping boxes, ranked by equal properties, then IoU (polygons) or vertex shift.
 * Each pair is then measured: max vertex shift (symmetric, nearest vertex), area change, IoU,
 * changed attributes (class fields reported as a class change).
 *
 * A file is `byte-identical` (same bytes), `format-only` (same features at full precision, in
 * any order or format), `precision-only` (every vertex within the tolerance, no attribute
 * change, nothing added or removed), or `semantic`.
 */
import type { OpContext } from '../../lib/progress.js';
import { canonicalValue, geometryKey, type PreparedFeature } from './canonical.js';
import { featureDigest, prepareLayer, resolveSpace, type CanonicalOptions, type NamedLayer, type PreparedLayer } from './fingerprint.js';
import { area, hasPolygons, iou, maxVertexShift, metricFor } from './measure.js';
import type { GeometryIssue } from './types.js';
import type { SpaceKind } from './crs-bridge.js';

/** Property names treated as the class of a label, unless `classFields` is given. */
export const DEFAULT_CLASS_FIELDS = ['class', 'class_name', 'classname', 'class_id', 'label', 'label_id', 'category', 'category_id'];

export interface DiffOptions extends CanonicalOptions {
  classFields?: string[];
  /** List precision-only features one by one (default: only counted). */
  listPrecisionOnly?: boolean;
}

export type FeatureStatus = 'added' | 'removed' | 'changed' | 'precision-only';
export type ChangeKind = 'geometry' | 'class' | 'attributes';

export interface AttributeChange { key: string; old: unknown; new: unknown }

export interface FeatureChange {
  status: FeatureStatus;
  changes: ChangeKind[];
  /** Label of the feature in the old/new version (`id=…` or `#n`, 1-based). */
  a?: string;
  b?: string;
  matchedBy?: 'precision' | 'id' | 'geometry';
  /** In the tolerance unit (metres by default). */
  maxVertexShift?: number;
  areaOld?: number;
  areaNew?: number;
  areaChange?: number;
  iou?: number | null;
  attributes?: AttributeChange[];
  classOld?: unknown;
  classNew?: unknown;
  /** Image-space labels (COCO, VOC): the image (file name) the annotation belongs to. */
  image?: string;
  /** Image-space labels: the box [xmin, ymin, xmax, ymax] in pixels, old and new. */
  boxOld?: number[];
  boxNew?: number[];
  /** The prepared geometries (canonical space), for the GeoJSON of changes. Not serialised. */
  geomOld?: PreparedFeature;
  geomNew?: PreparedFeature;
}

export type FileStatus = 'byte-identical' | 'format-only' | 'precision-only' | 'semantic' | 'added' | 'removed';

export interface LayerDiff {
  path: string;
  status: FileStatus;
  tolerance: string;
  unit: string;
  space: SpaceKind;
  crsOld?: string;
  crsNew?: string;
  formatOld?: string;
  formatNew?: string;
  counts: { old: number; new: number; unchanged: number; precisionOnly: number; added: number; removed: number; geometry: number; class: number; attributes: number };
  /** Added, removed and changed features (and precision-only ones when asked). */
  features: FeatureChange[];
  issues: (GeometryIssue & { version: 'old' | 'new' })[];
  /** Image-space labels (COCO, VOC): images in each version, added, removed, resized. */
  images?: { old: number; new: number; added: number; removed: number; changed: number };
}

function emptyCounts(): LayerDiff['counts'] {
  return { old: 0, new: 0, unchanged: 0, precisionOnly: 0, added: 0, removed: 0, geometry: 0, class: 0, attributes: 0 };
}

/** Pairs equal keys across the two sides (multiset), removing them from the pools. */
function pairByKey(keysA: Map<number, string>, keysB: Map<number, string>, onPair: (i: number, j: number) => void): void {
  const byKey = new Map<string, number[]>();
  for (const [j, k] of keysB) { const l = byKey.get(k); if (l) l.push(j); else byKey.set(k, [j]); }
  for (const [i, k] of keysA) {
    const l = byKey.get(k);
    if (l && l.length) { const j = l.shift()!; keysA.delete(i); keysB.delete(j); onPair(i, j); }
  }
}

type BBox = [number, number, number, number];

/** A uniform grid over boxes, for candidate lookup in geometry matching. */
class BoxGrid {
  private cells = new Map<string, number[]>();
  private big: number[] = [];
  constructor(private size: number, private maxCells = 64) {}
  private range(b: BBox): [number, number, number, number] {
    return [Math.floor(b[0] / this.size), Math.floor(b[1] / this.size), Math.floor(b[2] / this.size), Math.floor(b[3] / this.size)];
  }
  insert(id: number, b: BBox): void {
    const [x0, y0, x1, y1] = this.range(b);
    if ((x1 - x0 + 1) * (y1 - y0 + 1) > this.maxCells) { this.big.push(id); return; }
    for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) {
      const k = `${x},${y}`;
      const l = this.cells.get(k);
      if (l) l.push(id); else this.cells.set(k, [id]);
    }
  }
  query(b: BBox): Set<number> {
    const out = new Set<number>(this.big);
    const [x0, y0, x1, y1] = this.range(b);
    if ((x1 - x0 + 1) * (y1 - y0 + 1) > this.maxCells * 16) { for (const l of this.cells.values()) for (const i of l) out.add(i); return out; }
    for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) for (const i of this.cells.get(`${x},${y}`) ?? []) out.add(i);
    return out;
  }
}

function overlaps(a: BBox, b: BBox, m: number): boolean {
  return a[0] - m <= b[2] && b[0] - m <= a[2] && a[1] - m <= b[3] && b[1] - m <= a[3];
}

function changedAttributes(a: Record<string, unknown>, b: Record<string, unknown>, ignore: Set<string>, canon: (v: unknown) => string): AttributeChange[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const out: AttributeChange[] = [];
  for (const k of [...keys].sort()) {
    if (ignore.has(k)) continue;
    const va = a[k] ?? null, vb = b[k] ?? null;
    if (canon(va) !== canon(vb)) out.push({ key: k, old: va, new: vb });
  }
  return out;
}

/**
 * Compares two versions of one annotation file. `a` or `b` may be null (file added/removed).
 * `bytesEqual` short-cuts to byte-identical.
 */
export async function compareLayers(path: string, a: NamedLayer | null, b: NamedLayer | null, opts: DiffOptions, ctx: OpContext & { bytesEqual?: boolean } = {}): Promise<LayerDiff> {
  const layers = [a, b].filter((x): x is NamedLayer => !!x);
  const cs = resolveSpace(layers, opts);
  const unit = cs.space === 'native' ? 'units' : opts.tolerance.unit === 'm' ? 'm' : 'deg';
  const counts = emptyCounts();
  const result: LayerDiff = { path, status: 'semantic', tolerance: opts.tolerance.text, unit, space: cs.space, counts, features: [], issues: [] };
  let ti = 0;
  const pa: PreparedLayer | null = a ? prepareLayer(a, cs.transforms[ti++]!.fn, opts, ctx) : null;
  const pb: PreparedLayer | null = b ? prepareLayer(b, cs.transforms[ti++]!.fn, opts, ctx) : null;
  if (a) { result.crsOld = cs.transforms[0]!.label; result.formatOld = a.layer.format; }
  if (b) { result.crsNew = cs.transforms[a ? 1 : 0]!.label; result.formatNew = b.layer.format; }
  for (const is of pa?.issues ?? []) result.issues.push({ ...is, version: 'old' });
  for (const is of pb?.issues ?? []) result.issues.push({ ...is, version: 'new' });
  counts.old = pa?.features.length ?? 0;
  counts.new = pb?.features.length ?? 0;

  const ignore = new Set(opts.ignoreFields ?? []);
  if (opts.idField) ignore.add(opts.idField);
  const classFields = new Set(opts.classFields ?? DEFAULT_CLASS_FIELDS);
  const tol = opts.tolerance.value;

  const poolA = new Map<number, string>();
  const poolB = new Map<number, string>();
  const qExact = cs.quantum / 1e4;
  const keyOf = featureDigest;
  pa?.features.forEach((pf, i) => poolA.set(i, keyOf(pf, pa.props[i]!, qExact)));
  pb?.features.forEach((pf, j) => poolB.set(j, keyOf(pf, pb.props[j]!, qExact)));

  // (1) equal at full precision
  pairByKey(poolA, poolB, () => { counts.unchanged++; });

  const pairs: { i: number; j: number; by: FeatureChange['matchedBy'] }[] = [];
  const byGrid = () => {
    if (!pa || !pb || !poolA.size || !poolB.size) return;
    for (const i of poolA.keys()) poolA.set(i, keyOf(pa.features[i]!, pa.props[i]!, cs.quantum));
    for (const j of poolB.keys()) poolB.set(j, keyOf(pb.features[j]!, pb.props[j]!, cs.quantum));
    pairByKey(poolA, poolB, (i, j) => pairs.push({ i, j, by: 'precision' }));
  };
  const idKey = (pf: PreparedFeature) => (pf.feature.id === undefined || pf.feature.id === null ? undefined : `${typeof pf.feature.id}:${String(pf.feature.id)}`);
  const byId = () => {
    if (!pa || !pb || !poolA.size || !poolB.size) return;
    const ka = new Map<number, string>(), kb = new Map<number, string>();
    for (const i of poolA.keys()) { const k = idKey(pa.features[i]!); if (k) ka.set(i, k); }
    for (const j of poolB.keys()) { const k = idKey(pb.features[j]!); if (k) kb.set(j, k); }
    pairByKey(ka, kb, (i, j) => { poolA.delete(i); poolB.delete(j); pairs.push({ i, j, by: 'id' }); });
  };
  // (2) equal on the tolerance grid, (3) same id. When every remaining feature on both sides has
  // an id, ids go first: the pairs are the same and the grid keys need not be computed.
  const allIds = !!pa && !!pb && [...poolA.keys()].every((i) => idKey(pa.features[i]!) !== undefined) && [...poolB.keys()].every((j) => idKey(pb.features[j]!) !== undefined);
  if (allIds) { byId(); byGrid(); } else { byGrid(); byId(); }
  // (4) geometry
  if (pa && pb && poolA.size && poolB.size) {
    const margin = cs.quantum * 20;
    const boxesB = [...poolB.keys()].filter((j) => pb.features[j]!.bbox);
    const sizes = boxesB.map((j) => { const bb = pb.features[j]!.bbox!; return Math.max(bb[2] - bb[0], bb[3] - bb[1]); }).sort((x, y) => x - y);
    const cell = Math.max(sizes[sizes.length >> 1] ?? 1, cs.quantum * 10, 1e-12);
    const grid = new BoxGrid(cell);
    for (const j of boxesB) grid.insert(j, pb.features[j]!.bbox!);
    const cand: { i: number; j: number; props: number; score: number }[] = [];
    for (const i of poolA.keys()) {
      const fa = pa.features[i]!;
      if (!fa.bbox) continue;
      const bb: BBox = [fa.bbox[0] - margin, fa.bbox[1] - margin, fa.bbox[2] + margin, fa.bbox[3] + margin];
      const m = metricFor(cs.space, opts.tolerance.unit, fa.bbox);
      for (const j of grid.query(bb)) {
        const fb = pb.features[j]!;
        if (!fb.bbox || !overlaps(fa.bbox, fb.bbox, margin)) continue;
        const props = pa.props[i] === pb.props[j] ? 1 : 0;
        let score: number;
        const shift = maxVertexShift(fa, fb, m);
        if (hasPolygons(fa) && hasPolygons(fb)) {
          const v = iou(fa, fb);
          if ((v ?? 0) < 0.3 && shift > 10 * tol) continue;
          score = 1 - (v ?? 0) + shift / (shift + tol) * 1e-3;
        } else {
          if (shift > 10 * tol) continue;
          score = shift / (shift + tol);
        }
        cand.push({ i, j, props, score });
      }
    }
    cand.sort((x, y) => y.props - x.props || x.score - y.score);
    for (const c of cand) {
      if (!poolA.has(c.i) || !poolB.has(c.j)) continue;
      poolA.delete(c.i); poolB.delete(c.j);
      pairs.push({ i: c.i, j: c.j, by: 'geometry' });
    }
  }

  // measure the pairs
  for (const { i, j, by } of pairs) {
    const fa = pa!.features[i]!, fb = pb!.features[j]!;
    const m = metricFor(cs.space, opts.tolerance.unit, fa.bbox ?? fb.bbox);
    const shift = maxVertexShift(fa, fb, m);
    // equal on the tolerance grid also counts as precision-only (a diagonal cell is up to √2·q)
    const geomChanged = shift > tol && !(shift <= tol * 2 && (by === 'precision' || geometryKey(fa.parts, cs.quantum) === geometryKey(fb.parts, cs.quantum)));
    const attrs = pa!.props[i] === pb!.props[j] ? [] : changedAttributes(fa.feature.properties, fb.feature.properties, ignore, canonicalValue);
    const changes: ChangeKind[] = [];
    if (geomChanged) changes.push('geometry');
    const classAttr = attrs.find((x) => classFields.has(x.key));
    if (classAttr) changes.push('class');
    if (attrs.some((x) => !classFields.has(x.key))) changes.push('attributes');
    const fc: FeatureChange = { status: changes.length ? 'changed' : 'precision-only', changes, a: fa.label, b: fb.label, matchedBy: by, maxVertexShift: round(shift) };
    if (geomChanged) {
      fc.areaOld = round(area(fa, m)); fc.areaNew = round(area(fb, m));
      fc.areaChange = round(fc.areaNew - fc.areaOld);
      const v = iou(fa, fb);
      fc.iou = v === null ? null : round(v);
    }
    if (attrs.length) fc.attributes = attrs;
    if (classAttr) { fc.classOld = classAttr.old; fc.classNew = classAttr.new; }
    fc.geomOld = fa; fc.geomNew = fb;
    if (changes.length) {
      result.features.push(fc);
      if (geomChanged) counts.geometry++;
      if (classAttr) counts.class++;
      if (changes.includes('attributes')) counts.attributes++;
    } else {
      counts.precisionOnly++;
      if (opts.listPrecisionOnly) result.features.push(fc);
    }
  }
  const classOf = (pf: PreparedFeature): unknown => {
    for (const k of classFields) if (pf.feature.properties[k] !== undefined) return pf.feature.properties[k];
    return undefined;
  };
  for (const i of poolA.keys()) {
    const f = pa!.features[i]!;
    counts.removed++;
    result.features.push({ status: 'removed', changes: [], a: f.label, classOld: classOf(f), geomOld: f });
  }
  for (const j of poolB.keys()) {
    const f = pb!.features[j]!;
    counts.added++;
    result.features.push({ status: 'added', changes: [], b: f.label, classNew: classOf(f), geomNew: f });
  }

  if (!a) result.status = 'added';
  else if (!b) result.status = 'removed';
  else if (ctx.bytesEqual) result.status = 'byte-identical';
  else if (counts.added || counts.removed || counts.geometry || counts.class || counts.attributes) result.status = 'semantic';
  else if (counts.precisionOnly) result.status = 'precision-only';
  else result.status = 'format-only';
  return result;
}

function round(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(6)) : v;
}

/** A diff result without the prepared geometries (for JSON output). */
export function serialisableDiff(d: LayerDiff): Omit<LayerDiff, 'features'> & { features: Omit<FeatureChange, 'geomOld' | 'geomNew'>[] } {
  return { ...d, features: d.features.map(({ geomOld: _o, geomNew: _n, ...rest }) => rest) };
}
