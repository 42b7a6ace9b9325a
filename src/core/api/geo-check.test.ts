import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkFile, geoCheck } from './geo-check.js';
import { listGeoFiles } from './geo-info.js';
import { rulesFromConfig } from './geo-validate.js';
import { ConfigError } from '../../lib/errors.js';

test('non-GeoJSON .json files are not geodata; broken GeoJSON is reported per feature', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'geocheck-'));
  try {
    writeFileSync(join(dir, 'metrics.json'), '{"acc": 0.93}');
    writeFileSync(join(dir, 'ok.geojson'), JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [1, 2] } }] }));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [1, 2] } }, { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[1, 2]] } }] }));
    writeFileSync(join(dir, 'cut.geojson'), '{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Po');
    assert.deepEqual(listGeoFiles(dir).map((p) => p.slice(dir.length + 1)), ['bad.json', 'cut.geojson', 'ok.geojson']);
    assert.equal((await checkFile(join(dir, 'metrics.json'))).kind, 'other');
    const bad = await checkFile(join(dir, 'bad.json'));
    assert.equal(bad.ok, false);
    assert.equal(bad.problems[0]!.structure, 'feature 1');
    const cut = await checkFile(join(dir, 'cut.geojson'));
    assert.equal(cut.ok, false);
    assert.match(cut.problems[0]!.message, /not valid JSON/);
    const all = await geoCheck({ cwd: dir, targets: [] });
    assert.equal(all.failed, 2);
    assert.equal(all.files.length, 3);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('[geo] config rules parse, bad values are ConfigErrors', () => {
  const r = rulesFromConfig({ crs: 'EPSG:32633', resolution: '10,20', origin_tolerance: '0.1', dtypes: 'Byte, UInt16', nodata: 'nan' });
  assert.equal(r.crs?.epsg, 32633);
  assert.deepEqual(r.resolution, [10, 20]);
  assert.equal(r.originTolerance, 0.1);
  assert.deepEqual(r.dtypes, ['Byte', 'UInt16']);
  assert.equal(r.nodata, 'NaN');
  assert.throws(() => rulesFromConfig({ resolution: 'ten' }), ConfigError);
  assert.throws(() => rulesFromConfig({ crs: 'nowhere' }), ConfigError);
});
