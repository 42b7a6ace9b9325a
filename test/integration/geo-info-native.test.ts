/**
 * Beyond the corpus: rasters and vectors written by native GDAL (gdal_translate, gdaladdo, gdalwarp,
 * ogr2ogr) with many creation options, read by us and by native gdalinfo/ogrinfo; size, types,
 * blocks, nodata, geotransform (1e-9 relative), EPSG, compression, overviews / layers, geometry
 * type, count, extent, EPSG must agree, and `geo check` must pass every file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { makeTmpDir } from '../helpers/tmp.js';
import { CORPUS } from '../helpers/cli.js';
import { readRasterInfo } from '../../src/geo/raster/info.js';
import { readVectorInfo } from '../../src/geo/vector/info.js';
import { checkFile } from '../../src/core/api/geo-check.js';

const HAVE_GDAL = spawnSync('gdalinfo', ['--version']).status === 0;
const skip = !HAVE_GDAL && process.env.CI !== 'true' ? 'gdal-bin not installed' : false;
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const relEq = (a: number, b: number) => a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));

const RASTERS: [string, string[]][] = [
  ['cog_lzw.tif', ['-of', 'COG', '-co', 'COMPRESS=LZW', '-co', 'PREDICTOR=2']],
  ['jpeg_ycbcr.tif', ['-co', 'TILED=YES', '-co', 'COMPRESS=JPEG', '-co', 'PHOTOMETRIC=YCBCR']],
  ['big_band.tif', ['-co', 'BIGTIFF=YES', '-co', 'INTERLEAVE=BAND']],
  ['int16.tif', ['-ot', 'Int16', '-a_nodata', '-32768', '-co', 'COMPRESS=DEFLATE', '-co', 'TILED=YES', '-co', 'BLOCKXSIZE=128', '-co', 'BLOCKYSIZE=64']],
  ['f32nan.tif', ['-ot', 'Float32', '-a_nodata', 'nan']],
  ['nbits12.tif', ['-ot', 'UInt16', '-co', 'NBITS=12']],
  ['fax.tif', ['-b', '1', '-co', 'NBITS=1', '-co', 'COMPRESS=CCITTFAX4']],
  ['point3857.tif', ['-mo', 'AREA_OR_POINT=Point', '-a_srs', 'EPSG:3857']],
  ['albers.tif', ['-a_srs', '+proj=aea +lat_1=29.5 +lat_2=45.5 +lat_0=23 +lon_0=-96 +x_0=0 +y_0=0 +datum=NAD83 +units=m']],
  ['ftus.tif', ['-a_srs', 'EPSG:2263']],
  ['zstd64.tif', ['-ot', 'Float64', '-co', 'COMPRESS=ZSTD', '-co', 'PREDICTOR=3']],
  ['lerc.tif', ['-co', 'COMPRESS=LERC', '-co', 'MAX_Z_ERROR=0']],
  ['webp.tif', ['-co', 'COMPRESS=WEBP']],
  ['v.vrt', ['-of', 'VRT']],
];

test('rasters written by native GDAL read like native gdalinfo', { skip }, async () => {
  const { dir, cleanup } = makeTmpDir();
  try {
    const src = join(CORPUS, 'RGB.byte.tif');
    for (const [name, args] of RASTERS) run('gdal_translate', ['-q', ...args, src, join(dir, name)]);
    run('gdal_translate', ['-q', '-co', 'TILED=YES', '-outsize', '1500', '1500', src, join(dir, 'ovr_internal.tif')]);
    run('gdaladdo', ['-q', '-r', 'average', join(dir, 'ovr_internal.tif'), '2', '4', '8']);
    run('gdal_translate', ['-q', '-outsize', '1500', '1500', src, join(dir, 'ovr_external.tif')]);
    run('gdaladdo', ['-q', '-ro', join(dir, 'ovr_external.tif'), '2', '4']);
    run('gdalwarp', ['-q', '-t_srs', 'EPSG:4326', src, join(dir, 'warp4326.tif')]);
    const names = [...RASTERS.map((r) => r[0]), 'ovr_internal.tif', 'ovr_external.tif', 'warp4326.tif'];
    const diffs: string[] = [];
    for (const name of names) {
      const p = join(dir, name);
      const g = JSON.parse(run('gdalinfo', ['-json', p]));
      const o = await readRasterInfo(p);
      const eq = (field: string, a: unknown, b: unknown) => { if (JSON.stringify(a) !== JSON.stringify(b)) diffs.push(`${name} ${field}: ours=${JSON.stringify(a)} gdal=${JSON.stringify(b)}`); };
      eq('size', o.size, g.size);
      eq('types', o.bands.map((b) => b.type), g.bands.map((b: any) => b.type));
      eq('block', o.bands.map((b) => b.block), g.bands.map((b: any) => b.block));
      eq('nodata', o.bands.map((b) => b.noDataValue ?? null), g.bands.map((b: any) => b.noDataValue ?? null));
      if (!(o.geoTransform && g.geoTransform && o.geoTransform.every((v, i) => relEq(v, g.geoTransform[i])))) eq('geoTransform', o.geoTransform, g.geoTransform);
      eq('epsg', o.epsg ?? null, g.stac?.['proj:epsg'] ?? null);
      eq('compression', o.driverShortName === 'VRT' ? null : o.compression, g.metadata?.IMAGE_STRUCTURE?.COMPRESSION ?? (g.driverShortName === 'GTiff' ? 'NONE' : null));
      eq('overviews', o.overviewCount, g.bands[0]?.overviews?.length ?? 0);
      const c = await checkFile(p);
      if (!c.ok) diffs.push(`${name} geo check: ${JSON.stringify(c.problems)}`);
    }
    assert.deepEqual(diffs, []);
  } finally { cleanup(); }
});

test('vectors written by native ogr2ogr read like native ogrinfo', { skip }, async () => {
  const { dir, cleanup } = makeTmpDir();
  try {
    const o2o = (args: string[]) => run('ogr2ogr', ['-q', ...args]);
    o2o(['-f', 'GeoJSON', '-t_srs', 'EPSG:32618', join(dir, 'box32618.geojson'), join(CORPUS, 'box.shp')]);
    o2o(['-f', 'GeoJSON', '-dim', 'XYZ', join(dir, 'z.geojson'), join(CORPUS, 'points.geojson')]);
    o2o(['-f', 'ESRI Shapefile', '-t_srs', 'EPSG:3857', '-nlt', 'MULTIPOLYGON', join(dir, 'states3857.shp'), join(CORPUS, 'states.geojson')]);
    o2o(['-f', 'ESRI Shapefile', '-t_srs', 'EPSG:26915', join(dir, 'roads_utm.shp'), join(CORPUS, 'roads.geojson')]);
    o2o(['-f', 'ESRI Shapefile', '-dim', 'XYZ', join(dir, 'pz.shp'), join(CORPUS, 'points.geojson')]);
    o2o(['-f', 'FlatGeobuf', join(dir, 'cw.fgb'), join(CORPUS, 'coutwildrnp.shp')]);
    o2o(['-f', 'FlatGeobuf', '-lco', 'SPATIAL_INDEX=NO', join(dir, 'cw_noidx.fgb'), join(CORPUS, 'coutwildrnp.shp')]);
    o2o(['-f', 'GPKG', join(dir, 'multi.gpkg'), join(CORPUS, 'coutwildrnp.shp')]);
    o2o(['-update', '-f', 'GPKG', join(dir, 'multi.gpkg'), join(CORPUS, 'roads.geojson'), '-nln', 'roads']);
    o2o(['-f', 'GPKG', '-t_srs', 'EPSG:2263', join(dir, 'ft.gpkg'), join(CORPUS, 'roads.geojson')]);
    const diffs: string[] = [];
    for (const name of ['box32618.geojson', 'z.geojson', 'states3857.shp', 'roads_utm.shp', 'pz.shp', 'cw.fgb', 'cw_noidx.fgb', 'multi.gpkg', 'ft.gpkg']) {
      const p = join(dir, name);
      const txt = run('ogrinfo', ['-so', '-al', p]);
      const layers = txt.split(/\nLayer name: /).slice(1).map((b) => ({
        name: b.split('\n')[0]!.trim(),
        geom: /\nGeometry: (.*)/.exec(b)?.[1]?.trim(),
        count: Number(/Feature Count: (\d+)/.exec(b)?.[1]),
        extent: (/Extent: \(([-\d.e+]+), ([-\d.e+]+)\) - \(([-\d.e+]+), ([-\d.e+]+)\)/.exec(b) ?? []).slice(1).map(Number),
        epsg: (() => { const m = [...b.matchAll(/ID\["EPSG",(\d+)\]\]\s*\n(?:Data axis|FID|Geometry Column|[A-Za-z_]+:)/g)]; return m.length ? Number(m[m.length - 1]![1]) : null; })(),
      }));
      const o = await readVectorInfo(p);
      if (o.layers.length !== layers.length) diffs.push(`${name}: ${o.layers.length} layers vs ${layers.length}`);
      for (const l of layers) {
        const ol = o.layers.find((x) => x.name === l.name);
        if (!ol) { diffs.push(`${name}: missing layer ${l.name}`); continue; }
        if (ol.geometryType !== l.geom) diffs.push(`${name}: geometry ${ol.geometryType} vs ${l.geom}`);
        if (ol.featureCount !== l.count) diffs.push(`${name}: count ${ol.featureCount} vs ${l.count}`);
        // ogrinfo prints the extent with 6 decimals
        if (!ol.extent || ol.extent.some((v, i) => Math.abs(v - l.extent[i]!) > 1e-6 * Math.max(1, Math.abs(v)))) diffs.push(`${name}: extent ${ol.extent} vs ${l.extent}`);
        if ((ol.crs?.epsg ?? null) !== l.epsg) diffs.push(`${name}: EPSG ${ol.crs?.epsg} vs ${l.epsg}`);
      }
      const c = await checkFile(p);
      if (!c.ok) diffs.push(`${name} geo check: ${JSON.stringify(c.problems)}`);
    }
    assert.deepEqual(diffs, []);
  } finally { cleanup(); }
});
