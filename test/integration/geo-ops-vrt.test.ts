import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir } from '../helpers/tmp.js';
import { CORPUS, runCli, REPO_ROOT } from '../helpers/cli.js';
import { needGdal, gdalinfo, run, makeScene } from './geo-ops-native.js';
import { buildVrtFile } from '../../src/geo/ops/vrt.js';
import { chip } from '../../src/geo/ops/chip.js';
import { buildVrt } from '../../src/geo/export/vrt.js';

function checksums(p: string): number[] { return JSON.parse(run('gdalinfo', ['-json', '-checksum', p])).bands.map((b: any) => b.checksum); }

test('buildVrt (pure): grid rules', () => {
  const s = (x: number, y: number, r: number, w: number, h: number) => ({ path: 'a.tif', relativeToVRT: true, width: w, height: h, geoTransform: [x, r, 0, y, 0, -r] as [number, number, number, number, number, number], bands: [{ dataType: 'Byte' }] });
  const { grid, xml } = buildVrt([s(0, 100, 10, 10, 10), s(100, 100, 20, 5, 5)], { wkt: 'EPSG:32632', resolution: 'highest' });
  assert.deepEqual(grid, { width: 20, height: 10, geoTransform: [0, 10, 0, 100, 0, -10] });
  assert.match(xml, /<DstRect xOff="10" yOff="0" xSize="10" ySize="10"\/>/);
  assert.equal(buildVrt([s(0, 100, 10, 10, 10), s(100, 100, 20, 5, 5)], { wkt: '', resolution: 'lowest' }).grid.width, 10);
  assert.throws(() => buildVrt([s(0, 0, 1, 1, 1), { ...s(0, 0, 1, 1, 1), bands: [] }], { wkt: '' }), /band count differs/);
});

test('geo vrt: gdalinfo opens our VRTs with the size and geotransform of gdalbuildvrt', async (t) => {
  if (!needGdal(t)) return;
  const { dir, cleanup } = makeTmpDir('geo-vrt-');
  t.after(cleanup);
  // 1. mosaic of 256 chips of a generated scene (relative paths, compact)
  const scene = join(dir, 'scene.tif');
  makeScene(scene, 2048, 1);
  const chips = join(dir, 'chips');
  await chip({ input: scene, output: chips, size: 128 });
  const ours = join(dir, 'mosaic.vrt');
  const r = await buildVrtFile({ output: ours, inputs: [chips] });
  const theirs = join(dir, 'mosaic-gdal.vrt');
  run('gdalbuildvrt', ['-q', theirs, ...r.sources.map((s) => join(dir, s))]);
  let a = gdalinfo(ours), b = gdalinfo(theirs);
  assert.deepEqual(a.size, b.size);
  assert.deepEqual(a.geoTransform, b.geoTransform);
  assert.deepEqual(checksums(ours), checksums(scene), 'the mosaic of the chips is the scene');
  // native engine: GDAL's own buildVRT writes what gdalbuildvrt writes; gdal3.js fallback: our compact writer
  assert.ok(statSync(ours).size <= statSync(theirs).size * 1.05, `${statSync(ours).size} bytes for ${r.sources.length} inputs (gdalbuildvrt: ${statSync(theirs).size})`);
  assert.ok(!readFileSync(ours, 'utf8').includes(dir), 'paths are relative');
  t.diagnostic(`${r.sources.length} inputs, ${statSync(ours).size} bytes (gdalbuildvrt: ${statSync(theirs).size})`);

  // 2. mixed resolutions: every --resolution mode
  const mixed = join(dir, 'mixed');
  mkdirSync(mixed);
  run('gdal_translate', ['-q', '-srcwin', '0', '0', '1000', '1000', scene, join(mixed, 'a.tif')]);
  run('gdal_translate', ['-q', '-srcwin', '900', '700', '1000', '1000', '-tr', '20', '20', scene, join(mixed, 'b.tif')]);
  run('gdal_translate', ['-q', '-srcwin', '1500', '1500', '500', '500', '-tr', '30', '30', scene, join(mixed, 'c.tif')]);
  for (const mode of ['highest', 'lowest', 'average'] as const) {
    const o = join(dir, `m-${mode}.vrt`), g = join(dir, `m-${mode}-gdal.vrt`);
    await buildVrtFile({ output: o, inputs: [mixed], resolution: mode });
    run('gdalbuildvrt', ['-q', '-resolution', mode, g, join(mixed, 'a.tif'), join(mixed, 'b.tif'), join(mixed, 'c.tif')]);
    a = gdalinfo(o); b = gdalinfo(g);
    assert.deepEqual(a.size, b.size, mode);
    assert.deepEqual(a.geoTransform, b.geoTransform, mode);
    assert.deepEqual(checksums(o), checksums(g), mode);
  }
  const u = join(dir, 'm-user.vrt'), ug = join(dir, 'm-user-gdal.vrt');
  await buildVrtFile({ output: u, inputs: [mixed], resolution: 'user', res: [15, 15] });
  run('gdalbuildvrt', ['-q', '-tr', '15', '15', ug, join(mixed, 'a.tif'), join(mixed, 'b.tif'), join(mixed, 'c.tif')]);
  assert.deepEqual(gdalinfo(u).size, gdalinfo(ug).size);
  assert.deepEqual(gdalinfo(u).geoTransform, gdalinfo(ug).geoTransform);

  // 3. separate: Landsat-like bands from the corpus (EPSG:26912)
  const bands = ['sr_b4_20200829.tif', 'sr_b5_20200829.tif', 'sr_b6_20200829.tif'].map((f) => join(CORPUS, f));
  const sep = join(dir, 'stack.vrt'), sepg = join(dir, 'stack-gdal.vrt');
  await buildVrtFile({ output: sep, inputs: bands, separate: true });
  run('gdalbuildvrt', ['-q', '-separate', sepg, ...bands]);
  a = gdalinfo(sep); b = gdalinfo(sepg);
  assert.deepEqual(a.size, b.size);
  assert.deepEqual(a.geoTransform, b.geoTransform);
  assert.deepEqual(checksums(sep), checksums(sepg));
});

test('geo vrt CLI: temporal order, mismatched CRS error', async (t) => {
  if (!needGdal(t)) return;
  const { dir, cleanup } = makeTmpDir('geo-vrt-');
  t.after(cleanup);
  const scene = join(dir, 'scene.tif');
  makeScene(scene, 256, 1);
  run('gdal_translate', ['-q', '-mo', 'TIFFTAG_DATETIME=2021:06:01 10:00:00', scene, join(dir, 'late.tif')]);
  run('gdal_translate', ['-q', '-mo', 'TIFFTAG_DATETIME=2020:01:15 10:00:00', scene, join(dir, 'early.tif')]);
  const r = await runCli(['geo', 'vrt', join(dir, 't.vrt'), join(dir, 'late.tif'), join(dir, 'early.tif'), '--separate', '--json'], { cwd: REPO_ROOT });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).sources, ['early.tif', 'late.tif']);
  const bad = await runCli(['geo', 'vrt', join(dir, 'x.vrt'), scene, join(CORPUS, 'byte.tif')], { cwd: REPO_ROOT });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /not in the CRS of/);
  assert.match(bad.stderr, /hint:/);
});
