/**
 * The ui's raster tiles (src/apps/ui/tiles.ts) against Debian's gdalwarp of the same Web Mercator
 * window: same pixels, same coverage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TileRenderer, emptyTilePng, tileBounds } from '../../src/apps/ui/tiles.js';
import { loadNativeGdal } from '../../src/geo/engine/native.js';
import { CORPUS } from '../helpers/cli.js';

/** Decodes a PNG with GDAL (gdal-async) into band arrays. */
function readPng(gdal: any, png: Buffer, name: string): Uint8Array[] {
  const p = `/vsimem/${name}.png`;
  gdal.vsimem.set(png, p);
  try {
    const ds = gdal.open(p);
    const out: Uint8Array[] = [];
    for (let b = 1; b <= ds.bands.count(); b++) out.push(ds.bands.get(b).pixels.read(0, 0, 256, 256, new Uint8Array(256 * 256)));
    ds.close();
    return out;
  } finally { gdal.vsimem.release(p); }
}

test('a tile equals gdalwarp of the same Web Mercator window (stretch none), outside is transparent', async (t) => {
  const gdal = loadNativeGdal();
  const have = spawnSync('gdalwarp', ['--version']).status === 0;
  if (!gdal || !have) {
    if (process.env.CI === 'true') assert.fail('gdal-async and gdalwarp are needed');
    t.skip('gdal-async or gdalwarp missing');
    return;
  }
  const src = join(CORPUS, 'RGB.byte.tif');
  const r = new TileRenderer();
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-tiles-'));
  try {
    assert.equal(r.available(), true);
    // z8 tile over the Bahamas scene (lon -77.7, lat 24.7)
    const z = 8, x = Math.floor(((-77.7 + 180) / 360) * 256), y = Math.floor(((1 - Math.log(Math.tan(Math.PI / 4 + (24.7 * Math.PI) / 360)) / Math.PI) / 2) * 256);
    const png = await r.render(src, 'RGB.byte.tif', z, x, y, { stretch: null });
    const ours = readPng(gdal, png, 'ours');
    assert.equal(ours.length, 4);
    const tb = tileBounds(z, x, y);
    const ref = join(dir, 'ref.tif');
    const w = spawnSync('gdalwarp', ['-q', '-t_srs', 'EPSG:3857', '-te', ...tb.map(String), '-ts', '256', '256', '-r', 'bilinear', '-dstalpha', '-ot', 'Float32', src, ref], { encoding: 'utf8' });
    assert.equal(w.status, 0, w.stderr);
    const rds = gdal.open(ref);
    let compared = 0, maxDiff = 0, alphaMismatch = 0;
    const ra = rds.bands.get(4).pixels.read(0, 0, 256, 256, new Float32Array(256 * 256));
    const rb = [1, 2, 3].map((b) => rds.bands.get(b).pixels.read(0, 0, 256, 256, new Float32Array(256 * 256)));
    rds.close();
    for (let i = 0; i < 256 * 256; i++) {
      if ((ra[i]! > 0) !== (ours[3]![i]! > 0)) { alphaMismatch++; continue; }
      if (ra[i]! < 255) continue;
      for (let b = 0; b < 3; b++) maxDiff = Math.max(maxDiff, Math.abs(Math.round(rb[b]![i]!) - ours[b]![i]!));
      compared++;
    }
    assert.ok(compared > 10000, `opaque pixels compared: ${compared}`);
    assert.equal(alphaMismatch, 0);
    assert.ok(maxDiff <= 1, `max difference ${maxDiff}`);
    // a tile far from the scene: the shared transparent tile, no warp
    assert.equal(await r.render(src, 'RGB.byte.tif', 8, 10, 10), emptyTilePng());
    // the default 2-98 % stretch spreads the values: more distinct levels than the raw tile
    const stretched = readPng(gdal, await r.render(src, 'RGB.byte.tif', z, x, y), 'stretched');
    assert.ok(new Set(stretched[0]).size >= new Set(ours[0]).size);
    await assert.rejects(r.render(src, 'RGB.byte.tif', z, x, y, { bands: [4] }), /no band 4/);
    await assert.rejects(r.render(src, 'RGB.byte.tif', 3, 9, 0), /no tile/);
  } finally { r.close(); rmSync(dir, { recursive: true, force: true }); }
});
