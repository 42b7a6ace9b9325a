/**
 * `geo info` of tracked data: `add` stores `meta` in the .dvc file (extractGeoMeta); `--rev` reads
 * a tracked file at an older revision from the cache; a tracked directory is answered from the
 * per-directory index `.dvc/cache/geo/<dir-oid>.json`, which once built needs no raster reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir, gitInit, git } from '../helpers/tmp.js';
import { cliOk, runCli, CORPUS } from '../helpers/cli.js';

test('add writes geo meta; geo info --rev reads old versions from the cache; directories use the index', async () => {
  const { dir, cleanup } = makeTmpDir();
  try {
    gitInit(dir);
    await cliOk(['init', '-q'], { cwd: dir });
    mkdirSync(join(dir, 'chips'));
    for (const n of ['c1', 'c2']) copyFileSync(join(CORPUS, 'byte.tif'), join(dir, 'chips', `${n}.tif`));
    copyFileSync(join(CORPUS, 'poly00.fgb'), join(dir, 'chips', 'labels.fgb'));
    for (const ext of ['shp', 'shx', 'dbf', 'PRJ']) copyFileSync(join(CORPUS, `poly.${ext}`), join(dir, 'chips', `poly.${ext}`));
    writeFileSync(join(dir, 'chips', 'metadata.yaml'), 'sensor: Sentinel-2\ncloud_cover: 3.5\n');
    copyFileSync(join(CORPUS, 'RGB.byte.tif'), join(dir, 'scene.tif'));
    await cliOk(['add', '-q', 'chips', 'scene.tif'], { cwd: dir });
    const dvc = readFileSync(join(dir, 'scene.tif.dvc'), 'utf8');
    assert.match(dvc, /meta:\n\s+area_or_point: Area[\s\S]*crs: EPSG:32618/);
    git(dir, 'add', '-A'); git(dir, 'commit', '-q', '-m', 'v1');
    // v2: a different scene and chips
    copyFileSync(join(CORPUS, 'float32.tif'), join(dir, 'scene.tif'));
    rmSync(join(dir, 'chips', 'c1.tif'));
    copyFileSync(join(CORPUS, 'cog.tif'), join(dir, 'chips', 'c9.tif'));
    await cliOk(['add', '-q', 'chips', 'scene.tif'], { cwd: dir });
    git(dir, 'add', '-A'); git(dir, 'commit', '-q', '-m', 'v2');

    const old = JSON.parse((await cliOk(['geo', 'info', 'scene.tif', '--rev', 'HEAD~1', '--json'], { cwd: dir })).stdout);
    assert.equal(old.source, 'cache');
    assert.deepEqual(old.info.size, [791, 718]);
    assert.equal(old.info.epsg, 32618);
    const cur = JSON.parse((await cliOk(['geo', 'info', 'scene.tif', '--json'], { cwd: dir })).stdout);
    assert.equal(cur.info.bands[0].type, 'Float32');

    const v1 = JSON.parse((await cliOk(['geo', 'info', 'chips', '--rev', 'HEAD~1', '--json'], { cwd: dir })).stdout);
    assert.deepEqual(v1.map((x: any) => x.path).sort(), ['chips/c1.tif', 'chips/c2.tif', 'chips/labels.fgb', 'chips/poly.shp']);
    // Shapefile sidecars (.PRJ) and the folder's metadata.yaml are found inside the tracked directory.
    assert.equal(v1.find((x: any) => x.path === 'chips/poly.shp').meta.layers[0].crs, 'EPSG:27700');
    assert.deepEqual(v1.find((x: any) => x.path === 'chips/c1.tif').meta.user, { cloud_cover: 3.5, sensor: 'Sentinel-2' });
    assert.ok(v1.every((x: any) => x.source === 'index'));
    assert.equal(v1.find((x: any) => x.path === 'chips/labels.fgb').meta.layers[0].features, 10);
    // The text of index entries has the layout of full reads (no raw JSON).
    const v1text = (await cliOk(['geo', 'info', 'chips', '--rev', 'HEAD~1'], { cwd: dir })).stdout;
    assert.doesNotMatch(v1text, /\{"/);
    assert.match(v1text, /^chips\/c1\.tif: GTiff \d+x\d+, \d+ band\(s\) \w+\n {2}CRS: /m);
    assert.match(v1text, /^chips\/poly\.shp: .*1 layer\(s\)\n {2}\S+: \d+ feature\(s\), \w+, CRS EPSG:27700/m);
    const v2 = JSON.parse((await cliOk(['geo', 'info', 'chips', '--json'], { cwd: dir })).stdout);
    assert.deepEqual(v2.map((x: any) => x.path).sort(), ['chips/c2.tif', 'chips/c9.tif', 'chips/labels.fgb', 'chips/poly.shp']);
    assert.equal(v2.find((x: any) => x.path === 'chips/c9.tif').meta.overviews, 4);
    const indexDir = join(dir, '.dvc', 'cache', 'geo');
    assert.equal(readdirSync(indexDir).filter((f) => f.endsWith('.dir.json')).length, 2);

    // The index answers without raster reads: remove every cached file object and ask again.
    const filesDir = join(dir, '.dvc', 'cache', 'files', 'md5');
    for (const sub of readdirSync(filesDir)) for (const f of readdirSync(join(filesDir, sub))) if (!f.endsWith('.dir')) rmSync(join(filesDir, sub, f), { force: true });
    const again = JSON.parse((await cliOk(['geo', 'info', 'chips', '--rev', 'HEAD~1', '--json'], { cwd: dir })).stdout);
    assert.deepEqual(again, v1);
    // ...while a single tracked file at an old revision now needs its object: clear error, exit 1.
    const miss = await runCli(['geo', 'info', 'scene.tif', '--rev', 'HEAD~1'], { cwd: dir });
    assert.equal(miss.code, 1);
    assert.match(miss.stderr, /not in the cache/);
    assert.match(miss.stderr, /hint: run `geodvc fetch/);
    assert.ok(existsSync(join(dir, 'scene.tif')));
  } finally { cleanup(); }
});

test('geo info: bad input gets a clear error and a non-zero exit', async () => {
  const { dir, cleanup } = makeTmpDir();
  try {
    const r = await runCli(['geo', 'info', 'nope.tif'], { cwd: dir });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /does not exist/);
    const j = await runCli(['geo', 'info', join(CORPUS, 'byte.tif'), '--json'], { cwd: dir });
    assert.equal(j.code, 0);
    const info = JSON.parse(j.stdout).info;
    // a directory answers with an array even when it holds one raster; a file with one object
    mkdirSync(join(dir, 'one'));
    copyFileSync(join(CORPUS, 'byte.tif'), join(dir, 'one', 'b.tif'));
    const arr = JSON.parse((await cliOk(['geo', 'info', 'one', '--json'], { cwd: dir })).stdout);
    assert.ok(Array.isArray(arr) && arr.length === 1 && arr[0].path === 'one/b.tif');
    assert.ok(!Array.isArray(JSON.parse((await cliOk(['geo', 'info', 'one/b.tif', '--json'], { cwd: dir })).stdout)));
    assert.deepEqual(info.geoTransform, [440720, 60, 0, 3751320, 0, -60]);
    const broken = await runCli(['geo', 'info', join(CORPUS, 'unknown_compression.tif'), join(CORPUS, 'README.md'), '--json'], { cwd: dir });
    assert.equal(broken.code, 1);
  } finally { cleanup(); }
});
