/**
 * The spatial buffer of `geo split` on the map. `geo split` keeps no two chips of different splits
 * closer than `buffer` metres (it drops train chips near val/test chips and val chips near test
 * chips) and writes `splits.json`: `{buffer, method, counts, dropped, assignments: {chip: split}}`.
 * The ui draws, for every kept chip of a split other than the first (val, test), the zone within
 * `buffer` metres of it (the chip rectangle grown by the buffer, with round corners): no chip of
 * another split may touch it. Distances are measured as `geo split` measures them (its
 * `chipRects`): in the chips' shared projected CRS (native `bounds`), or else on their WGS 84
 * footprints projected equirectangularly about the mean latitude; the zone is mapped back to
 * WGS 84 from that frame. Chips of an index that `splits.json` names none of its chips are left
 * alone; chips of a split index that it does not assign were dropped for the buffer.
 */
import { chipRects, SPLIT_NAMES } from '../../geo/ops/split.js';
import { crsFromText, transformer, WGS84 } from '../../geo/crs/crs.js';

/** A chip as the footprints read it: its name, its raw properties (crs, bounds) and WGS 84 geometry. */
export interface BufferChip { chip: string; properties: Record<string, unknown>; geometry: { type: string; coordinates: unknown } | null }

/** What the ui tells about one `splits.json`. */
export interface SplitFileInfo {
  path: string; buffer: number; method?: string; counts?: Record<string, number>; dropped?: number;
  minCrossSplitDistance?: number | null;
  /** Chips of the split indexes that the file assigns to no split (dropped for the buffer). */
  droppedChips: string[];
}

export interface BufferFeature { type: 'Feature'; geometry: { type: 'Polygon'; coordinates: number[][][] }; properties: Record<string, unknown> }

const R = 6371008.8, K = Math.PI / 180;
const ARC_STEPS = 8;

/** A rectangle grown by `d` (Minkowski sum with a disc): a closed ring, counter-clockwise. */
export function roundedRect(rect: [number, number, number, number], d: number): [number, number][] {
  const [x0, y0, x1, y1] = rect;
  const corners: [number, number, number][] = [[x1, y0, -90], [x1, y1, 0], [x0, y1, 90], [x0, y0, 180]];
  const ring: [number, number][] = [];
  for (const [cx, cy, a0] of corners) {
    for (let i = 0; i <= ARC_STEPS; i++) {
      const a = (a0 + (90 * i) / ARC_STEPS) * K;
      ring.push([cx + d * Math.cos(a), cy + d * Math.sin(a)]);
    }
  }
  ring.push([...ring[0]!]);
  return ring;
}

function parsed(doc: any): { buffer: number; assignments: Record<string, string> } | undefined {
  if (!doc || typeof doc !== 'object' || !doc.assignments || typeof doc.assignments !== 'object') return undefined;
  const buffer = Number(doc.buffer ?? 0);
  return { buffer: Number.isFinite(buffer) && buffer > 0 ? buffer : 0, assignments: doc.assignments };
}

/**
 * Buffer zones and dropped chips of one `splits.json` (`doc`, as parsed) over the chip indexes
 * (`indexes`: chips per index file). An index takes part when the file assigns at least one of
 * its chips. Returns the zones (WGS 84 polygons, `kind: 'buffer'`, with `split`, `chip`,
 * `buffer`, `path`) and the file's summary; undefined when `doc` is not a split file.
 */
export function splitBuffers(path: string, doc: any, indexes: Map<string, BufferChip[]>, props: Record<string, unknown> = {}): { info: SplitFileInfo; zones: BufferFeature[] } | undefined {
  const p = parsed(doc);
  if (!p) return undefined;
  const info: SplitFileInfo = {
    path, buffer: p.buffer, droppedChips: [],
    ...(typeof doc.method === 'string' ? { method: doc.method } : {}),
    ...(doc.counts && typeof doc.counts === 'object' ? { counts: doc.counts } : {}),
    ...(typeof doc.dropped === 'number' ? { dropped: doc.dropped } : {}),
    ...(doc.min_cross_split_distance !== undefined ? { minCrossSplitDistance: doc.min_cross_split_distance } : {}),
  };
  const zones: BufferFeature[] = [];
  const first = SPLIT_NAMES[0];
  for (const [, chips] of indexes) {
    if (!chips.some((c) => p.assignments[c.chip] !== undefined)) continue;
    for (const c of chips) if (p.assignments[c.chip] === undefined) info.droppedChips.push(c.chip);
    if (!p.buffer) continue;
    let rects: ReturnType<typeof chipRects>;
    try { rects = chipRects({ features: chips.map((c) => ({ properties: c.properties, geometry: c.geometry })) }); } catch { continue; }
    const toWgs = frameToWgs84(chips, rects);
    if (!toWgs) continue;
    rects.forEach((r, i) => {
      const split = p.assignments[r.chip];
      if (split === undefined || split === first) return;
      const ring = roundedRect(r.rect, p.buffer).map(toWgs);
      if (ring.some((q) => !Number.isFinite(q[0]) || !Number.isFinite(q[1]))) return;
      zones.push({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [ring] }, properties: { ...props, kind: 'buffer', split, chip: chips[i]!.chip, buffer: p.buffer, path } });
    });
  }
  return { info, zones };
}

/** Maps `geo split`'s metric frame back to lon/lat: the shared projected CRS, or its equirectangular frame. */
function frameToWgs84(chips: BufferChip[], rects: { rect: number[] }[]): ((xy: [number, number]) => [number, number]) | undefined {
  const native = chips.every((c, i) => Array.isArray(c.properties.bounds) && (c.properties.bounds as number[]).every((v, k) => v === rects[i]!.rect[k]));
  if (native) {
    const crs = crsFromText(String(chips[0]!.properties.crs));
    if (!crs) return undefined;
    try { return transformer(crs, WGS84); } catch { return undefined; }
  }
  // the same mean latitude as chipRects: the mean over chips of each exterior ring's mean
  const rings = chips.map((c) => (c.geometry?.coordinates as number[][][] | undefined)?.[0]);
  if (rings.some((r) => !r?.length)) return undefined;
  const lat0 = rings.reduce((s, r) => s + r!.reduce((t, q) => t + q[1]!, 0) / r!.length, 0) / rings.length;
  const c = Math.cos(lat0 * K);
  return ([x, y]) => [x / (K * R * c), y / (K * R)];
}
