import { test } from 'node:test';
import assert from 'node:assert/strict';
import { percentile, tileBounds } from './tiles.js';

const HALF = 20037508.342789244;

test('tileBounds: z0 is the whole Web Mercator square; children split their parent', () => {
  assert.deepEqual(tileBounds(0, 0, 0), [-HALF, -HALF, HALF, HALF]);
  const [a, b] = [tileBounds(1, 0, 0), tileBounds(1, 1, 1)];
  assert.deepEqual(a, [-HALF, 0, 0, HALF]);
  assert.deepEqual(b, [0, -HALF, HALF, 0]);
});

test('percentile: nearest rank over a sorted sample', () => {
  const s = Float64Array.from({ length: 101 }, (_, i) => i);
  assert.equal(percentile(s, 2), 2);
  assert.equal(percentile(s, 98), 98);
  assert.equal(percentile(new Float64Array(0), 50), 0);
});
