/**
 * Issue 17, the web part: `geodvc serve` and `geodvc ui` attacked as an outsider would, against real
 * servers on 127.0.0.1. DNS rebinding (foreign Host) and cross-site writes (foreign Origin); a
 * planted symlinked shard directory (`files/md5/b5 -> /outside`) read, listed, written and deleted
 * through with read/write/admin tokens; oversized and endless uploads; slow uploads; too many
 * uploads at once; a large `.dir` manifest (streamed, not buffered); a wrong-token flood from the
 * address a valid token also uses. The ui's preview bomb lives in the second half.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { constants as Z, deflateRawSync } from 'node:zlib';
import { startServer, type RunningServer, type ServeOptions, type ServeStats } from '../../src/apps/serve/server.js';
import { DEFAULT_MAX_OBJECT_BYTES } from '../../src/apps/serve/store.js';
import { PreviewRenderer } from '../../src/apps/ui/preview.js';
import { TokenStore } from '../../src/apps/serve/tokens.js';
import { makeTmpDir, gitInit, git } from '../helpers/tmp.js';
import { BIN, CORPUS, cliOk } from '../helpers/cli.js';

const T = { read: 'hw-read-token-0123456789abcdef', write: 'hw-write-token-0123456789abcdef', admin: 'hw-admin-token-0123456789abcdef' };
const TOKENS = `read ${T.read} r\nwrite ${T.write} w\nadmin ${T.admin} a\n`;
const md5 = (b: Uint8Array | string) => createHash('md5').update(b).digest('hex');
const keyOf = (b: Uint8Array | string) => { const h = md5(b); return `files/md5/${h.slice(0, 2)}/${h.slice(2)}`; };
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

let tmp: ReturnType<typeof makeTmpDir>;
const servers: RunningServer[] = [];

before(() => { tmp = makeTmpDir('hardening-web-'); });
after(async () => { await Promise.all(servers.map((s) => s.close())); tmp?.cleanup(); });

/** Starts a serve instance in its own root; under CI a failure to start fails the test. */
async function serve(t: { skip(m: string): void }, name: string, extra: Partial<ServeOptions> = {}): Promise<(RunningServer & { stats: ServeStats }) | undefined> {
  try {
    const s = await startServer({ root: join(tmp.dir, name), port: 0, tokens: TokenStore.parse(TOKENS), ...extra });
    servers.push(s);
    return s;
  } catch (err) {
    if (process.env.CI === 'true') throw err;
    t.skip(`server could not start: ${(err as Error).message}`);
    return undefined;
  }
}

interface RawResult { status: number; body: string; headers: http.IncomingHttpHeaders }
/** A raw request (any Host header, any body, optional streaming body). */
function raw(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer | Readable): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body instanceof Readable) body.pipe(req);
    else req.end(body);
  });
}

const uploadsEmpty = (root: string) => readdirSync(join(root, '.geodvc-uploads')).length === 0;
async function until(cond: () => boolean, ms = 3000): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) { if (cond()) return true; await new Promise((r) => setTimeout(r, 20)); }
  return cond();
}

// ---------------------------------------------------------------- serve

test('serve: a foreign Host (DNS rebinding) gets 421, loopback names and --allow-host names work', async (t) => {
  const s = await serve(t, 'host');
  if (!s) return;
  const body = 'host check';
  assert.equal((await raw(s.port, 'PUT', `/${keyOf(body)}`, bearer(T.write), Buffer.from(body))).status, 201);
  for (const host of ['evil.example', `evil.example:${s.port}`, `127.0.0.1.evil.example:${s.port}`, `127.0.0.1:${s.port + 1}`, `localhost:${s.port}@evil`, `[::1]:${s.port}.evil`]) {
    const r = await raw(s.port, 'GET', `/${keyOf(body)}`, { ...bearer(T.read), host });
    assert.equal(r.status, 421, `Host ${JSON.stringify(host)} -> ${r.status}`);
    assert.match(JSON.parse(r.body).error, /not an address of this server.*--allow-host/);
    assert.ok(!r.body.includes(body));
  }
  const info = await raw(s.port, 'GET', '/?info', { host: 'rebind.attacker.test' });
  assert.equal(info.status, 421, 'even the anonymous info endpoint is refused');
  for (const host of [`127.0.0.1:${s.port}`, `localhost:${s.port}`, `LOCALHOST:${s.port}`, `[::1]:${s.port}`]) {
    const r = await raw(s.port, 'GET', `/${keyOf(body)}`, { ...bearer(T.read), host });
    assert.equal(r.status, 200, `Host ${host}`);
    assert.equal(r.body, body);
  }
  const named = await serve(t, 'host-named', { allowHosts: ['data.example.org'] });
  if (!named) return;
  assert.equal((await raw(named.port, 'GET', '/?info', { host: 'data.example.org' })).status, 200);
  assert.equal((await raw(named.port, 'GET', '/?info', { host: 'data.example.org:8443' })).status, 200, 'a proxy in front may listen on another port');
  assert.equal((await raw(named.port, 'GET', '/?info', { host: 'other.example.org' })).status, 421);
});

