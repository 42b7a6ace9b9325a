/**
 * `geo split`: train/val/test assignment of chips without spatial leakage.
 *
 * Chips are placed in metres: native bounds when every chip shares one projected CRS, otherwise
 * their WGS 84 footprints through an equirectangular projection about the data's mean latitude.
 * Groups (blocks of `blockSize` metres, k-means clusters, or single chips for `random`) are
 * shuffled with a seeded PRNG and handed to the split furthest below its target ratio (a split left
 * empty then takes the smallest group of the split with the most groups, when there are enough). Then the
 * buffer is enforced by dropping chips: every non-test chip closer than `buffer` to a test chip,
 * then every train chip closer than `buffer` to a val chip. The minimum distance between chips of
 * different splits is computed exactly (rectangle to rectangle) over the kept chips.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { AppError, UsageError } from '../../lib/errors.js';
import { writeFileAtomicSync } from '../../lib/atomic.js';
import type { OpContext } from '../../lib/progress.js';

export type SplitMethod = 'block' | 'cluster' | 'random';
export const SPLIT_NAMES = ['train', 'val', 'test'] as const;

export interface SplitOptions extends OpContext {
  index: string;
  method: SplitMethod;
  blockSize?: number;
  buffer?: number;
  ratios?: number[];
  seed?: number;
  output?: string;
}
export interface SplitChip { chip: string; rect: [number, number, number, number] }
export interface SplitResult {
  method: SplitMethod; seed: number; buffer: number; blockSize: number; ratios: number[];
  counts: Record<string, number>; dropped: number; minCrossSplitDistance: number | null;
  /** Chips dropped for the buffer, by the split they had been assigned to. */
  droppedBySplit: Record<string, number>;
  /** Spatial groups (blocks, clusters, or chips for random) the chips fell into. */
  groups: number;
  /** Why chips were dropped, and splits left empty although --ratios asks for them. */
  warnings: string[];
  assignments: Record<string, string>; output: string;
}

export function describeIO(args: { index: string; output?: string }): { deps: string[]; outs: string[] } {
  return { deps: [args.index], outs: [args.output ?? join(dirname(args.index), 'splits.json')] };
}

/** mulberry32: small, fast, seeded. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function rectDistance(a: [number, number, number, number], b: [number, number, number, number]): number {
  const dx = Math.max(0, a[0] - b[2], b[0] - a[2]);
  const dy = Math.max(0, a[1] - b[3], b[1] - a[3]);
  return Math.hypot(dx, dy);
}

const GEOGRAPHIC = /^EPSG:(4326|4269|4267|4258|4283|4674|4490|4612|6318)$/;

/** Chip rectangles in metres from a chip index (GeoJSON written by geo chip). */
export function chipRects(index: any): SplitChip[] {
  const feats: any[] = index?.features ?? [];
  const crss = new Set(feats.map((f) => f.properties?.crs));
  const oneProjected = crss.size === 1 && feats.every((f) => Array.isArray(f.properties?.bounds)) && !GEOGRAPHIC.test([...crss][0] ?? '') && [...crss][0];
  if (oneProjected) return feats.map((f) => ({ chip: f.properties.chip, rect: f.properties.bounds }));
  const rings = feats.map((f) => f.geometry?.coordinates?.[0] as [number, number][] | undefined);
  if (rings.some((r) => !r?.length)) throw new AppError('no-footprint', 'chips without a footprint in the index', 1, { hint: 'regenerate the index with geo chip (rasters need a CRS)' });
  const lat0 = rings.reduce((s, r) => s + r!.reduce((t, p) => t + p[1], 0) / r!.length, 0) / rings.length;
  const R = 6371008.8, k = Math.PI / 180, c = Math.cos(lat0 * k);
  return feats.map((f, i) => {
    const xs = rings[i]!.map((p) => p[0] * k * R * c), ys = rings[i]!.map((p) => p[1] * k * R);
    return { chip: f.properties.chip, rect: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)] as [number, number, number, number] };
  });
}

