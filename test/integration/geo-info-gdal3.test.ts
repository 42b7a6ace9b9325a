/**
 * Raster formats other than TIFF/VRT go through gdal3.js (GDAL 3.8.4 wasm). Files written by native
 * gdal_translate (ERDAS Imagine, PNG with a world/aux file) must read the same as native gdalinfo.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { makeTmpDir } from '../helpers/tmp.js';
import { CORPUS } from '../helpers/cli.js';
import { readRasterInfo } from '../../src/geo/raster/info.js';

const HAVE_GDAL = spawnSync('gdalinfo', ['--version']).status === 0;
const skip = !HAVE_GDAL && process.env.CI !== 'true' ? 'gdal-bin not installed' : false;

test('HFA and PNG rasters through gdal3.js agree with native gdalinfo', { skip }, async () => {
  const { dir, cleanup } = makeTmpDir();
  try {
    const cases = [['HFA', 'byte.tif', 'byte.img'], ['PNG', 'RGB.byte.tif', 'rgb.png']];
    for (const [fmt, src, out] of cases) {
      const p = join(dir, out!);
      execFileSync('gdal_translate', ['-q', '-of', fmt!, join(CORPUS, src!), p]);
      const native = JSON.parse(execFileSync('gdalinfo', ['-json', p], { encoding: 'utf8' }));
      const ours = await readRasterInfo(p);
      assert.equal(ours.driverShortName, native.driverShortName);
      assert.deepEqual(ours.size, native.size);
      assert.deepEqual(ours.bands.map((b) => [b.type, b.block]), native.bands.map((b: any) => [b.type, b.block]));
      assert.deepEqual(ours.geoTransform, native.geoTransform);
      assert.equal(ours.epsg, native.stac?.['proj:epsg'] ?? undefined, out);
    }
  } finally { cleanup(); }
});