test('serve: a cross-site write (foreign Origin) gets 403; same-origin and Origin-less writes work; no CORS grant', async (t) => {
  const s = await serve(t, 'origin', { anonymous: 'write', tokens: undefined });
  if (!s) return;
  const a = 'cross-site body';
  const r = await raw(s.port, 'PUT', `/${keyOf(a)}`, { origin: 'https://evil.example' }, Buffer.from(a));
  assert.equal(r.status, 403);
  assert.match(JSON.parse(r.body).error, /cross-origin PUT from "https:\/\/evil.example" refused/);
  assert.equal((await raw(s.port, 'PUT', `/${keyOf(a)}`, { origin: 'null' }, Buffer.from(a))).status, 403, 'sandboxed pages send Origin: null');
  assert.equal(existsSync(join(s.store.root, ...keyOf(a).split('/'))), false);
  assert.equal((await raw(s.port, 'DELETE', `/${keyOf(a)}`, { origin: 'http://evil.example' })).status, 403);
  assert.equal((await raw(s.port, 'PUT', `/${keyOf(a)}`, { origin: `http://127.0.0.1:${s.port}` }, Buffer.from(a))).status, 201);
  const b = 'no origin body';
  assert.equal((await raw(s.port, 'POST', `/${keyOf(b)}`, {}, Buffer.from(b))).status, 201);
  const g = await raw(s.port, 'GET', `/${keyOf(a)}`, { origin: 'https://evil.example' });
  assert.equal(g.status, 200, 'reads from another origin are answered, but the browser may not read them:');
  assert.equal(g.headers['access-control-allow-origin'], undefined);
});

