/** `exp save`: the workspace as it is (hand-edited params, metrics, tracked data) recorded as an experiment of HEAD. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { makeTmpDir, gitInit, git, writeTree } from '../helpers/tmp.js';
import { cliOk, runCli } from '../helpers/cli.js';

test('exp save -n records hand-edited params, metrics and tracked data; list/show/apply see it; -f replaces', async () => {
  const t = makeTmpDir('geodvc-exp-save-');
  try {
    const dir = t.dir;
    gitInit(dir);
    await cliOk(['init', '-q'], { cwd: dir });
    writeTree(dir, {
      'params.yaml': 'tile_size: 512\nlr: 0.1\n',
      'labels.csv': 'id,class\n1,water\n',
      'train.sh': 'printf \'{"acc": 0.5}\\n\' > metrics.json\necho "$1" > model.txt\n',
      'dvc.yaml': 'stages:\n  train:\n    cmd: sh train.sh ${tile_size}\n    deps:\n    - train.sh\n    params:\n    - tile_size\n    - lr\n    outs:\n    - model.txt\n    metrics:\n    - metrics.json:\n        cache: false\n',
    });
    await cliOk(['add', 'labels.csv'], { cwd: dir });
    await cliOk(['repro'], { cwd: dir });
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'base');
    const head = git(dir, 'rev-parse', 'HEAD').trim();
    const dvcBefore = readFileSync(join(dir, 'labels.csv.dvc'), 'utf8');

    // by hand, no pipeline run
    writeFileSync(join(dir, 'params.yaml'), 'tile_size: 256\nlr: 0.01\n');
    writeFileSync(join(dir, 'metrics.json'), '{"acc": 0.75}\n');
    writeFileSync(join(dir, 'labels.csv'), 'id,class\n1,water\n2,forest\n');
    writeFileSync(join(dir, 'notes.txt'), 'scratch\n');

    const saved = await cliOk(['exp', 'save', '-n', 'mine'], { cwd: dir });
    assert.equal(saved.stdout.trim(), 'Experiment has been saved as: mine');
    // untracked files are left out unless -I names them, with DVC's warning
    assert.match(saved.stderr, /untracked files were present in the workspace before saving but will not be included in the experiment commit:\n\tnotes\.txt/);
    const ref = `refs/exps/${head.slice(0, 2)}/${head.slice(2)}/mine`;
    const rev = git(dir, 'rev-parse', ref).trim();
    assert.equal(git(dir, 'rev-parse', `${rev}^`).trim(), head, 'the experiment hangs off HEAD');
    assert.equal(git(dir, 'rev-parse', 'HEAD').trim(), head, 'HEAD is not moved');
    assert.equal(git(dir, 'show', `${rev}:params.yaml`), 'tile_size: 256\nlr: 0.01\n');
    assert.equal(git(dir, 'show', `${rev}:metrics.json`), '{"acc": 0.75}\n');
    assert.equal(git(dir, 'ls-tree', '--name-only', rev, 'notes.txt'), '');
    // stages committed as `commit -f` does: dvc.lock records the hand-set params and the new metrics
    const lock = git(dir, 'show', `${rev}:dvc.lock`);
    assert.match(lock, /params:\n      params\.yaml:\n        lr: 0\.01\n        tile_size: 256\n/);
    const metricsMd5 = createHash('md5').update('{"acc": 0.75}\n').digest('hex');
    assert.match(lock, new RegExp(`path: metrics\\.json\\n      hash: md5\\n      md5: ${metricsMd5}`));
    assert.equal(readFileSync(join(dir, 'dvc.lock'), 'utf8'), lock, 'the workspace dvc.lock is the saved one');
    assert.equal((await runCli(['status', '--json'], { cwd: dir })).stdout.trim(), '{}', 'nothing left to commit');
    // tracked data was committed to the cache and its .dvc file recorded in the experiment
    const dvcSaved = git(dir, 'show', `${rev}:labels.csv.dvc`);
    assert.notEqual(dvcSaved, dvcBefore);
    const md5 = /md5: ([0-9a-f]{32})/.exec(dvcSaved)?.[1];
    assert.ok(md5, 'the saved .dvc file has an md5');
    assert.ok(existsSync(join(dir, '.dvc', 'cache', 'files', 'md5', md5.slice(0, 2), md5.slice(2))), 'new data is in the cache');

    const names = await cliOk(['exp', 'list', '--name-only'], { cwd: dir });
    assert.deepEqual(names.stdout.trim().split('\n'), ['mine']);
    const show = JSON.parse((await cliOk(['exp', 'show', '--json'], { cwd: dir })).stdout);
    const base = show.find((r: { rev: string }) => r.rev === head);
    const exp = base.experiments.find((e: { name: string }) => e.name === 'mine');
    assert.equal(exp.revs[0].rev, rev);
    assert.deepEqual(exp.revs[0].data.params['params.yaml'].data, { tile_size: 256, lr: 0.01 });
    assert.deepEqual(exp.revs[0].data.metrics['metrics.json'].data, { acc: 0.75 });

    // back to HEAD, then apply restores the saved params
    git(dir, 'reset', '-q', '--hard', 'HEAD');
    assert.equal(readFileSync(join(dir, 'params.yaml'), 'utf8'), 'tile_size: 512\nlr: 0.1\n');
    await cliOk(['exp', 'apply', 'mine'], { cwd: dir });
    assert.equal(readFileSync(join(dir, 'params.yaml'), 'utf8'), 'tile_size: 256\nlr: 0.01\n');
    assert.equal(readFileSync(join(dir, 'labels.csv'), 'utf8'), 'id,class\n1,water\n2,forest\n');

    // the same name again: an error with a hint; -f replaces it
    writeFileSync(join(dir, 'params.yaml'), 'tile_size: 128\nlr: 0.01\n');
    const again = await runCli(['exp', 'save', '-n', 'mine'], { cwd: dir });
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /experiment 'mine' already exists/);
    assert.match(again.stderr, /hint: .*--force/);
    assert.equal(git(dir, 'rev-parse', ref).trim(), rev, 'the failed save left the experiment alone');
    const forced = JSON.parse((await cliOk(['exp', 'save', '-n', 'mine', '-f', '--json'], { cwd: dir })).stdout);
    assert.equal(forced.name, 'mine');
    assert.equal(forced.ref, ref);
    assert.notEqual(forced.rev, rev);
    assert.equal(git(dir, 'rev-parse', ref).trim(), forced.rev);
    assert.equal(git(dir, 'show', `${forced.rev}:params.yaml`), 'tile_size: 128\nlr: 0.01\n');

    // without -n: a generated name, listed next to mine; -I includes an untracked file, -m sets the message
    writeFileSync(join(dir, 'notes.txt'), 'scratch\n');
    const auto = await cliOk(['exp', 'save', '-I', 'notes.txt', '-m', 'by hand'], { cwd: dir });
    const gen = /^Experiment has been saved as: (\S+)$/.exec(auto.stdout.trim())![1];
    assert.doesNotMatch(auto.stderr, /untracked/);
    const genRev = git(dir, 'rev-parse', `refs/exps/${head.slice(0, 2)}/${head.slice(2)}/${gen}`).trim();
    assert.equal(git(dir, 'show', `${genRev}:notes.txt`), 'scratch\n');
    assert.equal(git(dir, 'log', '-1', '--format=%s', genRev).trim(), 'by hand');
    assert.deepEqual((await cliOk(['exp', 'list', '--name-only'], { cwd: dir })).stdout.trim().split('\n').sort(), [gen, 'mine'].sort());
  } finally { t.cleanup(); }
});
