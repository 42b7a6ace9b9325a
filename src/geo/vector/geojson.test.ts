import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonDepthExceeded, MAX_JSON_DEPTH, readGeoJsonFeatures } from './geojson.js';
import { InvalidFileError } from '../../lib/errors.js';

test('jsonDepthExceeded: counts arrays and objects, skips brackets inside strings and escaped quotes', () => {
  assert.equal(jsonDepthExceeded('{"a":[[1,2],[3]]}', 3), -1);
  assert.equal(jsonDepthExceeded('{"a":[[[1]]]}', 3), 7);
  assert.equal(jsonDepthExceeded('{"s":"[[[[[[\\"[[[[", "t":"{{{{"}', 1), -1);
  assert.equal(jsonDepthExceeded('[]'.repeat(1000) + '[[', 1), 2001);
  assert.equal(jsonDepthExceeded('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH)), -1);
  assert.equal(jsonDepthExceeded('['.repeat(MAX_JSON_DEPTH + 1)), MAX_JSON_DEPTH);
});

test('readGeoJsonFeatures refuses GeoJSON nested 1e6 deep with an InvalidFileError naming the file (no stack overflow)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'geojson-'));
  try {
    const p = join(dir, 'deep.geojson');
    const n = 1_000_000;
    writeFileSync(p, `{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":${'['.repeat(n)}${']'.repeat(n)}}}`);
    assert.throws(() => readGeoJsonFeatures(p), (e: unknown) => e instanceof InvalidFileError && /^deep\.geojson: JSON nested more than 256 levels deep \(at offset \d+\)/.test(e.message) && typeof e.details?.offset === 'number');
    // a real MultiPolygon collection nests well below the limit
    const ok = join(dir, 'ok.geojson');
    writeFileSync(ok, JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { a: { b: [1] } }, geometry: { type: 'MultiPolygon', coordinates: [[[[0, 0], [1, 0], [1, 1], [0, 0]]]] } }] }));
    assert.equal(readGeoJsonFeatures(ok).features.length, 1);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
