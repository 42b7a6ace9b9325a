/**
 * geo diff on real corpus vectors in a temp git repository, through the CLI.
 * Fixture: ynp_fires_1984_2022.gpkg (61 fire perimeters, EPSG:32100) converted by native ogr2ogr
 * to GeoJSON in WGS 84 with full double precision, committed; plus the cashew label polygon
 * (GeoJSON in EPSG:32631, no ids).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { makeTmpDir, gitInit, git } from '../helpers/tmp.js';
import { runCli, CORPUS } from '../helpers/cli.js';

const hasOgr = spawnSync('ogr2ogr', ['--version']).status === 0;
const need = () => { if (!hasOgr && process.env.CI === 'true') throw new Error('ogr2ogr (gdal-bin) is required under CI'); return hasOgr; };

let dir = '';
let cleanup = () => {};
let original: any;
const FIRES = 'labels/fires.geojson';
const common = ['--json', '-t', '0.5m', '--id-field', 'event_id', '--class-fields', 'incid_type'];

before(() => {
  if (!need()) return;
  ({ dir, cleanup } = makeTmpDir('geodvc-anno-diff-'));
  gitInit(dir);
  execFileSync('mkdir', ['-p', join(dir, 'labels')]);
  execFileSync('ogr2ogr', ['-t_srs', 'EPSG:4326', '-f', 'GeoJSON', join(dir, FIRES), join(CORPUS, 'ynp_fires_1984_2022.gpkg')]);
  // committed compactly (JSON.stringify), so that ogr2ogr's own output differs in bytes
  writeFileSync(join(dir, FIRES), JSON.stringify(JSON.parse(readFileSync(join(dir, FIRES), 'utf8'))));
  copyFileSync(join(CORPUS, 'torchgeo_technoserve-cashew-benin_labels_00.geojson'), join(dir, 'labels/cashew.geojson'));
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'labels');
  original = JSON.parse(readFileSync(join(dir, FIRES), 'utf8'));
});
after(() => cleanup());

function writeFires(doc: unknown): void { writeFileSync(join(dir, FIRES), JSON.stringify(doc)); }
function restore(): void { git(dir, 'checkout', '--', '.'); }
const clone = () => JSON.parse(JSON.stringify(original));
const mapCoords = (c: any, f: (v: number[]) => number[]): any => (typeof c[0] === 'number' ? f(c) : c.map((x: any) => mapCoords(x, f)));

async function diff(...extra: string[]) {
  const r = await runCli(['geo', 'diff', ...common, ...extra, FIRES], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.files.length, 1);
  return j.files[0];
}

test('unchanged file is byte-identical', async (t) => {
  if (!need()) return t.skip('ogr2ogr missing');
  const f = await diff();
  assert.equal(f.status, 'byte-identical');
});

test('6-digit rounding is precision-only (vertex shifts under 7 cm)', async (t) => {
  if (!need()) return t.skip('ogr2ogr missing');
  const d = clone();
  let changed = 0;
  for (const f of d.features) f.geometry.coordinates = mapCoords(f.geometry.coordinates, ([x, y]) => { const r = [Math.round(x! * 1e6) / 1e6, Math.round(y! * 1e6) / 1e6]; if (r[0] !== x) changed++; return r; });
  assert.ok(changed > 1000);
  writeFires(d);
  try {
    const f = await diff('--all');
    assert.equal(f.status, 'precision-only');
    assert.equal(f.counts.precisionOnly, 61);
    assert.ok(f.features.every((c: any) => c.maxVertexShift > 0 && c.maxVertexShift < 0.07), JSON.stringify(f.features.map((c: any) => c.maxVertexShift)));
  } finally { restore(); }
});

test('reversed rings and parts, shuffled features, reordered fields are format-only', async (t) => {
  if (!need()) return t.skip('ogr2ogr missing');
  const d = clone();
  for (const f of d.features) {
    f.geometry.coordinates = f.geometry.coordinates.map((poly: number[][][]) => poly.map((ring) => [...ring].reverse())).reverse();
    f.properties = Object.fromEntries(Object.entries(f.properties).reverse());
  }
  for (let i = d.features.length - 1; i > 0; i--) { const j = (i * 7919) % (i + 1); [d.features[i], d.features[j]] = [d.features[j], d.features[i]]; }
  writeFires(d);
  try {
    const f = await diff();
    assert.equal(f.status, 'format-only');
    assert.equal(f.counts.unchanged, 61);
    // without ids (matching by content and geometry only) the verdict is the same
    const g = await diff('--id-field', 'none_such');
    assert.equal(g.status, 'format-only');
  } finally { restore(); }
});

test('GeoJSON -> GeoPackage -> GeoJSON with ogr2ogr is format-only or precision-only', async (t) => {
  if (!need()) return t.skip('ogr2ogr missing');
  const gpkg = join(dir, 'fires.gpkg');
  execFileSync('ogr2ogr', ['-f', 'GPKG', gpkg, join(dir, FIRES)]);
  execFileSync('ogr2ogr', ['-f', 'GeoJSON', '-overwrite', join(dir, 'back.geojson'), gpkg]);
  copyFileSync(join(dir, 'back.geojson'), join(dir, FIRES));
  assert.notEqual(readFileSync(join(dir, FIRES), 'utf8'), JSON.stringify(original));
  try {
    const f = await diff();
    assert.ok(['format-only', 'precision-only'].includes(f.status), JSON.stringify(f, null, 1).slice(0, 2000));
    assert.equal(f.counts.added + f.counts.removed + f.counts.geometry + f.counts.class + f.counts.attributes, 0);
    // the GeoPackage itself against the committed GeoJSON (another format, fid column dropped)
    const r = await runCli(['geo', 'diff', '--files', '--json', '--id-field', 'event_id', FIRES, 'fires.gpkg'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(['format-only', 'precision-only'].includes(JSON.parse(r.stdout).files[0].status));
  } finally { restore(); execFileSync('rm', ['-f', gpkg, join(dir, 'back.geojson')]); }
});

test('moving one vertex by 2 m at tolerance 0.5 m: semantic, exactly that feature, with shift/area/IoU', async (t) => {
  if (!need()) return t.skip('ogr2ogr missing');
  const d = clone();
  const k = 17;
  const target = d.features[k];
  const ring = target.geometry.coordinates[0][0];
  ring[3] = [ring[3][0], ring[3][1] + 2 / 111132]; // 2 m north (vertex 3 is not the closing one)
  writeFires(d);
  try {
    const f = await diff('--geojson', 'changes.geojson');
    assert.equal(f.status, 'semantic');
    assert.equal(f.features.length, 1);
    const c = f.features[0];
    assert.equal(c.a, `id=${target.properties.event_id}`);
    assert.deepEqual(c.changes, ['geometry']);
    assert.ok(c.maxVertexShift > 1.9 && c.maxVertexShift < 2.1, String(c.maxVertexShift));
    assert.ok(c.iou > 0.9 && c.iou < 1, String(c.iou));
    assert.notEqual(c.areaChange, 0);
    assert.equal(f.counts.unchanged, 60);
    const gj = JSON.parse(readFileSync(join(dir, 'changes.geojson'), 'utf8'));
    assert.equal(gj.features.length, 1);
    assert.equal(gj.features[0].properties.old_feature, `id=${target.properties.event_id}`);
    assert.ok(['Polygon', 'MultiPolygon'].includes(gj.features[0].geometry.type)); // one-part multipolygons come out as Polygon
    // the same move at tolerance 5 m is precision-only
    const r = await runCli(['geo', 'diff', '--json', '-t', '5m', '--id-field', 'event_id', FIRES], { cwd: dir });
    assert.equal(JSON.parse(r.stdout).files[0].status, 'precision-only');
  } finally { restore(); execFileSync('rm', ['-f', join(dir, 'changes.geojson')]); }
});

test('deleting one feature: semantic, exactly that feature removed (also without ids)', async (t) => {
  if (!need()) return t.skip('ogr2ogr missing');
  const d = clone();
  const [gone] = d.features.splice(40, 1);
  writeFires(d);
  try {
    const f = await diff();
    assert.equal(f.status, 'semantic');
    assert.deepEqual(f.features.map((c: any) => [c.status, c.a]), [['removed', `id=${gone.properties.event_id}`]]);
    const g = await diff('--id-field', 'none_such');
    assert.deepEqual(g.features.map((c: any) => [c.status, c.a, c.classOld]), [['removed', '#41', gone.properties.incid_type]] /* 1-based: the 41st feature */);
  } finally { restore(); }
});

