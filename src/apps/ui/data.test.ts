import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { CORPUS } from '../../../test/helpers/cli.js';
import { extractGeoMeta } from '../../geo/meta.js';
import { rasterFootprint, rasterPreview } from './data.js';

test('rasterPreview reads an overview of a COG and returns a PNG of the requested size', async () => {
  const t0 = Date.now();
  const r = await rasterPreview(join(CORPUS, 'cog.tif'), 256);
  assert.equal(r.fromOverview, true);
  assert.deepEqual([r.width, r.height], [255, 256]); // 2658 x 2667 scaled to 256 on the longer side
  assert.equal(r.png.readUInt32BE(16), 255);
  assert.equal(r.png.readUInt32BE(20), 256);
  assert.ok(Date.now() - t0 < 15_000);
});

test('rasterPreview: a one-band raster becomes an RGBA PNG of the scaled size', async () => {
  const r = await rasterPreview(join(CORPUS, 'byte.tif'), 10);
  assert.deepEqual([r.width, r.height], [10, 10]);
  // IHDR colour type 6 (RGBA); pixel data inflates to 10 rows of 1 + 40 bytes.
  assert.equal(r.png[25], 6);
  const idat = r.png.indexOf('IDAT');
  const len = r.png.readUInt32BE(idat - 4);
  assert.equal(inflateSync(r.png.subarray(idat + 4, idat + 4 + len)).length, 10 * 41);
});

test('rasterFootprint matches GDAL wgs84Extent for a UTM scene', async () => {
  const meta = await extractGeoMeta(join(CORPUS, 'RGB.byte.tif'));
  const fp = rasterFootprint(meta, { path: 'x' });
  assert.ok(fp);
  const truth = JSON.parse(readFileSync(join(CORPUS, 'truth', 'RGB.byte.tif.gdalinfo.json'), 'utf8')).wgs84Extent.coordinates[0] as number[][];
  const ring = (fp.geometry.coordinates as number[][][])[0]!;
  // GDAL's corners (UL, LL, LR, UR) are vertices of our densified ring.
  for (const [lon, lat] of truth.slice(0, 4)) {
    const d = Math.min(...ring.map((c) => Math.hypot(c[0]! - lon!, c[1]! - lat!)));
    assert.ok(d < 1e-5, `corner ${lon},${lat} off by ${d}`);
  }
  assert.equal(fp.properties.crs, 'EPSG:32618');
  assert.equal(rasterFootprint({ kind: 'raster', size: [2, 2] }, {}), undefined);
});