test('serve: a planted symlinked shard directory is never read, listed, written or deleted through', async (t) => {
  const s = await serve(t, 'symlink');
  if (!s) return;
  const outside = join(tmp.dir, 'outside');
  mkdirSync(outside, { recursive: true });
  const secret = 'outside secret bytes';
  const h = md5(secret);
  writeFileSync(join(outside, h.slice(2)), secret);
  mkdirSync(join(s.store.root, 'files', 'md5'), { recursive: true });
  symlinkSync(outside, join(s.store.root, 'files', 'md5', h.slice(0, 2)));
  const key = keyOf(secret);
  for (const method of ['GET', 'HEAD']) assert.equal((await raw(s.port, method, `/${key}`, bearer(T.admin))).status, 404, method);
  const listed = JSON.parse((await raw(s.port, 'GET', '/?list=files/md5/', bearer(T.read))).body) as { keys: string[] };
  assert.deepEqual(listed.keys, []);
  const shard = JSON.parse((await raw(s.port, 'GET', `/?list=files/md5/${h.slice(0, 2)}/`, bearer(T.read))).body) as { keys: string[] };
  assert.deepEqual(shard.keys, []);
  assert.deepEqual(JSON.parse((await raw(s.port, 'POST', '/?exists', bearer(T.read), Buffer.from(JSON.stringify({ keys: [key] })))).body), { exists: [false] });
  // write token: another object of the same shard must not land in /outside
  let other = '';
  for (let i = 0; !other; i++) if (md5(`probe ${i}`).startsWith(h.slice(0, 2))) other = `probe ${i}`;
  for (const token of [T.write, T.admin]) {
    const up = await raw(s.port, 'PUT', `/${keyOf(other)}`, bearer(token), Buffer.from(other));
    assert.equal(up.status, 403, up.body);
    assert.match(JSON.parse(up.body).error, /symbolic link/);
    assert.ok(!JSON.parse(up.body).error.includes(outside), 'the server path is not revealed');
  }
  assert.deepEqual(readdirSync(outside), [h.slice(2)]);
  // the secret itself, re-uploaded: same answer, the outside file untouched
  assert.equal((await raw(s.port, 'PUT', `/${key}`, bearer(T.write), Buffer.from(secret))).status, 403);
  assert.equal((await raw(s.port, 'DELETE', `/${key}`, bearer(T.admin))).status, 403);
  assert.equal(readFileSync(join(outside, h.slice(2)), 'utf8'), secret);
  assert.ok(uploadsEmpty(s.store.root));
  // a symlinked layout directory (files/sha256 -> /outside) is refused the same way
  symlinkSync(outside, join(s.store.root, 'files', 'sha256'));
  const sh = createHash('sha256').update(other).digest('hex');
  assert.equal((await raw(s.port, 'PUT', `/files/sha256/${sh.slice(0, 2)}/${sh.slice(2)}`, bearer(T.write), Buffer.from(other))).status, 403);
  assert.deepEqual(readdirSync(outside), [h.slice(2)]);
  // a planted upload directory is replaced at start, never followed
  const root2 = join(tmp.dir, 'symlink-uploads');
  mkdirSync(root2);
  symlinkSync(outside, join(root2, '.geodvc-uploads'));
  const s2 = await serve(t, 'symlink-uploads');
  if (!s2) return;
  assert.ok(lstatSync(join(root2, '.geodvc-uploads')).isDirectory());
  assert.equal((await raw(s2.port, 'PUT', `/${keyOf(other)}`, bearer(T.write), Buffer.from(other))).status, 201);
  assert.deepEqual(readdirSync(outside), [h.slice(2)]);
  // the reason is logged for the operator
  const lines: string[] = [];
  const s3 = await serve(t, 'symlink-log', { log: (l) => lines.push(l) });
  if (!s3) return;
  mkdirSync(join(s3.store.root, 'files', 'md5'), { recursive: true });
  symlinkSync(outside, join(s3.store.root, 'files', 'md5', h.slice(0, 2)));
  await raw(s3.port, 'GET', `/${key}`, bearer(T.read));
  assert.ok(lines.some((l) => /refused: files\/md5\/.. resolves to .*outside/.test(l)), lines.join('\n'));
});

test('serve: objects over the size limit are refused from Content-Length before any byte, and while streaming', async (t) => {
  const s = await serve(t, 'size', { maxObjectBytes: 64 * 1024 });
  if (!s) return;
  // a declared 10 GiB body: refused at once, although the body never comes
  const t0 = Date.now();
  const big = await new Promise<RawResult>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: s.port, method: 'PUT', path: `/${keyOf('x')}`, headers: { ...bearer(T.write), 'content-length': String(10 * 1024 ** 3) }, agent: false }, (res) => {
      let b = ''; res.on('data', (c) => { b += c; }); res.on('end', () => { req.destroy(); resolve({ status: res.statusCode ?? 0, body: b, headers: res.headers }); });
    });
    req.on('error', reject);
    req.write(Buffer.alloc(1000));
  });
  assert.equal(big.status, 413);
  assert.match(JSON.parse(big.body).error, /limit of 65536 bytes/);
  assert.ok(Date.now() - t0 < 2000);
  // chunked (no Content-Length): cut off once the stream passes the limit
  let sent = 0;
  const endless = new Readable({ read() { sent += 16384; this.push(sent > 50 * 1024 * 1024 ? null : randomBytes(16384)); } });
  const r = await raw(s.port, 'POST', `/${keyOf('endless')}`, { ...bearer(T.write), 'transfer-encoding': 'chunked' }, endless).catch((e: Error) => ({ status: -1, body: e.message, headers: {} }));
  assert.ok(r.status === 413 || r.status === -1, `${r.status} ${r.body}`);
  assert.ok(sent < 20 * 1024 * 1024, `the server read ${sent} bytes before refusing`);
  assert.ok(await until(() => uploadsEmpty(s.store.root)), 'no temp file is left');
  assert.equal(s.store.maxObjectBytes, 64 * 1024);
  const d = await serve(t, 'size-default');
  if (!d) return;
  assert.equal(d.store.maxObjectBytes, DEFAULT_MAX_OBJECT_BYTES);
  assert.equal(DEFAULT_MAX_OBJECT_BYTES, 5 * 1024 ** 3);
});

