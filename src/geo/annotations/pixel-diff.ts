/**
 * Semantic diff and fingerprint of image-space label datasets (COCO, Pascal VOC; pixel.ts), in
 * pixels with a tolerance (default 0.5px).
 *
 * Images are matched by file name (ids and order do not matter). Inside an image, annotations
 * are matched greedily, in three rounds, each pair used once:
 *   1. equal: same category name, same coordinates, mask and attributes (any order, any ids);
 *   2. within tolerance: same category and attributes, every box corner / polygon vertex within
 *      the tolerance (smallest shift first) -> precision-only;
 *   3. same object edited: box IoU >= 0.3, or a shift smaller than the larger box side; pairs with
 *      the same category first, then by IoU, then by shift -> changed (geometry, class, attributes).
 * What is left is removed (old) or added (new). Categories are compared by name.
 *
 * The shift of a pair is the largest distance between corresponding box corners and, for
 * polygons, between vertices (index-aligned when the rings have the same length, else nearest
 * vertex both ways).
 */
import { createHash } from 'node:crypto';
import { throwIfAborted } from '../../lib/errors.js';
import type { OpContext } from '../../lib/progress.js';
import { canonicalValue } from './canonical.js';
import type { AttributeChange, ChangeKind, FeatureChange, LayerDiff } from './diff.js';
import { FINGERPRINT_VERSION, type FingerprintResult } from './fingerprint.js';
import type { NamedPixelDataset, PixelAnnotation, PixelDataset, PixelImage } from './pixel.js';
import type { Tolerance } from './tolerance.js';

type Box = [number, number, number, number];

const ID_LIKE = new Set(['id']);

function attrsKey(a: PixelAnnotation): string {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a.attrs)) if (!ID_LIKE.has(k)) o[k] = v;
  return canonicalValue(o);
}

function exactGeomKey(a: PixelAnnotation): string {
  const rings = a.polygons.map((p) => p.join(',')).sort();
  return `${a.box.join(',')}|${rings.join(';')}|${a.mask ?? ''}`;
}

function exactKey(a: PixelAnnotation, ak: string): string {
  return `${a.category}\u0000${exactGeomKey(a)}\u0000${ak}\u0000${a.area ?? ''}`;
}

function cornerShift(a: Box, b: Box): number {
  const dx0 = a[0] - b[0], dy0 = a[1] - b[1], dx1 = a[2] - b[2], dy1 = a[3] - b[3];
  return Math.sqrt(Math.max(dx0 * dx0 + dy0 * dy0, dx1 * dx1 + dy0 * dy0, dx1 * dx1 + dy1 * dy1, dx0 * dx0 + dy1 * dy1));
}

function alignedShift(p: number[], q: number[]): number {
  let m = 0;
  for (let i = 0; i < p.length; i += 2) { const dx = p[i]! - q[i]!, dy = p[i + 1]! - q[i + 1]!; m = Math.max(m, dx * dx + dy * dy); }
  return Math.sqrt(m);
}

function nearestShift(ps: number[][], qs: number[][]): number {
  const one = (from: number[][], to: number[][]): number => {
    let worst = 0;
    for (const p of from) for (let i = 0; i < p.length; i += 2) {
      let best = Infinity;
      for (const q of to) for (let j = 0; j < q.length; j += 2) { const dx = p[i]! - q[j]!, dy = p[i + 1]! - q[j + 1]!; const d = dx * dx + dy * dy; if (d < best) best = d; }
      if (best > worst) worst = best;
    }
    return worst;
  };
  return Math.sqrt(Math.max(one(ps, qs), one(qs, ps)));
}

const vertexCount = (ps: number[][]): number => ps.reduce((s, p) => s + p.length / 2, 0);

/** Largest vertex displacement between two annotations (pixels). */
export function annotationShift(a: PixelAnnotation, b: PixelAnnotation): number {
  let s = cornerShift(a.box, b.box);
  if (a.polygons.length || b.polygons.length) {
    if (!a.polygons.length || !b.polygons.length) return Infinity;
    let ps = a.polygons.length === b.polygons.length && a.polygons.every((p, k) => p.length === b.polygons[k]!.length) ? Math.max(...a.polygons.map((p, k) => alignedShift(p, b.polygons[k]!))) : Infinity;
    if (ps > 0 && vertexCount(a.polygons) * vertexCount(b.polygons) <= 4e6) ps = Math.min(ps, nearestShift(a.polygons, b.polygons));
    s = Math.max(s, ps);
  }
  return s;
}

export function boxIou(a: Box, b: Box): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]), ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  const inter = iw > 0 && ih > 0 ? iw * ih : 0;
  const ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  if (ua <= 0) return a.every((v, k) => v === b[k]) ? 1 : 0;
  return inter / ua;
}

