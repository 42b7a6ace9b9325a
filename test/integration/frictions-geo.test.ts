/**
 * Issue 20, the geo frictions a newcomer hit, each through the CLI:
 * strict --crs parsing, geo diff of dvc.lock outputs, geo split warnings, history of vector folders.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir, gitInit, git, writeTree } from '../helpers/tmp.js';
import { runCli, CORPUS } from '../helpers/cli.js';

let dir = '';
let cleanup = () => {};
before(() => { ({ dir, cleanup } = makeTmpDir('geodvc-frictions-geo-')); });
after(() => cleanup());

test('--crs epsg:4326x is rejected before any work, naming the value, with a hint', async () => {
  const out = join(dir, 'reproj-out');
  const r = await runCli(['geo', 'reproject', '--input', join(CORPUS, 'byte.tif'), '--output', out, '--crs', 'epsg:4326x'], { cwd: dir });
  assert.equal(r.code, 254, r.stderr);
  assert.match(r.stderr, /epsg:4326x/);
  assert.match(r.stderr, /trailing characters/);
  assert.match(r.stderr, /hint: .*EPSG:/);
  assert.doesNotMatch(r.stderr, /warping/);
  assert.equal(existsSync(out), false, 'no output directory written');
  const j = await runCli(['geo', 'reproject', '--json', '--input', join(CORPUS, 'byte.tif'), '--output', out, '--crs', 'EPSG:4326 junk'], { cwd: dir });
  assert.equal(j.code, 254);
  assert.equal(JSON.parse(j.stdout || j.stderr).error, 'usage');
});

/** A pipeline whose stage writes a chip index of N polygons (`chip_id` c0..), committed with its dvc.lock. */
const GEN = `import { writeFileSync } from 'node:fs';
const n = Number(process.argv[2]);
const features = [];
for (let i = 0; i < n; i++) features.push({ type: 'Feature', properties: { chip_id: 'c' + i, cls: i % 2 }, geometry: { type: 'Polygon', coordinates: [[[i, 0], [i + 1, 0], [i + 1, 1], [i, 1], [i, 0]]] } });
writeFileSync('chips.geojson', JSON.stringify({ type: 'FeatureCollection', features }));
`;
const stageYaml = (n: number) => `stages:\n  chip:\n    cmd: node gen.mjs ${n}\n    deps:\n    - gen.mjs\n    outs:\n    - chips.geojson\n`;

test('geo diff reads pipeline outputs recorded in dvc.lock at a revision; features named by id field, else 1-based', async () => {
  const repo = join(dir, 'pipe');
  gitInit(repo);
  writeTree(repo, { 'gen.mjs': GEN, 'dvc.yaml': stageYaml(24) });
  await cliOkIn(repo, ['init', '-q']);
  await cliOkIn(repo, ['repro', '-q']);
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'chips');
  assert.match(readFileSync(join(repo, '.gitignore'), 'utf8'), /chips\.geojson/, 'the chip index is a DVC output, not in git');
  // clean workspace right after the commit: nothing added
  for (const args of [['geo', 'diff', '--json'], ['geo', 'diff', '--json', 'HEAD']]) {
    const j = JSON.parse((await cliOkIn(repo, args)).stdout);
    assert.equal(j.files.length, 1);
    assert.equal(j.files[0].path, 'chips.geojson');
    assert.equal(j.files[0].status, 'byte-identical');
    assert.equal(j.summary.added, 0);
    assert.equal(j.semantic, false);
  }
  const text = await cliOkIn(repo, ['geo', 'diff']);
  assert.match(text.stdout, /no semantic change: 0 added/);
  // a new run with 25 chips, committed: one added, named by its id field or its 1-based position
  writeFileSync(join(repo, 'dvc.yaml'), stageYaml(25));
  await cliOkIn(repo, ['repro', '-q']);
  git(repo, 'commit', '-q', '-am', '25 chips');
  const byPos = JSON.parse((await cliOkIn(repo, ['geo', 'diff', '--json', 'HEAD~1', 'HEAD'])).stdout);
  assert.equal(byPos.files[0].status, 'semantic');
  assert.deepEqual([byPos.files[0].counts.old, byPos.files[0].counts.new, byPos.summary.added, byPos.summary.removed], [24, 25, 1, 0]);
  assert.deepEqual(byPos.files[0].features.map((f: any) => [f.status, f.b]), [['added', '#25']]);
  const byId = JSON.parse((await cliOkIn(repo, ['geo', 'diff', '--json', '--id-field', 'chip_id', 'HEAD~1', 'HEAD'])).stdout);
  assert.deepEqual(byId.files[0].features.map((f: any) => [f.status, f.b]), [['added', 'id=c24']]);
  const t = await cliOkIn(repo, ['geo', 'diff', '--id-field', 'chip_id', 'HEAD~1']);
  assert.match(t.stdout, /chips\.geojson id=c24: added/);
});