test('serve: a stalled upload is cut off (408), the temp file removed, other requests answered meanwhile', async (t) => {
  const s = await serve(t, 'slow', { uploadIdleMs: 300, minUploadBytesPerSec: 1000 });
  if (!s) return;
  const body = randomBytes(100_000);
  const t0 = Date.now();
  let answered = -1;
  const slow = new Promise<RawResult>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: s.port, method: 'PUT', path: `/${keyOf(body)}`, headers: { ...bearer(T.write), 'content-length': String(body.length) }, agent: false }, (res) => {
      let b = ''; res.on('data', (c) => { b += c; }); res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b, headers: res.headers }));
    });
    req.on('error', (e) => resolve({ status: -1, body: e.message, headers: {} }));
    req.write(body.subarray(0, 10)); // then nothing
    void reject;
  });
  await new Promise((r) => setTimeout(r, 100));
  const info = await raw(s.port, 'GET', '/?info');
  answered = info.status;
  const r = await slow;
  assert.equal(answered, 200);
  assert.equal(r.status, 408, r.body);
  assert.match(JSON.parse(r.body).error, /upload too slow: 10 bytes/);
  assert.ok(Date.now() - t0 < 3000, `cut off after ${Date.now() - t0} ms`);
  assert.ok(await until(() => uploadsEmpty(s.store.root)));
  assert.equal(existsSync(join(s.store.root, ...keyOf(body).split('/'))), false);
  // the total time cap
  const s2 = await serve(t, 'slow-total', { uploadTimeoutMs: 400, uploadIdleMs: 60_000 });
  if (!s2) return;
  const trickle = new Readable({ read() { setTimeout(() => this.push(Buffer.alloc(2000)), 50); } });
  const r2 = await raw(s2.port, 'POST', `/${keyOf('trickle')}`, { ...bearer(T.write), 'transfer-encoding': 'chunked' }, trickle).catch((e: Error) => ({ status: -1, body: e.message, headers: {} }));
  trickle.destroy();
  assert.equal(r2.status, 408, r2.body);
  assert.match(r2.body, /longer than/);
  assert.ok(await until(() => uploadsEmpty(s2.store.root)));
});

test('serve: uploads beyond --max-uploads get 503 + Retry-After; a slot frees when one ends', async (t) => {
  const s = await serve(t, 'many', { maxUploads: 2 });
  if (!s) return;
  const held: http.ClientRequest[] = [];
  const open = (i: number) => new Promise<void>((resolve) => {
    const req = http.request({ host: '127.0.0.1', port: s.port, method: 'PUT', path: `/${keyOf(`held ${i}`)}`, headers: { ...bearer(T.write), 'content-length': '1000000' }, agent: false });
    req.on('error', () => {});
    req.write(Buffer.alloc(100), () => resolve());
    held.push(req);
  });
  await open(0); await open(1);
  await until(() => readdirSync(join(s.store.root, '.geodvc-uploads')).length === 2);
  const body = 'third upload';
  const third = await raw(s.port, 'PUT', `/${keyOf(body)}`, bearer(T.write), Buffer.from(body));
  assert.equal(third.status, 503);
  assert.equal(third.headers['retry-after'], '2');
  assert.match(JSON.parse(third.body).error, /too many uploads in progress \(2\)/);
  assert.equal((await raw(s.port, 'GET', '/?info')).status, 200, 'reads still answered');
  held[0]!.destroy();
  assert.ok(await until(() => readdirSync(join(s.store.root, '.geodvc-uploads')).length === 1));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal((await raw(s.port, 'PUT', `/${keyOf(body)}`, bearer(T.write), Buffer.from(body))).status, 201);
  held[1]!.destroy();
});