function kmeans(points: [number, number][], k: number, rnd: () => number): number[] {
  const n = points.length;
  k = Math.max(1, Math.min(k, n));
  const centers: [number, number][] = [];
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) { const j = i + Math.floor(rnd() * (n - i)); [idx[i], idx[j]] = [idx[j]!, idx[i]!]; centers.push([...points[idx[i]!]!]); }
  const label = new Array<number>(n).fill(0);
  for (let it = 0; it < 50; it++) {
    let moved = false;
    for (let i = 0; i < n; i++) {
      let best = 0, bd = Infinity;
      for (let c = 0; c < k; c++) { const d = (points[i]![0] - centers[c]![0]) ** 2 + (points[i]![1] - centers[c]![1]) ** 2; if (d < bd) { bd = d; best = c; } }
      if (label[i] !== best) { label[i] = best; moved = true; }
    }
    const sum = Array.from({ length: k }, () => [0, 0, 0]);
    for (let i = 0; i < n; i++) { const s = sum[label[i]!]!; s[0]! += points[i]![0]; s[1]! += points[i]![1]; s[2]!++; }
    for (let c = 0; c < k; c++) if (sum[c]![2]) centers[c] = [sum[c]![0]! / sum[c]![2]!, sum[c]![1]! / sum[c]![2]!];
    if (!moved) break;
  }
  return label;
}

/** Exact minimum rectangle distance between chips of different splits (sweep over minx). */
export function minCrossDistance(chips: { rect: [number, number, number, number]; split: number }[]): number | null {
  const s = [...chips].sort((a, b) => a.rect[0] - b.rect[0]);
  let best = Infinity;
  for (let i = 0; i < s.length; i++) {
    for (let j = i + 1; j < s.length; j++) {
      if (s[j]!.rect[0] - s[i]!.rect[2] > best) break;
      if (s[i]!.split === s[j]!.split) continue;
      const d = rectDistance(s[i]!.rect, s[j]!.rect);
      if (d < best) best = d;
    }
  }
  return Number.isFinite(best) ? best : null;
}

