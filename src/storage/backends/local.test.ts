import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalBackend } from './local.js';
import { StorageError } from '../errors.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'geodvc-local-'));

test('local putBuffer/readInto: writes len bytes atomically, read-only, no temp left; readInto reads back and reports a longer object', async () => {
  const dir = tmp();
  try {
    const b = new LocalBackend(dir);
    const buf = Buffer.from('0123456789abcdef');
    await b.putBuffer('chunked/data/xxh128/ab/cdef', buf, 10);
    const p = join(dir, 'chunked', 'data', 'xxh128', 'ab', 'cdef');
    assert.equal(readFileSync(p, 'utf8'), '0123456789');
    assert.equal(statSync(p).mode & 0o777, 0o444);
    assert.deepEqual(readdirSync(join(dir, 'chunked', 'data', 'xxh128', 'ab')), ['cdef']);
    // the same key again (a rerun) replaces it
    await b.putBuffer('chunked/data/xxh128/ab/cdef', Buffer.from('xyz'));
    assert.equal(readFileSync(p, 'utf8'), 'xyz');
    const out = Buffer.alloc(8);
    assert.equal(await b.readInto('chunked/data/xxh128/ab/cdef', out, 2), 2);
    assert.equal(out.subarray(0, 2).toString(), 'xy');
    assert.equal(await b.readInto('chunked/data/xxh128/ab/cdef', out), 3);
    assert.equal(out.subarray(0, 3).toString(), 'xyz');
    await assert.rejects(b.readInto('chunked/data/xxh128/ab/none', out), (e: unknown) => e instanceof StorageError && e.kind === 'object-missing');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('local hasSized: size must match; a directory the backend made answers from its own writes, others from the disk', async () => {
  const dir = tmp();
  try {
    // an existing directory with an object written by someone else (an earlier push)
    mkdirSync(join(dir, 'c', 'aa'), { recursive: true });
    writeFileSync(join(dir, 'c', 'aa', 'old'), 'four');
    const b = new LocalBackend(dir);
    assert.equal(b.hasSized('c/aa/old', 4), true);
    assert.equal(b.hasSized('c/aa/old', 5), false, 'a truncated or longer object counts as absent');
    assert.equal(b.hasSized('c/aa/none', 4), false);
    await b.putBuffer('c/aa/new', Buffer.from('abc'));
    assert.equal(b.hasSized('c/aa/new', 3), true);
    // a directory this backend created: its own writes only
    await b.putBuffer('c/bb/one', Buffer.from('1'));
    assert.equal(b.hasSized('c/bb/one', 1), true);
    assert.equal(b.hasSized('c/bb/two', 1), false);
    await b.put('c/bb/three', { data: Buffer.from('333') });
    assert.equal(b.hasSized('c/bb/three', 3), true, 'a blocking put counts too');
    // after a blocking put the directory is asked on disk: an object written from outside is seen
    writeFileSync(join(dir, 'c', 'bb', 'four'), '4444');
    assert.equal(b.hasSized('c/bb/four', 4), true);
    assert.equal(b.hasSized('c/bb/one', 1), true);
    // a new instance (a later run) asks the disk
    const b2 = new LocalBackend(dir);
    assert.equal(b2.hasSized('c/bb/one', 1), true);
    assert.equal(b2.hasSized('c/bb/one', 2), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('local putBuffer: a directory removed behind its back is made again; a read-only remote is access-denied', async () => {
  const dir = tmp();
  try {
    const b = new LocalBackend(join(dir, 'r'));
    await b.putBuffer('x/aa/1', Buffer.from('1'));
    rmSync(join(dir, 'r', 'x'), { recursive: true });
    await b.putBuffer('x/aa/2', Buffer.from('2'));
    assert.equal(readFileSync(join(dir, 'r', 'x', 'aa', '2'), 'utf8'), '2');
    assert.equal(b.hasSized('x/aa/1', 1), false, 'the wiped object is not taken as present');
    if (process.getuid?.() !== 0) {
      mkdirSync(join(dir, 'ro'));
      chmodSync(join(dir, 'ro'), 0o555);
      const ro = new LocalBackend(join(dir, 'ro'));
      await assert.rejects(ro.putBuffer('y/aa/1', Buffer.from('1')), (e: unknown) => e instanceof StorageError && e.kind === 'access-denied');
      chmodSync(join(dir, 'ro'), 0o755);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