async function cliOkIn(cwd: string, args: string[]) {
  const r = await runCli(args, { cwd });
  assert.equal(r.code, 0, `geodvc ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r;
}

test('geo split warns how many chips the buffer dropped and why, and never leaves a split empty silently', async () => {
  // 24 chips of 640 m on a 6x4 grid (UTM 33N), as geo chip writes the index
  const features = [];
  for (let r = 0; r < 4; r++) for (let c = 0; c < 6; c++) {
    const x = 500000 + c * 640, y = 5000000 + r * 640;
    features.push({ type: 'Feature', properties: { chip: `chip_${r}_${c}`, crs: 'EPSG:32633', bounds: [x, y, x + 640, y + 640] }, geometry: { type: 'Polygon', coordinates: [[[15, 45], [15.01, 45], [15.01, 45.01], [15, 45.01], [15, 45]]] } });
  }
  const index = join(dir, 'split', 'chips.geojson');
  writeTree(dir, { 'split/chips.geojson': JSON.stringify({ type: 'FeatureCollection', features }) });
  // buffer: chips dropped, counted per split, with the reason on stderr and in --json
  const b = await cliOkIn(dir, ['geo', 'split', '--index', index, '--buffer', '100']);
  const m = /dropped for the buffer: (\d+) of 24/.exec(b.stdout);
  assert.ok(m && Number(m[1]) > 0, b.stdout);
  assert.match(b.stderr, new RegExp(`WARNING: dropped ${m![1]} of 24 chips \\(.*train.*\\) to keep --buffer 100 m between splits`));
  const bj = JSON.parse((await cliOkIn(dir, ['geo', 'split', '--json', '--index', index, '--buffer', '100'])).stdout);
  assert.equal(bj.dropped, Number(m![1]));
  assert.equal(Object.values(bj.droppedBySplit as Record<string, number>).reduce((x, y) => x + y, 0), bj.dropped);
  assert.ok(bj.warnings.some((w: string) => w.startsWith(`dropped ${bj.dropped} of 24`)));
  // 4 blocks of 2 km for 3 splits: every split gets chips (the greedy order used to starve test)
  const a = JSON.parse((await cliOkIn(dir, ['geo', 'split', '--json', '--index', index, '--block-size', '2000'])).stdout);
  assert.ok(a.counts.train > 0 && a.counts.val > 0 && a.counts.test > 0, JSON.stringify(a.counts));
  assert.deepEqual(a.warnings, []);
  // one 5 km block: val and test cannot get chips; the warning says why and what to change
  const one = await cliOkIn(dir, ['geo', 'split', '--index', index, '--block-size', '5000']);
  assert.match(one.stdout, /train: 24, val: 0, test: 0/);
  assert.match(one.stderr, /WARNING: the val split is empty although --ratios asks for 15%: the 24 chips fall into 1 blocks of 5000 m, fewer than the 3 splits asked for.*smaller --block-size/);
  assert.match(one.stderr, /WARNING: the test split is empty/);
  const written = JSON.parse(readFileSync(join(dir, 'split', 'splits.json'), 'utf8'));
  assert.equal(written.warnings.length, 2);
});

test('history of a vector folder says features, geometry types and CRSs, not "0 rasters"', async () => {
  const repo = join(dir, 'vec');
  gitInit(repo);
  mkdirSync(join(repo, 'labels'));
  for (const ext of ['shp', 'shx', 'dbf', 'prj', 'cpg']) copyFileSync(join(CORPUS, `box.${ext}`), join(repo, 'labels', `box.${ext}`));
  const truth = JSON.parse(readFileSync(join(CORPUS, 'truth', 'box.shp.ogrinfo.json'), 'utf8')).layers[0];
  const pts = (n: number) => JSON.stringify({ type: 'FeatureCollection', features: Array.from({ length: n }, (_, i) => ({ type: 'Feature', properties: { i }, geometry: { type: 'Point', coordinates: [i, i] } })) });
  writeFileSync(join(repo, 'labels', 'points.geojson'), pts(3));
  await cliOkIn(repo, ['init', '-q']);
  await cliOkIn(repo, ['add', '-q', 'labels']);
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'v1');
  writeFileSync(join(repo, 'labels', 'points.geojson'), pts(5));
  await cliOkIn(repo, ['add', '-q', 'labels']);
  git(repo, 'commit', '-q', '-am', 'v2');
  const j = JSON.parse((await cliOkIn(repo, ['history', '--json', 'labels'])).stdout);
  assert.equal(j.versions.length, 2);
  assert.deepEqual(j.versions.map((v: any) => v.vector), [5, 3].map((n) => ({
    files: 2, read: 2, features: truth.feature_count + n, geometryTypes: [truth.geometry_type, 'Point'].sort(), crs: [`EPSG:${truth.crs.epsg}`, 'EPSG:4326'],
  })));
  const t = await cliOkIn(repo, ['history', 'labels']);
  assert.doesNotMatch(t.stdout, /0 rasters/);
  assert.match(t.stdout, /CONTENT/);
  assert.match(t.stdout, new RegExp(`2 vector files, ${truth.feature_count + 5} features Point/Polygon EPSG:32618, EPSG:4326\\s+v2`));
  const f = await cliOkIn(repo, ['history', 'labels/points.geojson']);
  assert.match(f.stdout, /5 features Point EPSG:4326\s+v2/);
  assert.match(f.stdout, /3 features Point EPSG:4326\s+v1/);
});
