/**
 * `geodvc serve` against real HTTP clients on 127.0.0.1: roles, hash verification, no-replace,
 * concurrent uploads, Range reads, listing, traversal attempts, logging without secrets, TLS.
 * Requests are made with fetch/undici and raw node:http (for request targets fetch would normalize).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { startServer, type RunningServer, type ServeStats } from '../../src/apps/serve/server.js';
import { TokenStore } from '../../src/apps/serve/tokens.js';
import { makeTmpDir } from '../helpers/tmp.js';

const T = { read: 'read-token-0123456789abcdef', write: 'write-token-0123456789abcdef', admin: 'admin-token-0123456789abcdef' };
const md5 = (b: Uint8Array | string) => createHash('md5').update(b).digest('hex');
const keyOf = (b: Uint8Array | string) => { const h = md5(b); return `files/md5/${h.slice(0, 2)}/${h.slice(2)}`; };
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

let tmp: ReturnType<typeof makeTmpDir>;
let srv: RunningServer & { stats: ServeStats };
const logLines: string[] = [];
let root: string;

before(async () => {
  tmp = makeTmpDir('serve-');
  root = join(tmp.dir, 'remote');
  const tokens = TokenStore.parse(`# test tokens\nread ${T.read} annotators\nwrite ${T.write} ci\nadmin ${T.admin} ops\n`);
  try {
    srv = await startServer({ root, port: 0, tokens, log: (l) => logLines.push(l) });
  } catch (err) {
    if (process.env.CI === 'true') throw err;
  }
});
after(async () => { await srv?.close(); tmp?.cleanup(); });

function skipIfNoServer(t: { skip(msg: string): void }): boolean {
  if (!srv) { t.skip('server could not start'); return true; }
  return false;
}

async function put(key: string, body: Uint8Array | string, headers: Record<string, string> = {}, method = 'PUT') {
  const r = await fetch(`${srv.url}/${key}`, { method, body: body as BodyInit, headers });
  return { status: r.status, text: await r.text() };
}

/** Raw request with an arbitrary request target (fetch would normalize `..`). */
function raw(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: srv.port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const stored = (key: string) => existsSync(join(root, ...key.split('/')));

test('anonymous and read tokens cannot push; nothing is stored', async (t) => {
  if (skipIfNoServer(t)) return;
  const body = 'anonymous push attempt';
  const key = keyOf(body);
  for (const method of ['PUT', 'POST']) {
    assert.equal((await put(key, body, {}, method)).status, 401);
    assert.equal((await put(key, body, bearer(T.read), method)).status, 403);
    assert.equal((await put(key, body, { authorization: `Basic ${Buffer.from(`u:${T.read}`).toString('base64')}` }, method)).status, 403);
    assert.equal((await put(key, body, bearer('not-a-valid-token-at-all'), method)).status, 401);
  }
  assert.equal(stored(key), false);
  assert.deepEqual(readdirSync(join(root, '.geodvc-uploads')), []);
});

test('write adds objects (PUT and POST, Bearer and Basic), re-upload is a no-op', async (t) => {
  if (skipIfNoServer(t)) return;
  const a = randomBytes(1000);
  const b = randomBytes(2000);
  const r1 = await put(keyOf(a), a, bearer(T.write), 'PUT');
  assert.equal(r1.status, 201, r1.text);
  const r2 = await put(keyOf(b), b, { authorization: `Basic ${Buffer.from(`dvc:${T.write}`).toString('base64')}` }, 'POST');
  assert.equal(r2.status, 201, r2.text);
  assert.deepEqual(readFileSync(join(root, ...keyOf(a).split('/'))), a);
  assert.equal(statSync(join(root, ...keyOf(a).split('/'))).mode & 0o777, 0o444);
  const again = await put(keyOf(a), a, bearer(T.write), 'POST');
  assert.equal(again.status, 200);
  assert.equal(JSON.parse(again.text).created, false);
  // legacy, sha256 and xxh128 layouts and .dir objects are verified with their own algorithm
  const manifest = JSON.stringify([{ md5: md5(a), relpath: 'a.bin' }]);
  const dirKey = `${keyOf(manifest)}.dir`;
  assert.equal((await put(dirKey, manifest, bearer(T.write))).status, 201);
  const legacy = 'legacy object';
  assert.equal((await put(`${md5(legacy).slice(0, 2)}/${md5(legacy).slice(2)}`, legacy, bearer(T.write))).status, 201);
  const sha = createHash('sha256').update(a).digest('hex');
  assert.equal((await put(`files/sha256/${sha.slice(0, 2)}/${sha.slice(2)}`, a, bearer(T.write))).status, 201);
  assert.equal((await put(`files/sha256/${sha.slice(0, 2)}/${sha.slice(2)}`, b, bearer(T.write))).status, 400);
  const { createXXHash128 } = await import('hash-wasm');
  const xh = await createXXHash128(); xh.init(); xh.update(a); const xx = xh.digest('hex');
  assert.equal((await put(`files/xxh128/${xx.slice(0, 2)}/${xx.slice(2)}`, a, bearer(T.write))).status, 201);
  // DVC's http remote uploads with POST and chunked transfer-encoding (no Content-Length)
  const c = randomBytes(300_000);
  const chunked = await new Promise<number>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: srv.port, method: 'POST', path: `/${keyOf(c)}`, headers: { ...bearer(T.write), 'transfer-encoding': 'chunked' } }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
    req.on('error', reject);
    for (let i = 0; i < c.length; i += 65536) req.write(c.subarray(i, i + 65536));
    req.end();
  });
  assert.equal(chunked, 201);
  assert.deepEqual(readFileSync(join(root, ...keyOf(c).split('/'))), c);
});

