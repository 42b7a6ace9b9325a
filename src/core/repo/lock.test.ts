import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { makeTmpDir } from '../../../test/helpers/tmp.js';
import { acquireRepoLock, withRepoLock, LockError } from './lock.js';

test('readers share, a writer excludes, --wait-for-lock waits', async () => {
  const t = makeTmpDir();
  try {
    const repo = { tmpDir: join(t.dir, 'tmp') };
    const r1 = await acquireRepoLock(repo, { write: false });
    const r2 = await acquireRepoLock(repo, { write: false });
    await assert.rejects(acquireRepoLock(repo, { write: true, wait: false, cmd: 'geodvc gc' }), (e: unknown) => e instanceof LockError && /--wait-for-lock/.test(e.hint!));
    const order: string[] = [];
    const waiting = withRepoLock(repo, { write: true, wait: true }, () => { order.push('writer'); });
    setTimeout(() => { order.push('release'); r1.release(); r2.release(); }, 100);
    await waiting;
    assert.deepEqual(order, ['release', 'writer']);
    assert.deepEqual(readdirSync(join(repo.tmpDir, 'geodvc-lock')), []);
  } finally { t.cleanup(); }
});

test('a lock left by a killed process is stale and taken over', async () => {
  const t = makeTmpDir();
  try {
    const repo = { tmpDir: join(t.dir, 'tmp') };
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const pid = Number(dead.stdout);
    mkdirSync(join(repo.tmpDir, 'geodvc-lock'), { recursive: true });
    writeFileSync(join(repo.tmpDir, 'geodvc-lock', 'write'), JSON.stringify({ pid, host: (await import('node:os')).hostname() }));
    writeFileSync(join(repo.tmpDir, 'geodvc-lock', 'guard'), JSON.stringify({ pid, host: (await import('node:os')).hostname() }));
    const got = await withRepoLock(repo, { write: true }, () => 42);
    assert.equal(got, 42);
  } finally { t.cleanup(); }
});

test('an aborted wait rejects with InterruptedError', async () => {
  const t = makeTmpDir();
  try {
    const repo = { tmpDir: join(t.dir, 'tmp') };
    const w = await acquireRepoLock(repo, { write: true });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(acquireRepoLock(repo, { write: false, wait: true, signal: ac.signal }), /interrupted/);
    w.release();
  } finally { t.cleanup(); }
});

test('by default a busy lock is retried for a few seconds (like DVC), then fails', async () => {
  const t = makeTmpDir();
  try {
    const repo = { tmpDir: join(t.dir, 'tmp') };
    const w = await acquireRepoLock(repo, { write: true });
    setTimeout(() => w.release(), 300);
    const t0 = Date.now();
    await withRepoLock(repo, { write: true }, () => undefined);
    assert.ok(Date.now() - t0 >= 250);
    const w2 = await acquireRepoLock(repo, { write: true });
    await assert.rejects(acquireRepoLock(repo, { write: false, timeoutMs: 200 }), LockError);
    w2.release();
  } finally { t.cleanup(); }
});
