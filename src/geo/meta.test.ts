import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractGeoMeta } from './meta.js';

const CORPUS = process.env.GEODVC_CORPUS ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');

test('extractGeoMeta: raster grid, CRS, dtype, acquisition tags and companion YAML, deterministic', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'geometa-'));
  try {
    copyFileSync(join(CORPUS, 'gcp.tif'), join(dir, 'a.tif'));
    copyFileSync(join(CORPUS, 'RGB.byte.tif'), join(dir, 'b.tif'));
    writeFileSync(join(dir, 'b.tif.metadata.yaml'), 'sensor: L8\ncloud_cover: 12.5\nacquired: 2020-08-29\n');
    const a = await extractGeoMeta(join(dir, 'a.tif'));
    assert.equal(a?.kind, 'raster');
    assert.equal((a as any).gcps, 210);
    assert.ok((a as any).acquisition.TIFFTAG_DATETIME);
    const b = await extractGeoMeta(join(dir, 'b.tif'));
    assert.equal((b as any).crs, 'EPSG:32618');
    assert.deepEqual((b as any).size, [791, 718]);
    assert.equal((b as any).dtype, 'Byte');
    assert.equal((b as any).user.sensor, 'L8');
    assert.equal((b as any).user.cloud_cover, 12.5);
    assert.equal(JSON.stringify(b), JSON.stringify(await extractGeoMeta(join(dir, 'b.tif'))));
    assert.deepEqual(Object.keys(b as object), Object.keys(b as object).slice().sort());
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    assert.equal(await extractGeoMeta(join(dir, 'notes.txt')), undefined);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('extractGeoMeta: vector layers', async () => {
  const m = await extractGeoMeta(join(CORPUS, 'poly00.fgb'));
  assert.equal(m?.kind, 'vector');
  assert.deepEqual((m as any).layers[0].features, 10);
  assert.equal((m as any).layers[0].crs, 'EPSG:27700');
});
