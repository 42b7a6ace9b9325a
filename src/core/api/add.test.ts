import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir, writeTree, gitInit } from '../../../test/helpers/tmp.js';
import { initRepo } from '../repo/init.js';
import { add } from './add.js';
import { status, type StatusResult } from './status.js';
import { commit } from './commit.js';
import { remove } from './remove.js';
import { move } from './move.js';
import { ls } from './ls.js';
import { setMetaExtractor } from './meta-hook.js';

function repo() {
  const t = makeTmpDir('geodvc-add-');
  gitInit(t.dir);
  initRepo(t.dir);
  return t;
}

test('add --glob, --no-commit then commit, -o/--out from outside the repo', async () => {
  const { dir, cleanup } = repo();
  const ext = makeTmpDir('geodvc-ext-');
  setMetaExtractor(null);
  try {
    writeTree(dir, { 'r/a.tif': 'A', 'r/b.tif': 'B', 'r/c.txt': 'C' });
    const g = await add({ cwd: dir, targets: ['r/*.tif'], glob: true });
    assert.deepEqual(g.outputs.map((o) => o.path), ['r/a.tif', 'r/b.tif']);
    assert.equal(readFileSync(join(dir, 'r/.gitignore'), 'utf8'), '/a.tif\n/b.tif\n');
    // several targets, one already ignored by git (a pattern in the root .gitignore): only the
    // others get an entry, as when each is added on its own
    writeTree(dir, { '.gitignore': '*.raw\n', 's/x.raw': 'X', 's/y.bin': 'Y', 's/z.bin': 'Z' });
    const sev = await add({ cwd: dir, targets: ['s/x.raw', 's/y.bin', 's/z.bin'] });
    assert.deepEqual(sev.outputs.map((o) => o.gitignore), [undefined, 's/.gitignore', 's/.gitignore']);
    assert.equal(readFileSync(join(dir, 's/.gitignore'), 'utf8'), '/y.bin\n/z.bin\n');

    const nc = await add({ cwd: dir, targets: ['r/c.txt'], noCommit: true });
    assert.equal(nc.outputs[0]!.linkType, 'none');
    assert.equal(existsSync(join(dir, '.dvc/cache/files/md5/0d/61f8370cad1d412f80b84d143e1257')), false);
    const st = await status({ cwd: dir }) as StatusResult;
    assert.deepEqual(st.json, { 'r/c.txt.dvc': [{ 'changed outs': { 'r/c.txt': 'not in cache' } }] });
    await commit({ cwd: dir, targets: ['r/c.txt'] });
    assert.equal(existsSync(join(dir, '.dvc/cache/files/md5/0d/61f8370cad1d412f80b84d143e1257')), true);
    assert.deepEqual((await status({ cwd: dir }) as StatusResult).json, {});

    writeTree(ext.dir, { 'scene/x.tif': 'X' });
    await add({ cwd: dir, targets: [join(ext.dir, 'scene')], out: 'imports/scene' });
    assert.equal(readFileSync(join(dir, 'imports/scene/x.tif'), 'utf8'), 'X');
    assert.match(readFileSync(join(dir, 'imports/scene.dvc'), 'utf8'), /nfiles: 1\n  hash: md5\n  path: scene\n$/);

    // move and remove keep .gitignore in step
    await move({ cwd: dir, src: 'r/a.tif', dst: 'r/renamed.tif' });
    assert.equal(readFileSync(join(dir, 'r/.gitignore'), 'utf8'), '/b.tif\n/c.txt\n/renamed.tif\n');
    assert.match(readFileSync(join(dir, 'r/renamed.tif.dvc'), 'utf8'), /path: renamed.tif\n$/);
    assert.equal(existsSync(join(dir, 'r/a.tif.dvc')), false);
    await remove({ cwd: dir, targets: ['r/b.tif.dvc'] });
    assert.equal(existsSync(join(dir, 'r/b.tif')), true);
    assert.equal(readFileSync(join(dir, 'r/.gitignore'), 'utf8'), '/c.txt\n/renamed.tif\n');
    const listing = await ls({ cwd: dir, path: 'r' });
    assert.deepEqual(listing.filter((e) => e.isout).map((e) => e.path), ['c.txt', 'renamed.tif']);

    // a changed file re-added keeps the user's comment
    writeFileSync(join(dir, 'r/c.txt.dvc'), '# keep me\n' + readFileSync(join(dir, 'r/c.txt.dvc'), 'utf8'));
    writeFileSync(join(dir, 'r/c.txt'), 'C2');
    await add({ cwd: dir, targets: ['r/c.txt'] });
    assert.match(readFileSync(join(dir, 'r/c.txt.dvc'), 'utf8'), /^# keep me\nouts:\n- md5: [0-9a-f]{32}\n  size: 2\n/);
  } finally { setMetaExtractor(undefined); cleanup(); ext.cleanup(); }
});

test('meta hook: the extractor result is written under meta: for new outputs', async () => {
  const { dir, cleanup } = repo();
  setMetaExtractor((p) => (p.endsWith('.tif') ? { crs: 'EPSG:4326' } : undefined));
  try {
    writeTree(dir, { 'a.tif': 'A' });
    await add({ cwd: dir, targets: ['a.tif'] });
    assert.equal(readFileSync(join(dir, 'a.tif.dvc'), 'utf8'), 'outs:\n- md5: 7fc56270e7a70fa81a5935b72eacbe29\n  size: 1\n  hash: md5\n  path: a.tif\n  meta:\n    crs: EPSG:4326\n');
  } finally { setMetaExtractor(null); cleanup(); }
});
