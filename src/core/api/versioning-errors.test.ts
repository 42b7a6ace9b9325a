/**
 * Bad input for add/status/checkout (issue 2 §4): each is refused with a clear AppError and a hint,
 * and leaves the workspace and the cache as they were.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join, relative } from 'node:path';
import { makeTmpDir, writeTree, gitInit, git } from '../../../test/helpers/tmp.js';
import { initRepo } from '../repo/init.js';
import { add } from './add.js';
import { status } from './status.js';
import { checkout } from './checkout.js';
import { AppError } from '../../lib/errors.js';

function listAll(root: string): string[] {
  const out: string[] = [];
  const rec = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.name === '.git' || e.name === 'tmp') continue;
      if (e.isDirectory()) rec(p);
      else out.push(`${relative(root, p)}:${e.isSymbolicLink() ? 'link' : createHash('md5').update(readFileSync(p)).digest('hex')}`);
    }
  };
  rec(root);
  return out.sort();
}

async function rejects(fn: () => Promise<unknown>, code: RegExp | string, root: string): Promise<AppError> {
  const before = listAll(root);
  let caught: unknown;
  try { await fn(); } catch (err) { caught = err; }
  assert.ok(caught instanceof AppError, `expected an AppError, got ${String(caught)}`);
  if (typeof code === 'string') assert.equal(caught.code, code, caught.message);
  else assert.match(caught.code, code);
  assert.ok(caught.hint && caught.hint.length > 5, `error ${caught.code} has a hint`);
  assert.ok(caught.exitCode !== 0);
  assert.deepEqual(listAll(root), before, 'workspace and cache unchanged');
  return caught;
}

function repo() {
  const t = makeTmpDir('geodvc-bad-');
  gitInit(t.dir);
  initRepo(t.dir);
  return t;
}

test('add refuses: not a repo, outside, .dvc file, git-tracked, inside/containing a tracked dir, symlink out, ignored', async () => {
  const outside = makeTmpDir('geodvc-outside-');
  const { dir, cleanup } = repo();
  try {
    writeFileSync(join(outside.dir, 'x'), 'x');
    await assert.rejects(add({ cwd: outside.dir, targets: ['x'] }), (e: AppError) => e.code === 'not-a-repo' && e.exitCode === 253);
    await rejects(() => add({ cwd: dir, targets: [join(outside.dir, 'x')] }), 'path-outside-repo', dir);
    await rejects(() => add({ cwd: dir, targets: ['missing.tif'] }), 'not-found', dir);
    writeTree(dir, { 'code.py': 'print(1)', 'data/a/1.tif': '1', 'data/a/2.tif': '2', 'other/b.tif': 'b', 'ign/c.tif': 'c' });
    git(dir, 'add', 'code.py');
    await rejects(() => add({ cwd: dir, targets: ['code.py'] }), 'tracked-by-git', dir);
    // several targets: git is asked once for all of them; the tracked one is named, nothing is written
    const several = await rejects(() => add({ cwd: dir, targets: ['other/b.tif', 'code.py', 'ign/c.tif'] }), 'tracked-by-git', dir);
    assert.match(several.message, /'code\.py' is tracked by git/);
    await add({ cwd: dir, targets: ['data/a'] });
    await rejects(() => add({ cwd: dir, targets: ['data/a/1.tif'] }), 'already-tracked', dir);
    await rejects(() => add({ cwd: dir, targets: ['data'] }), 'already-tracked', dir);
    await rejects(() => add({ cwd: dir, targets: ['data/a.dvc'] }), 'bad-target', dir);
    await rejects(() => add({ cwd: dir, targets: ['.dvc/config'] }), 'bad-target', dir);
    symlinkSync(join(outside.dir, 'x'), join(dir, 'other', 'link.tif'));
    await rejects(() => add({ cwd: dir, targets: ['other/link.tif'] }), 'symlink-outside-repo', dir);
    await rejects(() => add({ cwd: dir, targets: ['other'] }), 'symlink-outside-repo', dir);
    writeFileSync(join(dir, '.dvcignore'), 'ign/\n');
    await rejects(() => add({ cwd: dir, targets: ['ign/c.tif'] }), 'ignored', dir);
  } finally { cleanup(); outside.cleanup(); }
});

test('a failure in the middle of add (cache path blocked) writes no .dvc and leaves no temp or partial objects', async () => {
  const { dir, cleanup } = repo();
  try {
    const files: Record<string, string> = {};
    for (let i = 0; i < 300; i++) files[`tiles/t${i}.tif`] = `tile ${i}`;
    writeTree(dir, files);
    // 'tile 7' hashes under a prefix we block by putting a regular file where its directory goes.
    const blocked = createHash('md5').update('tile 7').digest('hex').slice(0, 2);
    mkdirSync(join(dir, '.dvc/cache/files/md5'), { recursive: true });
    writeFileSync(join(dir, '.dvc/cache/files/md5', blocked), 'not a directory');
    const before = listAll(join(dir, 'tiles'));
    await assert.rejects(add({ cwd: dir, targets: ['tiles'] }), (e: AppError) => e instanceof AppError && /could not be processed/.test(e.message) && !!e.hint);
    assert.equal(existsSync(join(dir, 'tiles.dvc')), false);
    assert.equal(existsSync(join(dir, '.gitignore')), false);
    assert.deepEqual(listAll(join(dir, 'tiles')), before);
    // every object present is complete and correctly named, no temp files
    for (const f of listAll(join(dir, '.dvc/cache/files/md5'))) {
      const [rel, md5] = f.split(':');
      if (rel === blocked) continue;
      assert.ok(!rel!.includes('.geodvc-tmp-'), rel);
      assert.equal(rel!.replace('/', ''), md5);
    }
    rmSync(join(dir, '.dvc/cache/files/md5', blocked));
    await add({ cwd: dir, targets: ['tiles'] });
    assert.deepEqual((await status({ cwd: dir }) as { json: unknown }).json, {});
  } finally { cleanup(); }
});

test('corrupted .dvc and hostile .dir manifests are refused; nothing is written outside the output', async () => {
  const { dir, cleanup } = repo();
  try {
    writeTree(dir, { 'bad.tif.dvc': 'outs:\n- md5: [1, 2\n', 'bad.tif': 'x' });
    await rejects(() => status({ cwd: dir }), 'invalid-file', dir);
    rmSync(join(dir, 'bad.tif.dvc'));
    writeTree(dir, { 'bad.tif.dvc': 'outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  path: ../../etc/passwd\n' });
    await rejects(() => checkout({ cwd: dir }), 'invalid-file', dir);
    rmSync(join(dir, 'bad.tif.dvc'));
    // A manifest whose hash is right but which points outside the output.
    const manifest = '[{"md5": "acbd18db4cc2f85cedef654fccc4a4d8", "relpath": "../escaped"}]';
    const oid = createHash('md5').update(manifest).digest('hex');
    const objDir = join(dir, '.dvc/cache/files/md5', oid.slice(0, 2));
    mkdirSync(objDir, { recursive: true });
    writeFileSync(join(objDir, oid.slice(2) + '.dir'), manifest);
    chmodSync(join(objDir, oid.slice(2) + '.dir'), 0o444);
    mkdirSync(join(objDir, '..', 'ac'), { recursive: true });
    writeFileSync(join(objDir, '..', 'ac', 'bd18db4cc2f85cedef654fccc4a4d8'), 'foo');
    writeFileSync(join(dir, 'evil.dvc'), `outs:\n- md5: ${oid}.dir\n  size: 3\n  nfiles: 1\n  hash: md5\n  path: evil\n`);
    const err = await rejects(() => checkout({ cwd: dir }), 'invalid-file', dir);
    assert.match(err.message, /\.\./);
    assert.equal(existsSync(join(dir, 'escaped')), false);
    // A manifest corrupted in the cache (content no longer matches its name).
    chmodSync(join(objDir, oid.slice(2) + '.dir'), 0o644);
    writeFileSync(join(objDir, oid.slice(2) + '.dir'), '[{"md5": "acbd18db4cc2f85cedef654fccc4a4d8", "relpath": "ok"}]');
    chmodSync(join(objDir, oid.slice(2) + '.dir'), 0o444);
    await rejects(() => checkout({ cwd: dir }), 'invalid-file', dir);
  } finally { cleanup(); }
});

test('checkout refuses to clobber unsaved changes unless forced', async () => {
  const { dir, cleanup } = repo();
  try {
    writeTree(dir, { 'd/a.tif': 'a', 'd/b.tif': 'b' });
    await add({ cwd: dir, targets: ['d'] });
    writeFileSync(join(dir, 'd/a.tif'), 'precious edit');
    writeFileSync(join(dir, 'd/new.tif'), 'new unsaved file');
    const err = await rejects(() => checkout({ cwd: dir }), 'unsaved-changes', dir);
    assert.deepEqual((err.details as { unsaved: string[] }).unsaved.sort(), ['d/a.tif', 'd/new.tif']);
    const res = await checkout({ cwd: dir, force: true });
    assert.deepEqual(res.modified, ['d/a.tif']);
    assert.deepEqual(res.deleted, ['d/new.tif']);
    assert.equal(readFileSync(join(dir, 'd/a.tif'), 'utf8'), 'a');
  } finally { cleanup(); }
});
