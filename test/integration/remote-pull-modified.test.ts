/**
 * `pull` replaces a workspace file whose content differs from the recorded version once that
 * version is in the cache (DVC's pull = fetch + checkout), refuses to drop unsaved content without
 * `force`, and keeps partial-checkout semantics for targets inside a directory (`pull --bbox`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { gitInit } from '../helpers/tmp.js';
import { initRepo } from '../../src/core/repo/init.js';
import { add } from '../../src/core/api/add.js';
import { push } from '../../src/core/api/push.js';
import { pull } from '../../src/core/api/pull.js';
import { AppError } from '../../src/lib/errors.js';
import { setRemote } from './storage-repo.js';

const read = (p: string) => readFileSync(p, 'utf8');
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

test('pull replaces modified workspace files with the recorded version, keeps unsaved data unless forced, and honours targets inside a directory', { timeout: 120_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'geodvc-pullmod-'));
  try {
    const root = join(tmp, 'repo');
    mkdirSync(join(root, 'data', 'tiles'), { recursive: true });
    gitInit(root);
    initRepo(root);
    setRemote(root, 'store', join(tmp, 'remote'), {}, { isDefault: true });
    writeFileSync(join(root, 'data', 'a.txt'), 'A v1\n');
    for (const n of ['x', 'y', 'z']) writeFileSync(join(root, 'data', 'tiles', n), `${n} v1\n`);
    await add({ cwd: root, targets: [join(root, 'data', 'a.txt'), join(root, 'data', 'tiles')] });
    const v1 = { a: read(join(root, 'data', 'a.txt.dvc')), tiles: read(join(root, 'data', 'tiles.dvc')) };
    const p = await push({ cwd: root });
    assert.equal(p.failed, 0);
    assert.equal(p.pushed, 5, 'a.txt, 3 tiles and the .dir');

    // 1. the workspace moved on to v2 (saved in the cache), the .dvc files go back to v1 (as after
    //    `git checkout` of an older commit): pull must put v1 back, with nothing to ask.
    writeFileSync(join(root, 'data', 'a.txt'), 'A v2\n');
    writeFileSync(join(root, 'data', 'tiles', 'x'), 'x v2\n');
    writeFileSync(join(root, 'data', 'tiles', 'y'), 'y v2\n');
    await add({ cwd: root, targets: [join(root, 'data', 'a.txt'), join(root, 'data', 'tiles')] });
    writeFileSync(join(root, 'data', 'a.txt.dvc'), v1.a);
    writeFileSync(join(root, 'data', 'tiles.dvc'), v1.tiles);
    // the v1 objects that changed are only on the remote (as on another machine): drop them here
    const v1dir = /md5: ([0-9a-f]{32}\.dir)/.exec(v1.tiles)![1]!;
    for (const oid of [md5('A v1\n'), md5('x v1\n'), md5('y v1\n'), v1dir]) rmSync(join(root, '.dvc', 'cache', 'files', 'md5', oid.slice(0, 2), oid.slice(2)), { force: false });

    // a target inside the directory (what `pull --bbox` passes): only tiles/x is checked out
    let r = await pull({ cwd: root, targets: ['data/tiles/x'] });
    assert.deepEqual(r.failed, []);
    assert.equal(r.fetched, 2, 'the v1 manifest (to learn the entries) and the v1 object of tiles/x, not the other tiles');
    assert.deepEqual(r.modified, ['data/tiles/x']);
    assert.equal(read(join(root, 'data', 'tiles', 'x')), 'x v1\n');
    assert.equal(read(join(root, 'data', 'tiles', 'y')), 'y v2\n', 'not selected: left alone');
    assert.equal(read(join(root, 'data', 'a.txt')), 'A v2\n', 'not selected: left alone');

    // the whole repo: every changed file goes back to v1
    r = await pull({ cwd: root });
    assert.deepEqual(r.failed, []);
    assert.deepEqual([...r.modified].sort(), ['data/a.txt', 'data/tiles/y']);
    assert.equal(read(join(root, 'data', 'a.txt')), 'A v1\n');
    for (const n of ['x', 'y', 'z']) assert.equal(read(join(root, 'data', 'tiles', n)), `${n} v1\n`);
    assert.equal(r.skippedExisting, 2, 'tiles/x and tiles/z already matched');
    r = await pull({ cwd: root });
    assert.equal(r.fetched, 0);
    assert.deepEqual([r.added, r.modified], [[], []], 'a second pull changes nothing');

    // 2. an edit that is in no cache ("unsaved"): pull fetches, then refuses to overwrite it and
    //    says how; the edit is still there. With force it is replaced.
    writeFileSync(join(root, 'data', 'tiles', 'z'), 'z edited, never added\n');
    rmSync(join(root, 'data', 'a.txt'));
    rmSync(join(root, '.dvc', 'cache'), { recursive: true, force: true });
    await assert.rejects(pull({ cwd: root }), (e: unknown) => e instanceof AppError && e.code === 'unsaved-changes' && /data\/tiles\/z/.test(e.message) && !!e.hint);
    assert.equal(read(join(root, 'data', 'tiles', 'z')), 'z edited, never added\n', 'no data lost');
    r = await pull({ cwd: root, force: true });
    assert.equal(r.fetched, 0, 'the first attempt already fetched everything');
    assert.deepEqual(r.modified, ['data/tiles/z']);
    assert.deepEqual(r.added, ['data/a.txt']);
    assert.equal(read(join(root, 'data', 'tiles', 'z')), 'z v1\n');
    assert.equal(read(join(root, 'data', 'a.txt')), 'A v1\n');
    assert.ok(!existsSync(join(root, 'data', 'tiles', 'z.tmp')));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
