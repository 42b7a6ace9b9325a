/**
 * Gridded inputs of `geo chip` and `geo reproject` (issue 21): a NetCDF variable (subdataset name or
 * --variable, one time step by --time) gives the same pixels and georeferencing as Debian's
 * gdal_translate -srcwin / gdalwarp run on the same subdataset; JPEG2000 input; broken files fail
 * naming the file; no temporary files are left.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS, cliOk, runCli } from '../helpers/cli.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { gdalinfo, needNative, pixels, run } from './geo-ops-native.js';

const F = join(CORPUS, 'formats');
const S2 = join(F, 'sentinel_2_L1C_geographic.nc');
const leftovers = () => readdirSync(tmpdir()).filter((n) => n.startsWith('geodvc-gridded-')).length;

const cleanups: (() => void)[] = [];
after(() => { for (const c of cleanups) c(); });

function samePixels(a: string, b: string, what: string) {
  const pa = pixels(a), pb = pixels(b);
  assert.equal(pa.type, pb.type, `${what}: type`);
  assert.deepEqual([pa.width, pa.height, pa.bands.length], [pb.width, pb.height, pb.bands.length], `${what}: shape`);
  for (let i = 0; i < pa.bands.length; i++) assert.deepEqual(Array.from(pa.bands[i]!), Array.from(pb.bands[i]!), `${what}: band ${i + 1} pixels`);
  const ga = gdalinfo(a).geoTransform, gb = gdalinfo(b).geoTransform;
  for (let i = 0; i < 6; i++) assert.ok(Math.abs(ga[i] - gb[i]) <= 1e-9 * Math.max(1, Math.abs(gb[i])), `${what}: geotransform[${i}] ${ga[i]} vs ${gb[i]}`);
}

test('geo chip of a NetCDF variable equals gdal_translate -srcwin of NETCDF:"file":var (first, inner and last chip)', async (t) => {
  if (!needNative(t)) return;
  const before = leftovers();
  const { dir, cleanup } = makeTmpDir('gridded-chip-');
  cleanups.push(cleanup);
  const sub = `NETCDF:"${S2}":nir`;
  const r = await cliOk(['geo', 'chip', '--input', sub, '--output', 'chips', '--size', '4', '--json'], { cwd: dir });
  const index = JSON.parse(readFileSync(join(dir, 'chips', 'chips.geojson'), 'utf8'));
  assert.equal(JSON.parse(r.stdout).chips, 6, '12x11 in 4x4 chips, partial edges dropped: 3x2');
  // first, an inner and the last chip (each comparison spawns four GDAL commands)
  const feats = index.features as any[];
  assert.equal(feats.length, 6);
  for (const f of [feats[0], feats[4], feats[5]]) {
    const out = join(dir, 'chips', f.properties.chip);
    const [x, y, w, h] = f.properties.window as number[];
    const ref = join(dir, `ref_${f.properties.row}_${f.properties.col}.tif`);
    run('gdal_translate', ['-q', '-srcwin', String(x), String(y), String(w), String(h), sub, ref]);
    samePixels(out, ref, out);
  }
  // --variable on the plain path names the same chips
  await cliOk(['geo', 'chip', '--input', S2, '--variable', 'nir', '--output', 'chips2', '--size', '4'], { cwd: dir });
  assert.deepEqual(readdirSync(join(dir, 'chips2')).sort(), readdirSync(join(dir, 'chips')).sort());
  assert.equal(leftovers(), before, 'temporary GeoTIFFs removed');
});

test('geo reproject of a NetCDF variable equals gdalwarp of the subdataset on the same grid', async (t) => {
  if (!needNative(t)) return;
  const { dir, cleanup } = makeTmpDir('gridded-warp-');
  cleanups.push(cleanup);
  const r = await cliOk(['geo', 'reproject', '--input', S2, '--variable', 'red', '--output', 'rp', '--crs', 'EPSG:3857', '--format', 'GTiff', '--json'], { cwd: dir });
  const f = JSON.parse(r.stdout).files[0];
  const args = (f.warpArgs as string[]).filter((a, i, all) => a !== '-multi' && a !== '-wo' && all[i - 1] !== '-wo');
  const ref = join(dir, 'ref.tif');
  run('gdalwarp', ['-q', ...args, `NETCDF:"${S2}":red`, ref]);
  samePixels(f.output, ref, 'reprojected red');
  assert.equal(gdalinfo(f.output).stac['proj:epsg'], 3857);
});

test('--time picks one time step (band) of the variable; out-of-range steps and a missing variable are usage errors', async (t) => {
  if (!needNative(t)) return;
  const { dir, cleanup } = makeTmpDir('gridded-time-');
  cleanups.push(cleanup);
  const sub = `NETCDF:"${S2}":red`;
  await cliOk(['geo', 'chip', '--input', sub, '--time', '0', '--output', 'c', '--size', '11', '--edge', 'pad'], { cwd: dir });
  const chips = readdirSync(join(dir, 'c')).filter((n) => n.endsWith('.tif'));
  assert.deepEqual(chips.sort(), ['sentinel_2_L1C_geographic_red_t0_r0_c0.tif', 'sentinel_2_L1C_geographic_red_t0_r0_c1.tif']);
  const ref = join(dir, 'ref.tif');
  run('gdal_translate', ['-q', '-b', '1', '-srcwin', '0', '0', '11', '11', sub, ref]);
  samePixels(join(dir, 'c', chips.sort()[0]!), ref, 'time step 0');
  const out = await runCli(['geo', 'chip', '--input', sub, '--time', '3', '--output', 'c2', '--size', '4'], { cwd: dir });
  assert.equal(out.code, 254);
  assert.match(out.stderr, /--time 3 is outside time \(0\.\.0\)/);
  const none = await runCli(['geo', 'reproject', '--input', S2, '--output', 'r', '--crs', 'EPSG:3857'], { cwd: dir });
  assert.equal(none.code, 254);
  assert.match(none.stderr, /holds 2 variables[\s\S]*--variable red/);
});

test('JPEG2000 input chips like gdal_translate; broken gridded inputs fail naming the file', async (t) => {
  if (!needNative(t)) return;
  const { dir, cleanup } = makeTmpDir('gridded-jp2-');
  cleanups.push(cleanup);
  const jp2 = join(F, 'byte.jp2');
  await cliOk(['geo', 'chip', '--input', jp2, '--output', 'c', '--size', '50'], { cwd: dir });
  const ref = join(dir, 'ref.tif');
  run('gdal_translate', ['-q', '-srcwin', '50', '50', '50', '50', jp2, ref]);
  samePixels(join(dir, 'c', 'byte_r1_c1.tif'), ref, 'jp2 chip r1 c1');
  const before = leftovers();
  for (const [cmd, name] of [['chip', 'byte_truncated.jp2'], ['reproject', 'cf_geog_corrupted_header.nc']] as const) {
    const extra = cmd === 'chip' ? ['--size', '16'] : ['--crs', 'EPSG:4326'];
    const r = await runCli(['geo', cmd, '--input', join(F, name), '--output', `bad-${cmd}`, ...extra], { cwd: dir });
    assert.equal(r.code, 1, `${cmd} ${name}`);
    assert.match(r.stderr, new RegExp(`ERROR: ${name.replace(/\./g, '\\.')}`));
  }
  assert.equal(leftovers(), before, 'no temporary files left after failures');
});
