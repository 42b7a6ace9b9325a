import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateDB } from './state.js';
import { HashPool } from './pool.js';
import { initHashers, hashBuffer } from './hash.js';

test('state DB: per-file rows and per-directory index survive reopening; stat changes miss', () => {
  const d = mkdtempSync(join(tmpdir(), 'geodvc-state-'));
  try {
    const s = new StateDB(join(d, 'tmp', 'state.db'));
    s.set('/r/a', 'md5', { ino: 1, mtimeMs: 1.5, size: 3 }, 'acbd18db4cc2f85cedef654fccc4a4d8');
    s.saveDirIndex('/r/dir', 'md5', new Map([['x/y', { ino: 2, mtime: 2.25, size: 4, oid: '37b51d194a7513e45b56f6524f2d51f2' }]]));
    s.close();
    const s2 = new StateDB(join(d, 'tmp', 'state.db'));
    assert.equal(s2.get('/r/a', 'md5', { ino: 1, mtimeMs: 1.5, size: 3 }), 'acbd18db4cc2f85cedef654fccc4a4d8');
    assert.equal(s2.get('/r/a', 'md5', { ino: 1, mtimeMs: 1.6, size: 3 }), undefined);
    assert.equal(s2.get('/r/a', 'xxh128', { ino: 1, mtimeMs: 1.5, size: 3 }), undefined);
    assert.deepEqual(s2.loadDirIndex('/r/dir', 'md5').get('x/y'), { ino: 2, mtime: 2.25, size: 4, oid: '37b51d194a7513e45b56f6524f2d51f2' });
    s2.close();
  } finally { rmSync(d, { recursive: true, force: true }); }
});

test('worker pool hashes (all algorithms) and stores in parallel, reports per-file errors', async () => {
  await initHashers();
  const d = mkdtempSync(join(tmpdir(), 'geodvc-pool-'));
  const pool = new HashPool(2);
  try {
    const items = [];
    for (let i = 0; i < 600; i++) { const p = join(d, `f${i}`); writeFileSync(p, `content ${i}`); items.push({ path: p, size: 10 }); }
    const big = join(d, 'big');
    writeFileSync(big, Buffer.alloc(6 << 20, 7));
    items.push({ path: big, size: 6 << 20 });
    items.push({ path: join(d, 'missing'), size: 1 });
    for (const name of ['md5', 'xxh128', 'sha256', 'md5-dos2unix'] as const) {
      const res = await pool.run({ op: name === 'md5' ? 'store-copy' : 'hash', name, cache: join(d, 'cache'), items });
      for (let i = 0; i < 600; i++) assert.equal(res[i]!.oid, hashBuffer(Buffer.from(`content ${i}`), name));
      assert.equal(res[600]!.oid, hashBuffer(Buffer.alloc(6 << 20, 7), name));
      assert.equal(res[601]!.error?.code, 'ENOENT');
    }
    const obj = join(d, 'cache/files/md5', res0(hashBuffer(Buffer.alloc(6 << 20, 7), 'md5')));
    assert.equal(statSync(obj).mode & 0o777, 0o444);
    assert.equal(statSync(obj).size, 6 << 20);
  } finally { await pool.close(); rmSync(d, { recursive: true, force: true }); }
});

function res0(oid: string): string { return `${oid.slice(0, 2)}/${oid.slice(2)}`; }
