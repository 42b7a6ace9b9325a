/**
 * `geo stac`: Catalog + Collection + Items of tracked rasters (projection/raster/file/version
 * extensions) and vector label sets (label extension), validated with ajv against our bundled
 * schemas; footprints compared with native gdalinfo's wgs84Extent, checksums with md5 of the bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir, gitInit, git } from '../helpers/tmp.js';
import { cliOk, runCli, CORPUS } from '../helpers/cli.js';
import { validateStac } from '../../src/geo/stac/validate.js';

const md5 = (p: string) => createHash('md5').update(readFileSync(p)).digest('hex');
const gdalinfo = (p: string) => JSON.parse(execFileSync('gdalinfo', ['-json', p], { encoding: 'utf8' }));

test('geo stac: items with proj/raster/file/label/version fields, valid, footprints agree with gdalinfo', async () => {
  const { dir, cleanup } = makeTmpDir();
  try {
    gitInit(dir);
    await cliOk(['init', '-q'], { cwd: dir });
    copyFileSync(join(CORPUS, 'RGB.byte.tif'), join(dir, 'scene.tif'));
    writeFileSync(join(dir, 'scene.tif.metadata.yaml'), 'datetime: 2021-06-01T10:30:00Z\nsensor: test\n');
    mkdirSync(join(dir, 'chips'));
    copyFileSync(join(CORPUS, 'byte.tif'), join(dir, 'chips', 'c1.tif'));
    copyFileSync(join(CORPUS, 'poly00.fgb'), join(dir, 'chips', 'labels.fgb'));
    await cliOk(['add', '-q', 'scene.tif', 'chips'], { cwd: dir });
    git(dir, 'add', '-A'); git(dir, 'commit', '-q', '-m', 'v1');
    const v1 = git(dir, 'rev-parse', 'HEAD').trim();
    copyFileSync(join(CORPUS, 'float32.tif'), join(dir, 'scene.tif'));
    await cliOk(['add', '-q', 'scene.tif'], { cwd: dir });
    git(dir, 'add', '-A'); git(dir, 'commit', '-q', '-m', 'v2');
    const v2 = git(dir, 'rev-parse', 'HEAD').trim();

    const r = JSON.parse((await cliOk(['geo', 'stac', '--output', 'site', '--json'], { cwd: dir })).stdout);
    assert.equal(r.items.length, 3);
    const site = join(dir, 'site');
    const docs = [join(site, 'catalog.json'), join(site, 'collection.json'), ...readdirSync(join(site, 'items')).map((f) => join(site, 'items', f))];
    for (const f of docs) assert.deepEqual(await validateStac(JSON.parse(readFileSync(f, 'utf8'))), [], f);

    const scene = JSON.parse(readFileSync(join(site, 'items', 'scene.tif.json'), 'utf8'));
    const gi = gdalinfo(join(dir, 'scene.tif'));
    const gt = gi.geoTransform;
    assert.deepEqual(scene.properties['proj:transform'], [gt[1], gt[2], gt[0], gt[4], gt[5], gt[3]]);
    assert.deepEqual(scene.properties['proj:shape'], [gi.size[1], gi.size[0]]);
    assert.equal(scene.properties['proj:code'], `EPSG:${gi.stac?.['proj:epsg'] ?? 32618}`);
    assert.equal(scene.assets.data['raster:bands'][0].data_type, 'float32');
    assert.equal(scene.assets.data['file:checksum'], `d50110${md5(join(dir, 'scene.tif'))}`);
    assert.equal(scene.assets.data['file:size'], readFileSync(join(dir, 'scene.tif')).length);
    // the companion metadata.yaml is read by add into meta.user and gives the datetime
    assert.equal(scene.properties.datetime, '2021-06-01T10:30:00Z');
    // version links between revisions
    assert.equal(scene.properties.version, v2.slice(0, 12));
    const pred = scene.links.find((l: any) => l.rel === 'predecessor-version');
    assert.equal(pred.href, `../../${v1.slice(0, 12)}/items/scene.tif.json`);
    // footprint vs gdalinfo's lon/lat corners (our ring is densified along the edges)
    const ring: number[][] = gi.wgs84Extent.coordinates[0];
    const gx = ring.map((p) => p[0]!), gy = ring.map((p) => p[1]!);
    const want = [Math.min(...gx), Math.min(...gy), Math.max(...gx), Math.max(...gy)];
    scene.bbox.forEach((v: number, i: number) => assert.ok(Math.abs(v - want[i]!) < 2e-3, `bbox[${i}] ${v} vs ${want[i]}`));

    const chip = JSON.parse(readFileSync(join(site, 'items', 'chips-c1.tif.json'), 'utf8'));
    assert.equal(chip.properties['proj:code'], 'EPSG:26711');
    assert.equal(chip.assets.data['raster:bands'][0].data_type, 'uint8');
    assert.equal(chip.assets.data['file:checksum'], `d50110${md5(join(dir, 'chips', 'c1.tif'))}`);
    assert.equal(chip.properties.datetime, null); // no tag, no metadata.yaml: the commit date as a range
    assert.equal(chip.properties.start_datetime, new Date(git(dir, 'log', '-1', '--format=%cI', v1).trim()).toISOString().replace('.000Z', 'Z'));

    const labels = JSON.parse(readFileSync(join(site, 'items', 'chips-labels.fgb.json'), 'utf8'));
    assert.equal(labels.properties['label:type'], 'vector');
    assert.ok(labels.stac_extensions.some((e: string) => e.includes('/label/')));
    // its bbox: the layer extent from native ogrinfo, corners transformed by native gdaltransform
    const ext = /Extent: \(([-\d.e]+), ([-\d.e]+)\) - \(([-\d.e]+), ([-\d.e]+)\)/.exec(execFileSync('ogrinfo', ['-so', '-al', join(dir, 'chips', 'labels.fgb')], { encoding: 'utf8' }))!.slice(1).map(Number);
    const corners = execFileSync('gdaltransform', ['-s_srs', 'EPSG:27700', '-t_srs', 'EPSG:4326', '-output_xy'], { input: `${ext[0]} ${ext[1]}\n${ext[2]} ${ext[1]}\n${ext[2]} ${ext[3]}\n${ext[0]} ${ext[3]}\n`, encoding: 'utf8' })
      .trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
    const lx = corners.map((c) => c[0]!), ly = corners.map((c) => c[1]!);
    const lons = lx, lats = ly; // -output_xy: lon lat
    const lwant = [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)];
    labels.bbox.forEach((v: number, i: number) => assert.ok(Math.abs(v - lwant[i]!) < 1e-4, `label bbox[${i}] ${v} vs ${lwant[i]}`));

    // --rev publishes the older revision; items of a directory come from the geo index
    const old = JSON.parse((await cliOk(['geo', 'stac', 'scene.tif', '--rev', 'HEAD~1', '-o', `out/${v1.slice(0, 12)}`, '--json', '--href-base', 'https://data.example.org/repo'], { cwd: dir })).stdout);
    assert.equal(old.items.length, 1);
    const oldScene = JSON.parse(readFileSync(join(dir, 'out', v1.slice(0, 12), 'items', 'scene.tif.json'), 'utf8'));
    assert.equal(oldScene.assets.data['raster:bands'][0].data_type, 'uint8');
    assert.equal(oldScene.assets.data.href, 'https://data.example.org/repo/scene.tif');
    assert.equal(oldScene.properties.version, v1.slice(0, 12));
    assert.equal(oldScene.links.find((l: any) => l.rel === 'predecessor-version'), undefined);
    assert.deepEqual(await validateStac(oldScene), []);

    // not a repo / unknown revision: clear errors
    const bad = await runCli(['geo', 'stac', '-o', 'x', '--rev', 'nope'], { cwd: dir });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /unknown revision 'nope'/);
  } finally { cleanup(); }
});

test('bundled STAC schemas reject what the spec forbids', async () => {
  const good = {
    type: 'Feature', stac_version: '1.0.0', stac_extensions: ['https://stac-extensions.github.io/projection/v2.0.0/schema.json'], id: 'a',
    geometry: { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] }, bbox: [0, 0, 1, 1],
    properties: { datetime: '2020-01-01T00:00:00Z', 'proj:code': 'EPSG:4326' }, links: [], assets: { d: { href: 'a.tif' } },
  };
  assert.deepEqual(await validateStac(good), []);
  const noDate = { ...good, properties: { datetime: null, 'proj:code': 'EPSG:4326' } };
  assert.ok((await validateStac(noDate)).some((p) => p.schema === 'item'));
  const noBbox: Record<string, unknown> = { ...good };
  delete noBbox.bbox;
  assert.ok((await validateStac(noBbox)).length > 0);
  const badProj = { ...good, properties: { datetime: '2020-01-01T00:00:00Z', 'proj:shape': [1, 2] } };
  assert.ok((await validateStac(badProj)).some((p) => p.schema === 'projection'));
  const badDate = { ...good, properties: { datetime: '2020-13-01', 'proj:code': 'EPSG:4326' } };
  assert.ok((await validateStac(badDate)).length > 0);
  const badRaster = { ...good, stac_extensions: ['https://stac-extensions.github.io/raster/v1.1.0/schema.json'], assets: { d: { href: 'a', 'raster:bands': [{ data_type: 'byte' }] } } };
  assert.ok((await validateStac(badRaster)).some((p) => p.schema === 'raster'));
  const col = { type: 'Collection', stac_version: '1.0.0', id: 'c', description: 'd', license: 'other', extent: { spatial: { bbox: [[0, 0, 1, 1]] }, temporal: { interval: [[null, null]] } }, links: [] };
  assert.deepEqual(await validateStac(col), []);
  assert.ok((await validateStac({ ...col, license: undefined })).length > 0);
});
