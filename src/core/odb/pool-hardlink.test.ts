import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { HashPool } from './pool.js';
import { hashBuffer } from './hash.js';

const objAt = (cache: string, oid: string) => join(cache, 'files/md5', oid.slice(0, 2), oid.slice(2));

// every case runs on the worker threads and in this thread (tiny jobs run inline: pool.ts)
for (const inline of [false, true]) {
const where = inline ? 'in this thread' : 'on worker threads';
test(`store-hardlink (${where}): new object linked in place; existing trusted object adopted; corrupt/partial object replaced`, async () => {
  const d = mkdtempSync(join(tmpdir(), 'geodvc-hl-'));
  const pool = new HashPool(2, inline);
  const cache = join(d, 'cache');
  try {
    const a = join(d, 'a.bin'), b = join(d, 'b.bin'), c = join(d, 'c.bin');
    writeFileSync(a, 'same content');
    writeFileSync(b, 'same content'); // a second file with the same bytes: adopts a's object
    writeFileSync(c, 'other content');
    chmodSync(c, 0o755);
    const oidC = hashBuffer(Buffer.from('other content'), 'md5');
    // a partial object left by a crash (wrong size, writable) must be replaced, not trusted
    mkdirSync(dirname(objAt(cache, oidC)), { recursive: true });
    writeFileSync(objAt(cache, oidC), 'oth');
    const res = await pool.run({ op: 'store-hardlink', name: 'md5', cache, items: [a, b, c].map((p) => ({ path: p, size: statSync(p).size })) });
    const oidA = hashBuffer(Buffer.from('same content'), 'md5');
    assert.deepEqual(res.map((r) => r.oid), [oidA, oidA, oidC]);
    for (const [p, oid] of [[a, oidA], [b, oidA], [c, oidC]] as const) {
      const o = statSync(objAt(cache, oid));
      assert.equal(statSync(p).ino, o.ino, `${p} is a hard link of its object`);
      assert.equal(o.mode & 0o777, 0o444);
      assert.equal(res[[a, b, c].indexOf(p)]!.ino, o.ino, 'the result reports the final inode');
    }
    assert.equal(readFileSync(objAt(cache, oidC), 'utf8'), 'other content');
    assert.equal(statSync(objAt(cache, oidA)).nlink, 3);
    // running again is a no-op (same inode already)
    const again = await pool.run({ op: 'store-hardlink', name: 'md5', cache, items: [{ path: a, size: 12 }] });
    assert.equal(again[0]!.oid, oidA);
    assert.equal(statSync(objAt(cache, oidA)).nlink, 3);
    // a missing file is a per-item error
    const miss = await pool.run({ op: 'store-hardlink', name: 'md5', cache, items: [{ path: join(d, 'nope'), size: 1 }] });
    assert.equal(miss[0]!.error?.code, 'ENOENT');
  } finally { await pool.close(); rmSync(d, { recursive: true, force: true }); }
});

test(`a cache deleted between two jobs of the same pool is recreated (long-lived processes; ${where})`, async () => {
  const d = mkdtempSync(join(tmpdir(), 'geodvc-pool-gone-'));
  const pool = new HashPool(1, inline);
  const cache = join(d, 'cache');
  try {
    const f = join(d, 'f.bin');
    writeFileSync(f, 'bytes that go to the cache');
    const oid = hashBuffer(Buffer.from('bytes that go to the cache'), 'md5');
    for (let round = 0; round < 2; round++) {
      const r = await pool.run({ op: 'store-copy', name: 'md5', cache, items: [{ path: f, size: 26 }] });
      assert.equal(r[0]!.error, undefined, `round ${round}: ${r[0]!.error?.message}`);
      assert.equal(readFileSync(objAt(cache, oid), 'utf8'), 'bytes that go to the cache');
      rmSync(cache, { recursive: true, force: true });
    }
  } finally { await pool.close(); rmSync(d, { recursive: true, force: true }); }
});
}
