import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalBackend } from '../../storage/backends/local.js';
import type { Backend } from '../../storage/backend.js';
import { StorageError } from '../../storage/errors.js';
import { chooseStrategy, remoteHas, prefixOf, commonParent } from './exists.js';

/** Counts the calls a strategy makes. */
function counting(b: Backend): Backend & { stats: number; lists: number } {
  const c = { stats: 0, lists: 0 } as { stats: number; lists: number };
  return Object.assign(Object.create(b), c, {
    stat(this: typeof c, k: string) { this.stats++; return b.stat(k); },
    list(this: typeof c, p: string) { this.lists++; return b.list(p); },
  });
}

test('existence: HEADs for few keys, prefix listings for many keys over few prefixes; same answer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-exists-'));
  try {
    const b = new LocalBackend(dir);
    const keys = Array.from({ length: 400 }, (_, i) => `files/md5/${(i % 8).toString(16).padStart(2, '0')}/${String(i).padStart(30, '0')}`);
    for (const k of keys.filter((_, i) => i % 3 === 0)) await b.put(k, { data: Buffer.from(k) });
    assert.equal(prefixOf('files/md5/ab/cd'), 'files/md5/ab/');
    assert.equal(chooseStrategy(b, keys.slice(0, 10)), 'stat');
    assert.equal(chooseStrategy(b, keys), 'list');
    const viaList = counting(b);
    const a = await remoteHas(viaList, keys);
    assert.equal(viaList.lists, 8);
    assert.equal(viaList.stats, 0);
    const viaStat = counting(b);
    const s = await remoteHas(viaStat, keys, { strategy: 'stat' });
    assert.equal(viaStat.stats, 400);
    assert.deepEqual([...a].sort(), [...s].sort());
    assert.equal(a.size, Math.ceil(400 / 3));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('existence with expected sizes: a truncated remote object counts as absent', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-exists-'));
  try {
    const b = new LocalBackend(dir);
    await b.put('files/md5/aa/whole', { data: Buffer.from('12345') });
    await b.put('files/md5/aa/cut', { data: Buffer.alloc(0) });
    const sizes = new Map([['files/md5/aa/whole', 5], ['files/md5/aa/cut', 5]]);
    const s = await remoteHas(b, [...sizes.keys()], { strategy: 'stat', sizes });
    assert.deepEqual([...s], ['files/md5/aa/whole']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('existence over many prefixes: one flat listing of the parent while the remote is small, per-prefix listings when it is big', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-exists-'));
  try {
    const b = new LocalBackend(dir);
    assert.equal(commonParent(['files/md5/ab/', 'files/md5/cd/']), 'files/md5/');
    assert.equal(commonParent(['files/md5/ab/', 'c3/']), '');
    const keys = Array.from({ length: 400 }, (_, i) => `files/md5/${(i % 32).toString(16).padStart(2, '0')}/${String(i).padStart(30, '0')}`);
    for (const k of keys.filter((_, i) => i % 3 === 0)) await b.put(k, { data: Buffer.from(k) });
    const flat = counting(b);
    const a = await remoteHas(flat, keys);
    assert.equal(flat.lists, 1, 'one listing of files/md5/');
    const per = counting(b);
    const p = await remoteHas(per, keys, { noFlat: true });
    assert.equal(per.lists, 32);
    const s = await remoteHas(b, keys, { strategy: 'stat' });
    assert.deepEqual([...a].sort(), [...s].sort());
    assert.deepEqual([...p].sort(), [...s].sort());
    // a remote with more keys under the parent than the flat attempt reads: it gives up and lists each prefix
    for (let i = 0; i < 2100; i++) await b.put(`files/md5/ff/${String(i).padStart(30, '0')}`, { data: Buffer.from('x') });
    const big = counting(b);
    const c = await remoteHas(big, keys);
    assert.equal(big.lists, 1 + 32);
    assert.deepEqual([...c].sort(), [...s].sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('existence when the server fails: a listing that errors falls back to HEADs; a key whose HEAD errors is absent only when asked (push)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-exists-'));
  try {
    const b = new LocalBackend(dir);
    const keys = Array.from({ length: 64 }, (_, i) => `files/md5/${(i % 4).toString(16).padStart(2, '0')}/${String(i).padStart(30, '0')}`);
    for (const k of keys.filter((_, i) => i % 2 === 0)) await b.put(k, { data: Buffer.from(k) });
    const broken = keys[0]!;
    let stats = 0;
    const faulty: Backend = Object.assign(Object.create(b), {
      // eslint-disable-next-line require-yield
      async *list() { throw new StorageError('transient', 'remote answered HTTP 500 for the bucket'); },
      async stat(k: string) { stats++; if (k === broken) throw new StorageError('transient', 'HTTP 500'); return b.stat(k); },
    });
    assert.equal(chooseStrategy(faulty, keys), 'list');
    // status-like callers: the broken key's error surfaces
    await assert.rejects(remoteHas(faulty, keys), /HTTP 500/);
    // push: the broken key counts as absent (it is sent again), every other answer is right
    stats = 0;
    const got = await remoteHas(faulty, keys, { faultyAsAbsent: true });
    assert.equal(stats, 64, 'one HEAD per key after the listing failed');
    assert.deepEqual([...got].sort(), keys.filter((k, i) => i % 2 === 0 && k !== broken).sort());
    // errors that concern the whole remote are not papered over
    const denied: Backend = Object.assign(Object.create(b), {
      // eslint-disable-next-line require-yield
      async *list() { throw new StorageError('access-denied', 'denied'); },
    });
    await assert.rejects(remoteHas(denied, keys, { faultyAsAbsent: true }), /denied/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
