/**
 * `geo stac` for gridded files (issue 21): a NetCDF cube gets a datacube-extension item whose
 * dimensions and variables are those ncdump lists, its time extent from CF time, proj fields from
 * gdalinfo of the grid; a JPEG2000 gets proj/raster fields like gdalinfo; the output validates.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS, cliOk } from '../helpers/cli.js';
import { gitInit, makeTmpDir } from '../helpers/tmp.js';
import { needNative, run } from './geo-ops-native.js';

const F = join(CORPUS, 'formats');

test('geo stac: datacube item for a NetCDF cube, proj/raster item for a JPEG2000, both validated', async (t) => {
  if (!needNative(t)) return;
  const { dir, cleanup } = makeTmpDir('gridded-stac-');
  t.after(cleanup);
  gitInit(dir);
  await cliOk(['init', '-q'], { cwd: dir });
  for (const f of ['sentinel_2_L1C_geographic.nc', 'byte.jp2', 'cf_geog.nc']) copyFileSync(join(F, f), join(dir, f));
  await cliOk(['add', '-q', 'sentinel_2_L1C_geographic.nc', 'byte.jp2', 'cf_geog.nc'], { cwd: dir });
  const r = JSON.parse((await cliOk(['geo', 'stac', '-o', 'stac', '--json'], { cwd: dir })).stdout);
  assert.equal(r.validated, true);
  assert.deepEqual(r.items.map((i: any) => i.path).sort(), ['byte.jp2', 'cf_geog.nc', 'sentinel_2_L1C_geographic.nc']);
  const nc = JSON.parse(readFileSync(join(dir, 'stac', 'items', 'sentinel_2_L1C_geographic.nc.json'), 'utf8'));
  assert.ok(nc.stac_extensions.includes('https://stac-extensions.github.io/datacube/v2.2.0/schema.json'));
  const dump = run('ncdump', ['-h', join(F, 'sentinel_2_L1C_geographic.nc')]);
  const dims = [...dump.split('variables:')[0]!.matchAll(/^\t(\w+) = /gm)].map((m) => m[1]);
  assert.deepEqual(Object.keys(nc.properties['cube:dimensions']).sort(), [...dims].sort());
  const vars = [...dump.matchAll(/^\t\w+ (\w+)(?:\(([^)]*)\))? ;$/gm)].map((m) => [m[1]!, m[2] ? m[2].split(', ') : []] as const); // group 1 is required
  assert.deepEqual(Object.keys(nc.properties['cube:variables']).sort(), vars.map((v) => v[0]).sort());
  for (const [name, d] of vars) assert.deepEqual(nc.properties['cube:variables'][name].dimensions, d, name);
  assert.equal(nc.properties['cube:variables'].red.type, 'data');
  assert.deepEqual(nc.properties['cube:dimensions'].time, { type: 'temporal', extent: ['2016-03-23T14:05:08.463Z', '2016-03-23T14:05:08.463Z'] });
  assert.equal(nc.properties['cube:dimensions'].longitude.axis, 'x');
  assert.equal(nc.properties.datetime, '2016-03-23T14:05:08.463Z');
  const g = JSON.parse(run('gdalinfo', ['-json', `NETCDF:"${join(F, 'sentinel_2_L1C_geographic.nc')}":red`]));
  assert.equal(nc.properties['proj:code'], `EPSG:${g.stac['proj:epsg']}`);
  assert.deepEqual(nc.properties['proj:shape'], [g.size[1], g.size[0]], 'STAC proj:shape is [rows, cols]');
  const jp2 = JSON.parse(readFileSync(join(dir, 'stac', 'items', 'byte.jp2.json'), 'utf8'));
  const gj = JSON.parse(run('gdalinfo', ['-json', join(F, 'byte.jp2')]));
  assert.equal(jp2.properties['proj:code'], `EPSG:${gj.stac['proj:epsg']}`);
  const gt = gj.geoTransform;
  assert.deepEqual(jp2.properties['proj:transform'], [gt[1], gt[2], gt[0], gt[4], gt[5], gt[3]], 'STAC affine order of gdalinfo\'s geotransform');
  assert.equal(jp2.assets.data.type, 'image/jp2');
  assert.equal(jp2.assets.data['raster:bands'][0].data_type, 'uint8');
  // a CF lon/lat grid without grid_mapping: GDAL gives it no CRS; its footprint is its lon/lat
  // extent (gdalinfo's corner coordinates), read as WGS 84 and said so, with proj:code unknown
  const cf = JSON.parse(readFileSync(join(dir, 'stac', 'items', 'cf_geog.nc.json'), 'utf8'));
  const gc = JSON.parse(run('gdalinfo', ['-json', join(F, 'cf_geog.nc')]));
  assert.equal(gc.coordinateSystem?.wkt ?? '', '', 'GDAL assigns no CRS to this grid');
  const cc = gc.cornerCoordinates;
  assert.deepEqual(cf.bbox, [cc.lowerLeft[0], cc.lowerLeft[1], cc.upperRight[0], cc.upperRight[1]]);
  assert.equal(cf.properties['proj:code'], null);
  assert.match(cf.properties['geodvc:crs_assumed'], /WGS 84/);
});