const boxArea = (b: Box): number => (b[2] - b[0]) * (b[3] - b[1]);

/** A grid over box centres of one side, for candidate lookup. */
class CentreGrid {
  private cells = new Map<string, number[]>();
  private big: number[] = [];
  constructor(private cell: number) {}
  private k(x: number, y: number): string { return `${Math.floor(x / this.cell)},${Math.floor(y / this.cell)}`; }
  insert(id: number, b: Box): void {
    if (Math.max(b[2] - b[0], b[3] - b[1]) > this.cell) { this.big.push(id); return; }
    const key = this.k((b[0] + b[2]) / 2, (b[1] + b[3]) / 2);
    const l = this.cells.get(key); if (l) l.push(id); else this.cells.set(key, [id]);
  }
  /** Ids whose centre may lie within `r` of the centre of `b` (plus every big box). */
  near(b: Box, r: number): number[] {
    const cx = (b[0] + b[2]) / 2, cy = (b[1] + b[3]) / 2;
    const out = [...this.big];
    const x0 = Math.floor((cx - r) / this.cell), x1 = Math.floor((cx + r) / this.cell), y0 = Math.floor((cy - r) / this.cell), y1 = Math.floor((cy + r) / this.cell);
    if ((x1 - x0 + 1) * (y1 - y0 + 1) > 4096) { for (const l of this.cells.values()) out.push(...l); return out; }
    for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) { const l = this.cells.get(`${x},${y}`); if (l) out.push(...l); }
    return out;
  }
}

export interface ImageMatch {
  unchanged: number;
  pairs: { i: number; j: number; precision: boolean; shift: number }[];
  removed: number[];
  added: number[];
}

/** Matches the annotations of two versions of one image (see the module comment). */
export function matchImage(A: PixelAnnotation[], B: PixelAnnotation[], tol: number): ImageMatch {
  const akA = A.map(attrsKey), akB = B.map(attrsKey);
  const poolA = new Set(A.map((_, i) => i)), poolB = new Set(B.map((_, j) => j));
  const res: ImageMatch = { unchanged: 0, pairs: [], removed: [], added: [] };
  // 1. equal
  const byKey = new Map<string, number[]>();
  B.forEach((b, j) => { const k = exactKey(b, akB[j]!); const l = byKey.get(k); if (l) l.push(j); else byKey.set(k, [j]); });
  A.forEach((a, i) => {
    const l = byKey.get(exactKey(a, akA[i]!));
    if (l && l.length) { const j = l.shift()!; poolA.delete(i); poolB.delete(j); res.unchanged++; }
  });
  if (poolA.size && poolB.size) {
    const sizes = [...poolB].map((j) => Math.max(B[j]!.box[2] - B[j]!.box[0], B[j]!.box[3] - B[j]!.box[1])).sort((x, y) => x - y);
    const grid = new CentreGrid(Math.max(2 * (sizes[sizes.length >> 1] ?? 1), 10 * tol, 1e-9));
    for (const j of poolB) grid.insert(j, B[j]!.box);
    // 2. within tolerance
    const near: { i: number; j: number; shift: number }[] = [];
    for (const i of poolA) {
      const a = A[i]!;
      for (const j of grid.near(a.box, tol * 2)) {
        const b = B[j]!;
        if (a.category !== b.category || akA[i] !== akB[j] || (a.mask ?? '') !== (b.mask ?? '')) continue;
        const s = annotationShift(a, b);
        if (s <= tol) near.push({ i, j, shift: s });
      }
    }
    near.sort((x, y) => x.shift - y.shift);
    for (const c of near) {
      if (!poolA.has(c.i) || !poolB.has(c.j)) continue;
      poolA.delete(c.i); poolB.delete(c.j);
      res.pairs.push({ i: c.i, j: c.j, precision: true, shift: c.shift });
    }
  }
  if (poolA.size && poolB.size) {
    // 3. the same object, edited
    const sizes = [...poolB].map((j) => Math.max(B[j]!.box[2] - B[j]!.box[0], B[j]!.box[3] - B[j]!.box[1])).sort((x, y) => x - y);
    const grid = new CentreGrid(Math.max(2 * (sizes[sizes.length >> 1] ?? 1), 10 * tol, 1e-9));
    for (const j of poolB) grid.insert(j, B[j]!.box);
    const cand: { i: number; j: number; same: number; iou: number; shift: number }[] = [];
    for (const i of poolA) {
      const a = A[i]!;
      const sa = Math.max(a.box[2] - a.box[0], a.box[3] - a.box[1]);
      for (const j of grid.near(a.box, Math.max(2 * sa, 10 * tol))) {
        if (!poolB.has(j)) continue;
        const b = B[j]!;
        const iou = boxIou(a.box, b.box);
        const shift = cornerShift(a.box, b.box);
        const side = Math.max(sa, b.box[2] - b.box[0], b.box[3] - b.box[1]);
        if (iou < 0.3 && shift >= Math.max(side, tol)) continue;
        cand.push({ i, j, same: a.category === b.category ? 1 : 0, iou, shift });
      }
    }
    cand.sort((x, y) => y.same - x.same || y.iou - x.iou || x.shift - y.shift);
    for (const c of cand) {
      if (!poolA.has(c.i) || !poolB.has(c.j)) continue;
      poolA.delete(c.i); poolB.delete(c.j);
      res.pairs.push({ i: c.i, j: c.j, precision: false, shift: annotationShift(A[c.i]!, B[c.j]!) });
    }
  }
  res.removed = [...poolA].sort((x, y) => x - y);
  res.added = [...poolB].sort((x, y) => x - y);
  return res;
}