/** Pure assignment: returns the split index per chip (-1 = dropped for the buffer). */
export function assignSplits(chips: SplitChip[], o: { method: SplitMethod; blockSize: number; buffer: number; ratios: number[]; seed: number }, stats?: { groups?: number; beforeBuffer?: number[] }): number[] {
  const rnd = prng(o.seed);
  const n = chips.length;
  const centers = chips.map((c) => [(c.rect[0] + c.rect[2]) / 2, (c.rect[1] + c.rect[3]) / 2] as [number, number]);
  let group: number[];
  if (o.method === 'random') group = chips.map((_, i) => i);
  else if (o.method === 'block') {
    const keys = new Map<string, number>();
    group = centers.map(([x, y]) => { const k = `${Math.floor(x / o.blockSize)},${Math.floor(y / o.blockSize)}`; if (!keys.has(k)) keys.set(k, keys.size); return keys.get(k)!; });
  } else {
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (const [x, y] of centers) { minX = Math.min(minX, x); minY = Math.min(minY, y); maxX = Math.max(maxX, x); maxY = Math.max(maxY, y); }
    const k = Math.max(o.ratios.filter((r) => r > 0).length * 3, Math.ceil(((maxX - minX) * (maxY - minY)) / (o.blockSize * o.blockSize)));
    group = kmeans(centers, k, rnd);
  }
  const groups = new Map<number, number[]>();
  group.forEach((g, i) => { if (!groups.has(g)) groups.set(g, []); groups.get(g)!.push(i); });
  const order = [...groups.keys()].sort((a, b) => a - b);
  for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [order[i], order[j]] = [order[j]!, order[i]!]; }
  const split = new Array<number>(n).fill(-1);
  const count = o.ratios.map(() => 0);
  let assigned = 0;
  for (const g of order) {
    const members = groups.get(g)!;
    // the split furthest below its target after adding this group
    let best = 0, bestDef = -Infinity;
    for (let s = 0; s < o.ratios.length; s++) {
      if (o.ratios[s]! <= 0) continue;
      const def = o.ratios[s]! * (assigned + members.length) - count[s]!;
      if (def > bestDef) { bestDef = def; best = s; }
    }
    for (const i of members) split[i] = best;
    count[best]! += members.length;
    assigned += members.length;
  }
  // A split the ratios ask for must not stay empty when there are enough groups: give it the
  // smallest group of the split holding the most groups (the greedy order can starve a small split).
  for (let s = 0; s < o.ratios.length; s++) {
    if (o.ratios[s]! <= 0 || count[s]! > 0) continue;
    const perSplit = o.ratios.map(() => [] as number[]);
    for (const g of order) perSplit[split[groups.get(g)![0]!]!]!.push(g);
    const donor = perSplit.map((gs, k) => [gs.length, k] as const).filter(([len]) => len >= 2).sort((a, b) => b[0] - a[0] || a[1] - b[1])[0];
    if (!donor) break;
    const g = perSplit[donor[1]]!.reduce((best, x) => (groups.get(x)!.length < groups.get(best)!.length ? x : best));
    for (const i of groups.get(g)!) split[i] = s;
    count[donor[1]]! -= groups.get(g)!.length;
    count[s]! += groups.get(g)!.length;
  }
  if (stats) { stats.groups = groups.size; stats.beforeBuffer = [...split]; }
  // enforce the buffer: drop lower-priority chips (train < val < test) near a chip of a higher split
  {
    const cell = Math.max(o.buffer, 1) + Math.max(...chips.map((c) => Math.max(c.rect[2] - c.rect[0], c.rect[3] - c.rect[1])));
    for (let hi = o.ratios.length - 1; hi >= 1; hi--) {
      const grid = new Map<string, number[]>();
      chips.forEach((c, i) => { if (split[i] === hi) { const k = `${Math.floor(centers[i]![0] / cell)},${Math.floor(centers[i]![1] / cell)}`; if (!grid.has(k)) grid.set(k, []); grid.get(k)!.push(i); } });
      for (let i = 0; i < n; i++) {
        if (split[i]! < 0 || split[i]! >= hi) continue;
        const cx = Math.floor(centers[i]![0] / cell), cy = Math.floor(centers[i]![1] / cell);
        let near = false;
        for (let dx = -1; dx <= 1 && !near; dx++) for (let dy = -1; dy <= 1 && !near; dy++) {
          for (const j of grid.get(`${cx + dx},${cy + dy}`) ?? []) if (rectDistance(chips[i]!.rect, chips[j]!.rect) < o.buffer) { near = true; break; }
        }
        if (near) split[i] = -1;
      }
    }
  }
  return split;
}

