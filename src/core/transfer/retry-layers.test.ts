/**
 * One retry layer: a remote that always answers 503 is asked 1 + `retries` times per call, whether
 * the call comes from the storage retry wrapper alone or through the transfer engine, which retries
 * whole objects around it (an error that exhausted the wrapper's retries is not retried again).
 * Real HTTP server on 127.0.0.1, real http backend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { openBackend } from '../../storage/registry.js';
import { fetchObjects, pushObjects } from './engine.js';
import type { RemoteHandle } from './remote.js';

async function failingServer(): Promise<{ url: string; hits: Map<string, number>; close: () => Promise<void> }> {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const k = `${req.method} ${req.url}`;
    hits.set(k, (hits.get(k) ?? 0) + 1);
    req.resume();
    req.on('end', () => { res.statusCode = 503; res.end('busy'); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/store`, hits, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

async function handle(url: string, retries: number): Promise<RemoteHandle> {
  const backend = await openBackend(url, { retries: String(retries) }, { retry: { baseDelayMs: 1, maxDelayMs: 2 } });
  return { name: 'r', url, backend, jobs: 2, uploadConcurrency: 1, downloadConcurrency: 1, partSize: 5 << 20, readOnly: false };
}

test('a persistent 503 is tried 1 + retries times per request, not multiplied by the engine', async () => {
  const srv = await failingServer();
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-retry-layers-'));
  try {
    const retries = 2;
    const oid = createHash('md5').update('x').digest('hex');
    const key = `/store/files/md5/${oid.slice(0, 2)}/${oid.slice(2)}`;
    const r = await handle(srv.url, retries);
    const res = await fetchObjects(join(dir, 'cache'), [r], [{ hashName: 'md5', oid, isDir: false, paths: ['x'] }]);
    assert.equal(res.failed.length, 1, 'the object is reported as failed');
    const gets = [...srv.hits].filter(([k]) => k.endsWith(key));
    assert.ok(gets.length > 0, `the object was asked for: ${[...srv.hits.keys()].join(', ')}`);
    for (const [k, n] of gets) assert.equal(n, 1 + retries, `${k} asked ${n} times`);

    srv.hits.clear();
    const cache = join(dir, 'cache');
    mkdirSync(join(cache, 'files', 'md5', oid.slice(0, 2)), { recursive: true });
    writeFileSync(join(cache, 'files', 'md5', oid.slice(0, 2), oid.slice(2)), 'x');
    await pushObjects(cache, r, [{ hashName: 'md5', oid, isDir: false, size: 1, paths: ['x'] }]).catch(() => undefined);
    const calls = [...srv.hits].filter(([k]) => k.endsWith(key));
    assert.ok(calls.some(([k]) => /^(PUT|POST) /.test(k)), `push tried to upload: ${[...srv.hits.keys()].join(', ')}`);
    for (const [k, n] of calls) assert.equal(n, 1 + retries, `${k} asked ${n} times`);
    await r.backend.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await srv.close();
  }
});