test('changing one class: semantic, exactly that feature with old and new class; text table names it', async (t) => {
  if (!need()) return t.skip('ogr2ogr missing');
  const d = clone();
  const f5 = d.features[5];
  const old = f5.properties.incid_type;
  f5.properties.incid_type = old === 'Wildfire' ? 'Prescribed Fire' : 'Wildfire';
  writeFires(d);
  try {
    const f = await diff();
    assert.equal(f.status, 'semantic');
    assert.deepEqual(f.features.map((c: any) => [c.status, c.a, c.changes, c.classOld, c.classNew]), [['changed', `id=${f5.properties.event_id}`, ['class'], old, f5.properties.incid_type]]);
    const txt = await runCli(['geo', 'diff', '-t', '0.5m', '--id-field', 'event_id', '--class-fields', 'incid_type', '--exit-code'], { cwd: dir });
    assert.equal(txt.code, 1);
    assert.match(txt.stdout, /labels\/fires\.geojson\s+semantic\s+61\s+61\s+0\s+0\s+0\s+1\s+0\s+0/);
    assert.match(txt.stdout, /labels\/cashew\.geojson\s+byte-identical/);
    assert.ok(txt.stdout.includes(`id=${f5.properties.event_id}: changed: class "${old}" -> "${f5.properties.incid_type}"`), txt.stdout);
  } finally { restore(); }
});

