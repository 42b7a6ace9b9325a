/**
 * geo manifest: the file verifies with GNU `sha256sum -c`, and `--check` finds edits and missing
 * files. Corpus vectors (a Shapefile set with an upper-case .PRJ, GeoJSON, GeoPackage, FlatGeobuf).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { makeTmpDir } from '../helpers/tmp.js';
import { runCli, CORPUS } from '../helpers/cli.js';

let dir = '';
let cleanup = () => {};
const FILES = ['poly.shp', 'poly.shx', 'poly.dbf', 'poly.PRJ', 'states.geojson', 'poly.gpkg', 'countries.fgb'];

before(() => {
  ({ dir, cleanup } = makeTmpDir('geodvc-anno-manifest-'));
  mkdirSync(join(dir, 'labels/sub dir'), { recursive: true });
  for (const f of FILES) copyFileSync(join(CORPUS, f), join(dir, 'labels', f));
  copyFileSync(join(CORPUS, 'trio.geojson'), join(dir, 'labels/sub dir/trio.geojson'));
  writeFileSync(join(dir, 'labels/notes.txt'), 'not an annotation');
});
after(() => cleanup());

test('manifest written with -o verifies with sha256sum -c; notes.txt is left out', async () => {
  const r = await runCli(['geo', 'manifest', 'labels', '-o', 'labels.sha256'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const text = readFileSync(join(dir, 'labels.sha256'), 'utf8');
  const lines = text.trim().split('\n');
  assert.equal(lines.length, FILES.length + 1);
  assert.ok(lines.every((l) => /^[0-9a-f]{64} {2}labels\//.test(l)));
  assert.ok(!text.includes('notes.txt'));
  // the digests are those of the corpus manifest
  const corpus = JSON.parse(readFileSync(join(CORPUS, 'corpus.json'), 'utf8')).files as { file: string; sha256: string }[];
  const states = corpus.find((f) => f.file === 'states.geojson')!;
  assert.ok(text.includes(`${states.sha256}  labels/states.geojson\n`));
  const gnu = spawnSync('sha256sum', ['-c', 'labels.sha256'], { cwd: dir, encoding: 'utf8' });
  assert.equal(gnu.status, 0, gnu.stdout + gnu.stderr);
  assert.match(gnu.stdout, /labels\/sub dir\/trio\.geojson: OK/);
  const ours = await runCli(['geo', 'manifest', '--check', 'labels.sha256', '--json'], { cwd: dir });
  assert.equal(ours.code, 0, ours.stderr);
  assert.deepEqual({ ...JSON.parse(ours.stdout), file: undefined }, { file: undefined, ok: true, checked: FILES.length + 1, mismatched: [], missing: [], unlisted: [] });
});

test('manifest on stdout is relative to the current directory and verifies too', async () => {
  const r = await runCli(['geo', 'manifest', 'labels', '-q'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  writeFileSync(join(dir, 'stdout.sha256'), r.stdout);
  const gnu = spawnSync('sha256sum', ['--strict', '-c', 'stdout.sha256'], { cwd: dir, encoding: 'utf8' });
  assert.equal(gnu.status, 0, gnu.stdout + gnu.stderr);
});

test('--check reports a modified and a missing file with exit 1, like sha256sum -c', async () => {
  const r = await runCli(['geo', 'manifest', 'labels', '-o', 'labels/MANIFEST.sha256'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!readFileSync(join(dir, 'labels/MANIFEST.sha256'), 'utf8').includes('MANIFEST'));
  assert.equal(spawnSync('sha256sum', ['-c', 'MANIFEST.sha256'], { cwd: join(dir, 'labels') }).status, 0);
  appendFileSync(join(dir, 'labels/states.geojson'), '\n');
  rmSync(join(dir, 'labels/poly.gpkg'));
  const c = await runCli(['geo', 'manifest', '--check', 'labels/MANIFEST.sha256'], { cwd: dir });
  assert.equal(c.code, 1);
  assert.match(c.stdout, /states\.geojson: FAILED/);
  assert.match(c.stdout, /poly\.gpkg: FAILED open or read/);
  assert.notEqual(spawnSync('sha256sum', ['-c', 'MANIFEST.sha256'], { cwd: join(dir, 'labels') }).status, 0);
  const bad = await runCli(['geo', 'manifest', '--check', 'labels/notes.txt'], { cwd: dir });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /not a sha256sum line/);
  assert.match(bad.stderr, /hint:/);
});

test('--fingerprint: the same labels as GeoPackage (EPSG:32100) and as GeoJSON (ogr2ogr) share one fingerprint', async (t) => {
  if (spawnSync('ogr2ogr', ['--version']).status !== 0) {
    if (process.env.CI === 'true') throw new Error('ogr2ogr (gdal-bin) is required under CI');
    return t.skip('ogr2ogr missing');
  }
  const gpkg = join(CORPUS, 'ynp_fires_1984_2022.gpkg');
  spawnSync('ogr2ogr', ['-f', 'GeoJSON', join(dir, 'fires.geojson'), gpkg]);
  spawnSync('ogr2ogr', ['-f', 'GeoJSON', '-t_srs', 'EPSG:4326', join(dir, 'fires4326.geojson'), gpkg]);
  const fp = async (p: string) => {
    const r = await runCli(['geo', 'manifest', '--fingerprint', '-t', '0.5m', '--json', p], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  const a = await fp(gpkg), b = await fp('fires.geojson');
  assert.match(a.fingerprint, /^geo1-0\.5m-[0-9a-f]{64}$/);
  assert.equal(a.fingerprint, b.fingerprint);
  assert.equal(a.features, 61);
  assert.deepEqual(a.crs, ['EPSG:32100']);
  // reprojected by GDAL to WGS 84: the diff against the GeoPackage says no semantic change
  const d = await runCli(['geo', 'diff', '--files', '--json', '-t', '0.5m', gpkg, 'fires4326.geojson'], { cwd: dir });
  assert.equal(d.code, 0, d.stderr);
  const f = JSON.parse(d.stdout).files[0];
  assert.ok(['format-only', 'precision-only'].includes(f.status), f.status);
  assert.equal(f.crsOld, 'EPSG:32100');
  // a changed class changes the fingerprint
  const doc = JSON.parse(readFileSync(join(dir, 'fires.geojson'), 'utf8'));
  doc.features[0].properties.incid_type = 'Other';
  writeFileSync(join(dir, 'fires.geojson'), JSON.stringify(doc));
  assert.notEqual((await fp('fires.geojson')).fingerprint, a.fingerprint);
});
