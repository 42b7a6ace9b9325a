import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignSplits, minCrossDistance, rectDistance, chipRects, splitWarnings, type SplitChip } from './split.js';

function grid(n: number, size = 100, gap = 0): SplitChip[] {
  const out: SplitChip[] = [];
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) {
    const x = c * (size + gap), y = r * (size + gap);
    out.push({ chip: `r${r}_c${c}`, rect: [x, y, x + size, y + size] });
  }
  return out;
}

/** Brute-force minimum distance between chips of different splits. */
function brute(chips: SplitChip[], split: number[]): number {
  let best = Infinity;
  for (let i = 0; i < chips.length; i++) for (let j = i + 1; j < chips.length; j++) {
    if (split[i]! < 0 || split[j]! < 0 || split[i] === split[j]) continue;
    best = Math.min(best, rectDistance(chips[i]!.rect, chips[j]!.rect));
  }
  return best;
}

test('split: every method honours the buffer; minimum distance is exact; ratios roughly kept; deterministic', () => {
  const chips = grid(40);
  for (const method of ['block', 'cluster', 'random'] as const) {
    for (const buffer of [0, 150, 500]) {
      const o = { method, blockSize: 1000, buffer, ratios: [0.7, 0.15, 0.15], seed: 42 };
      const s = assignSplits(chips, o);
      assert.deepEqual(assignSplits(chips, o), s, 'same seed, same result');
      const b = brute(chips, s);
      if (buffer > 0) assert.ok(b >= buffer, `${method} buffer ${buffer}: min ${b}`);
      const kept = chips.map((c, i) => ({ rect: c.rect, split: s[i]! })).filter((c) => c.split >= 0);
      assert.equal(minCrossDistance(kept) ?? Infinity, b);
      if (method !== 'random') {
        const n = s.filter((x) => x >= 0).length;
        const train = s.filter((x) => x === 0).length / n;
        assert.ok(train > 0.5 && train < 0.9, `${method} train fraction ${train}`);
        assert.ok(n > chips.length * 0.5, `${method} buffer ${buffer} keeps ${n}`);
      }
    }
  }
  assert.notDeepEqual(assignSplits(chips, { method: 'block', blockSize: 1000, buffer: 0, ratios: [0.7, 0.15, 0.15], seed: 1 }),
    assignSplits(chips, { method: 'block', blockSize: 1000, buffer: 0, ratios: [0.7, 0.15, 0.15], seed: 2 }));
});

test('chipRects: projected bounds used as is; lon/lat footprints in metres', () => {
  const idx = { features: [{ properties: { chip: 'a', crs: 'EPSG:32632', bounds: [0, 0, 10, 10] }, geometry: null }] };
  assert.deepEqual(chipRects(idx)[0]!.rect, [0, 0, 10, 10]);
  const ll = { features: [{ properties: { chip: 'a', crs: 'EPSG:4326' }, geometry: { type: 'Polygon', coordinates: [[[0, 0], [0.01, 0], [0.01, 0.01], [0, 0.01], [0, 0]]] } }] };
  const r = chipRects(ll)[0]!.rect;
  assert.ok(Math.abs(r[2] - r[0] - 1111.95) < 1, `${r[2] - r[0]}`);
});

test('split: a split the ratios ask for is never left empty when there are enough groups; warnings say why otherwise', () => {
  // 6x4 chips of 640 m in blocks of 2000 m: 4 blocks of 9, 9, 3 and 3 chips
  const chips = grid(6, 640).filter((c) => Number(/^r(\d)/.exec(c.chip)![1]) < 4);
  assert.equal(chips.length, 24);
  for (let seed = 0; seed < 20; seed++) {
    const stats: { groups?: number } = {};
    const s = assignSplits(chips, { method: 'block', blockSize: 2000, buffer: 0, ratios: [0.7, 0.15, 0.15], seed }, stats);
    assert.equal(stats.groups, 4);
    for (const k of [0, 1, 2]) assert.ok(s.includes(k), `seed ${seed}: split ${k} is empty: ${s}`);
  }
  // one block only: two splits must stay empty, and the warning explains it
  const one = assignSplits(chips, { method: 'block', blockSize: 100000, buffer: 0, ratios: [0.7, 0.15, 0.15], seed: 0 });
  assert.deepEqual([...new Set(one)], [0]);
  const names = ['train', 'val', 'test'];
  const w = splitWarnings({ method: 'block', blockSize: 100000, buffer: 0, ratios: [0.7, 0.15, 0.15], names, total: 24, groups: 1,
    before: { train: 24, val: 0, test: 0 }, counts: { train: 24, val: 0, test: 0 }, droppedBySplit: { train: 0, val: 0, test: 0 }, dropped: 0 });
  assert.equal(w.length, 2);
  assert.match(w[0]!, /val split is empty although --ratios asks for 15%: the 24 chips fall into 1 blocks of 100000 m, fewer than the 3 splits/);
  assert.match(w[0]!, /smaller --block-size/);
  const d = splitWarnings({ method: 'block', blockSize: 1000, buffer: 100, ratios: [0.7, 0.15, 0.15], names, total: 24, groups: 24,
    before: { train: 18, val: 4, test: 2 }, counts: { train: 4, val: 0, test: 2 }, droppedBySplit: { train: 14, val: 4, test: 0 }, dropped: 18 });
  assert.match(d[0]!, /^dropped 18 of 24 chips \(14 train, 4 val\) to keep --buffer 100 m between splits/);
  assert.match(d[1]!, /val split is empty .*all 4 of its chips were within --buffer 100 m/);
  assert.deepEqual(splitWarnings({ method: 'block', blockSize: 1000, buffer: 0, ratios: [0.7, 0.3], names: ['train', 'val'], total: 10, groups: 5,
    before: { train: 7, val: 3 }, counts: { train: 7, val: 3 }, droppedBySplit: { train: 0, val: 0 }, dropped: 0 }), []);
});