function changedAttrs(a: PixelAnnotation, b: PixelAnnotation): AttributeChange[] {
  const out: AttributeChange[] = [];
  const keys = [...new Set([...Object.keys(a.attrs), ...Object.keys(b.attrs)])].filter((k) => !ID_LIKE.has(k)).sort();
  for (const k of keys) if (canonicalValue(a.attrs[k]) !== canonicalValue(b.attrs[k])) out.push({ key: k, old: a.attrs[k] ?? null, new: b.attrs[k] ?? null });
  if ((a.mask ?? '') !== (b.mask ?? '')) out.push({ key: 'mask', old: a.mask ?? null, new: b.mask ?? null });
  return out;
}

/** Area drift a shift of `tol` along the outline of box `b` can cause. */
const areaSlack = (b: Box, tol: number): number => tol * 2 * ((b[2] - b[0]) + (b[3] - b[1])) + tol * tol * 4 + 1e-9;

const round = (v: number): number => (Number.isFinite(v) ? Number(v.toPrecision(6)) : v);

export interface PixelDiffOptions { tolerance: Tolerance; listPrecisionOnly?: boolean }

function imageKeyMap(ds: PixelDataset | null): Map<string, PixelImage> {
  const m = new Map<string, PixelImage>();
  for (const im of ds?.images ?? []) m.set(im.name, im);
  return m;
}

/**
 * Compares two versions of a COCO/VOC file (either may be null: file added/removed). The result
 * has the shape of the vector diff (`LayerDiff`), with `unit: 'px'`, `format*` set, each change
 * naming its `image`, and `images` counts.
 */
