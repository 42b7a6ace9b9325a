/**
 * Issue 18, the CLI: `geo vrt` and `geo stac` on a raster GDAL cannot decode (a cut LZW strip, see
 * geo-undecodable-files.ts) exit 1 naming the file and the strip, with a hint, and write nothing;
 * `geo stac` remembers verified cache objects and `--no-verify` publishes. Also `geo stac` of a
 * raster georeferenced by GCPs only (rotated, in UTM): its footprint is the lon/lat extent
 * `gdalwarp -t_srs EPSG:4326` gives it (it was skipped as "no georeferencing").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { makeTmpDir, gitInit } from '../helpers/tmp.js';
import { CORPUS, runCli, cliOk } from '../helpers/cli.js';
import { needNative } from './geo-ops-native.js';
import { gdalVerdict, makeFiles } from './geo-undecodable-files.js';

test('geo vrt / geo stac CLI: exit 1 naming the file, --json error, nothing written; verified objects remembered; --no-verify', async (t) => {
  if (!needNative(t)) return;
  const { dir, cleanup } = makeTmpDir();
  t.after(cleanup);
  const { files } = makeFiles(join(dir, 'gen'));
  const cut = files.find((f) => basename(f) === 'strips_cut.tif')!;
  assert.equal(gdalVerdict(cut).decodes, false);
  gitInit(dir);
  await cliOk(['init', '-q'], { cwd: dir });
  copyFileSync(cut, join(dir, 'cut.tif'));
  copyFileSync(join(CORPUS, 'RGB.byte.tif'), join(dir, 'good.tif'));
  // GCPs only, in UTM 11N, rotated by a few degrees
  const g = spawnSync('gdal_translate', ['-q', '-outsize', '40', '40', '-a_srs', 'EPSG:32611', '-gcp', '0', '0', '440720', '3751320', '-gcp', '40', '0', '441910', '3751420',
    '-gcp', '0', '40', '440820', '3750130', '-gcp', '40', '40', '442010', '3750230', join(CORPUS, 'byte.tif'), join(dir, 'gcp.tif')], { encoding: 'utf8' });
  assert.equal(g.status, 0, g.stderr);
  const v = await runCli(['geo', 'vrt', 'm.vrt', 'good.tif', 'cut.tif', '--json'], { cwd: dir });
  assert.equal(v.code, 1, v.stderr);
  assert.match(v.stderr + v.stdout, /cut\.tif.*band 1, strip 20/);
  assert.equal(existsSync(join(dir, 'm.vrt')), false);
  await cliOk(['add', '-q', 'good.tif', 'cut.tif', 'gcp.tif'], { cwd: dir });
  const s = await runCli(['geo', 'stac', '-o', 'site'], { cwd: dir });
  assert.equal(s.code, 1, s.stderr);
  assert.match(s.stderr, /ERROR: cut\.tif: GDAL cannot decode band 1, strip 20/);
  assert.match(s.stderr, /hint: /);
  assert.equal(existsSync(join(dir, 'site')), false, 'a STAC catalog was written for a bad raster');
  const ok = JSON.parse((await cliOk(['geo', 'stac', '-o', 'site', 'good.tif', 'gcp.tif', '--json'], { cwd: dir })).stdout);
  assert.deepEqual(ok.items.map((i: any) => i.path).sort(), ['gcp.tif', 'good.tif']);
  assert.equal(readdirSync(join(dir, '.dvc', 'tmp', 'geodvc-verified')).length, 2);
  // the GCP raster's footprint: gdalwarp's lon/lat extent
  const w = spawnSync('gdalwarp', ['-q', '-of', 'VRT', '-t_srs', 'EPSG:4326', join(dir, 'gcp.tif'), join(dir, 'gcp4326.vrt')], { encoding: 'utf8' });
  assert.equal(w.status, 0, w.stderr);
  const gi = JSON.parse(spawnSync('gdalinfo', ['-json', join(dir, 'gcp4326.vrt')], { encoding: 'utf8' }).stdout);
  const [gt, [nx, ny]] = [gi.geoTransform as number[], gi.size as number[]];
  const item = JSON.parse(readFileSync(ok.items.find((i: any) => i.path === 'gcp.tif').file, 'utf8'));
  const want = [gt[0]!, gt[3]! + ny! * gt[5]!, gt[0]! + nx! * gt[1]!, gt[3]!];
  for (let k = 0; k < 4; k++) assert.ok(Math.abs(item.bbox[k] - want[k]!) < 1e-8, `GCP footprint bbox ${item.bbox} vs gdalwarp ${want}`);
  assert.equal(item.properties['proj:transform'], undefined);
  const all = JSON.parse((await cliOk(['geo', 'stac', '-o', 'site2', '--no-verify', '--json'], { cwd: dir })).stdout);
  assert.equal(all.items.length, 3);
});
