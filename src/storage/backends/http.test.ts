import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openBackend } from '../registry.js';

// A real node:http server on 127.0.0.1 that counts TCP connections: existence checks (HEAD), as a
// push or `status -c` makes one per object, must reuse connections (undici closes after every
// HEAD unless told not to: one TCP, and on https one TLS, handshake per object).
test('http remote: HEAD existence checks reuse keep-alive connections', async () => {
  const stored = new Map<string, Buffer>([['/dvc/files/md5/aa/bb', Buffer.from('hello')]]);
  let connections = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = stored.get(req.url ?? '');
      if (!body) { res.writeHead(404); res.end(); return; }
      res.writeHead(200, { 'content-length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  });
  server.on('connection', () => { connections++; });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const b = await openBackend(`http://127.0.0.1:${port}/dvc`, { list: 'false' });
  try {
    let found = 0;
    for (let i = 0; i < 200; i++) {
      const st = await b.stat(i % 2 ? 'files/md5/aa/bb' : `files/md5/cc/${i}`);
      if (st) { found++; assert.equal(st.size, 5); }
    }
    assert.equal(found, 100, 'the stored object is found, the others are not');
    // 200 sequential checks: a handful of connections at most (a released socket can come back to
    // the pool a moment after the next request is dispatched), never one per check
    assert.ok(connections <= 4, `${connections} TCP connections for 200 HEAD requests`);
    // and in parallel, bounded by the pool, not by the number of requests
    connections = 0;
    const res = await Promise.all(Array.from({ length: 400 }, (_, i) => b.stat(`files/md5/dd/${i % 50}`)));
    assert.ok(res.every((r) => r === null));
    assert.ok(connections <= 64, `${connections} TCP connections for 400 parallel HEAD requests`);
  } finally {
    await b.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