test('serve: a 20 MB .dir manifest is validated while streaming (memory grows by a few MiB; reading it whole and JSON.parse took ~3.5x its size) and stored', async (t) => {
  const s = await serve(t, 'bigdir');
  if (!s) return;
  const n = 250_000;
  const entry = (i: number) => `{"md5": "${md5(String(i))}", "relpath": "tiles/z12/${String(i).padStart(7, '0')}.tif"}`;
  const gen = function* () { yield '['; for (let i = 0; i < n; i++) yield (i ? ', ' : '') + entry(i); yield ']'; };
  const h = createHash('md5');
  let size = 0;
  let batch = '';
  for (const part of gen()) { batch += part; if (batch.length > 1 << 20) { h.update(batch); size += Buffer.byteLength(batch); batch = ''; } }
  h.update(batch); size += Buffer.byteLength(batch);
  const oid = h.digest('hex');
  const key = `files/md5/${oid.slice(0, 2)}/${oid.slice(2)}.dir`;
  const source = function* () { let b = ''; for (const part of gen()) { b += part; if (b.length > 1 << 16) { yield Buffer.from(b); b = ''; } } yield Buffer.from(b); };
  let peak = 0;
  const base = process.memoryUsage();
  const sampler = setInterval(() => { const m = process.memoryUsage(); peak = Math.max(peak, m.heapUsed + m.arrayBuffers - base.heapUsed - base.arrayBuffers); }, 10);
  const r = await raw(s.port, 'PUT', `/${key}`, { ...bearer(T.write), 'content-length': String(size) }, Readable.from(source(), { objectMode: false }));
  clearInterval(sampler);
  assert.equal(r.status, 201, r.body);
  assert.ok(size > 19e6, `manifest of ${size} bytes`);
  assert.ok(peak < 48 * 1024 * 1024, `heap + buffers grew by ${Math.round(peak / 1048576)} MiB for a ${Math.round(size / 1048576)} MiB manifest`);
  // and an unsafe entry at the very end of a big manifest is still found
  const bad = `[${Array.from({ length: 20_000 }, (_, i) => entry(i)).join(', ')}, {"md5": "${md5('x')}", "relpath": "../../escape"}]`;
  const rb = await raw(s.port, 'PUT', `/${keyOf(bad)}.dir`, bearer(T.write), Buffer.from(bad));
  assert.equal(rb.status, 422);
  assert.match(JSON.parse(rb.body).error, /entry 20000 relpath "\.\.\/\.\.\/escape"/);
});

test('serve: a wrong-token flood locks out that token (exponential backoff), never a valid token from the same address', async (t) => {
  const s = await serve(t, 'flood', { maxAuthFailuresPerMinute: 5, lockoutMs: 1000 });
  if (!s) return;
  const wrong = 'wrong-token-from-the-proxy-000';
  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) statuses.push((await raw(s.port, 'GET', '/?list=files/md5/', bearer(wrong))).status);
  assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429, 429]);
  const locked = await raw(s.port, 'GET', '/?list=files/md5/', bearer(wrong));
  assert.equal(locked.headers['retry-after'], '1');
  // the valid token behind the same address is unaffected
  assert.equal((await raw(s.port, 'GET', '/?list=files/md5/', bearer(T.read))).status, 200);
  const body = 'still works';
  assert.equal((await raw(s.port, 'PUT', `/${keyOf(body)}`, bearer(T.write), Buffer.from(body))).status, 201);
  // after the first lockout (1 s) the token is tried again; 5 more failures lock it for 2 s
  await new Promise((r) => setTimeout(r, 1100));
  for (let i = 0; i < 5; i++) assert.equal((await raw(s.port, 'GET', '/', bearer(wrong))).status, 401);
  assert.equal((await raw(s.port, 'GET', '/', bearer(wrong))).status, 429);
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal((await raw(s.port, 'GET', '/', bearer(wrong))).status, 429, 'the second lockout lasts twice as long');
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((await raw(s.port, 'GET', '/', bearer(wrong))).status, 401);
  // many different wrong tokens from one address: unknown tokens get 429, valid ones still pass
  const seen = new Set<number>();
  for (let i = 0; i < 60; i++) seen.add((await raw(s.port, 'GET', '/', bearer(`guess-${i}-0123456789abcdef`))).status);
  assert.ok(seen.has(429), [...seen].join(','));
  assert.equal((await raw(s.port, 'GET', '/?list=files/md5/', bearer(T.read))).status, 200);
  assert.equal((await raw(s.port, 'GET', '/?list=files/md5/', { authorization: `Basic ${Buffer.from(`dvc:${T.read}`).toString('base64')}` })).status, 200);
});

