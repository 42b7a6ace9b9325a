/**
 * Geometric measures between two prepared features, in the unit of the tolerance:
 * symmetric maximum vertex shift (each vertex to the nearest vertex of the other geometry),
 * polygon area and intersection over union.
 */
import * as pcNs from 'polygon-clipping';
import type { Part, PreparedFeature } from './canonical.js';
import { metresPerUnit, type SpaceKind } from './crs-bridge.js';
import type { ToleranceUnit } from './tolerance.js';

/** polygon-clipping is CommonJS: its functions sit on the default export at run time. */
const polygonClipping = ((pcNs as unknown as { default?: typeof pcNs }).default ?? pcNs) as typeof pcNs;

export interface Metric { sx: number; sy: number }

/** Scale factors taking canonical units to the tolerance unit around a feature. */
export function metricFor(space: SpaceKind, unit: ToleranceUnit, bbox: [number, number, number, number] | null): Metric {
  if (space === 'native' || unit !== 'm') return { sx: 1, sy: 1 };
  const lat = bbox ? (bbox[1] + bbox[3]) / 2 : 0;
  const [sx, sy] = metresPerUnit(space, lat);
  return { sx, sy };
}

function vertices(parts: Part[], m: Metric): Float64Array {
  let n = 0;
  for (const p of parts) for (const r of p.rings) n += r.length;
  const out = new Float64Array(n);
  let k = 0;
  for (const p of parts) for (const r of p.rings) for (let i = 0; i < r.length; i += 2) { out[k++] = r[i]! * m.sx; out[k++] = r[i + 1]! * m.sy; }
  return out;
}

/** Max over the vertices of `a` of the distance to the nearest vertex of `b` (b sorted by x). */
function directed(a: Float64Array, bx: Float64Array, by: Float64Array): number {
  let worst = 0;
  const n = bx.length;
  if (!n) return a.length ? Infinity : 0;
  for (let i = 0; i < a.length; i += 2) {
    const x = a[i]!, y = a[i + 1]!;
    let lo = 0, hi = n;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (bx[mid]! < x) lo = mid + 1; else hi = mid; }
    let best = Infinity;
    for (let j = lo; j < n; j++) {
      const dx = bx[j]! - x;
      if (dx * dx >= best) break;
      const dy = by[j]! - y;
      const d = dx * dx + dy * dy;
      if (d < best) best = d;
    }
    for (let j = lo - 1; j >= 0; j--) {
      const dx = x - bx[j]!;
      if (dx * dx >= best) break;
      const dy = by[j]! - y;
      const d = dx * dx + dy * dy;
      if (d < best) best = d;
    }
    if (best > worst) { worst = best; }
    if (worst === Infinity) break;
  }
  return Math.sqrt(worst);
}

function sortedXY(v: Float64Array): [Float64Array, Float64Array] {
  const n = v.length / 2;
  const idx = Array.from({ length: n }, (_, i) => i).sort((p, q) => v[2 * p]! - v[2 * q]!);
  const xs = new Float64Array(n), ys = new Float64Array(n);
  idx.forEach((k, i) => { xs[i] = v[2 * k]!; ys[i] = v[2 * k + 1]!; });
  return [xs, ys];
}

/** Max over the vertices of `a` of the distance to the nearest vertex of `b`, pairwise. */
function directedSmall(a: Float64Array, b: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i += 2) {
    let best = Infinity;
    for (let j = 0; j < b.length; j += 2) {
      const dx = b[j]! - a[i]!, dy = b[j + 1]! - a[i + 1]!;
      const d = dx * dx + dy * dy;
      if (d < best) { best = d; if (d === 0) break; }
    }
    if (best > worst) worst = best;
  }
  return Math.sqrt(worst);
}

/** Symmetric max vertex shift between two geometries (Infinity when one side is empty). */
export function maxVertexShift(a: PreparedFeature, b: PreparedFeature, m: Metric): number {
  const va = vertices(a.parts, m), vb = vertices(b.parts, m);
  if (!va.length && !vb.length) return 0;
  if (!va.length || !vb.length) return Infinity;
  if (va.length * vb.length <= 4096) return Math.max(directedSmall(va, vb), directedSmall(vb, va));
  const [ax, ay] = sortedXY(va), [bx, by] = sortedXY(vb);
  return Math.max(directed(va, bx, by), directed(vb, ax, ay));
}

function ringArea(r: Float64Array): number {
  let s = 0;
  const n = r.length / 2;
  if (n < 3) return 0;
  const x0 = r[0]!, y0 = r[1]!;
  for (let i = 1; i < n - 1; i++) {
    s += (r[2 * i]! - x0) * (r[2 * i + 3]! - y0) - (r[2 * i + 2]! - x0) * (r[2 * i + 1]! - y0);
  }
  return Math.abs(s) / 2;
}

/** Polygon area (shells minus holes), in squared tolerance units; 0 for points and lines. */
export function area(pf: PreparedFeature, m: Metric): number {
  let s = 0;
  for (const p of pf.parts) {
    if (p.kind !== 'A') continue;
    p.rings.forEach((r, i) => { s += (i === 0 ? 1 : -1) * ringArea(r); });
  }
  return s * m.sx * m.sy;
}

export function hasPolygons(pf: PreparedFeature): boolean {
  return pf.parts.some((p) => p.kind === 'A');
}

type Ring = [number, number][];
function toClip(pf: PreparedFeature, ox: number, oy: number): Ring[][] {
  const out: Ring[][] = [];
  for (const p of pf.parts) {
    if (p.kind !== 'A') continue;
    out.push(p.rings.map((r) => {
      const ring: Ring = [];
      for (let i = 0; i < r.length; i += 2) ring.push([r[i]! - ox, r[i + 1]! - oy]);
      if (ring.length) ring.push([ring[0]![0], ring[0]![1]]);
      return ring;
    }));
  }
  return out;
}

function clipArea(mp: Ring[][]): number {
  let s = 0;
  for (const poly of mp) poly.forEach((ring, i) => {
    const f = new Float64Array(ring.length * 2 - 2);
    for (let k = 0; k < ring.length - 1; k++) { f[2 * k] = ring[k]![0]; f[2 * k + 1] = ring[k]![1]; }
    s += (i === 0 ? 1 : -1) * ringArea(f);
  });
  return s;
}

/** Intersection over union of the polygonal parts (affine-invariant, so computed in canonical
 *  units), or null when a geometry has no polygon or is too broken to clip. */
export function iou(a: PreparedFeature, b: PreparedFeature): number | null {
  if (!hasPolygons(a) || !hasPolygons(b) || !a.bbox) return null;
  const ox = a.bbox[0], oy = a.bbox[1]; // shift near the origin for numeric robustness
  try {
    const pa = toClip(a, ox, oy), pb = toClip(b, ox, oy);
    const inter = clipArea(polygonClipping.intersection(pa as any, pb as any) as Ring[][]);
    const uni = clipArea(polygonClipping.union(pa as any, pb as any) as Ring[][]);
    return uni > 0 ? inter / uni : null;
  } catch {
    return null;
  }
}
