/**
 * Self-intersection check for polygonal geometries. Within a ring, two non-adjacent edges may
 * not touch at all; between different rings (holes, parts of a MultiPolygon), edges may not
 * cross or overlap along a length (touching at a single point is allowed, as in OGC rules).
 * Closed-ring and point-count problems are found while preparing features (canonical.ts).
 * Pairs are found with a sweep over x, so large rings stay near O(n log n).
 */
import type { GeometryIssue } from './types.js';
import type { PreparedFeature } from './canonical.js';

function orient(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number {
  const v = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}

function between(a: number, b: number, c: number): boolean {
  return Math.min(a, b) <= c && c <= Math.max(a, b);
}

interface Seg { ring: number; i: number; n: number; ax: number; ay: number; bx: number; by: number; minx: number; maxx: number }

/** 0 = disjoint, 1 = touch at a point, 2 = proper crossing or overlap along a length. */
function relate(s: Seg, t: Seg): number {
  const o1 = orient(s.ax, s.ay, s.bx, s.by, t.ax, t.ay), o2 = orient(s.ax, s.ay, s.bx, s.by, t.bx, t.by);
  const o3 = orient(t.ax, t.ay, t.bx, t.by, s.ax, s.ay), o4 = orient(t.ax, t.ay, t.bx, t.by, s.bx, s.by);
  if (o1 && o2 && o3 && o4) return o1 !== o2 && o3 !== o4 ? 2 : 0;
  if (!o1 && !o2) {
    // collinear: overlap length along the dominant axis
    const useX = Math.abs(s.bx - s.ax) >= Math.abs(s.by - s.ay);
    const [s0, s1] = useX ? [Math.min(s.ax, s.bx), Math.max(s.ax, s.bx)] : [Math.min(s.ay, s.by), Math.max(s.ay, s.by)];
    const [t0, t1] = useX ? [Math.min(t.ax, t.bx), Math.max(t.ax, t.bx)] : [Math.min(t.ay, t.by), Math.max(t.ay, t.by)];
    const lo = Math.max(s0, t0), hi = Math.min(s1, t1);
    return hi > lo ? 2 : hi === lo ? 1 : 0;
  }
  if ((!o1 && between(s.ax, s.bx, t.ax) && between(s.ay, s.by, t.ay)) || (!o2 && between(s.ax, s.bx, t.bx) && between(s.ay, s.by, t.by)) ||
      (!o3 && between(t.ax, t.bx, s.ax) && between(t.ay, t.by, s.ay)) || (!o4 && between(t.ax, t.bx, s.bx) && between(t.ay, t.by, s.by))) return 1;
  return 0;
}

/** Point near which the polygon rings of the feature intersect themselves or each other, or null. */
export function polygonSelfIntersection(rings: Float64Array[]): [number, number] | null {
  const segs: Seg[] = [];
  rings.forEach((r, ring) => {
    const n = r.length / 2;
    if (n < 3) return;
    for (let i = 0; i < n; i++) {
      const j = (i + 1) % n;
      const ax = r[2 * i]!, ay = r[2 * i + 1]!, bx = r[2 * j]!, by = r[2 * j + 1]!;
      if (ax === bx && ay === by) continue; // duplicate vertex: not an intersection
      segs.push({ ring, i, n, ax, ay, bx, by, minx: Math.min(ax, bx), maxx: Math.max(ax, bx) });
    }
  });
  const small = segs.length <= 40;
  if (!small) segs.sort((a, b) => a.minx - b.minx);
  const active: Seg[] = [];
  for (const s of segs) {
    if (!small) {
      let w = 0;
      for (let k = 0; k < active.length; k++) if (active[k]!.maxx >= s.minx) active[w++] = active[k]!;
      active.length = w;
    }
    for (const t of active) {
      if (small && (t.maxx < s.minx || s.maxx < t.minx)) continue;
      const rel = relate(s, t);
      if (!rel) continue;
      if (s.ring === t.ring) {
        const d = Math.abs(s.i - t.i);
        if (d === 1 || d === s.n - 1) {
          if (rel === 2 && orient(s.ax, s.ay, s.bx, s.by, t.ax, t.ay) === 0 && orient(s.ax, s.ay, s.bx, s.by, t.bx, t.by) === 0) {
            // adjacent edges folding back on themselves (a spike)
            const dot = (s.bx - s.ax) * (t.bx - t.ax) + (s.by - s.ay) * (t.by - t.ay);
            if ((s.i + 1) % s.n === t.i || (t.i + 1) % t.n === s.i ? dot < 0 : dot > 0) return [s.ax, s.ay];
          }
          continue;
        }
        return [s.ax, s.ay];
      }
      if (rel === 2) return [s.ax, s.ay];
    }
    active.push(s);
  }
  return null;
}

/** Self-intersection issues of a feature: each polygon part alone, then parts against each other. */
export function checkSelfIntersections(pf: PreparedFeature): GeometryIssue[] {
  let allRings: Float64Array[] | undefined;
  if (pf.parts.length === 1) { if (pf.parts[0]!.kind !== 'A') return []; allRings = pf.parts[0]!.rings; }
  else allRings = pf.parts.filter((p) => p.kind === 'A').flatMap((p) => p.rings);
  if (!allRings.length) return [];
  const at = polygonSelfIntersection(allRings);
  return at ? [{ feature: pf.label, problem: 'self-intersection', detail: `near (${at[0]}, ${at[1]})` }] : [];
}