export function comparePixelDatasets(path: string, a: PixelDataset | null, b: PixelDataset | null, opts: PixelDiffOptions, ctx: OpContext & { bytesEqual?: boolean } = {}): LayerDiff {
  const tol = opts.tolerance.value;
  const counts: LayerDiff['counts'] = { old: 0, new: 0, unchanged: 0, precisionOnly: 0, added: 0, removed: 0, geometry: 0, class: 0, attributes: 0 };
  const result: LayerDiff = { path, status: 'semantic', tolerance: opts.tolerance.text, unit: 'px', space: 'native', counts, features: [], issues: [] };
  if (a) result.formatOld = a.format;
  if (b) result.formatNew = b.format;
  const images = { old: a?.images.length ?? 0, new: b?.images.length ?? 0, added: 0, removed: 0, changed: 0 };
  result.images = images;
  for (const [ds, version] of [[a, 'old'], [b, 'new']] as const) for (const is of ds?.issues ?? []) result.issues.push({ feature: `${is.image} ${is.annotation}`, problem: 'odd-coordinate-count', detail: is.problem, version });
  const ia = imageKeyMap(a), ib = imageKeyMap(b);
  const names = [...new Set([...ia.keys(), ...ib.keys()])].sort();
  let done = 0;
  for (const name of names) {
    if ((++done & 255) === 0) { throwIfAborted(ctx.signal); ctx.onProgress?.({ phase: 'comparing labels', done, total: names.length, item: path }); }
    const A = ia.get(name), B = ib.get(name);
    counts.old += A?.annotations.length ?? 0;
    counts.new += B?.annotations.length ?? 0;
    if (A && B) {
      const attrs: AttributeChange[] = [];
      for (const k of ['width', 'height'] as const) if ((A[k] ?? null) !== (B[k] ?? null)) attrs.push({ key: k, old: A[k] ?? null, new: B[k] ?? null });
      if (attrs.length) {
        images.changed++; counts.attributes++;
        result.features.push({ status: 'changed', changes: ['attributes'], image: name, a: 'image', b: 'image', attributes: attrs });
      }
    } else if (A) images.removed++;
    else images.added++;
    const m = matchImage(A?.annotations ?? [], B?.annotations ?? [], tol);
    counts.unchanged += m.unchanged;
    for (const p of m.pairs) {
      const x = A!.annotations[p.i]!, y = B!.annotations[p.j]!;
      const changes: ChangeKind[] = [];
      const geom = !p.precision && p.shift > tol;
      if (geom) changes.push('geometry');
      if (x.category !== y.category) changes.push('class');
      const attrs = changedAttrs(x, y);
      if (!geom && x.area !== undefined && y.area !== undefined && Math.abs(x.area - y.area) > areaSlack(y.box, tol)) attrs.push({ key: 'area', old: x.area, new: y.area });
      if (attrs.length) changes.push('attributes');
      const fc: FeatureChange = { status: changes.length ? 'changed' : 'precision-only', changes, image: name, a: x.label, b: y.label, matchedBy: p.precision ? 'precision' : 'geometry', maxVertexShift: round(p.shift) };
      if (geom) {
        fc.areaOld = round(x.area ?? boxArea(x.box)); fc.areaNew = round(y.area ?? boxArea(y.box));
        fc.areaChange = round(fc.areaNew - fc.areaOld);
        fc.iou = round(boxIou(x.box, y.box));
        fc.boxOld = x.box; fc.boxNew = y.box;
      }
      if (x.category !== y.category) { fc.classOld = x.category; fc.classNew = y.category; }
      if (attrs.length) fc.attributes = attrs;
      if (changes.length) {
        result.features.push(fc);
        if (geom) counts.geometry++;
        if (changes.includes('class')) counts.class++;
        if (attrs.length) counts.attributes++;
      } else {
        counts.precisionOnly++;
        if (opts.listPrecisionOnly) result.features.push(fc);
      }
    }
    for (const i of m.removed) { const x = A!.annotations[i]!; counts.removed++; result.features.push({ status: 'removed', changes: [], image: name, a: x.label, classOld: x.category, boxOld: x.box }); }
    for (const j of m.added) { const y = B!.annotations[j]!; counts.added++; result.features.push({ status: 'added', changes: [], image: name, b: y.label, classNew: y.category, boxNew: y.box }); }
  }
  if (!a) result.status = 'added';
  else if (!b) result.status = 'removed';
  else if (ctx.bytesEqual) result.status = 'byte-identical';
  else if (counts.added || counts.removed || counts.geometry || counts.class || counts.attributes || images.added || images.removed) result.status = 'semantic';
  else if (counts.precisionOnly) result.status = 'precision-only';
  else result.status = 'format-only';
  return result;
}

/** Digest of one annotation on the tolerance grid (quantum = the tolerance). */
function annotationDigest(image: string, a: PixelAnnotation, q: number): string {
  const qz = (v: number) => Math.round(v / q);
  const rings = a.polygons.map((p) => p.map(qz).join(',')).sort();
  const area = a.area === undefined ? '' : String(Math.round(a.area / areaSlack(a.box, q)));
  return createHash('sha256').update(`${image}\u0000${a.category}\u0000${a.box.map(qz).join(',')}\u0000${rings.join(';')}\u0000${a.mask ?? ''}\u0000${attrsKey(a)}\u0000${area}`).digest('base64');
}

function datasetDigest(ds: PixelDataset, q: number): { hex: string; annotations: number } {
  const d: string[] = [];
  for (const im of ds.images) {
    d.push(createHash('sha256').update(`image\u0000${im.name}\u0000${im.width ?? ''}\u0000${im.height ?? ''}`).digest('base64'));
    for (const a of im.annotations) d.push(annotationDigest(im.name, a, q));
  }
  d.sort();
  const h = createHash('sha256');
  for (const x of d) h.update(x);
  return { hex: h.digest('hex'), annotations: d.length - ds.images.length };
}

/**
 * Fingerprint of COCO/VOC datasets (`geo1-<tol>px-<sha256>`): independent of formatting, key and
 * element order, ids, image order and annotation order; equal when every coordinate falls in the
 * same tolerance grid cell. Several files combine with their paths, as for vector layers.
 */
export function fingerprintPixelDatasets(sets: NamedPixelDataset[], tolerance: Tolerance): FingerprintResult {
  const files = sets.map((s) => { const d = datasetDigest(s.dataset, tolerance.value); return { path: s.path, fingerprint: `${FINGERPRINT_VERSION}-${tolerance.text}-${d.hex}`, features: d.annotations }; });
  let fp: string;
  if (files.length === 1) fp = files[0]!.fingerprint;
  else {
    const h = createHash('sha256');
    for (const f of [...files].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0))) h.update(`${f.path}\t${f.fingerprint}\n`);
    fp = `${FINGERPRINT_VERSION}-${tolerance.text}-${h.digest('hex')}`;
  }
  return { fingerprint: fp.toLowerCase(), tolerance: tolerance.text, space: 'native', features: files.reduce((s, f) => s + f.features, 0), crs: ['pixels'], issues: [], files };
}
