/**
 * chip() on worker threads (windows dealt round-robin) writes exactly what the serial path writes:
 * the same chip files byte for byte, the same index bytes, the same counts; reruns are idempotent
 * and drop the same stale chips.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS } from '../helpers/cli.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { makeScene } from './geo-ops-native.js';
import { chip, type ChipOptions } from '../../src/geo/ops/chip.js';

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of readdirSync(dir).sort()) out[n] = readFileSync(join(dir, n)).toString('base64');
  return out;
}

test('chip: 1, 2 and 3 workers give byte-identical chips and index (tile copies, decode path, nodata skip, shift)', async () => {
  const { dir, cleanup } = makeTmpDir('geo-chip-par-');
  try {
    const inDir = join(dir, 'in');
    mkdirSync(inDir);
    makeScene(join(inDir, 'scene.tif'), 1024);
    makeScene(join(dir, 'scene128.tif'), 1024, 4, { blockSize: 128 });
    copyFileSync(join(CORPUS, 'RGB.byte.tif'), join(dir, 'RGB.byte.tif'));
    const cases: Omit<ChipOptions, 'output'>[] = [
      { input: join(inDir, 'scene.tif'), size: 128, edge: 'drop', maxNodata: 0.3 }, // inside 512 tiles: decode path
      { input: join(dir, 'RGB.byte.tif'), size: 128, stride: 100, edge: 'shift' },
      { input: join(dir, 'scene128.tif'), size: 128, edge: 'drop', maxNodata: 0.3 }, // tile copies
    ];
    for (const [i, c] of cases.entries()) {
      const snaps: Record<string, string>[] = [];
      const results = [];
      for (const jobs of [1, 2, 3]) {
        const out = join(dir, `out-${i}-${jobs}`);
        const r = await chip({ ...c, output: out, jobs });
        results.push({ n: r.chips.length, written: r.written, skippedNodata: r.skippedNodata, unchanged: r.unchanged });
        snaps.push(snapshot(out));
      }
      assert.ok(results[0]!.n >= 48, `case ${i}: enough windows for the parallel path (${results[0]!.n})`);
      assert.deepEqual(results[1], results[0], `case ${i}: counts, 2 workers`);
      assert.deepEqual(results[2], results[0], `case ${i}: counts, 3 workers`);
      assert.deepEqual(Object.keys(snaps[1]!), Object.keys(snaps[0]!));
      for (const k of Object.keys(snaps[0]!)) {
        assert.equal(snaps[1]![k], snaps[0]![k], `case ${i}: ${k}, 2 workers`);
        assert.equal(snaps[2]![k], snaps[0]![k], `case ${i}: ${k}, 3 workers`);
      }
    }
    // rerun in parallel: nothing rewritten; then a coarser grid drops the stale chips
    const out = join(dir, 'out-0-2');
    const again = await chip({ ...cases[0]!, output: out, jobs: 2 });
    assert.equal(again.written, 0);
    assert.equal(again.unchanged, again.chips.length);
    const coarser = await chip({ ...cases[0]!, size: 128, stride: 256, output: out, jobs: 2 });
    assert.ok(coarser.removed > 0);
    assert.equal(readdirSync(out).filter((n) => n.endsWith('.tif')).length, coarser.chips.length);
  } finally { cleanup(); }
});