export async function split(opts: SplitOptions): Promise<SplitResult> {
  const ratios = opts.ratios ?? [0.7, 0.15, 0.15];
  if (ratios.length < 2 || ratios.length > 3 || ratios.some((r) => !(r >= 0)) || Math.abs(ratios.reduce((a, b) => a + b, 0) - 1) > 1e-6) {
    throw new UsageError(`--ratios must be 2 or 3 non-negative numbers summing to 1, got ${ratios.join(',')}`, { hint: 'e.g. --ratios 0.7,0.15,0.15' });
  }
  const method = opts.method;
  if (!['block', 'cluster', 'random'].includes(method)) throw new UsageError(`unknown --method ${method}`, { hint: 'use block, cluster or random' });
  const blockSize = opts.blockSize ?? 1000;
  const buffer = opts.buffer ?? 0;
  if (!(blockSize > 0) || !(buffer >= 0)) throw new UsageError('--block-size must be > 0 and --buffer >= 0 (metres)', { hint: 'e.g. --block-size 5000 --buffer 500' });
  const seed = opts.seed ?? 0;
  let index: any;
  try { index = JSON.parse(readFileSync(opts.index, 'utf8')); } catch (err) {
    throw new UsageError(`cannot read chip index ${opts.index}: ${(err as Error).message}`, { hint: 'pass the chips.geojson written by geo chip' });
  }
  const chips = chipRects(index);
  if (!chips.length) throw new UsageError(`chip index ${opts.index} has no chips`, { hint: 'run geo chip first' });
  const stats: { groups?: number; beforeBuffer?: number[] } = {};
  const split = assignSplits(chips, { method, blockSize, buffer, ratios, seed }, stats);
  const names = SPLIT_NAMES.slice(0, ratios.length);
  const assignments: Record<string, string> = {};
  const counts: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  let dropped = 0;
  chips.forEach((c, i) => { if (split[i]! < 0) dropped++; else { assignments[c.chip] = names[split[i]!]!; counts[names[split[i]!]!]!++; } });
  const kept = chips.map((c, i) => ({ rect: c.rect, split: split[i]! })).filter((c) => c.split >= 0);
  const minD = minCrossDistance(kept);
  const output = resolve(opts.output ?? join(dirname(resolve(opts.index)), 'splits.json'));
  const before: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  for (const x of stats.beforeBuffer ?? []) if (x >= 0) before[names[x]!]!++;
  const droppedBySplit: Record<string, number> = Object.fromEntries(names.map((n) => [n, before[n]! - counts[n]!]));
  const warnings = splitWarnings({ method, blockSize, buffer, ratios, names, total: chips.length, groups: stats.groups ?? chips.length, before, counts, droppedBySplit, dropped });
  const result: SplitResult = { method, seed, buffer, blockSize, ratios, counts, dropped, minCrossSplitDistance: minD, droppedBySplit, groups: stats.groups ?? chips.length, warnings, assignments, output };
  writeFileAtomicSync(output, JSON.stringify({ method, seed, buffer, block_size: blockSize, ratios, counts, dropped, dropped_by_split: droppedBySplit, min_cross_split_distance: minD, warnings, assignments }, null, 1) + '\n');
  return result;
}

/**
 * The warnings of a split: chips dropped for the buffer (how many, from which split, and why), and
 * every split that --ratios asks for but ends up empty (too few spatial groups, or all its chips
 * dropped by the buffer), each with what to change.
 */
export function splitWarnings(a: {
  method: SplitMethod; blockSize: number; buffer: number; ratios: number[]; names: readonly string[]; total: number; groups: number;
  before: Record<string, number>; counts: Record<string, number>; droppedBySplit: Record<string, number>; dropped: number;
}): string[] {
  const out: string[] = [];
  const wanted = a.names.filter((_, i) => a.ratios[i]! > 0);
  const unit = a.method === 'block' ? `blocks of ${a.blockSize} m` : a.method === 'cluster' ? 'clusters' : 'chips';
  if (a.dropped > 0) {
    const parts = a.names.filter((n) => a.droppedBySplit[n]! > 0).map((n) => `${a.droppedBySplit[n]} ${n}`);
    const rule = a.names.length === 3 ? 'a train or val chip closer than that to a chip of a later split (val, test) is dropped' : 'a train chip closer than that to a val chip is dropped';
    out.push(`dropped ${a.dropped} of ${a.total} chips (${parts.join(', ')}) to keep --buffer ${a.buffer} m between splits (${rule}); ` +
      `${a.method === 'random' ? 'use --method block or cluster so fewer chips border another split' : `a larger --block-size than ${a.blockSize} m leaves fewer chips on split borders`}, or lower --buffer`);
  }
  for (const n of wanted) {
    if (a.counts[n]! > 0) continue;
    const pct = `${Math.round(a.ratios[a.names.indexOf(n)]! * 100)}%`;
    if (a.before[n]! > 0) {
      out.push(`the ${n} split is empty although --ratios asks for ${pct}: all ${a.before[n]} of its chips were within --buffer ${a.buffer} m of a chip of a later split and were dropped; lower --buffer or use a larger --block-size`);
    } else {
      const fix = a.method === 'random' ? 'add chips' : a.groups < wanted.length
        ? `use a smaller --block-size (now ${a.blockSize} m), or --method cluster/random` : 'change --seed or --block-size';
      out.push(`the ${n} split is empty although --ratios asks for ${pct}: the ${a.total} chips fall into ${a.groups} ${unit}${a.groups < wanted.length ? `, fewer than the ${wanted.length} splits asked for` : ''} (whole groups go to one split); ${fix}`);
    }
  }
  return out;
}
