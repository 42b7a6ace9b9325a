/**
 * Issue 20, the geo frictions a newcomer hit, each through the CLI:
 * strict --crs parsing, geo diff of dvc.lock outputs, geo split warnings, history of vector folders.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir } from '../helpers/tmp.js';
import { runCli, CORPUS } from '../helpers/cli.js';

let dir = '';
let cleanup = () => {};
before(() => { ({ dir, cleanup } = makeTmpDir('geodvc-frictions-geo-')); });
after(() => cleanup());

test('--crs epsg:4326x is rejected before any work, naming the value, with a hint', async () => {
  const out = join(dir, 'reproj-out');
  const r = await runCli(['geo', 'reproject', '--input', join(CORPUS, 'byte.tif'), '--output', out, '--crs', 'epsg:4326x'], { cwd: dir });
  assert.equal(r.code, 254, r.stderr);
  assert.match(r.stderr, /epsg:4326x/);
  assert.match(r.stderr, /trailing characters/);
  assert.match(r.stderr, /hint: .*EPSG:/);
  assert.doesNotMatch(r.stderr, /warping/);
  assert.equal(existsSync(out), false, 'no output directory written');
  const j = await runCli(['geo', 'reproject', '--json', '--input', join(CORPUS, 'byte.tif'), '--output', out, '--crs', 'EPSG:4326 junk'], { cwd: dir });
  assert.equal(j.code, 254);
  assert.equal(JSON.parse(j.stdout || j.stderr).error, 'usage');
});
