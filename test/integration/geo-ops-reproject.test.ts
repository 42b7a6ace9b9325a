import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeShmTmpDir } from '../helpers/tmp.js';
import { CORPUS, runCli, REPO_ROOT } from '../helpers/cli.js';
import { needGdal, gdalinfo, pixels, compare, run, makeScene } from './geo-ops-native.js';
import { reproject, COG_CO } from '../../src/geo/ops/reproject.js';

/** Runs native gdalwarp with exactly the arguments our warp used and compares grid, CRS and pixels. */
function checkAgainstGdalwarp(f: { input: string; output: string; warpArgs: string[] }, dir: string, tol: number, outputInfo?: any) {
  const native = join(dir, `native-${Math.random().toString(36).slice(2)}-${f.output.split('/').pop()}`);
  run('gdalwarp', ['-q', '-overwrite', ...f.warpArgs, '-of', 'COG', ...COG_CO, f.input, native]);
  // one gdalinfo per raster (the caller's, when it has one), shared with pixels()
  const a = outputInfo ?? gdalinfo(f.output), b = gdalinfo(native);
  assert.deepEqual(a.size, b.size, 'size');
  assert.deepEqual(a.geoTransform, b.geoTransform, 'geotransform');
  assert.equal(a.coordinateSystem.wkt, b.coordinateSystem.wkt, 'CRS');
  assert.deepEqual(a.bands.map((x: any) => x.noDataValue), b.bands.map((x: any) => x.noDataValue), 'nodata');
  const d = compare(pixels(f.output, a), pixels(native, b));
  assert.ok(d.maxAbs <= tol, `max abs diff ${d.maxAbs} > ${tol} (${d.differing}/${d.total} differ)`);
  if (tol === 0) assert.equal(d.differing, 0);
  return d;
}

test('reproject: three corpus CRSs + generated scene onto one grid, equal to native gdalwarp', async (t) => {
  if (!needGdal(t)) return;
  const { dir, cleanup } = makeShmTmpDir('geo-reproject-');
  t.after(cleanup);
  const inDir = join(dir, 'in');
  mkdirSync(inDir);
  // EPSG:32618 (Byte, nodata 0), EPSG:32612 (UInt16), EPSG:3857 (Byte, nodata 255) + generated EPSG:32632 scene
  for (const f of ['RGB.byte.tif', 'RGBA.uint16.tif', 'shade.tif']) copyFileSync(join(CORPUS, f), join(inDir, f));
  makeScene(join(inDir, 'scene.tif'), 1024);

  for (const resampling of ['nearest', 'bilinear'] as const) {
    const out = join(dir, `out-${resampling}`);
    const r = await reproject({ input: inDir, output: out, crs: 'EPSG:4326', res: 0.004, tap: true, resampling, jobs: 2 });
    assert.equal(r.files.length, 4);
    for (const f of r.files) {
      // one grid: every origin is a multiple of the resolution
      assert.ok(Math.abs(f.geoTransform[0] / 0.004 - Math.round(f.geoTransform[0] / 0.004)) < 1e-6);
      const info = gdalinfo(f.output);
      assert.equal(info.metadata?.IMAGE_STRUCTURE?.LAYOUT, 'COG', `${f.output} is a COG`);
      assert.equal(info.metadata?.IMAGE_STRUCTURE?.COMPRESSION, 'DEFLATE');
      const d = checkAgainstGdalwarp(f, dir, resampling === 'nearest' ? 0 : 1, info);
      t.diagnostic(`${resampling} ${f.output.split('/').pop()}: ${d.differing}/${d.total} px differ, max ${d.maxAbs}`);
    }
  }
});

test('reproject: utm picks the centroid zone; default grid; second run is a no-op; strips equal a whole warp', async (t) => {
  if (!needGdal(t)) return;
  const { dir, cleanup } = makeShmTmpDir('geo-reproject-');
  t.after(cleanup);
  const src = join(dir, 'scene.tif');
  makeScene(src, 1536);
  const out = join(dir, 'out');
  // strip threshold low so the 2-worker strip path runs; nearest must still equal native gdalwarp
  const r = await reproject({ input: src, output: out, crs: 'utm', resampling: 'nearest', jobs: 2, stripThresholdPixels: 1000 });
  assert.equal(r.crs, 'EPSG:32632');
  const f = r.files[0]!;
  const d = checkAgainstGdalwarp(f, dir, 0);
  assert.equal(d.differing, 0);
  const m1 = statSync(f.output).mtimeMs;
  const stale = join(out, '.geodvc-tmp-scene.tif-1-deadbeef-strip0.tif');
  writeFileSync(stale, 'left by an interrupted run');
  const r2 = await reproject({ input: src, output: out, crs: 'utm', resampling: 'nearest', jobs: 2, stripThresholdPixels: 1000 });
  assert.equal(r2.files[0]!.skipped, true);
  assert.equal(statSync(f.output).mtimeMs, m1);
  assert.equal(existsSync(stale), false, 'temp files of an interrupted run are removed');

  // warp to 4326 in strips vs native in one go (bilinear, ≤ 1 DN)
  const r3 = await reproject({ input: src, output: join(dir, 'out4326'), crs: 'EPSG:4326', resampling: 'bilinear', jobs: 2, stripThresholdPixels: 1000 });
  checkAgainstGdalwarp(r3.files[0]!, dir, 1);
});

test('reproject CLI: unknown CRS and a raster without CRS fail clearly', async (t) => {
  if (!needGdal(t)) return;
  const { dir, cleanup } = makeShmTmpDir('geo-reproject-');
  t.after(cleanup);
  const bad = await runCli(['geo', 'reproject', '--input', join(CORPUS, 'byte.tif'), '--output', join(dir, 'o'), '--crs', 'EPSG:999999', '--json'], { cwd: REPO_ROOT });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr + bad.stdout, /unknown CRS: EPSG:999999/);
  const nocrs = await runCli(['geo', 'reproject', '--input', join(CORPUS, 'byte_nogeoref.tif'), '--output', join(dir, 'o2'), '--crs', 'EPSG:4326'], { cwd: REPO_ROOT });
  assert.notEqual(nocrs.code, 0);
  assert.match(nocrs.stderr, /has no CRS/);
  assert.match(nocrs.stderr, /hint:/);
  const ok = await runCli(['geo', 'reproject', '--input', join(CORPUS, 'byte.tif'), '--output', join(dir, 'o3'), '--crs', 'EPSG:32611', '--res', '60', '--tap', '--json'], { cwd: REPO_ROOT });
  assert.equal(ok.code, 0, ok.stderr);
  const j = JSON.parse(ok.stdout);
  assert.equal(j.files[0].width, gdalinfo(j.files[0].output).size[0]);
});