test('write cannot delete or overwrite; a mismatching body stores nothing; admin can delete', async (t) => {
  if (skipIfNoServer(t)) return;
  const good = randomBytes(4096);
  const key = keyOf(good);
  assert.equal((await put(key, good, bearer(T.write))).status, 201);
  // overwrite with different bytes: refused, original intact
  const evil = Buffer.concat([good.subarray(0, 4000), Buffer.alloc(96)]);
  const ow = await put(key, evil, bearer(T.write));
  assert.equal(ow.status, 400);
  assert.match(ow.text, /does not match/);
  assert.deepEqual(readFileSync(join(root, ...key.split('/'))), good);
  // even admin cannot replace an object by uploading
  assert.equal((await put(key, evil, bearer(T.admin))).status, 400);
  assert.deepEqual(readFileSync(join(root, ...key.split('/'))), good);
  // a new key with the wrong bytes: rejected, nothing stored, no temp left
  const fresh = keyOf('the real content');
  const r = await put(fresh, 'something else', bearer(T.write));
  assert.equal(r.status, 400);
  assert.equal(stored(fresh), false);
  assert.deepEqual(readdirSync(join(root, '.geodvc-uploads')), []);
  // delete: write/read/anonymous refused, admin allowed
  assert.equal((await fetch(`${srv.url}/${key}`, { method: 'DELETE', headers: bearer(T.write) })).status, 403);
  assert.equal((await fetch(`${srv.url}/${key}`, { method: 'DELETE', headers: bearer(T.read) })).status, 403);
  assert.equal((await fetch(`${srv.url}/${key}`, { method: 'DELETE' })).status, 401);
  assert.equal(stored(key), true);
  assert.equal((await fetch(`${srv.url}/${key}`, { method: 'DELETE', headers: bearer(T.admin) })).status, 204);
  assert.equal(stored(key), false);
  assert.equal((await fetch(`${srv.url}/${key}`, { method: 'DELETE', headers: bearer(T.admin) })).status, 404);
});

test('concurrent pushes of the same object from two clients store it once, intact', async (t) => {
  if (skipIfNoServer(t)) return;
  const body = randomBytes(3 * 1024 * 1024 + 17);
  const key = keyOf(body);
  const agents = [new Agent({ connections: 8 }), new Agent({ connections: 8 })];
  try {
    const statuses = await Promise.all(Array.from({ length: 16 }, (_, i) => request(`${srv.url}/${key}`, {
      method: i % 2 ? 'PUT' : 'POST', body, headers: bearer(T.write), dispatcher: agents[i % 2],
    }).then(async (r) => { await r.body.dump(); return r.statusCode; })));
    assert.equal(statuses.filter((s) => s === 201).length, 1, `statuses ${statuses}`);
    assert.equal(statuses.filter((s) => s === 200).length, 15);
  } finally { await Promise.all(agents.map((a) => a.close())); }
  const onDisk = readFileSync(join(root, ...key.split('/')));
  assert.equal(md5(onDisk), md5(body));
  assert.deepEqual(readdirSync(join(root, '.geodvc-uploads')), []);
});

