/**
 * Georeferencing that the gdal3.js path got wrong or refused, on files made here with native GDAL:
 * south-up rasters, ModelTransformationTag (rotated), GCPs, polar stereographic to EPSG:4326 and a
 * CRS in US survey feet without an EPSG code. `geo reproject` (native engine) must land where
 * `gdalwarp` lands (its default grid, within a pixel) and give the pixels `gdalwarp` gives with the
 * same arguments (nearest: identical). `geo vrt` must refuse what `gdalbuildvrt` skips.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir } from '../helpers/tmp.js';
import { CORPUS, runCli, REPO_ROOT } from '../helpers/cli.js';
import { needNative, gdalinfo, pixels, compare, run } from './geo-ops-native.js';
import { reproject, COG_CO } from '../../src/geo/ops/reproject.js';

const BYTE = join(CORPUS, 'byte.tif'); // 20x20 Byte, EPSG:26711

interface Case { name: string; make: (path: string) => void; crs: string }

const CASES: Case[] = [
  {
    name: 'south-up (positive y pixel size)', crs: 'EPSG:4326',
    make: (p) => run('gdal_translate', ['-q', '-a_srs', 'EPSG:32611', '-a_ullr', '440720', '3745320', '441920', '3746520', BYTE, p]),
  },
  {
    name: 'ModelTransformationTag (rotated geotransform)', crs: 'EPSG:32611',
    make: (p) => {
      const vrt = `${p}.src.vrt`;
      writeFileSync(vrt, `<VRTDataset rasterXSize="20" rasterYSize="20"><SRS>EPSG:32611</SRS>`
        + '<GeoTransform>440720, 55, 12, 3751320, 10, -58</GeoTransform>'
        + `<VRTRasterBand dataType="Byte" band="1"><SimpleSource><SourceFilename relativeToVRT="0">${BYTE}</SourceFilename><SourceBand>1</SourceBand></SimpleSource></VRTRasterBand></VRTDataset>`);
      run('gdal_translate', ['-q', vrt, p]);
    },
  },
  {
    name: 'GCPs only (no geotransform)', crs: 'EPSG:32611',
    make: (p) => run('gdal_translate', ['-q', '-a_srs', 'EPSG:4326',
      '-gcp', '0', '0', '-117.64', '33.90', '-gcp', '20', '0', '-117.63', '33.90', '-gcp', '0', '20', '-117.64', '33.89', '-gcp', '20', '20', '-117.63', '33.888', BYTE, p]),
  },
  {
    name: 'polar stereographic (EPSG:3413) to EPSG:4326', crs: 'EPSG:4326',
    make: (p) => run('gdal_translate', ['-q', '-a_srs', 'EPSG:3413', '-a_ullr', '-300000', '-1800000', '300000', '-2400000', '-outsize', '120', '120', BYTE, p]),
  },
  {
    name: 'CRS in US survey feet without an EPSG code', crs: 'EPSG:4326',
    make: (p) => run('gdal_translate', ['-q', '-a_srs', '+proj=lcc +lat_1=33 +lat_2=45 +lat_0=39 +lon_0=-96 +x_0=0 +y_0=0 +datum=NAD83 +units=us-ft +no_defs',
      '-a_ullr', '-3000000', '1000000', '-2990000', '990000', BYTE, p]),
  },
];

test('reproject (native): awkward georeferencing lands where gdalwarp lands, pixels identical', async (t) => {
  if (!needNative(t)) return;
  const { dir, cleanup } = makeTmpDir('geo-native-georef-');
  t.after(cleanup);
  for (const [k, c] of CASES.entries()) {
    const inDir = join(dir, `in${k}`);
    mkdirSync(inDir);
    const src = join(inDir, 'src.tif');
    c.make(src);
    // gdalwarp's own default grid for this file
    const def = join(dir, `gdalwarp-default-${k}.tif`);
    run('gdalwarp', ['-q', '-t_srs', c.crs, src, def]);
    const g = gdalinfo(def);
    const r = await reproject({ input: inDir, output: join(dir, `out${k}`), crs: c.crs, resampling: 'nearest', jobs: 1 });
    const f = r.files[0]!;
    const [x0, res, , y0] = f.geoTransform;
    const gres = g.geoTransform[1] as number;
    assert.ok(Math.abs(res - gres) <= 1e-9 * Math.abs(gres), `${c.name}: resolution ${res} vs gdalwarp ${gres}`);
    assert.ok(Math.abs(x0 - g.geoTransform[0]) <= 1e-6 * Math.max(1, Math.abs(x0)) && Math.abs(y0 - g.geoTransform[3]) <= 1e-6 * Math.max(1, Math.abs(y0)),
      `${c.name}: origin ${x0},${y0} vs gdalwarp ${g.geoTransform[0]},${g.geoTransform[3]}`);
    assert.ok(Math.abs(f.width - g.size[0]) <= 1 && Math.abs(f.height - g.size[1]) <= 1, `${c.name}: size ${f.width}x${f.height} vs gdalwarp ${g.size}`);
    // pixels: native gdalwarp with exactly our arguments
    const native = join(dir, `gdalwarp-same-${k}.tif`);
    run('gdalwarp', ['-q', ...f.warpArgs, '-of', 'COG', ...COG_CO, src, native]);
    const a = gdalinfo(f.output), b = gdalinfo(native);
    assert.deepEqual(a.size, b.size, c.name);
    assert.deepEqual(a.geoTransform, b.geoTransform, c.name);
    const d = compare(pixels(f.output), pixels(native));
    assert.equal(d.differing, 0, `${c.name}: ${d.differing}/${d.total} pixels differ`);
    // and the data is there (not an all-nodata warp)
    const px = pixels(f.output).bands[0]!;
    let nonzero = 0;
    for (let i = 0; i < px.length; i++) if (px[i]) nonzero++;
    assert.ok(nonzero > px.length * 0.1, `${c.name}: only ${nonzero}/${px.length} pixels with data`);
    t.diagnostic(`${c.name}: ${f.width}x${f.height} on ${r.crs}, 0/${d.total} pixels differ from gdalwarp`);
  }
});

test('geo vrt (native): south-up and rotated inputs are refused with the file named; EPSG:4326 and a feet CRS survive', async (t) => {
  if (!needNative(t)) return;
  const { dir, cleanup } = makeTmpDir('geo-native-georef-');
  t.after(cleanup);
  for (const [k, c] of CASES.slice(0, 2).entries()) {
    const src = join(dir, `bad${k}.tif`);
    c.make(src);
    const r = await runCli(['geo', 'vrt', join(dir, `bad${k}.vrt`), src], { cwd: REPO_ROOT });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`bad${k}\\.tif is (stored south-up|rotated)`));
    assert.match(r.stderr, /hint:/);
  }
  // EPSG:4326: a warp from our VRT lands where a warp from the source lands (axis order)
  const ll = join(dir, 'll.tif');
  run('gdalwarp', ['-q', '-t_srs', 'EPSG:4326', BYTE, ll]);
  const vrt = join(dir, 'sub', 'll.vrt');
  mkdirSync(join(dir, 'sub'));
  const ok = await runCli(['geo', 'vrt', vrt, ll, '--json'], { cwd: REPO_ROOT });
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout).sources, ['../ll.tif'], 'paths relative to the VRT');
  run('gdalwarp', ['-q', '-t_srs', 'EPSG:3857', vrt, join(dir, 'from-vrt.tif')]);
  run('gdalwarp', ['-q', '-t_srs', 'EPSG:3857', ll, join(dir, 'from-src.tif')]);
  assert.deepEqual(gdalinfo(join(dir, 'from-vrt.tif')).geoTransform, gdalinfo(join(dir, 'from-src.tif')).geoTransform);
  assert.equal(compare(pixels(join(dir, 'from-vrt.tif')), pixels(join(dir, 'from-src.tif'))).differing, 0);
  // a CRS without an EPSG code is kept whole: the CRS gdalbuildvrt's VRT has, in feet
  const feet = join(dir, 'feet.tif');
  CASES[4]!.make(feet);
  const fv = join(dir, 'feet.vrt'), fg = join(dir, 'feet-gdal.vrt');
  const r2 = await runCli(['geo', 'vrt', fv, feet], { cwd: REPO_ROOT });
  assert.equal(r2.code, 0, r2.stderr);
  run('gdalbuildvrt', ['-q', fg, feet]);
  assert.equal(gdalinfo(fv).coordinateSystem.wkt, gdalinfo(fg).coordinateSystem.wkt);
  assert.match(gdalinfo(fv).coordinateSystem.wkt, /LENGTHUNIT\["US survey foot"/);
  assert.deepEqual(gdalinfo(fv).geoTransform, gdalinfo(feet).geoTransform);
});