// ---------------------------------------------------------------- ui

/**
 * A zlib stream inflating to `rows` x `rowBytes` zero bytes, built from one sync-flushed deflate
 * block repeated (never holding the inflated bytes): 46336² bytes take ~2 MB.
 */
function zerosZlib(rowBytes: number, rows: number, rowsPerChunk: number): Buffer {
  const block = deflateRawSync(Buffer.alloc(rowBytes * rowsPerChunk), { level: 9, finishFlush: Z.Z_SYNC_FLUSH });
  const parts: Buffer[] = [Buffer.from([0x78, 0xda])];
  for (let i = 0; i < Math.floor(rows / rowsPerChunk); i++) parts.push(block);
  if (rows % rowsPerChunk) parts.push(deflateRawSync(Buffer.alloc(rowBytes * (rows % rowsPerChunk)), { level: 9, finishFlush: Z.Z_SYNC_FLUSH }));
  parts.push(Buffer.from([0x03, 0x00])); // final empty block
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE((((rowBytes * rows) % 65521) << 16 | 1) >>> 0); // adler32 of n zeros: a = 1, b = n mod 65521
  parts.push(adler);
  return Buffer.concat(parts);
}

/** A little-endian TIFF by hand: w x h, one uint8 band, one DEFLATE tile of tile x tile pixels holding `data`. */
function oneTileTiff(w: number, h: number, tile: number, data: Buffer): Buffer {
  const entries: [number, number, number][] = [
    [256, 4, w], [257, 4, h], [258, 3, 8], [259, 3, 8], [262, 3, 1], [277, 3, 1], [284, 3, 1],
    [322, 4, tile], [323, 4, tile], [324, 4, 0], [325, 4, data.length], [339, 3, 1],
  ];
  const dataOff = 8 + 2 + entries.length * 12 + 4;
  entries[9]![2] = dataOff; // TileOffsets
  const head = Buffer.alloc(dataOff);
  head.write('II', 0, 'latin1'); head.writeUInt16LE(42, 2); head.writeUInt32LE(8, 4);
  head.writeUInt16LE(entries.length, 8);
  entries.forEach(([tag, type, value], i) => {
    const o = 10 + i * 12;
    head.writeUInt16LE(tag, o); head.writeUInt16LE(type, o + 2); head.writeUInt32LE(1, o + 4);
    if (type === 3) head.writeUInt16LE(value, o + 8); else head.writeUInt32LE(value, o + 8);
  });
  return Buffer.concat([head, data]);
}

function startUi(dir: string, extra: string[] = []): Promise<{ url: string; port: number; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'ui', '--port', '0', '--no-open', '--json', ...extra], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`ui did not start\n${err}`)); }, 60_000);
    child.stdout!.setEncoding('utf8').on('data', (d) => {
      out += d;
      let doc: { url?: string } | undefined;
      try { doc = JSON.parse(out); } catch { return; }
      clearTimeout(timer);
      if (doc?.url) resolve({ url: doc.url, port: Number(new URL(doc.url).port), child });
      else { child.kill('SIGKILL'); reject(new Error(`unexpected ui output: ${out}`)); }
    });
    child.stderr!.setEncoding('utf8').on('data', (d) => { err += d; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`ui exited ${code}\n${err}`)); });
  });
}