test('an aborted upload leaves nothing behind', async (t) => {
  if (skipIfNoServer(t)) return;
  const body = randomBytes(2 * 1024 * 1024);
  const key = keyOf(body);
  await new Promise<void>((resolve) => {
    const req = http.request({ host: '127.0.0.1', port: srv.port, method: 'PUT', path: `/${key}`, headers: { ...bearer(T.write), 'content-length': String(body.length) } });
    req.on('error', () => resolve());
    req.write(body.subarray(0, 500_000), () => setTimeout(() => { req.destroy(); resolve(); }, 50));
  });
  for (let i = 0; i < 50 && readdirSync(join(root, '.geodvc-uploads')).length; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(stored(key), false);
  assert.deepEqual(readdirSync(join(root, '.geodvc-uploads')), []);
});

test('Range reads: a-b, a-, suffix, 416, multi-range ignored; HEAD', async (t) => {
  if (skipIfNoServer(t)) return;
  const body = randomBytes(10_000);
  const key = keyOf(body);
  assert.equal((await put(key, body, bearer(T.write))).status, 201);
  const get = async (range?: string) => {
    const r = await fetch(`${srv.url}/${key}`, { headers: { ...bearer(T.read), ...(range ? { range } : {}) } });
    return { status: r.status, body: Buffer.from(await r.arrayBuffer()), cr: r.headers.get('content-range') };
  };
  let r = await get('bytes=10-19');
  assert.equal(r.status, 206); assert.deepEqual(r.body, body.subarray(10, 20)); assert.equal(r.cr, 'bytes 10-19/10000');
  r = await get('bytes=9990-');
  assert.equal(r.status, 206); assert.deepEqual(r.body, body.subarray(9990));
  r = await get('bytes=-5');
  assert.equal(r.status, 206); assert.deepEqual(r.body, body.subarray(9995)); assert.equal(r.cr, 'bytes 9995-9999/10000');
  r = await get('bytes=9000-20000');
  assert.equal(r.status, 206); assert.deepEqual(r.body, body.subarray(9000));
  r = await get('bytes=10000-10001');
  assert.equal(r.status, 416); assert.equal(r.cr, 'bytes */10000');
  r = await get('bytes=5-2');
  assert.equal(r.status, 416);
  r = await get('bytes=0-1,5-6');
  assert.equal(r.status, 200); assert.deepEqual(r.body, body);
  r = await get();
  assert.equal(r.status, 200); assert.deepEqual(r.body, body);
  const h = await fetch(`${srv.url}/${key}`, { method: 'HEAD', headers: bearer(T.read) });
  assert.equal(h.status, 200); assert.equal(h.headers.get('content-length'), '10000'); assert.equal(h.headers.get('accept-ranges'), 'bytes');
  assert.equal((await fetch(`${srv.url}/${keyOf('missing!')}`, { method: 'HEAD', headers: bearer(T.read) })).status, 404);
  assert.equal((await fetch(`${srv.url}/${key}`)).status, 401, 'anonymous reads are off when tokens are configured');
});

test('listing with pagination and batch existence checks', async (t) => {
  if (skipIfNoServer(t)) return;
  const bodies = Array.from({ length: 40 }, (_, i) => `list-object-${i}`);
  for (const b of bodies) assert.ok([200, 201].includes((await put(keyOf(b), b, bearer(T.write))).status));
  const all: string[] = [];
  let after: string | undefined;
  for (let i = 0; i < 100; i++) {
    const r = await fetch(`${srv.url}/?list=files/md5/&limit=7${after ? `&after=${after}` : ''}`, { headers: bearer(T.read) });
    assert.equal(r.status, 200);
    const j = await r.json() as { keys: string[]; next?: string };
    assert.ok(j.keys.length <= 7);
    all.push(...j.keys);
    if (!j.next) break;
    after = j.next;
  }
  assert.deepEqual(all, [...all].sort());
  assert.equal(new Set(all).size, all.length);
  for (const b of bodies) assert.ok(all.includes(keyOf(b)));
  const one = keyOf(bodies[0]!);
  const shard = await (await fetch(`${srv.url}/?list=${one.slice(0, 13)}`, { headers: bearer(T.read) })).json() as { keys: string[] };
  assert.ok(shard.keys.includes(one) && shard.keys.every((k) => k.startsWith(one.slice(0, 13))));
  for (const bad of ['../', 'files/', 'files/md5', 'files/md5/../../', '/etc/', 'files/md5/zz/']) {
    assert.equal((await fetch(`${srv.url}/?list=${encodeURIComponent(bad)}`, { headers: bearer(T.read) })).status, 400, bad);
  }
  assert.equal((await fetch(`${srv.url}/?list=files/md5/`)).status, 401);
  const ex = await fetch(`${srv.url}/?exists`, { method: 'POST', headers: { ...bearer(T.read), 'content-type': 'application/json' }, body: JSON.stringify({ keys: [one, keyOf('nope'), '../etc/passwd'] }) });
  assert.equal(ex.status, 200);
  assert.deepEqual(await ex.json(), { exists: [true, false, false] });
  const info = await (await fetch(`${srv.url}/?info`, { headers: bearer(T.write) })).json() as { role: string; server: string };
  assert.equal(info.server, 'geodvc'); assert.equal(info.role, 'write');
});

test('path traversal and non-layout keys are impossible, symlinks in the root are not served', async (t) => {
  if (skipIfNoServer(t)) return;
  writeFileSync(join(tmp.dir, 'secret.txt'), 'top secret');
  const h = md5('top secret');
  mkdirSync(join(root, 'files', 'md5', h.slice(0, 2)), { recursive: true });
  symlinkSync(join(tmp.dir, 'secret.txt'), join(root, 'files', 'md5', h.slice(0, 2), h.slice(2)));
  const paths = ['/../secret.txt', '/files/md5/../../../secret.txt', '/%2e%2e/secret.txt', '/files%2fmd5%2f00%2f0', '/files/md5/AC/BD18DB4CC2F85CEDEF654FCCC4A4D8',
    `/files/md5/${h.slice(0, 2)}/${h.slice(2)}/`, '/files/md5/ab', '/.geodvc-uploads/x', '/files/md5/ab/cd\\..\\..', '//etc/passwd', '/files/md5/ab/' + 'c'.repeat(30) + '%00', 'http://127.0.0.1/x'];
  for (const p of paths) {
    const r = await raw('GET', p, bearer(T.admin));
    assert.ok(r.status === 404 || r.status === 400, `${p} -> ${r.status}`);
    assert.ok(!r.body.toString().includes('top secret'));
  }
  const sym = await raw('GET', `/files/md5/${h.slice(0, 2)}/${h.slice(2)}`, bearer(T.admin));
  assert.equal(sym.status, 404);
  // an upload to the symlinked key cannot write through it either
  const up = await put(`files/md5/${h.slice(0, 2)}/${h.slice(2)}`, 'top secret', bearer(T.write));
  assert.equal(up.status, 200, 'the planted link is left alone, never written through');
  assert.equal(readFileSync(join(tmp.dir, 'secret.txt'), 'utf8'), 'top secret');
  assert.equal((await raw('PUT', '/../../tmp/evil', bearer(T.write), Buffer.from('x'))).status, 404);
  assert.equal((await raw('PATCH', '/files/md5/ab/' + 'c'.repeat(30), bearer(T.admin))).status, 405);
});

test('denied requests are logged with the token name, never the token', async (t) => {
  if (skipIfNoServer(t)) return;
  const wrong = 'wrong-secret-token-zyxwvutsrq';
  await put(keyOf('log me'), 'log me', bearer(wrong));
  await put(keyOf('log me'), 'log me', bearer(T.read));
  const text = logLines.join('\n');
  assert.match(text, /denied 401 .* PUT .*invalid token/);
  assert.match(text, /denied 403 127\.0\.0\.1 annotators\(read\) PUT/);
  for (const s of [wrong, ...Object.values(T)]) assert.ok(!text.includes(s), 'a token leaked into the log');
  assert.ok(srv.stats.denied >= 4);
});

test('HTTPS with --tls-cert/--tls-key', async (t) => {
  if (skipIfNoServer(t)) return;
  const dir = join(tmp.dir, 'tls');
  mkdirSync(dir);
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  } catch (err) {
    if (process.env.CI === 'true') throw err;
    t.skip('openssl not available'); return;
  }
  const s = await startServer({ root: join(tmp.dir, 'tls-remote'), port: 0, anonymous: 'write', tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') } });
  const agent = new Agent({ connect: { ca: readFileSync(join(dir, 'cert.pem')) } });
  try {
    assert.ok(s.url.startsWith('https://'));
    const body = 'over tls';
    const r = await request(`${s.url}/${keyOf(body)}`, { method: 'PUT', body, dispatcher: agent });
    await r.body.dump();
    assert.equal(r.statusCode, 201);
    const g = await request(`${s.url}/${keyOf(body)}`, { dispatcher: agent });
    assert.equal(await g.body.text(), body);
  } finally { await agent.close(); await s.close(); }
});

test('a .dir manifest with unsafe relpaths is refused (422) even with the right hash', async (t) => {
  if (skipIfNoServer(t)) return;
  for (const rel of ['../../outside/pwned.txt', '/etc/passwd', 'a/../../b', 'C:/x', 'a\\b', 'a\u0000b', '']) {
    const manifest = JSON.stringify([{ md5: md5('x'), relpath: rel }]);
    const key = `${keyOf(manifest)}.dir`;
    const r = await put(key, manifest, bearer(T.write));
    assert.equal(r.status, 422, `${JSON.stringify(rel)}: ${r.text}`);
    assert.equal(stored(key), false);
  }
  const notJson = 'not json';
  assert.equal((await put(`${keyOf(notJson)}.dir`, notJson, bearer(T.write))).status, 422);
  const ok = JSON.stringify([{ md5: md5('x'), relpath: 'sub/dir/file name ü.tif' }]);
  assert.equal((await put(`${keyOf(ok)}.dir`, ok, bearer(T.write))).status, 201);
  assert.deepEqual(readdirSync(join(root, '.geodvc-uploads')), []);
});
