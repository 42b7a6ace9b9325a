/** repro flags, parallel runs, run-cache restore, semantic dep fingerprints, and `stage add`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir, gitInit, writeTree } from '../helpers/tmp.js';
import { cliOk } from '../helpers/cli.js';
import { reproduce, registerDepFingerprinter, runCacheObjects } from '../../src/core/api/repro.js';
import { stageAdd } from '../../src/core/api/stage.js';

function repo(files: Record<string, string>): { dir: string; cleanup: () => void } {
  const t = makeTmpDir('geodvc-pl-repro-');
  gitInit(t.dir);
  mkdirSync(join(t.dir, '.dvc'));
  writeFileSync(join(t.dir, '.dvc', 'config'), '');
  writeTree(t.dir, files);
  return t;
}

const CHAIN = 'stages:\n  a:\n    cmd: cp in.txt a.txt\n    deps: [in.txt]\n    outs: [a.txt]\n  b:\n    cmd: cp a.txt b.txt\n    deps: [a.txt]\n    outs: [b.txt]\n  c:\n    cmd: cp b.txt c.txt\n    deps: [b.txt]\n    outs: [c.txt]\n  other:\n    cmd: cp in.txt o.txt\n    deps: [in.txt]\n    outs: [o.txt]\n';

test('targets, -s, --downstream, -f, --dry, --allow-missing', async () => {
  const { dir, cleanup } = repo({ 'dvc.yaml': CHAIN, 'in.txt': '1' });
  try {
    assert.deepEqual((await reproduce({ cwd: dir, targets: ['b'] })).ran, ['a', 'b']);
    assert.deepEqual((await reproduce({ cwd: dir, targets: ['c'], single: true })).ran, ['c']);
    writeFileSync(join(dir, 'in.txt'), '2');
    assert.deepEqual((await reproduce({ cwd: dir, targets: ['c'], dry: true })).wouldRun, ['a', 'b', 'c']);
    assert.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), '1', '--dry changes nothing');
    assert.deepEqual((await reproduce({ cwd: dir, targets: ['a'], downstream: true, noRunCache: true })).ran, ['a', 'b', 'c']);
    assert.deepEqual((await reproduce({ cwd: dir, targets: ['b'], force: true, noRunCache: true })).ran, ['a', 'b']);
    await reproduce({ cwd: dir });
    rmSync(join(dir, 'b.txt'));
    const r = await reproduce({ cwd: dir, allowMissing: true });
    assert.deepEqual(r.ran, []);
    assert.deepEqual(r.skipped, ['b', 'c']); // c's dep b.txt is missing too
  } finally { cleanup(); }
});

test('-k keeps going past a failure; dependents of the failed stage are skipped', async () => {
  const { dir, cleanup } = repo({ 'dvc.yaml': CHAIN.replace('cp a.txt b.txt', 'exit 1'), 'in.txt': '1' });
  try {
    const r = await reproduce({ cwd: dir, keepGoing: true });
    assert.deepEqual(r.ran, ['a', 'other']);
    assert.deepEqual(r.failed.map((f) => f.stage), ['b']);
    assert.deepEqual(r.skipped, ['c']);
  } finally { cleanup(); }
});

test('-j runs independent stages at the same time', async () => {
  // Each stage records when it started and ended (ns clock); with -j 4 the four intervals must
  // overlap (all started before any ended). Checked by overlap, not wall time: a loaded machine
  // stretches wall times, never turns concurrent runs into sequential ones.
  const stages = [0, 1, 2, 3].map((i) => `  s${i}:\n    cmd: date +%s%N > t${i}.start && sleep 1 && date +%s%N > t${i}.end && echo ${i} > o${i}.txt\n    deps: [in.txt]\n    outs: [o${i}.txt]\n`).join('');
  const { dir, cleanup } = repo({ 'dvc.yaml': `stages:\n${stages}`, 'in.txt': 'x' });
  try {
    const r = await reproduce({ cwd: dir, jobs: 4 });
    assert.equal(r.ran.length, 4);
    const read = (f: string) => BigInt(readFileSync(join(dir, f), 'utf8').trim());
    const starts = [0, 1, 2, 3].map((i) => read(`t${i}.start`));
    const ends = [0, 1, 2, 3].map((i) => read(`t${i}.end`));
    const lastStart = starts.reduce((a, b) => (a > b ? a : b));
    const firstEnd = ends.reduce((a, b) => (a < b ? a : b));
    assert.ok(lastStart < firstEnd, `the four stages did not all run at once: last start ${lastStart}, first end ${firstEnd}`);
  } finally { cleanup(); }
});

test('run-cache: a stage whose cmd, deps and params match an earlier run is restored, not run', async () => {
  const { dir, cleanup } = repo({ 'dvc.yaml': 'stages:\n  a:\n    cmd: cp in.txt a.txt && echo ran >> runs.log\n    deps: [in.txt]\n    params: [k]\n    outs: [a.txt]\n', 'in.txt': 'one', 'params.yaml': 'k: 1\n' });
  try {
    await reproduce({ cwd: dir });
    const lock1 = readFileSync(join(dir, 'dvc.lock'), 'utf8');
    writeFileSync(join(dir, 'params.yaml'), 'k: 2\n');
    assert.deepEqual((await reproduce({ cwd: dir })).ran, ['a']);
    writeFileSync(join(dir, 'params.yaml'), 'k: 1\n');
    const r = await reproduce({ cwd: dir });
    assert.deepEqual(r.ran, []);
    assert.deepEqual(r.restored, ['a']);
    assert.equal(readFileSync(join(dir, 'runs.log'), 'utf8'), 'ran\nran\n');
    assert.equal(readFileSync(join(dir, 'dvc.lock'), 'utf8'), lock1);
    const objs = runCacheObjects(join(dir, '.dvc', 'cache'));
    assert.equal(objs.length, 2);
    assert.match(objs[0] ?? '', /^runs\/[0-9a-f]{2}\/[0-9a-f]{64}\/[0-9a-f]{64}$/);
  } finally { cleanup(); }
});

test('semantic dep kind: a byte change with the same fingerprint refreshes the lock without running', async () => {
  registerDepFingerprinter('test-sorted-lines', async (p) => readFileSync(p, 'utf8').split('\n').filter(Boolean).sort().join('\n'));
  const { dir, cleanup } = repo({
    'dvc.yaml': 'stages:\n  train:\n    cmd: sort labels.txt > model.txt\n    deps: [labels.txt]\n    outs: [model.txt]\n    meta:\n      geodvc:\n        dep-kinds:\n          labels.txt: test-sorted-lines\n',
    'labels.txt': 'b\na\n',
  });
  try {
    await reproduce({ cwd: dir });
    writeFileSync(join(dir, 'labels.txt'), 'a\nb\n');
    const r = await reproduce({ cwd: dir });
    assert.deepEqual(r.ran, []);
    assert.match(readFileSync(join(dir, 'dvc.lock'), 'utf8'), /md5: dd8c6a395b5dd36c56d23275028f526c/); // md5("a\nb\n")
    writeFileSync(join(dir, 'labels.txt'), 'a\nc\n');
    assert.deepEqual((await reproduce({ cwd: dir })).ran, ['train']);
  } finally { cleanup(); }
});

test('stage add writes dvc.yaml as DVC does and keeps existing text', async () => {
  const { dir, cleanup } = repo({ 'crlf.txt': 'x', 'params.yaml': 'seed: 1\ntrain: {lr: 1}\n', 'sub/p.yaml': 'lr: 0.1\n' });
  try {
    stageAdd({ cwd: dir, name: 'long', desc: 'long one', deps: ['crlf.txt'], params: ['seed,train', 'sub/p.yaml:'], outs: ['out_long.txt'],
      cmd: 'echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb cccccccccccccccc > out_long.txt' });
    await cliOk(['stage', 'add', '-n', 'inwdir', '-w', 'sub', '-d', 'p.yaml', '-M', 'm.json', '--always-changed', `echo '{"x": 1}' > m.json`], { cwd: dir });
    assert.equal(readFileSync(join(dir, 'dvc.yaml'), 'utf8'), `stages:
  long:
    desc: long one
    cmd: echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
      cccccccccccccccc > out_long.txt
    deps:
    - crlf.txt
    params:
    - seed
    - train
    - sub/p.yaml:
    outs:
    - out_long.txt
  inwdir:
    cmd: "echo '{\\"x\\": 1}' > m.json"
    wdir: sub
    deps:
    - p.yaml
    metrics:
    - m.json:
        cache: false
    always_changed: true
`);
    // comments survive; a clash is refused and the file is left as it was
    writeFileSync(join(dir, 'dvc.yaml'), '# my pipeline\nstages:\n  # first\n  a:\n    cmd: echo a > a.txt\n    outs: [a.txt]\nvars: []\n');
    stageAdd({ cwd: dir, name: 'b', cmd: 'cp a.txt b.txt', deps: ['a.txt'], outs: ['b.txt'] });
    const text = readFileSync(join(dir, 'dvc.yaml'), 'utf8');
    assert.equal(text, '# my pipeline\nstages:\n  # first\n  a:\n    cmd: echo a > a.txt\n    outs: [a.txt]\n  b:\n    cmd: cp a.txt b.txt\n    deps:\n    - a.txt\n    outs:\n    - b.txt\nvars: []\n');
    assert.throws(() => stageAdd({ cwd: dir, name: 'c', cmd: 'x', outs: ['b.txt'] }), /'b\.txt' is specified in stages 'b' and 'c'/);
    assert.equal(readFileSync(join(dir, 'dvc.yaml'), 'utf8'), text);
    assert.throws(() => stageAdd({ cwd: dir, name: 'a', cmd: 'x' }), /already exists/);
    assert.ok(!existsSync(join(dir, 'dvc.lock')));
  } finally { cleanup(); }
});

test('status of a never-run stage and of a changed command, in DVC shape', async () => {
  const { pipelineStatus } = await import('../../src/core/api/stage-status.js');
  const { dir, cleanup } = repo({ 'dvc.yaml': 'stages:\n  a:\n    cmd: cp in.txt a.txt\n    deps: [in.txt]\n    params: [k]\n    outs: [a.txt]\n', 'in.txt': '1', 'params.yaml': 'k: 1\n' });
  try {
    // no lock entry: DVC compares an empty hash with the file ("modified"), a params file is "new"
    assert.deepEqual(await pipelineStatus(undefined, [], dir), { a: [{ 'changed deps': { 'in.txt': 'modified', 'params.yaml': 'new' } }, { 'changed outs': { 'a.txt': 'deleted' } }] });
    await reproduce({ cwd: dir });
    writeFileSync(join(dir, 'dvc.yaml'), readFileSync(join(dir, 'dvc.yaml'), 'utf8').replace('cp in.txt a.txt', 'cp  in.txt a.txt'));
    assert.deepEqual(await pipelineStatus(undefined, [], dir), { a: ['changed command'] });
    rmSync(join(dir, 'params.yaml'));
    assert.deepEqual(await pipelineStatus(undefined, [], dir), { a: [{ 'changed deps': { 'params.yaml': 'deleted' } }, 'changed command'] });
  } finally { cleanup(); }
});

test('a DVC 2 lock (no hash field, dos2unix md5, legacy cache layout) is accepted as up to date', async () => {
  const { pipelineStatus } = await import('../../src/core/api/stage-status.js');
  const { dir, cleanup } = repo({
    'dvc.yaml': 'stages:\n  a:\n    cmd: cp legacy.txt out.txt\n    deps: [legacy.txt]\n    outs: [out.txt]\n',
    'legacy.txt': 'a\r\nb\r\nc',
    'out.txt': 'a\r\nb\r\nc',
    // DVC 2.x wrote md5 of the dos2unix text and no `hash:` key
    'dvc.lock': "schema: '2.0'\nstages:\n  a:\n    cmd: cp legacy.txt out.txt\n    deps:\n    - path: legacy.txt\n      md5: c32b2057b9bd62caa835386346177935\n      size: 7\n    outs:\n    - path: out.txt\n      md5: c32b2057b9bd62caa835386346177935\n      size: 7\n",
    '.dvc/cache/c3/2b2057b9bd62caa835386346177935': 'a\r\nb\r\nc',
  });
  try {
    assert.deepEqual(await pipelineStatus(undefined, [], dir), {});
    assert.deepEqual((await reproduce({ cwd: dir })).ran, []);
    writeFileSync(join(dir, 'legacy.txt'), 'a\r\nb\r\nd');
    assert.deepEqual(await pipelineStatus(undefined, [], dir), { a: [{ 'changed deps': { 'legacy.txt': 'modified' } }] });
  } finally { cleanup(); }
});
