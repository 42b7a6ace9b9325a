/**
 * The no-op status fast paths (remembered `.dir` oid, column-wise dir index, cache-presence memo)
 * must never hide a change: every kind of edit after a clean status is still reported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readdirSync, renameSync, rmSync, unlinkSync, writeFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir, gitInit } from '../../../test/helpers/tmp.js';
import { initRepo } from '../repo/init.js';
import { add } from '../api/add.js';
import { status, type StatusResult } from '../api/status.js';
import { setMetaExtractor } from '../api/meta-hook.js';

const N = 2100; // above the 2,000 entries where status checks the cache by listing it

async function st(dir: string): Promise<Record<string, unknown>> {
  return ((await status({ cwd: dir })) as StatusResult).json;
}

test('status memo: clean twice, then each edit is reported (modify, add, delete, rename, touch, cache loss)', async () => {
  const { dir, cleanup } = makeTmpDir('geodvc-stmemo-');
  setMetaExtractor(null);
  try {
    gitInit(dir);
    initRepo(dir);
    for (let d = 0; d < 3; d++) {
      const sub = join(dir, 'data', `d${d}`);
      (await import('node:fs')).mkdirSync(sub, { recursive: true });
      for (let i = 0; i < N / 3; i++) writeFileSync(join(sub, `f${i}.txt`), `file ${d}/${i}\n`);
    }
    await add({ cwd: dir, targets: ['data'] });
    assert.deepEqual(await st(dir), {});
    assert.deepEqual(await st(dir), {}); // second run: served by the memos
    const changed = (s: Record<string, unknown>) => JSON.stringify(s);

    writeFileSync(join(dir, 'data/d1/f5.txt'), 'edited\n');
    assert.match(changed(await st(dir)), /"data":"modified"/);
    writeFileSync(join(dir, 'data/d1/f5.txt'), 'file 1/5\n'); // same bytes again: clean
    assert.deepEqual(await st(dir), {});

    writeFileSync(join(dir, 'data/d0/new.txt'), 'new\n');
    assert.match(changed(await st(dir)), /"data":"modified"/);
    unlinkSync(join(dir, 'data/d0/new.txt'));
    assert.deepEqual(await st(dir), {});

    renameSync(join(dir, 'data/d2/f7.txt'), join(dir, 'data/d2/f7-renamed.txt'));
    assert.match(changed(await st(dir)), /"data":"modified"/);
    renameSync(join(dir, 'data/d2/f7-renamed.txt'), join(dir, 'data/d2/f7.txt'));
    assert.deepEqual(await st(dir), {});

    // a touch (mtime only) re-hashes and stays clean
    utimesSync(join(dir, 'data/d0/f1.txt'), new Date(), new Date(Date.now() + 5000));
    assert.deepEqual(await st(dir), {});

    // an object removed from the cache behind status's back
    const base = join(dir, '.dvc/cache/files/md5');
    const pre = readdirSync(base).find((p) => p.length === 2 && readdirSync(join(base, p)).some((n) => !n.endsWith('.dir')))!;
    const victim = readdirSync(join(base, pre)).find((n) => !n.endsWith('.dir'))!;
    chmodSync(join(base, pre), 0o755);
    rmSync(join(base, pre, victim), { force: true });
    assert.deepEqual(await st(dir), { 'data.dvc': [{ 'changed outs': { data: 'not in cache' } }] });
    // removing the file removes it from the workspace too -> deleted file: modified
    unlinkSync(join(dir, 'data/d1/f9.txt'));
    assert.match(changed(await st(dir)), /"data":"modified"/);
  } finally { cleanup(); }
});

test('status memo works for every algorithm (sha256 oids are 64 hex digits)', async () => {
  const { dir, cleanup } = makeTmpDir('geodvc-stmemo-sha-');
  setMetaExtractor(null);
  try {
    gitInit(dir);
    initRepo(dir);
    (await import('../repo/config.js')).setConfigValue(dir, 'repo', 'core.checksum', 'sha256');
    const sub = join(dir, 'data');
    (await import('node:fs')).mkdirSync(sub, { recursive: true });
    for (let i = 0; i < N; i++) writeFileSync(join(sub, `f${i}.txt`), `file ${i}\n`);
    await add({ cwd: dir, targets: ['data'] });
    assert.deepEqual(await st(dir), {});
    assert.deepEqual(await st(dir), {});
  } finally { cleanup(); }
});
