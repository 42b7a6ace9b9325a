/**
 * push/fetch/pull flags through the CLI on a local remote: targets (a .dvc file, a path inside a
 * tracked directory), -r, -j, --all-branches, --all-tags, --all-commits, --json.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { gitInit, git } from '../helpers/tmp.js';
import { listFiles } from './storage-repo.js';

test('push/fetch/pull: targets, -r, -j, -a, -T, -A and --json', { timeout: 300_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'geodvc-flags-'));
  try {
    const root = join(tmp, 'repo');
    mkdirSync(join(root, 'data', 'dir'), { recursive: true });
    gitInit(root);
    const cli = async (...args: string[]) => { const r = await runCli(args, { cwd: root }); assert.equal(r.code, 0, `${args.join(' ')}\n${r.stderr}`); return r; };
    await cli('init');
    writeFileSync(join(root, 'data', 'a.txt'), 'A v1');
    writeFileSync(join(root, 'data', 'dir', 'x'), 'x');
    writeFileSync(join(root, 'data', 'dir', 'y'), 'y');
    await cli('add', 'data/a.txt', 'data/dir');
    await cli('remote', 'add', '-d', 'main', join(tmp, 'remote-main'));
    await cli('remote', 'add', 'other', join(tmp, 'remote-other'));
    git(root, 'add', '-A'); git(root, 'commit', '-qm', 'v1'); git(root, 'tag', 'v1');
    git(root, 'checkout', '-qb', 'feature');
    writeFileSync(join(root, 'data', 'a.txt'), 'A on feature');
    await cli('add', 'data/a.txt');
    git(root, 'commit', '-qam', 'feature');
    git(root, 'checkout', '-q', 'main');
    writeFileSync(join(root, 'data', 'a.txt'), 'A v2');
    await cli('add', 'data/a.txt');
    git(root, 'commit', '-qam', 'v2');

    // a target: only that output's object
    let r = await cli('push', 'data/a.txt.dvc', '--json');
    assert.equal(JSON.parse(r.stdout).pushed, 1);
    // a path inside a tracked directory: that file (the .dir waits for all its entries)
    r = await cli('push', 'data/dir/x', '-j', '1', '--json');
    assert.equal(JSON.parse(r.stdout).pushed, 1);
    r = await cli('push', '-j', '1');
    assert.match(r.stdout, /2 files pushed/, 'y and the .dir manifest');
    // -r: the other remote gets the workspace's objects
    r = await cli('push', '-r', 'other');
    assert.match(r.stdout, /4 files pushed/);
    // --all-tags adds v1's a.txt, --all-branches the feature branch's, --all-commits both
    r = await cli('push', '-T');
    assert.match(r.stdout, /1 file pushed/);
    r = await cli('push', '-a');
    assert.match(r.stdout, /1 file pushed/);
    r = await cli('push', '-r', 'other', '-A');
    assert.match(r.stdout, /2 files pushed/);
    assert.equal(listFiles(join(tmp, 'remote-main')).length, 6);
    assert.deepEqual(listFiles(join(tmp, 'remote-main')), listFiles(join(tmp, 'remote-other')));

    // fetch -A into an empty cache: every version of every commit
    rmSync(join(root, '.dvc', 'cache'), { recursive: true, force: true });
    r = await cli('fetch', '-A', '-r', 'other', '--json');
    assert.equal(JSON.parse(r.stdout).fetched, 6);
    // pull of one target restores just that file
    rmSync(join(root, 'data', 'a.txt'));
    rmSync(join(root, 'data', 'dir'), { recursive: true });
    r = await cli('pull', 'data/a.txt');
    assert.equal(readFileSync(join(root, 'data', 'a.txt'), 'utf8'), 'A v2');
    assert.ok(!existsSync(join(root, 'data', 'dir')));
    r = await cli('pull');
    assert.equal(readFileSync(join(root, 'data', 'dir', 'y'), 'utf8'), 'y');
    // bad -j is a usage error
    const bad = await runCli(['push', '-j', '0'], { cwd: root });
    assert.equal(bad.code, 254);
    assert.match(bad.stderr, /jobs/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
