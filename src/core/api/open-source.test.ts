import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { RangeSource, type RangeReader } from './open-source.js';

function memReader(data: Buffer, delayMs = 0): RangeReader & { calls: [number, number][]; maxInFlight: number } {
  let inFlight = 0;
  const r = {
    calls: [] as [number, number][], maxInFlight: 0, describe: 'mem',
    async read(offset: number, length: number) {
      r.calls.push([offset, length]);
      inFlight++; r.maxInFlight = Math.max(r.maxInFlight, inFlight);
      if (delayMs) await new Promise((res) => setTimeout(res, delayMs));
      inFlight--;
      return data.subarray(offset, Math.min(data.length, offset + length));
    },
    async close() {},
  };
  return r;
}

test('RangeSource returns the exact bytes, merges adjacent blocks, caches, clips at the end', async () => {
  const data = randomBytes(10_000);
  const rd = memReader(data);
  const src = new RangeSource(rd, { blockSize: 1000, size: data.length });
  const [a, b] = await src.fetch([{ offset: 1500, length: 2600 }, { offset: 9500, length: 1000 }]);
  assert.deepEqual(Buffer.from(a!), data.subarray(1500, 4100));
  assert.deepEqual(Buffer.from(b!), data.subarray(9500)); // clipped to the object size
  // blocks 1..4 in one GET, block 9 in another
  assert.deepEqual(rd.calls, [[1000, 4000], [9000, 1000]]);
  assert.equal(src.stats.bytes, 5000);
  const [c] = await src.fetch([{ offset: 2000, length: 100 }]);
  assert.deepEqual(Buffer.from(c!), data.subarray(2000, 2100));
  assert.equal(rd.calls.length, 2);
  assert.ok(src.stats.cacheHits >= 1);
});

test('RangeSource keeps at most `concurrency` reads in flight and evicts beyond cacheBlocks', async () => {
  const data = randomBytes(64 * 1000);
  const rd = memReader(data, 5);
  const src = new RangeSource(rd, { blockSize: 1000, size: data.length, concurrency: 3, cacheBlocks: 8 });
  // 16 non-adjacent blocks -> 16 GETs, never more than 3 at once
  const slices = Array.from({ length: 16 }, (_, i) => ({ offset: i * 4000 + 10, length: 20 }));
  const out = await src.fetch(slices);
  out.forEach((o, i) => assert.deepEqual(Buffer.from(o), data.subarray(i * 4000 + 10, i * 4000 + 30)));
  assert.equal(rd.calls.length, 16);
  assert.equal(rd.maxInFlight, 3);
  // the first blocks were evicted: reading them again is a new GET
  await src.fetch([{ offset: 10, length: 20 }]);
  assert.equal(rd.calls.length, 17);
});

test('RangeSource merges the neighbouring requests of separate fetch() calls made in the same turn', async () => {
  const data = randomBytes(20_000);
  const rd = memReader(data);
  const src = new RangeSource(rd, { blockSize: 1000, size: data.length });
  // like geotiff.js asking for three adjacent tiles one by one
  const parts = await Promise.all([0, 1, 2].map((i) => src.fetch([{ offset: 5000 + i * 1000, length: 1000 }])));
  parts.forEach(([p], i) => assert.deepEqual(Buffer.from(p!), data.subarray(5000 + i * 1000, 6000 + i * 1000)));
  assert.deepEqual(rd.calls, [[5000, 3000]]);
});
