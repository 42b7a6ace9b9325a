/**
 * The one conformance suite every Backend must pass, run against each real server by the
 * storage-conformance-<server>.test.ts files.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBackend } from '../../src/storage/registry.js';
import { getBuffer, type Backend } from '../../src/storage/backend.js';
import { StorageError } from '../../src/storage/errors.js';
import { SERVERS, startOrSkip, type TestServer } from '../helpers/servers/index.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const k of it) out.push(k);
  return out.sort();
}

export function conformanceSuite(serverName: string, opts: { bigMiB?: number; missingBucketUrl?: (s: TestServer) => string; wrongCredentials?: Record<string, string>; start?: () => Promise<TestServer> } = {}): void {
  test(`storage conformance: ${serverName}`, { timeout: 400_000 }, async (t: TestContext) => {
    const srv = await startOrSkip(t, serverName, opts.start ?? SERVERS[serverName]!);
    if (!srv) return;
    const scratch = mkdtempSync(join(tmpdir(), 'geodvc-conf-'));
    let b: Backend | undefined;
    try {
      const r = await srv.newRemote('conf');
      b = await openBackend(r.url, r.options, { retry: { retries: 2, baseDelayMs: 50 } });
      const be = b;

      await t.test('stat/get of a missing object', async () => {
        assert.equal(await be.stat('files/md5/00/missing'), null);
        await assert.rejects(async () => getBuffer(be, 'files/md5/00/missing'), (e: unknown) => e instanceof StorageError && e.kind === 'object-missing');
      });

      await t.test('put bytes, stat, get, overwrite', async () => {
        const data = Buffer.from('hello geodvc\n');
        await be.put('files/md5/ab/cdef0123', { data });
        assert.deepEqual(await be.stat('files/md5/ab/cdef0123').then((s) => s?.size), data.length);
        assert.deepEqual(await getBuffer(be, 'files/md5/ab/cdef0123'), data);
        const data2 = Buffer.from('second version');
        await be.put('files/md5/ab/cdef0123', { data: data2 });
        assert.deepEqual(await getBuffer(be, 'files/md5/ab/cdef0123'), data2);
        await be.put('files/md5/ab/cdef0124.dir', { data: Buffer.from('[]') });
        assert.equal((await getBuffer(be, 'files/md5/ab/cdef0124.dir')).toString(), '[]');
        await be.put('files/md5/ab/empty', { data: Buffer.alloc(0) });
        assert.equal((await be.stat('files/md5/ab/empty'))?.size, 0);
        assert.equal((await getBuffer(be, 'files/md5/ab/empty')).length, 0);
      });

      const bigSize = Math.round((opts.bigMiB ?? 12) * (1 << 20)) + 12345;
      const big = randomBytes(bigSize);
      const bigPath = join(scratch, 'big.bin');
      writeFileSync(bigPath, big);

      await t.test('put a large file (multipart/parallel), get it back whole and in ranges', async () => {
        let sent = 0;
        await be.put('files/md5/12/bigobject', { path: bigPath, size: bigSize }, { concurrency: 4, partSize: 5 << 20, onBytes: (n) => { sent += n; } });
        assert.equal(sent, bigSize, 'onBytes adds up to the size');
        assert.equal((await be.stat('files/md5/12/bigobject'))?.size, bigSize);
        assert.equal(sha(await getBuffer(be, 'files/md5/12/bigobject')), sha(big));
        assert.deepEqual(await getBuffer(be, 'files/md5/12/bigobject', { range: { start: 10, end: 19 } }), big.subarray(10, 20));
        assert.deepEqual(await getBuffer(be, 'files/md5/12/bigobject', { start: 100, end: 4195 }), big.subarray(100, 4196), 'get(key, {start, end})');
        assert.deepEqual(await getBuffer(be, 'files/md5/12/bigobject', { range: { start: bigSize - 7 } }), big.subarray(bigSize - 7));
        const mid = 6 << 20;
        assert.deepEqual(await getBuffer(be, 'files/md5/12/bigobject', { range: { start: mid, end: mid + (1 << 20) - 1 } }), big.subarray(mid, mid + (1 << 20)));
      });

      await t.test('list by prefix', async (tt) => {
        if (!be.canList) {
          await assert.rejects(collect(be.list('files/')), StorageError);
          tt.diagnostic('this backend cannot list (plain HTTP); existence is checked with HEAD');
          return;
        }
        await be.put('files/md5/cd/0001', { data: Buffer.from('1') });
        await be.put('files/md5/cd/0002', { data: Buffer.from('2') });
        await be.put('other/x', { data: Buffer.from('x') });
        assert.deepEqual(await collect(be.list('files/md5/cd/')), ['files/md5/cd/0001', 'files/md5/cd/0002']);
        assert.deepEqual(await collect(be.list('files/md5/ab/')), ['files/md5/ab/cdef0123', 'files/md5/ab/cdef0124.dir', 'files/md5/ab/empty']);
        assert.deepEqual(await collect(be.list('files/md5/ff/')), []);
        const all = await collect(be.list(''));
        assert.deepEqual(all, ['files/md5/12/bigobject', 'files/md5/ab/cdef0123', 'files/md5/ab/cdef0124.dir', 'files/md5/ab/empty', 'files/md5/cd/0001', 'files/md5/cd/0002', 'other/x']);
      });

      await t.test('optional fast paths (getSmall, localPath) agree with get', async (tt) => {
        const data = Buffer.from('small object body\n');
        await be.put('files/md5/ef/small0001', { data });
        if (be.getSmall) {
          assert.deepEqual(await be.getSmall('files/md5/ef/small0001'), data);
          await assert.rejects(be.getSmall('files/md5/ef/missing'), (e: unknown) => e instanceof StorageError && e.kind === 'object-missing');
        }
        if (be.localPath) {
          const p = be.localPath('files/md5/ef/small0001');
          assert.ok(p);
          assert.deepEqual(readFileSync(p), data);
          assert.equal(be.localPath('files/md5/ef/missing'), undefined);
        }
        if (be.getToFile) {
          const dest = join(scratch, 'got.bin');
          let n = 0;
          await be.getToFile('files/md5/12/bigobject', dest, { onBytes: (k) => { n += k; } });
          assert.equal(sha(readFileSync(dest)), sha(big));
          assert.equal(n, bigSize, 'onBytes adds up to the size');
          await be.getToFile('files/md5/ef/small0001', dest);
          assert.deepEqual(readFileSync(dest), data, 'the file is truncated first');
          await assert.rejects(be.getToFile('files/md5/ef/missing', dest), (e: unknown) => e instanceof StorageError && e.kind === 'object-missing');
        }
        tt.diagnostic(`getSmall: ${be.getSmall ? 'yes' : 'no (get + collect)'}, localPath: ${be.localPath ? 'yes' : 'no'}, getToFile: ${be.getToFile ? 'yes' : 'no'}`);
        await be.delete('files/md5/ef/small0001');
      });

      await t.test('delete, and delete of a missing object', async () => {
        await be.delete('files/md5/ab/cdef0123');
        assert.equal(await be.stat('files/md5/ab/cdef0123'), null);
        await be.delete('files/md5/ab/cdef0123');
      });

      await t.test('many small objects in parallel', async () => {
        const keys = Array.from({ length: 60 }, (_, i) => `files/md5/${(i % 4).toString(16).padStart(2, '0')}/par${i}`);
        await Promise.all(keys.map((k) => be.put(k, { data: Buffer.from(k) })));
        const got = await Promise.all(keys.map((k) => getBuffer(be, k).then(String)));
        assert.deepEqual(got, keys);
      });

      if (opts.missingBucketUrl) {
        await t.test('a missing bucket/container is a clear error', async () => {
          const mb = await openBackend(opts.missingBucketUrl!(srv), srv.options, { retry: { retries: 0 } });
          await assert.rejects(mb.stat('files/md5/00/x'), (e: unknown) => e instanceof StorageError && e.kind === 'bucket-missing' && !!e.hint);
          await mb.close();
        });
      }
      if (opts.wrongCredentials) {
        await t.test('wrong credentials: access denied with a hint', async () => {
          const r = await srv.newRemote('denied');
          const db = await openBackend(r.url, { ...r.options, ...opts.wrongCredentials }, { retry: { retries: 0 } });
          await assert.rejects(db.stat('files/md5/00/x'), (e: unknown) => e instanceof StorageError && e.kind === 'access-denied' && /credentials/.test(e.hint ?? ''));
          await assert.rejects(db.put('files/md5/00/x', { data: Buffer.from('x') }), (e: unknown) => e instanceof StorageError && e.kind === 'access-denied');
          await db.close();
        });
      }
    } finally {
      await b?.close();
      await srv.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
  });
}