/** Peak resident memory of a process (VmHWM), MiB. */
function peakRssMiB(pid: number): number | undefined {
  try { const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8')); return m ? Number(m[1]) / 1024 : undefined; } catch { return undefined; }
}

let ui: { url: string; port: number; child: ChildProcess } | undefined;
let uiRepo = '';
after(() => { ui?.child.kill('SIGTERM'); });

async function uiServer(): Promise<{ url: string; port: number; child: ChildProcess }> {
  if (ui) return ui;
  uiRepo = join(tmp.dir, 'ui-repo');
  mkdirSync(uiRepo);
  gitInit(uiRepo);
  await cliOk(['init', '-q'], { cwd: uiRepo });
  mkdirSync(join(uiRepo, 'scenes'));
  const zeros = zerosZlib(46336, 46336, 256);
  // the reported bomb: 2 MB on disk, one 46336² tile (2 GiB decoded)
  writeFileSync(join(uiRepo, 'scenes', 'bomb.tif'), oneTileTiff(46336, 46336, 46336, zeros));
  // its sibling: an honest 512² header whose one tile inflates to 2 GiB anyway
  writeFileSync(join(uiRepo, 'scenes', 'liar.tif'), oneTileTiff(512, 512, 512, zeros));
  copyFileSync(join(CORPUS, 'RGB.byte.tif'), join(uiRepo, 'scenes', 'rgb.tif'));
  await cliOk(['add', '-q', 'scenes'], { cwd: uiRepo });
  git(uiRepo, 'add', '-A');
  git(uiRepo, 'commit', '-q', '-m', 'bombs and a real scene');
  ui = await startUi(uiRepo);
  return ui;
}

test('ui: a foreign Host (DNS rebinding) gets 421 on every path; the ui answers its own names', { timeout: 120_000 }, async () => {
  const u = await uiServer();
  for (const path of ['/api/info', '/', '/app.js', '/api/revisions', '/api/preview.png?rev=HEAD&path=scenes/rgb.tif']) {
    const r = await raw(u.port, 'GET', path, { host: `evil.example:${u.port}` });
    assert.equal(r.status, 421, `${path} -> ${r.status}`);
    assert.ok(!r.body.includes(uiRepo), 'the repository path does not leak');
    assert.equal(JSON.parse(r.body).error.code, 'wrong-host');
  }
  const post = await raw(u.port, 'POST', '/api/info', { origin: 'https://evil.example' });
  assert.equal(post.status, 403);
  for (const host of [`127.0.0.1:${u.port}`, `localhost:${u.port}`]) {
    const r = await raw(u.port, 'GET', '/api/info', { host });
    assert.equal(r.status, 200, host);
    assert.equal(JSON.parse(r.body).root, uiRepo);
  }
});

test('ui: preview bombs are refused from the header (413) in a capped child while /api/info keeps answering', { timeout: 120_000 }, async () => {
  const u = await uiServer();
  const before = peakRssMiB(u.child.pid!);
  const baseline: number[] = [];
  for (let i = 0; i < 3; i++) { const s = Date.now(); assert.equal((await raw(u.port, 'GET', '/api/info')).status, 200); baseline.push(Date.now() - s); }
  const t0 = Date.now();
  const bomb = raw(u.port, 'GET', '/api/preview.png?rev=HEAD&path=scenes/bomb.tif&size=512');
  const liar = raw(u.port, 'GET', '/api/preview.png?rev=HEAD&path=scenes/liar.tif');
  const infoTimes: number[] = [];
  let bombDone = false;
  void bomb.finally(() => { bombDone = true; });
  do {
    const s = Date.now();
    const r = await raw(u.port, 'GET', '/api/info');
    assert.equal(r.status, 200);
    infoTimes.push(Date.now() - s);
    await new Promise((res) => setTimeout(res, 25));
  } while (!bombDone && Date.now() - t0 < 30_000);
  const rb = await bomb;
  const rl = await liar;
  assert.equal(rb.status, 413, rb.body);
  const eb = JSON.parse(rb.body).error;
  assert.equal(eb.code, 'preview-too-large');
  assert.match(eb.message, /^no preview of scenes\/bomb\.tif@[0-9a-f]{7}: IFD #0 tile 0 \(of 1\) would decode to 2\.0 GiB \(46336×46336 pixels .*\), over the decode budget of 128\.0 MiB; refused before decoding/);
  assert.ok(eb.hint);
  assert.equal(rl.status, 413, rl.body);
  assert.match(JSON.parse(rl.body).error.message, /scenes\/liar\.tif.*DEFLATE tile inflates to more than its declared 0\.3 MiB/);
  assert.ok(Date.now() - t0 < 20_000, `refused after ${Date.now() - t0} ms`);
  // in-process decoding blocked the event loop ~50 s; /api/info (a few git calls) must stay near its own pace
  const slowest = Math.max(...infoTimes);
  assert.ok(slowest < Math.max(3000, 3 * Math.max(...baseline)), `/api/info took up to ${slowest} ms while the bombs were handled (${infoTimes.join(', ')}; before: ${baseline.join(', ')})`);
  const peak = peakRssMiB(u.child.pid!);
  if (peak !== undefined) assert.ok(peak < Math.max(400, (before ?? 0) + 100), `ui server peaked at ${peak} MiB`);
  // a real raster still previews
  const ok = await fetch(new URL('/api/preview.png?rev=HEAD&path=scenes/rgb.tif&size=128', u.url));
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('content-type'), 'image/png');
  assert.equal(ok.headers.get('x-preview-size'), '128x116');
  assert.deepEqual([...new Uint8Array(await ok.arrayBuffer()).subarray(1, 4)], [0x50, 0x4e, 0x47]);
});

test('ui previews: budget, time limit and queue limits of the capped renderer', { timeout: 120_000 }, async () => {
  const small = new PreviewRenderer({ budgetBytes: 1024 * 1024 });
  try {
    await assert.rejects(small.render(join(CORPUS, 'RGB.byte.tif'), 256, 'RGB.byte.tif'), (e: any) => {
      assert.equal(e.code, 'preview-too-large');
      assert.match(e.message, /no preview of RGB\.byte\.tif: a 791x718 image with 3 band\(s\) of 1 byte\(s\) needs 1\.6 MiB to preview, over the limit of 1\.0 MiB; add overviews/);
      return true;
    });
    // the same renderer goes on with files that fit
    const ok = await small.render(join(CORPUS, 'byte.tif'), 16, 'byte.tif');
    assert.deepEqual([ok.width, ok.height], [16, 16]);
  } finally { small.close(); }
  // a header declaring 1e6² pixels in 256² tiles with one TileOffsets entry: named, before any decode
  const shortTables = join(tmp.dir, 'short-tables.tif');
  writeFileSync(shortTables, oneTileTiff(1_000_000, 1_000_000, 256, zerosZlib(256, 256, 256)));
  const plain = new PreviewRenderer();
  try {
    await assert.rejects(plain.render(shortTables, 256, 'big.tif@1234567'), (e: any) => {
      assert.equal(e.code, 'preview-failed');
      assert.match(e.message, /^no preview of big\.tif@1234567: IFD #0 TileOffsets has 1 entries, but the declared 1000000×1000000 image in 256×256 tiles needs 15264649 \(tile 1 and on have no data\)/);
      return true;
    });
    // an honest-looking header passes the header check; the capped child stops the bomb inside
    const liar = join(tmp.dir, 'liar.tif');
    writeFileSync(liar, oneTileTiff(512, 512, 512, zerosZlib(46336, 4096, 256)));
    await assert.rejects(plain.render(liar, 64, 'liar.tif'), (e: any) => {
      assert.equal(e.code, 'preview-too-large');
      assert.match(e.message, /^no preview of liar\.tif: a DEFLATE tile inflates to more than its declared 0\.3 MiB/);
      return true;
    });
  } finally { plain.close(); }
  const hurried = new PreviewRenderer({ timeoutMs: 1 });
  try {
    for (let i = 0; i < 2; i++) {
      await assert.rejects(hurried.render(join(CORPUS, 'cog.tif'), 256, 'cog.tif'), (e: any) => e.code === 'preview-timeout' && /cog\.tif took longer than 1 ms and was stopped/.test(e.message));
    }
  } finally { hurried.close(); }
  const single = new PreviewRenderer({ concurrency: 1, queue: 1 });
  try {
    const all = await Promise.allSettled([0, 1, 2].map(() => single.render(join(CORPUS, 'byte.tif'), 20, 'byte.tif')));
    assert.deepEqual(all.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as { code: string }).code)), ['ok', 'ok', 'preview-busy']);
  } finally { single.close(); }
});
