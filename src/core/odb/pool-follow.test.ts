import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashPool } from './pool.js';
import { hashBuffer, initHashers, type HashName } from './hash.js';

/** Writes `data` to `path` in parts of `part` bytes in a shuffled order, publishing the complete prefix as a download does. */
async function writeShuffled(path: string, data: Buffer, part: number, follow: SharedArrayBuffer): Promise<void> {
  const v = new BigInt64Array(follow);
  const fd = openSync(path, 'r+');
  const parts = Array.from({ length: Math.ceil(data.length / part) }, (_, i) => i);
  for (let i = parts.length - 1; i > 0; i--) { const j = Math.floor(Math.random() * (i + 1)); [parts[i], parts[j]] = [parts[j]!, parts[i]!]; }
  const done = new Set<number>();
  let cursor = 0;
  try {
    for (const p of parts) {
      writeSync(fd, data, p * part, Math.min(part, data.length - p * part), p * part);
      done.add(p);
      while (done.has(cursor)) cursor++;
      Atomics.store(v, 0, BigInt(Math.min(data.length, cursor * part)));
      Atomics.notify(v, 0);
      await new Promise((r) => setTimeout(r, 1));
    }
  } finally { closeSync(fd); }
}

test('hash-follow: a worker hashes a file while its parts arrive out of order; same digest as hashing it whole (md5, xxh128, sha256, md5-dos2unix)', async () => {
  await initHashers();
  const d = mkdtempSync(join(tmpdir(), 'geodvc-follow-'));
  const pool = new HashPool(2);
  try {
    // text with CRLF over several 1 MiB chunks (md5-dos2unix normalises per chunk) and random bytes
    const text = Buffer.from('a,b\r\n'.repeat(700_000));
    const bin = randomBytes(9 * 1024 * 1024 + 12345);
    for (const [name, data] of [['md5', bin], ['xxh128', bin], ['sha256', bin], ['md5-dos2unix', text], ['md5', Buffer.alloc(0)]] as [HashName, Buffer][]) {
      const path = join(d, `f-${name}-${data.length}`);
      closeSync(openSync(path, 'w')); // created before the hash starts, as the download's temp file is
      const follow = new SharedArrayBuffer(8);
      const hashing = pool.run({ op: 'hash-follow', name, items: [{ path, size: data.length, op: 'hash-follow', follow }] });
      await writeShuffled(path, data, 1 << 19, follow);
      const [r] = await hashing;
      assert.equal(r!.error, undefined, r!.error?.message);
      assert.equal(r!.oid, hashBuffer(data, name), `${name} of ${data.length} bytes`);
      assert.equal(r!.size, data.length);
    }
    // the parent gives up (a part failed): the worker stops with an error instead of waiting forever
    const path = join(d, 'abandoned');
    closeSync(openSync(path, 'w'));
    const follow = new SharedArrayBuffer(8);
    const hashing = pool.run({ op: 'hash-follow', name: 'md5', items: [{ path, size: 1 << 20, op: 'hash-follow', follow }] });
    setTimeout(() => { const v = new BigInt64Array(follow); Atomics.store(v, 0, -1n); Atomics.notify(v, 0); }, 30);
    const [r] = await hashing;
    assert.equal(r!.error?.code, 'EINTERRUPTED');
  } finally {
    await pool.close();
    rmSync(d, { recursive: true, force: true });
  }
});

test('big files hashed in this thread at the same time keep their own read buffers (in-thread jobs run concurrently)', async () => {
  const d = mkdtempSync(join(tmpdir(), 'geodvc-inline-big-'));
  const pool = new HashPool(2, true);
  try {
    const datas = [randomBytes(21 * 1024 * 1024 + 7), randomBytes(17 * 1024 * 1024 + 3), randomBytes(25 * 1024 * 1024)];
    const paths = datas.map((b, i) => { const p = join(d, `big${i}`); const fd = openSync(p, 'w'); writeSync(fd, b); closeSync(fd); return p; });
    // three single-file hash jobs: each runs in this thread, all at once
    const rs = await Promise.all(paths.map((p, i) => pool.run({ op: 'hash', name: 'md5', items: [{ path: p, size: datas[i]!.length }] })));
    rs.forEach(([r], i) => assert.equal(r!.oid, hashBuffer(datas[i]!, 'md5'), `file ${i}`));
  } finally {
    await pool.close();
    rmSync(d, { recursive: true, force: true });
  }
});
