/**
 * Canonical geometry and properties.
 *
 * A feature's geometry is flattened into atomic parts (points, lines, polygons) in the canonical
 * space (see crs-bridge.ts). Z and M are dropped. The canonical key of a geometry at quantum q:
 *   - coordinates snapped to the integer grid round(v / q);
 *   - rings: closing vertex removed, consecutive duplicate vertices removed (cyclically),
 *     exterior counter-clockwise and holes clockwise (RFC 7946), started at the smallest vertex
 *     (x, then y), holes sorted;
 *   - lines: consecutive duplicates removed, direction chosen so the vertex sequence is the
 *     smaller of forward/backward;
 *   - parts of multi-geometries and collections sorted, so MultiPolygon order, Polygon vs a
 *     one-part MultiPolygon, and collection nesting do not matter.
 * Properties: keys sorted by code point, null/absent treated alike, numbers to 12 significant
 * digits, nested values canonical JSON.
 */
import type { AnnotationFeature, Geometry, GeometryIssue } from './types.js';
import { featureLabel } from './types.js';
import type { PointFn } from './crs-bridge.js';

export type PartKind = 'P' | 'L' | 'A';

/** One atomic part: a point (1 ring of 1 vertex), a line (1 ring = the line), a polygon
 *  (ring 0 = shell, others = holes). Rings are flat [x0,y0,x1,y1,...] without closing vertex. */
export interface Part {
  kind: PartKind;
  rings: Float64Array[];
}

export interface PreparedFeature {
  feature: AnnotationFeature;
  label: string;
  parts: Part[];
  /** [minx, miny, maxx, maxy] in the canonical space, or null when there is no geometry. */
  bbox: [number, number, number, number] | null;
  issues: GeometryIssue[];
}

function toRing(coords: unknown, fn: PointFn | null, isRing: boolean, issues: GeometryIssue[], label: string): Float64Array | null {
  if (!Array.isArray(coords)) { issues.push({ feature: label, problem: 'unknown-geometry-type', detail: 'coordinates are not an array' }); return null; }
  let n = coords.length;
  const out = new Float64Array(n * 2);
  let bad = false;
  for (let i = 0; i < n; i++) {
    const p = coords[i] as number[];
    let x = Number(p?.[0]);
    let y = Number(p?.[1]);
    if (fn && Number.isFinite(x) && Number.isFinite(y)) [x, y] = fn(x, y);
    if (!Number.isFinite(x) || !Number.isFinite(y)) bad = true;
    out[2 * i] = x;
    out[2 * i + 1] = y;
  }
  if (bad) issues.push({ feature: label, problem: 'non-finite-coordinate' });
  if (isRing) {
    if (n > 0 && (out[0] !== out[2 * n - 2] || out[1] !== out[2 * n - 1])) {
      issues.push({ feature: label, problem: 'unclosed-ring', detail: `ring of ${n} positions does not end at its first position` });
    } else if (n > 0) {
      n -= 1; // drop the closing vertex
    }
    if (n < 3) issues.push({ feature: label, problem: 'too-few-points', detail: `ring with ${n} distinct positions` });
    return out.subarray(0, 2 * n);
  }
  return out;
}

function flatten(g: Geometry | null | undefined, fn: PointFn | null, parts: Part[], issues: GeometryIssue[], label: string): void {
  if (!g) return;
  const c = g.coordinates as unknown[];
  switch (g.type) {
    case 'Point': { const r = toRing([c], fn, false, issues, label); if (r) parts.push({ kind: 'P', rings: [r] }); break; }
    case 'MultiPoint': for (const p of c ?? []) { const r = toRing([p], fn, false, issues, label); if (r) parts.push({ kind: 'P', rings: [r] }); } break;
    case 'LineString': { const r = toRing(c, fn, false, issues, label); if (r) parts.push({ kind: 'L', rings: [r] }); break; }
    case 'MultiLineString': for (const l of c ?? []) { const r = toRing(l, fn, false, issues, label); if (r) parts.push({ kind: 'L', rings: [r] }); } break;
    case 'Polygon': pushPolygon(c, fn, parts, issues, label); break;
    case 'MultiPolygon': for (const p of c ?? []) pushPolygon(p as unknown[], fn, parts, issues, label); break;
    case 'GeometryCollection': for (const m of g.geometries ?? []) flatten(m, fn, parts, issues, label); break;
    default: issues.push({ feature: label, problem: 'unknown-geometry-type', detail: String(g.type) });
  }
}

function pushPolygon(c: unknown[] | undefined, fn: PointFn | null, parts: Part[], issues: GeometryIssue[], label: string): void {
  if (!Array.isArray(c) || c.length === 0) { issues.push({ feature: label, problem: 'empty-geometry' }); return; }
  const rings: Float64Array[] = [];
  for (const ring of c) { const r = toRing(ring, fn, true, issues, label); if (r) rings.push(r); }
  if (rings.length) parts.push({ kind: 'A', rings });
}

/** Reprojects and flattens a feature's geometry; structural problems are collected, not thrown. */
export function prepareFeature(f: AnnotationFeature, fn: PointFn | null): PreparedFeature {
  const label = featureLabel(f);
  const parts: Part[] = [];
  const issues: GeometryIssue[] = [];
  flatten(f.geometry, fn, parts, issues, label);
  let bbox: PreparedFeature['bbox'] = null;
  for (const p of parts) for (const r of p.rings) for (let i = 0; i < r.length; i += 2) {
    const x = r[i]!, y = r[i + 1]!;
    if (!bbox) bbox = [x, y, x, y];
    else { if (x < bbox[0]) bbox[0] = x; if (y < bbox[1]) bbox[1] = y; if (x > bbox[2]) bbox[2] = x; if (y > bbox[3]) bbox[3] = y; }
  }
  return { feature: f, label, parts, bbox, issues };
}

