/** Experiments through the API: refs layout, nested/list/other-file overrides, push/pull to a git remote. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { makeTmpDir, gitInit, git, writeTree } from '../helpers/tmp.js';
import { expRun, expList, expPush, expPull, expShow, expTable, toCsv } from '../../src/core/api/exp.js';

test('exp run -S with nested keys, lists and another params file; push and pull refs/exps', async () => {
  const t = makeTmpDir('geodvc-pl-exp-');
  const bare = makeTmpDir('geodvc-pl-exp-remote-');
  const clone = makeTmpDir('geodvc-pl-exp-clone-');
  try {
    const dir = t.dir;
    gitInit(dir);
    mkdirSync(join(dir, '.dvc'));
    writeTree(dir, {
      '.dvc/config': '',
      'params.yaml': '# model\nmodel:\n  depth: 3  # layers\n  sizes: [1, 2]\nlr: 0.1\n',
      'train.json': '{"epochs": 1}',
      'dvc.yaml': 'stages:\n  train:\n    cmd: echo ${model.depth} ${lr} > out.txt\n    params:\n    - model\n    - lr\n    - train.json:\n      - epochs\n    outs:\n    - out.txt\n',
    });
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'base');
    const head = git(dir, 'rev-parse', 'HEAD').trim();
    const r = await expRun({ cwd: dir, set: ['model.depth=5', 'model.sizes=[4, 8]', 'train.json:epochs=3'], name: 'deep' });
    assert.equal(r.ref, `refs/exps/${head.slice(0, 2)}/${head.slice(2)}/deep`);
    assert.deepEqual(r.repro?.ran, ['train']);
    const params = git(dir, 'show', `${r.rev}:params.yaml`);
    assert.equal(params, '# model\nmodel:\n  depth: 5 # layers\n  sizes: [ 4, 8 ]\nlr: 0.1\n');
    assert.deepEqual(JSON.parse(git(dir, 'show', `${r.rev}:train.json`)), { epochs: 3 });
    assert.match(git(dir, 'show', `${r.rev}:dvc.lock`), /model:\n          depth: 5\n          sizes:\n          - 4\n          - 8/);
    const rows = expShow(dir);
    assert.deepEqual(rows.map((x) => x.kind), ['workspace', 'baseline', 'experiment']);
    const csv = toCsv(expTable(rows).header, expTable(rows).cells);
    assert.match(csv, /params\.yaml:model\.depth/);
    await assert.rejects(expRun({ cwd: dir, set: ['model.depht=1'] }), /param 'model\.depht' is not in 'params\.yaml'/);
    await assert.rejects(expRun({ cwd: dir, set: ['lr=1'], name: 'deep' }), /already exists/);
    // push to a bare remote, pull into a clone
    execFileSync('git', ['init', '-q', '--bare', bare.dir]);
    git(dir, 'remote', 'add', 'origin', bare.dir);
    git(dir, 'push', '-q', 'origin', 'HEAD:refs/heads/main');
    assert.deepEqual(expPush(dir, 'origin', ['deep']), [r.ref]);
    execFileSync('git', ['clone', '-q', '-b', 'main', bare.dir, clone.dir]);
    assert.deepEqual(expList(clone.dir), []);
    assert.deepEqual(expPull(clone.dir, 'origin', ['deep']), [r.ref]);
    assert.deepEqual(expList(clone.dir).map((e) => [e.name, e.rev]), [['deep', r.rev]]);
    assert.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), '5 0.1\n');
  } finally { t.cleanup(); bare.cleanup(); clone.cleanup(); }
});

test('exp run --queue with a choice sweep queues one experiment per combination', async () => {
  const { expandSweep, sweepCombinations } = await import('../../src/core/pipeline/experiments.js');
  const { queueStatus } = await import('../../src/core/api/exp.js');
  assert.deepEqual(expandSweep('a=1,2'), ['a=1', 'a=2']);
  assert.deepEqual(expandSweep('a=[1,2]'), ['a=[1,2]']);
  assert.deepEqual(expandSweep("a='x,y'"), ["a='x,y'"]);
  assert.equal(sweepCombinations(['a=1,2', 'b=x,y,z', 'c=0']).length, 6);
  const t = makeTmpDir('geodvc-pl-sweep-');
  try {
    gitInit(t.dir);
    mkdirSync(join(t.dir, '.dvc'));
    writeTree(t.dir, { '.dvc/config': '', 'params.yaml': 'tile_size: 512\noverlap: 64\n', 'dvc.yaml': 'stages:\n  s:\n    cmd: echo ${tile_size} > o.txt\n    params: [tile_size, overlap]\n    outs: [o.txt]\n' });
    git(t.dir, 'add', '-A');
    git(t.dir, 'commit', '-qm', 'base');
    await assert.rejects(expRun({ cwd: t.dir, set: ['tile_size=256,512'] }), /need --queue/);
    await expRun({ cwd: t.dir, set: ['tile_size=256,512', 'overlap=0,32'], queue: true, name: 'grid' });
    const q = queueStatus(t.dir);
    assert.deepEqual(q.map((e) => e.name).sort(), ['grid-1', 'grid-2', 'grid-3', 'grid-4']);
    assert.deepEqual(q.map((e) => e.set.join(' ')).sort(), ['tile_size=256 overlap=0', 'tile_size=256 overlap=32', 'tile_size=512 overlap=0', 'tile_size=512 overlap=32']);
  } finally { t.cleanup(); }
});

test('local queue: queued experiments run in a temporary worktree, the workspace is untouched', async () => {
  const { queueStatus, queueStart, queueLogs } = await import('../../src/core/api/exp.js');
  const t = makeTmpDir('geodvc-pl-queue-');
  try {
    gitInit(t.dir);
    mkdirSync(join(t.dir, '.dvc'));
    writeTree(t.dir, { '.dvc/config': '', 'in.txt': 'scene', 'params.yaml': 'overlap: 64\n', 'dvc.yaml': 'stages:\n  s:\n    cmd: echo ${overlap} > o.txt && cat in.txt >> o.txt\n    deps: [in.txt]\n    params: [overlap]\n    outs: [o.txt]\n' });
    git(t.dir, 'add', '-A');
    git(t.dir, 'commit', '-qm', 'base');
    await expRun({ cwd: t.dir, set: ['overlap=32'], queue: true, name: 'ov32' });
    assert.deepEqual(queueStatus(t.dir).map((e) => [e.name, e.status]), [['ov32', 'queued']]);
    const done = await queueStart(t.dir);
    assert.deepEqual(done.map((e) => [e.name, e.status]), [['ov32', 'success']]);
    assert.match(queueLogs(t.dir, 'ov32'), /\[start\] s/);
    assert.equal(readFileSync(join(t.dir, 'params.yaml'), 'utf8'), 'overlap: 64\n');
    const e = expList(t.dir);
    assert.deepEqual(e.map((x) => x.name), ['ov32']);
    const [ov] = e;
    assert.ok(ov);
    assert.equal(git(t.dir, 'show', `${ov.rev}:params.yaml`), 'overlap: 32\n');
    assert.equal(git(t.dir, 'worktree', 'list').trim().split('\n').length, 1, 'temporary worktree removed');
  } finally { t.cleanup(); }
});
