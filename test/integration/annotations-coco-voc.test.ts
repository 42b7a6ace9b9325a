/**
 * `geo diff` and `geo manifest` on COCO instance JSON and Pascal VOC XML through the real CLI:
 * corpus samples (shared/corpus/formats) and crafted edits of them, in text and --json, between
 * two files and between a git revision and the workspace; broken samples fail with their
 * position and a non-zero exit in every command that reads them.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir, gitInit, git } from '../helpers/tmp.js';
import { runCli, cliOk, CORPUS } from '../helpers/cli.js';

const FORMATS = join(CORPUS, 'formats');
const MMDET = join(FORMATS, 'mmdet_coco_sample.json');
const BROKEN = [
  { file: 'terrain2_coco_truncated.json', at: /line 87, column 1\b/ },
  { file: 'torchgeo_dior_000002_truncated.xml', at: /line 1, column 277\b/ },
];

let dir = '';
let cleanup = () => {};
const original = () => JSON.parse(readFileSync(MMDET, 'utf8'));

before(() => {
  ({ dir, cleanup } = makeTmpDir('geodvc-coco-voc-'));
  // reformatted: sorted keys, other indentation, images/annotations/categories reversed, every id renumbered
  const d = original();
  for (const im of d.images) im.id += 500;
  for (const c of d.categories) c.id += 40;
  for (const a of d.annotations) { a.id += 9000; a.image_id += 500; a.category_id += 40; }
  d.images.reverse(); d.annotations.reverse(); d.categories.reverse();
  writeFileSync(join(dir, 'reformat.json'), JSON.stringify(Object.fromEntries(Object.entries(d).sort()), null, 1));
  const m03 = original(); m03.annotations[0].bbox[0] += 0.3;
  writeFileSync(join(dir, 'move03.json'), JSON.stringify(m03));
  // the edits: annotation 1 moved by 2 px, category 2 renamed, annotation 3 removed, one added on fake3.jpg
  const e = original();
  e.annotations[0].bbox[1] += 2;
  e.categories[1].name = 'van';
  e.annotations.splice(2, 1);
  e.annotations.push({ id: 77, image_id: 2, category_id: 1, bbox: [300, 300, 40, 30], area: 1200, iscrowd: 0 });
  writeFileSync(join(dir, 'edits.json'), JSON.stringify(e, null, 2));
});
after(() => cleanup());

test('geo diff --files: reformatted, reordered, renumbered COCO is no semantic change (text, --json, --exit-code)', async () => {
  const t = await cliOk(['geo', 'diff', '--files', MMDET, 'reformat.json', '--exit-code'], { cwd: dir });
  assert.match(t.stdout, /reformat\.json\s+format-only\s+3\s+3\s+0\s+0\s+0\s+0\s+0\s+0/);
  assert.match(t.stdout, /no semantic change/);
  const j = JSON.parse((await cliOk(['geo', 'diff', '--files', MMDET, 'reformat.json', '--json'], { cwd: dir })).stdout);
  assert.equal(j.semantic, false);
  assert.equal(j.tolerance, '0.5px');
  assert.equal(j.files[0].status, 'format-only');
  assert.equal(j.files[0].unit, 'px');
  assert.equal(j.files[0].formatOld, 'COCO');
  assert.equal(j.files[0].counts.unchanged, 3);
});

test('geo diff --files: a box moved by 0.3 px is precision-only at the default 0.5px and a geometry change at 0.2px', async () => {
  const j = JSON.parse((await cliOk(['geo', 'diff', '--files', MMDET, 'move03.json', '--json'], { cwd: dir })).stdout);
  assert.equal(j.semantic, false);
  assert.equal(j.files[0].status, 'precision-only');
  assert.equal(j.files[0].counts.precisionOnly, 1);
  const s = JSON.parse((await cliOk(['geo', 'diff', '--files', MMDET, 'move03.json', '--json', '-t', '0.2px'], { cwd: dir })).stdout);
  assert.equal(s.semantic, true);
  assert.equal(s.tolerance, '0.2px');
  assert.deepEqual(s.files[0].features.map((f: any) => [f.image, f.a, f.changes, f.maxVertexShift]), [['fake1.jpg', 'id=1', ['geometry'], 0.3]]);
});

test('geo diff --files: moved box, renamed category, removed and added annotations are each named (text and --json)', async () => {
  const t = await runCli(['geo', 'diff', '--files', MMDET, 'edits.json', '--exit-code'], { cwd: dir });
  assert.equal(t.code, 1, t.stdout + t.stderr);
  assert.match(t.stdout, /edits\.json fake1\.jpg annotation id=1: changed: max vertex shift 2 px/);
  assert.match(t.stdout, /edits\.json fake1\.jpg annotation id=2: changed: category "car" -> "van"/);
  assert.match(t.stdout, /edits\.json fake2\.jpg annotation id=3: removed \(category "bus" at \[0, 0, 20, 20\]\)/);
  assert.match(t.stdout, /edits\.json fake3\.jpg annotation id=77: added \(category "bus" at \[300, 300, 340, 330\]\)/);
  assert.match(t.stdout, /semantic changes: 1 added, 1 removed, 1 geometry, 1 class/);
  const j = JSON.parse((await cliOk(['geo', 'diff', '--files', MMDET, 'edits.json', '--json'], { cwd: dir })).stdout);
  assert.equal(j.semantic, true);
  const f = j.files[0];
  assert.deepEqual({ added: f.counts.added, removed: f.counts.removed, geometry: f.counts.geometry, class: f.counts.class }, { added: 1, removed: 1, geometry: 1, class: 1 });
  const by = (status: string, image: string) => f.features.find((x: any) => x.status === status && x.image === image);
  const moved = f.features.find((x: any) => x.changes.includes('geometry'));
  assert.deepEqual([moved.image, moved.a, moved.boxOld, moved.boxNew, moved.maxVertexShift], ['fake1.jpg', 'id=1', [0, 0, 20, 20], [0, 2, 20, 22], 2]);
  const renamed = f.features.find((x: any) => x.changes.includes('class'));
  assert.deepEqual([renamed.image, renamed.a, renamed.classOld, renamed.classNew], ['fake1.jpg', 'id=2', 'car', 'van']);
  assert.deepEqual([by('removed', 'fake2.jpg').a, by('removed', 'fake2.jpg').classOld], ['id=3', 'bus']);
  assert.deepEqual([by('added', 'fake3.jpg').b, by('added', 'fake3.jpg').classNew], ['id=77', 'bus']);
});

test('broken samples: geo diff, geo manifest and geo manifest --fingerprint fail with the file and position, non-zero exit', async () => {
  for (const b of BROKEN) {
    const good = b.file.endsWith('.json') ? MMDET : join(FORMATS, 'torchgeo_dior_000000.xml');
    const d = await runCli(['geo', 'diff', '--files', good, join(FORMATS, b.file)], { cwd: dir });
    assert.notEqual(d.code, 0, d.stdout);
    assert.match(d.stderr, new RegExp(`${b.file.replace(/\./g, '\\.')}: not (valid JSON|well-formed XML)`));
    assert.match(d.stderr, b.at);
    assert.match(d.stderr, /hint: /);
    const fp = await runCli(['geo', 'manifest', '--fingerprint', join(FORMATS, b.file), '--json'], { cwd: dir });
    assert.notEqual(fp.code, 0);
    const err = JSON.parse(fp.stdout);
    assert.equal(err.error, 'invalid-file');
    assert.match(err.message, b.at);
    assert.ok(err.details.line >= 1 && err.details.column >= 1);
  }
  const labels = join(dir, 'broken-labels');
  mkdirSync(labels);
  copyFileSync(MMDET, join(labels, 'good.json'));
  copyFileSync(join(FORMATS, BROKEN[1]!.file), join(labels, BROKEN[1]!.file));
  const m = await runCli(['geo', 'manifest', 'broken-labels', '-o', 'broken.sha256'], { cwd: dir });
  assert.notEqual(m.code, 0);
  assert.match(m.stderr, /torchgeo_dior_000002_truncated\.xml: not well-formed XML: .* at line 1, column 277/);
});

test('in a repository: VOC folder and COCO file, workspace vs HEAD; manifest lists VOC XML; --fingerprint ignores formatting', async () => {
  const { dir: repo, cleanup: done } = makeTmpDir('geodvc-coco-voc-repo-');
  try {
    gitInit(repo);
    mkdirSync(join(repo, 'labels', 'voc'), { recursive: true });
    for (const f of ['mmdet_voc2012_000001.xml', 'datumaro_voc_2007_000001.xml', 'torchgeo_dior_000000.xml']) copyFileSync(join(FORMATS, f), join(repo, 'labels', 'voc', f));
    copyFileSync(MMDET, join(repo, 'labels', 'coco.json'));
    writeFileSync(join(repo, 'labels', 'voc', 'notes.xml'), '<notes>not a VOC file</notes>\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'labels');
    const fp0 = JSON.parse((await cliOk(['geo', 'manifest', '--fingerprint', 'labels', '--json'], { cwd: repo })).stdout);
    // re-indent one VOC file, move a box of another by 3 px, reorder the COCO file
    const dior = join(repo, 'labels', 'voc', 'torchgeo_dior_000000.xml');
    writeFileSync(dior, readFileSync(dior, 'utf8').replace(/></g, '>\n  <'));
    const mm = join(repo, 'labels', 'voc', 'mmdet_voc2012_000001.xml');
    writeFileSync(mm, readFileSync(mm, 'utf8').replace('<xmin>139</xmin>', '<xmin>142</xmin>'));
    const c = original(); c.annotations.reverse(); c.images.reverse();
    writeFileSync(join(repo, 'labels', 'coco.json'), JSON.stringify(c));
    const j = JSON.parse((await cliOk(['geo', 'diff', '--json'], { cwd: repo })).stdout);
    const st = Object.fromEntries(j.files.map((f: any) => [f.path, f.status]));
    assert.deepEqual(st, {
      'labels/coco.json': 'format-only',
      'labels/voc/datumaro_voc_2007_000001.xml': 'byte-identical',
      'labels/voc/mmdet_voc2012_000001.xml': 'semantic',
      'labels/voc/torchgeo_dior_000000.xml': 'format-only',
    });
    const moved = j.files.find((f: any) => f.path.endsWith('mmdet_voc2012_000001.xml')).features;
    assert.deepEqual(moved.map((f: any) => [f.image, f.a, f.changes, f.maxVertexShift]), [['000002.jpg', 'object #1', ['geometry'], 3]]);
    const t = await cliOk(['geo', 'diff', 'labels/voc'], { cwd: repo });
    assert.match(t.stdout, /labels\/voc\/mmdet_voc2012_000001\.xml 000002\.jpg annotation object #1: changed: max vertex shift 3 px/);
    const man = (await cliOk(['geo', 'manifest', 'labels'], { cwd: repo })).stdout;
    assert.match(man, /^[0-9a-f]{64} {2}labels\/coco\.json$/m);
    assert.match(man, /^[0-9a-f]{64} {2}labels\/voc\/torchgeo_dior_000000\.xml$/m);
    assert.doesNotMatch(man, /notes\.xml/);
    const fp1 = JSON.parse((await cliOk(['geo', 'manifest', '--fingerprint', 'labels', '--json'], { cwd: repo })).stdout);
    assert.notEqual(fp1.fingerprint, fp0.fingerprint, 'the 3 px move changes the fingerprint');
    writeFileSync(mm, readFileSync(mm, 'utf8').replace('<xmin>142</xmin>', '<xmin>139</xmin>'));
    const fp2 = JSON.parse((await cliOk(['geo', 'manifest', '--fingerprint', 'labels', '--json'], { cwd: repo })).stdout);
    assert.equal(fp2.fingerprint, fp0.fingerprint, 're-indented VOC and reordered COCO keep the fingerprint');
    assert.deepEqual(fp2.datasets.map((d: any) => [d.path, d.format, d.images, d.annotations]), [['coco.json', 'COCO', 3, 3], ['voc', 'Pascal VOC', 3, 6]]);
  } finally { done(); }
});

test('add: COCO/VOC files get format and counts in meta; a broken one is still added, with a warning naming the position', async () => {
  const { dir: repo, cleanup: done } = makeTmpDir('geodvc-coco-voc-add-');
  try {
    gitInit(repo);
    await cliOk(['init'], { cwd: repo });
    for (const f of ['datumaro_coco_instances_val.json', 'torchgeo_dior_000000.xml', BROKEN[0]!.file]) copyFileSync(join(FORMATS, f), join(repo, f));
    const r = JSON.parse((await cliOk(['add', 'datumaro_coco_instances_val.json', 'torchgeo_dior_000000.xml', BROKEN[0]!.file, '--json'], { cwd: repo })).stdout);
    assert.equal(r.outputs.length, 3, 'all three tracked');
    assert.deepEqual(r.warnings.map((w: any) => w.file), [BROKEN[0]!.file]);
    assert.match(r.warnings[0].message, /not valid JSON: .* at line 87, column 1/);
    const coco = readFileSync(join(repo, 'datumaro_coco_instances_val.json.dvc'), 'utf8');
    for (const line of ['kind: annotation', 'format: COCO', 'images: 1', 'annotations: 2', 'categories: 3']) assert.ok(coco.includes(line), `${line} in\n${coco}`);
    const voc = readFileSync(join(repo, 'torchgeo_dior_000000.xml.dvc'), 'utf8');
    for (const line of ['format: Pascal VOC', 'annotations: 3', '- airplane', '- stadium']) assert.ok(voc.includes(line), `${line} in\n${voc}`);
    assert.doesNotMatch(readFileSync(join(repo, `${BROKEN[0]!.file}.dvc`), 'utf8'), /meta:/);
  } finally { done(); }
});