// ---------------------------------------------------------------------------------------------
// Quantized canonical keys

/** Snaps a flat ring/line to the grid, dropping consecutive duplicates (and, for rings, a last
 *  vertex equal to the first). Returns the vertex count; coordinates are written to `out`. */
function snap(r: Float64Array, q: number, cyclic: boolean, out: Float64Array): number {
  let n = 0;
  for (let i = 0; i < r.length; i += 2) {
    const x = Math.round(r[i]! / q), y = Math.round(r[i + 1]! / q);
    if (n && out[2 * n - 2] === x && out[2 * n - 1] === y) continue;
    out[2 * n] = x; out[2 * n + 1] = y; n++;
  }
  while (cyclic && n > 1 && out[0] === out[2 * n - 2] && out[1] === out[2 * n - 1]) n--;
  return n;
}

let scratch = new Float64Array(1024);
function scratchFor(len: number): Float64Array {
  if (scratch.length < len) scratch = new Float64Array(len * 2);
  return scratch;
}

/** Coordinates of vertex k of the ring read forwards or backwards. */
function ringText(v: Float64Array, n: number, start: number, rev: boolean): string {
  let s = '';
  for (let j = 0; j < n; j++) {
    const k = rev ? (start - j + n) % n : (start + j) % n;
    s += (j ? ',' : '') + String(v[2 * k]) + ',' + String(v[2 * k + 1]);
  }
  return s;
}

function ringKey(r: Float64Array, q: number, wantCcw: boolean): string {
  const v = scratchFor(r.length);
  const n = snap(r, q, true, v);
  if (n < 3) return ringText(v, n, 0, false);
  // twice the signed area relative to the first vertex (positive = counter-clockwise)
  const x0 = v[0]!, y0 = v[1]!;
  let a = 0;
  for (let i = 1; i < n - 1; i++) a += (v[2 * i]! - x0) * (v[2 * i + 3]! - y0) - (v[2 * i + 2]! - x0) * (v[2 * i + 1]! - y0);
  const rev = (a < 0 && wantCcw) || (a > 0 && !wantCcw);
  // start at the smallest vertex (x, then y); ties broken by the following sequence
  const step = rev ? -1 : 1;
  let best = 0;
  for (let i = 1; i < n; i++) {
    const dx = v[2 * i]! - v[2 * best]!, dy = v[2 * i + 1]! - v[2 * best + 1]!;
    if (dx < 0 || (dx === 0 && dy < 0)) best = i;
    else if (dx === 0 && dy === 0) {
      for (let j = 1; j < n; j++) {
        const ki = (((i + step * j) % n) + n) % n, kb = (((best + step * j) % n) + n) % n;
        const d = v[2 * ki]! - v[2 * kb]! || v[2 * ki + 1]! - v[2 * kb + 1]!;
        if (d) { if (d < 0) best = i; break; }
      }
    }
  }
  return ringText(v, n, best, rev);
}

function lineKey(r: Float64Array, q: number): string {
  const v = scratchFor(r.length);
  const n = snap(r, q, false, v);
  let rev = false;
  for (let j = 0; j < n; j++) {
    const k = n - 1 - j;
    const d = v[2 * j]! - v[2 * k]! || v[2 * j + 1]! - v[2 * k + 1]!;
    if (d) { rev = d > 0; break; }
  }
  return ringText(v, n, rev ? n - 1 : 0, rev);
}

function partKey(p: Part, q: number): string {
  if (p.kind === 'P') { const r = p.rings[0]!; return 'P' + String(Math.round(r[0]! / q)) + ',' + String(Math.round(r[1]! / q)); }
  if (p.kind === 'L') return 'L' + lineKey(p.rings[0]!, q);
  const shell = ringKey(p.rings[0]!, q, true);
  const holes = p.rings.slice(1).map((h) => ringKey(h, q, false)).sort();
  return 'A' + [shell, ...holes].join('|');
}

/** The canonical text of a feature geometry at quantum `q` (canonical units). */
export function geometryKey(parts: Part[], q: number): string {
  if (parts.length === 1) return partKey(parts[0]!, q);
  return parts.map((p) => partKey(p, q)).sort().join(';');
}

// ---------------------------------------------------------------------------------------------
// Properties

function canonNumber(v: number): string {
  if (!Number.isFinite(v)) return JSON.stringify(String(v));
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  return String(Number(v.toPrecision(12)));
}

export function canonicalValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return canonNumber(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  if (Array.isArray(v)) return '[' + v.map(canonicalValue).join(',') + ']';
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== null && o[k] !== undefined).sort(cmpCodePoint);
    return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalValue(o[k])).join(',') + '}';
  }
  return JSON.stringify(String(v));
}

function cmpCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Canonical text of a property map, without the keys in `ignore`. */
export function propertiesKey(props: Record<string, unknown>, ignore: ReadonlySet<string>): string {
  const keys = Object.keys(props).filter((k) => !ignore.has(k) && props[k] !== null && props[k] !== undefined).sort(cmpCodePoint);
  let s = '{';
  for (let i = 0; i < keys.length; i++) s += (i ? ',' : '') + JSON.stringify(keys[i]) + ':' + canonicalValue(props[keys[i]!]);
  return s + '}';
}
