import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from '../test/helpers/cli.js';
import { join } from 'node:path';
import { makeTmpDir, gitInit, writeTree, git } from '../test/helpers/tmp.js';
import { init, add, status, push, pull, fetch, gc, fsck, commit, checkout, repro, geo, open, errors } from './index.js';

test('library: the versioning round trip through the typed entry point, with the errors it throws', async () => {
  const { dir, cleanup } = makeTmpDir();
  try {
    gitInit(dir);
    const made = init({ cwd: dir });
    assert.ok(made.files.some((f) => f.endsWith('config')), made.files.join(' '));
    writeTree(dir, { 'data/a.txt': 'one\n', 'data/b.txt': 'two\n' });
    const added = await add({ cwd: dir, targets: ['data'] });
    assert.equal(added.outputs.length, 1);
    assert.equal(added.outputs[0]!.nfiles, 2);
    assert.ok(existsSync(join(dir, 'data.dvc')));
    assert.equal((await status({ cwd: dir })).clean, true);
    writeFileSync(join(dir, '.dvc', 'config'), `${readFileSync(join(dir, '.dvc', 'config'), 'utf8')}[core]\n    remote = store\n['remote "store"']\n    url = ${join(dir, '..', `${dir.split('/').pop()}-remote`)}\n`);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'data');
    const pushed = await push({ cwd: dir });
    assert.equal(pushed.failed, 0);
    assert.equal(pushed.pushed, 3, 'two files and the .dir manifest');
    rmSync(join(dir, '.dvc', 'cache'), { recursive: true, force: true });
    rmSync(join(dir, 'data'), { recursive: true, force: true });
    const s = await status({ cwd: dir });
    assert.equal(s.clean, false);
    assert.deepEqual(Object.keys(s.json), ['data.dvc']);
    const pulled = await pull({ cwd: dir });
    assert.deepEqual(pulled.failed, []);
    assert.equal(readFileSync(join(dir, 'data', 'b.txt'), 'utf8'), 'two\n');
    assert.deepEqual((await fetch({ cwd: dir })).failed, []);
    const checked = await fsck({ cwd: dir });
    assert.deepEqual(checked.problems, []);
    const swept = await gc({ cwd: dir, dry: true });
    assert.deepEqual(swept.removed, [], 'everything in the cache is used by the workspace');
    await assert.rejects(status({ cwd: '/' }), (e: unknown) => e instanceof errors.NotARepoError && e.exitCode === 253 && !!e.hint);
    await assert.rejects(push({ cwd: dir, jobs: 0 }), (e: unknown) => e instanceof errors.UsageError && e.exitCode === 254);
  } finally {
    rmSync(join(dir, '..', `${dir.split('/').pop()}-remote`), { recursive: true, force: true });
    cleanup();
  }
});

test('library: every operation of the door is exported as a function', () => {
  for (const f of [init, add, status, push, pull, fetch, gc, fsck, commit, checkout, repro, open, geo.info, geo.validate, geo.check, geo.stac, geo.chip, geo.reproject]) {
    assert.equal(typeof f, 'function');
  }
  assert.ok(new errors.MissingDependencyError('s3', { feature: 's3:// remotes', packages: ['@aws-sdk/client-s3'] }) instanceof errors.AppError);
});

test('library: examples/library.mjs (docs/api.md) runs against the built package, imported by its name', async () => {
  const { dir, cleanup } = makeTmpDir();
  const remote = `${dir}-remote`;
  try {
    gitInit(dir);
    init({ cwd: dir });
    writeTree(dir, { 'data/a.txt': 'band 1\n', 'data/b.txt': 'band 2\n' });
    writeFileSync(join(dir, '.dvc', 'config'), `${readFileSync(join(dir, '.dvc', 'config'), 'utf8')}[core]\n    remote = store\n['remote "store"']\n    url = ${remote}\n`);
    await add({ cwd: dir, targets: ['data'] });
    // `import … from 'geodvc'` inside this package resolves through its own exports map to dist/
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'examples', 'library.mjs'), dir], { cwd: REPO_ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^added data: 3 files, md5 [0-9a-f]{32}\.dir$/m);
    assert.match(r.stdout, /^pushed 4 objects/m);
    assert.match(r.stdout, /^expected error: not-a-repo \(exit 253\)/m);
    assert.ok(existsSync(join(dir, 'data.dvc')));
  } finally {
    rmSync(remote, { recursive: true, force: true });
    cleanup();
  }
});
