/**
 * Semantic pipeline deps on image-space labels: a stage with an `annotations@0.5px` dep on a
 * COCO file (corpus: terrain1_coco.json) and one with an `annotations` dep on a folder of Pascal
 * VOC files rerun on semantic label changes only. Real `geodvc init` / `geodvc repro` processes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir, gitInit, git } from '../helpers/tmp.js';
import { runCli, cliOk, CORPUS } from '../helpers/cli.js';

const FORMATS = join(CORPUS, 'formats');
const COCO = 'labels/coco.json';
const VOC = ['mmdet_voc2012_000001.xml', 'torchgeo_dior_000000.xml'];

const DVC_YAML = `stages:
  detect:
    cmd: node -e "const fs=require('fs'); fs.writeFileSync('coco-model.txt', String(JSON.parse(fs.readFileSync('${COCO}','utf8')).annotations.length))"
    deps:
    - ${COCO}
    outs:
    - coco-model.txt
    meta:
      geodvc:
        dep-kinds:
          ${COCO}: annotations@0.5px
  voc:
    cmd: node -e "const fs=require('fs'); fs.writeFileSync('voc-model.txt', String(fs.readdirSync('labels/voc').length))"
    deps:
    - labels/voc
    outs:
    - voc-model.txt
    meta:
      geodvc:
        dep-kinds:
          labels/voc: annotations
`;

let dir = '';
let cleanup = () => {};
let original: any;

before(async () => {
  ({ dir, cleanup } = makeTmpDir('geodvc-coco-voc-pipe-'));
  gitInit(dir);
  await cliOk(['init'], { cwd: dir });
  mkdirSync(join(dir, 'labels', 'voc'), { recursive: true });
  original = JSON.parse(readFileSync(join(FORMATS, 'terrain1_coco.json'), 'utf8'));
  copyFileSync(join(FORMATS, 'terrain1_coco.json'), join(dir, COCO));
  for (const f of VOC) copyFileSync(join(FORMATS, f), join(dir, 'labels', 'voc', f));
  writeFileSync(join(dir, 'dvc.yaml'), DVC_YAML);
  const r = await cliOk(['repro'], { cwd: dir });
  assert.match(r.stdout, /Running stage 'detect'/);
  assert.match(r.stdout, /Running stage 'voc'/);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'pipeline');
});
after(() => cleanup());

const clone = () => JSON.parse(JSON.stringify(original));

async function repro(): Promise<{ ran: string[]; stdout: string }> {
  const r = await runCli(['repro'], { cwd: dir });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return { ran: [...r.stdout.matchAll(/Running stage '([^']+)'/g)].map((m) => m[1]!).sort(), stdout: r.stdout };
}

test('COCO dep: reformatted/renumbered and a 0.3 px move do not rerun; a 2 px move and a category rename do', async () => {
  try {
    const d = clone();
    for (const a of d.annotations) a.id += 100;
    d.annotations.reverse();
    writeFileSync(join(dir, COCO), JSON.stringify(Object.fromEntries(Object.entries(d).reverse()), null, 3));
    let r = await repro();
    assert.deepEqual(r.ran, [], `reformat reran\n${r.stdout}`);
    assert.match(r.stdout, /without a semantic change|precision only/, r.stdout);

    const small = clone(); small.annotations[3].bbox[0] += 0.3; small.annotations[3].segmentation[0][0] += 0.3;
    writeFileSync(join(dir, COCO), JSON.stringify(small));
    r = await repro();
    assert.deepEqual(r.ran, [], `0.3 px reran\n${r.stdout}`);

    const moved = clone(); moved.annotations[3].bbox[1] += 2;
    writeFileSync(join(dir, COCO), JSON.stringify(moved));
    assert.deepEqual((await repro()).ran, ['detect'], '2 px move');

    const renamed = clone(); renamed.categories[0].name = 'person';
    writeFileSync(join(dir, COCO), JSON.stringify(renamed));
    assert.deepEqual((await repro()).ran, ['detect'], 'category renamed');
    assert.deepEqual((await repro()).ran, []);
  } finally { git(dir, 'checkout', '--', '.'); }
});

test('VOC folder dep: re-indented XML does not rerun; a renamed object does; a broken file fails repro with its position', async () => {
  try {
    const dior = join(dir, 'labels', 'voc', 'torchgeo_dior_000000.xml');
    const text = readFileSync(dior, 'utf8');
    writeFileSync(dior, text.replace(/></g, '>\n\t<'));
    let r = await repro();
    assert.deepEqual(r.ran, [], `re-indent reran\n${r.stdout}`);
    writeFileSync(dior, text.replace('<name>airplane</name>', '<name>helicopter</name>'));
    r = await repro();
    assert.deepEqual(r.ran, ['voc']);
    copyFileSync(join(FORMATS, 'torchgeo_dior_000002_truncated.xml'), join(dir, 'labels', 'voc', 'broken.xml'));
    const b = await runCli(['repro'], { cwd: dir });
    assert.notEqual(b.code, 0, b.stdout);
    assert.match(b.stderr, /broken\.xml: not well-formed XML: .* at line 1, column 277/);
  } finally { git(dir, 'checkout', '--', '.'); git(dir, 'clean', '-fdq', 'labels'); }
});
