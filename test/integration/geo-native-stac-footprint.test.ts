/**
 * `geo stac` footprints on the native engine (issue 18): computed by GDAL/PROJ from the data, so a
 * NAD27 raster gets the datum shift, CRSs in US survey or international feet without an EPSG code
 * are not read as metres, user-defined datums are not skipped, a polar stereographic raster holding
 * the pole gets the polar cap (bbox up to the pole, no self-intersecting ring) and a raster across
 * the antimeridian a MultiPolygon with west > east. Every file is made here by gdal_translate and
 * compared with native gdalinfo's wgs84Extent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir, gitInit } from '../helpers/tmp.js';
import { cliOk, CORPUS } from '../helpers/cli.js';
import { needNative, run, gdalinfo } from './geo-ops-native.js';
import { validateStac } from '../../src/geo/stac/validate.js';

const FILES: [string, string, string[]][] = [
  // name, CRS, -a_ullr (ulx uly lrx lry)
  ['nad27.tif', 'EPSG:26711', ['440720', '3751320', '441920', '3750120']],
  ['usft_lcc.tif', '+proj=lcc +lat_1=41.03333333333333 +lat_2=40.66666666666666 +lat_0=40.16666666666666 +lon_0=-74 +x_0=300000 +y_0=0 +ellps=GRS80 +towgs84=0,0,0 +units=us-ft +no_defs', ['980000', '200000', '990000', '190000']],
  ['ft_tmerc.tif', '+proj=tmerc +lat_0=0 +lon_0=9 +k=0.9996 +x_0=1640416.67 +y_0=0 +ellps=WGS84 +units=ft +no_defs', ['1700000', '17400000', '1710000', '17390000']],
  ['userdatum.tif', '+proj=tmerc +lat_0=0 +lon_0=9 +k=1 +x_0=3500000 +y_0=0 +ellps=bessel +towgs84=598.1,73.7,418.2,0.202,0.045,-2.455,6.7 +units=m +no_defs', ['3450000', '5640000', '3451000', '5639000']],
  ['polar.tif', 'EPSG:3413', ['-1000000', '1000000', '1000000', '-1000000']],
  ['dateline.tif', 'EPSG:32660', ['700000', '5800000', '820000', '5650000']],
];

const inBbox = (b: number[], lon: number, lat: number, tol: number) =>
  lat >= b[1]! - tol && lat <= b[3]! + tol && (b[0]! <= b[2]! ? lon >= b[0]! - tol && lon <= b[2]! + tol : lon >= b[0]! - tol || lon <= b[2]! + tol);

test('geo stac: footprints by GDAL/PROJ (datum shift, feet, user-defined datums, polar cap, antimeridian)', async (t) => {
  if (!needNative(t)) return;
  const { dir, cleanup } = makeTmpDir();
  try {
    gitInit(dir);
    await cliOk(['init', '-q'], { cwd: dir });
    for (const [name, srs, ullr] of FILES) {
      run('gdal_translate', ['-q', '-outsize', '20', '20', '-a_srs', srs, '-a_ullr', ...ullr, join(CORPUS, 'byte.tif'), join(dir, name)]);
    }
    await cliOk(['add', '-q', ...FILES.map((f) => f[0])], { cwd: dir });
    const r = JSON.parse((await cliOk(['geo', 'stac', '--output', 'site', '--json'], { cwd: dir })).stdout);
    assert.deepEqual(r.skipped, []);
    assert.equal(r.items.length, FILES.length);
    for (const [name] of FILES) {
      const item = JSON.parse(readFileSync(join(dir, 'site', 'items', `${name}.json`), 'utf8'));
      assert.deepEqual(await validateStac(item), [], name);
      const g = gdalinfo(join(dir, name));
      const corners: number[][] = g.wgs84Extent.coordinates[0];
      for (const [lon, lat] of corners) assert.ok(inBbox(item.bbox, lon!, lat!, 1e-7), `${name}: gdal corner ${lon},${lat} outside bbox ${item.bbox}`);
      if (name === 'polar.tif') {
        assert.equal(item.bbox[3], 90, 'the bbox reaches the north pole');
        assert.deepEqual([item.bbox[0], item.bbox[2]], [-180, 180]);
        assert.equal(item.geometry.type, 'Polygon');
        continue;
      }
      if (name === 'dateline.tif') {
        assert.ok(item.bbox[0] > item.bbox[2], `west > east across the antimeridian: ${item.bbox}`);
        assert.equal(item.geometry.type, 'MultiPolygon');
        for (const poly of item.geometry.coordinates) for (const [lon] of poly[0]) assert.ok(lon >= -180 && lon <= 180);
        continue;
      }
      // small rasters: the densified outline's bbox is the corners' bbox to well under a metre
      // (NAD27 without the datum shift is ~80 m off, feet read as metres ~3x too big)
      const xs = corners.map((p) => p[0]!), ys = corners.map((p) => p[1]!);
      const gb = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
      for (let k = 0; k < 4; k++) assert.ok(Math.abs(item.bbox[k] - gb[k]!) < 2e-6, `${name}: bbox ${item.bbox} vs gdalinfo ${gb}`);
    }
  } finally { cleanup(); }
});
