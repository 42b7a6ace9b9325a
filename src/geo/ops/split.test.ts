import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignSplits, minCrossDistance, rectDistance, chipRects, type SplitChip } from './split.js';

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