test('revisions: A_REV B_REV compares two commits; cashew rounded to 6 digits in UTM is precision-only', async (t) => {
  if (!need()) return t.skip('ogr2ogr missing');
  const p = join(dir, 'labels/cashew.geojson');
  const doc = JSON.parse(readFileSync(p, 'utf8'));
  doc.features[0].geometry.coordinates = mapCoords(doc.features[0].geometry.coordinates, ([x, y]) => [Math.round(x! * 1e6) / 1e6, Math.round(y! * 1e6) / 1e6]);
  writeFileSync(p, JSON.stringify(doc, null, 2));
  git(dir, 'commit', '-q', '-am', 'rounded');
  try {
    const r = await runCli(['geo', 'diff', '--json', 'HEAD~1', 'HEAD'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.old, 'HEAD~1');
    const st = Object.fromEntries(j.files.map((f: any) => [f.path, f.status]));
    assert.deepEqual(Object.keys(st).sort(), ['labels/cashew.geojson', 'labels/fires.geojson']);
    assert.ok(['format-only', 'precision-only'].includes(st['labels/cashew.geojson']), st['labels/cashew.geojson']);
    assert.equal(st['labels/fires.geojson'], 'byte-identical');
    assert.equal(j.semantic, false);
  } finally { git(dir, 'reset', '-q', '--hard', 'HEAD~1'); }
});

test('bad input: invalid geometries reported; unknown revision and mixed CRSs are errors with hints', async (t) => {
  if (!need()) return t.skip('ogr2ogr missing');
  const bad = { type: 'FeatureCollection', features: [
    { type: 'Feature', properties: { class: 'a' }, geometry: { type: 'Polygon', coordinates: [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]] } },
    { type: 'Feature', properties: { class: 'b' }, geometry: { type: 'Polygon', coordinates: [[[5, 5], [6, 5], [6, 6], [5, 6]]] } },
  ] };
  writeFileSync(join(dir, 'bad.geojson'), JSON.stringify(bad));
  try {
    const r = await runCli(['geo', 'diff', '--json', 'bad.geojson'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const f = JSON.parse(r.stdout).files[0];
    assert.equal(f.status, 'added');
    assert.deepEqual(f.issues.map((i: any) => i.problem).sort(), ['self-intersection', 'unclosed-ring']);
    const txt = await runCli(['geo', 'diff', '--files', 'bad.geojson', 'bad.geojson'], { cwd: dir });
    assert.equal(txt.code, 0);
    assert.match(txt.stderr, /#1: self-intersection/);
    assert.match(txt.stderr, /#2: unclosed-ring/);

    const nr = await runCli(['geo', 'diff', '--files', 'labels/cashew.geojson', join(CORPUS, 'testpoly.shp')], { cwd: dir });
    assert.equal(nr.code, 1);
    assert.match(nr.stderr, /mixed CRSs/);
    assert.match(nr.stderr, /hint: .*--crs/);
  } finally { execFileSync('rm', ['-f', join(dir, 'bad.geojson')]); }
});

test('DVC-tracked directory: the old version comes from the DVC cache (.dir manifest)', async () => {
  const { dir: d2, cleanup: c2 } = makeTmpDir('geodvc-anno-dvc-');
  try {
    gitInit(d2);
    const init = await runCli(['init'], { cwd: d2 });
    assert.equal(init.code, 0, init.stderr);
    mkdirSync(join(d2, 'labels'));
    for (const f of ['states.geojson', 'poly.shp', 'poly.shx', 'poly.dbf', 'poly.PRJ']) copyFileSync(join(CORPUS, f), join(d2, 'labels', f));
    const add = await runCli(['add', 'labels'], { cwd: d2 });
    assert.equal(add.code, 0, add.stderr);
    git(d2, 'add', '-A');
    git(d2, 'commit', '-q', '-m', 'labels tracked by dvc');
    assert.equal(git(d2, 'ls-files', 'labels').trim(), '');
    const doc = JSON.parse(readFileSync(join(d2, 'labels/states.geojson'), 'utf8'));
    const [gone] = doc.features.splice(3, 1);
    rmSync(join(d2, 'labels/states.geojson'), { force: true });
    writeFileSync(join(d2, 'labels/states.geojson'), JSON.stringify(doc));
    const r = await runCli(['geo', 'diff', '--json', '--id-field', 'STATE_NAME'], { cwd: d2 });
    assert.equal(r.code, 0, r.stderr);
    const st = Object.fromEntries(JSON.parse(r.stdout).files.map((f: any) => [f.path, f]));
    assert.equal(st['labels/poly.shp'].status, 'byte-identical');
    assert.equal(st['labels/states.geojson'].status, 'semantic');
    assert.deepEqual(st['labels/states.geojson'].features.map((c: any) => [c.status, c.a]), [['removed', `id=${gone.properties.STATE_NAME}`]]);
    // without the .dir manifest in the cache the old version cannot be read: a clear error
    const oid = /md5: ([0-9a-f]{32}\.dir)/.exec(readFileSync(join(d2, 'labels.dvc'), 'utf8'))![1]!;
    rmSync(join(d2, '.dvc/cache/files/md5', oid.slice(0, 2), oid.slice(2)), { force: true });
    const miss = await runCli(['geo', 'diff'], { cwd: d2 });
    assert.equal(miss.code, 1);
    assert.match(miss.stderr, /labels at HEAD is a DVC-tracked directory whose \.dir manifest is not in the cache/);
    assert.match(miss.stderr, /hint: .*fetch/);
  } finally { c2(); }
});
