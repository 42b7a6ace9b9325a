import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertCrsText, crsFromText, epsgCodeFromString, sameCrs, transformer, wktRootEpsg } from './crs.js';
import { epsgDef, stripNadgrids } from './epsg.js';
import { identifyEpsg } from './identify.js';
import { bboxToWgs84, gridPhase, pixelToWorld, rasterBounds, resolution, worldToPixel } from './grid.js';

test('EPSG codes from strings and WKT root authority only', () => {
  assert.equal(epsgCodeFromString('EPSG:32633'), 32633);
  assert.equal(epsgCodeFromString('urn:ogc:def:crs:EPSG::4326'), 4326);
  assert.equal(epsgCodeFromString('http://www.opengis.net/def/crs/EPSG/0/3857'), 3857);
  assert.equal(epsgCodeFromString('[EPSG:32631]'), 32631);
  assert.equal(epsgCodeFromString('WGS 84'), undefined);
  const wkt = 'PROJCS["x",GEOGCS["WGS 84",AUTHORITY["EPSG","4326"]],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AUTHORITY["EPSG","32618"]]';
  assert.equal(wktRootEpsg(wkt), 32618);
  assert.equal(wktRootEpsg('PROJCS["x",GEOGCS["WGS 84",AUTHORITY["EPSG","4326"]]]'), undefined);
  assert.equal(wktRootEpsg('GEOGCRS["WGS 84",ID["EPSG",4326]]'), 4326);
});

test('ESRI .prj names are identified, grids are stripped from epsg-index strings', () => {
  assert.equal(identifyEpsg('PROJCS["WGS_1984_UTM_Zone_18N",GEOGCS["GCS_WGS_1984"]]'), 32618);
  assert.equal(identifyEpsg('GEOGCS["GCS_North_American_1983",DATUM["D_North_American_1983"]]'), 4269);
  assert.equal(identifyEpsg('PROJCS["OSGB 1936 / British National Grid",GEOGCS["OSGB 1936"]]'), 27700);
  assert.equal(identifyEpsg('PROJCS["Totally_Custom",GEOGCS["x"]]'), undefined);
  const s = stripNadgrids('+proj=longlat +ellps=clrk66 +nadgrids=@conus,@alaska +no_defs');
  assert.equal(s.stripped, true);
  assert.ok(!s.proj4.includes('nadgrids'));
  assert.equal(epsgDef(32633)?.name, 'WGS 84 / UTM zone 33N');
  assert.equal(epsgDef(999999), undefined);
});

test('CRS comparison and transforms', () => {
  const a = crsFromText('EPSG:32632')!;
  const b = crsFromText('EPSG:32633')!;
  assert.equal(sameCrs(a, crsFromText('urn:ogc:def:crs:EPSG::32632')), true);
  assert.equal(sameCrs(a, b), false);
  const f = transformer(a, crsFromText('EPSG:4326')!);
  const [lon, lat] = f([500000, 0]);
  assert.ok(Math.abs(lon - 9) < 1e-9 && Math.abs(lat) < 1e-9, `${lon},${lat}`);
});

test('affine and grid math', () => {
  const gt = [500000, 10, 0, 4000000, 0, -10];
  assert.deepEqual(pixelToWorld(gt, 2, 3), [500020, 3999970]);
  assert.deepEqual(worldToPixel(gt, 500020, 3999970), [2, 3]);
  assert.deepEqual(resolution(gt), [10, 10]);
  assert.deepEqual(gridPhase([500005, 10, 0, 3999995, 0, -10], { origin: [500000, 4000000], res: [10, 10] }), [-0.5, -0.5]);
  assert.deepEqual(gridPhase([500120, 10, 0, 3999800, 0, -10], { origin: [500000, 4000000], res: [10, 10] }), [0, 0]);
  assert.deepEqual(rasterBounds(gt, 20, 10), [500000, 3999900, 500200, 4000000]);
  const bb = bboxToWgs84([500000, 0, 600000, 100000], crsFromText('EPSG:32632')!)!;
  assert.ok(Math.abs(bb[0] - 9) < 1e-9 && bb[2] > 9.89 && bb[2] < 9.9 && bb[1] === 0 && bb[3] > 0.9 && bb[3] < 0.91, JSON.stringify(bb));
});

test('user-defined GeoTIFF CRSs compare by their keys, not by citation', () => {
  const k = { GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 32767, ProjCoordTransGeoKey: 11, ProjStdParallel1GeoKey: 29.5 };
  assert.equal(sameCrs({ name: 'Albers A', geoKeys: { ...k } }, { name: 'Albers B', geoKeys: { ...k } }), true);
  assert.equal(sameCrs({ name: 'Albers', geoKeys: { ...k } }, { name: 'Albers', geoKeys: { ...k, ProjStdParallel1GeoKey: 30 } }), false);
  assert.equal(sameCrs({ name: 'x', geoKeys: k }, crsFromText('EPSG:32632')), false);
});

test('assertCrsText rejects trailing garbage and accepts what GDAL takes', () => {
  for (const ok of ['EPSG:4326', 'epsg:32633', 'EPSG:4326+5773', '4326', 'ESRI:102003', 'OGC:CRS84', 'urn:ogc:def:crs:EPSG::4326',
    'http://www.opengis.net/def/crs/EPSG/0/3857', '+proj=longlat +datum=WGS84 +no_defs', 'GEOGCS["WGS 84",AUTHORITY["EPSG","4326"]]', 'WGS84', 'utm']) {
    assert.equal(assertCrsText(ok), ok.trim(), ok);
  }
  for (const bad of ['epsg:4326x', 'EPSG:', 'EPSG:abc', '4326x', 'EPSG:4326 foo', 'GEOGCS["WGS 84"', 'GEOGCS["x"]]extra', '+proj=longlat junk', 'urn:ogc:def:crs:EPSG::4326x', '']) {
    assert.throws(() => assertCrsText(bad), (e: Error & { exitCode?: number; hint?: string }) => e.message.includes(`'${bad}'`) && e.exitCode === 254 && !!e.hint, bad);
  }
});
