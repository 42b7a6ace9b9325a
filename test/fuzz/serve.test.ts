/**
 * Fuzz: `geodvc serve` request handling against a live server on 127.0.0.1. Random methods, request
 * targets (valid keys, traversal attempts, encodings, queries), headers (tokens, malformed auth,
 * ranges, encodings, Host and Origin) and bodies. Properties: no 5xx and only documented statuses;
 * a request without a write/admin token never stores anything; a request naming another host gets
 * 421 and a state-changing one from another origin 403 (issue 17); nothing is ever written outside
 * the root; every stored object's bytes hash to its key; the server still answers at the end.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startServer, type RunningServer } from '../../src/apps/serve/server.js';
import { TokenStore } from '../../src/apps/serve/tokens.js';
import { parseObjectKey } from '../../src/apps/serve/keys.js';
import { makeShmTmpDir } from '../helpers/tmp.js';
import { RUNS, checkAsync, params } from './_fuzz.js';

const T = { read: 'fuzz-read-token-0123456789', write: 'fuzz-write-token-0123456789', admin: 'fuzz-admin-token-0123456789' };
const md5 = (b: Uint8Array | string) => createHash('md5').update(b).digest('hex');
const CONTENTS = ['a', 'hello world', '', 'x'.repeat(5000), '[{"md5": "acbd18db4cc2f85cedef654fccc4a4d8", "relpath": "foo"}]'];
const KEYS = CONTENTS.map((c) => `files/md5/${md5(c).slice(0, 2)}/${md5(c).slice(2)}`);
const ALLOWED = new Set([200, 201, 204, 206, 400, 401, 403, 404, 405, 413, 415, 416, 421, 422, 429]);

let tmp: ReturnType<typeof makeShmTmpDir>;
let srv: RunningServer | undefined;
let agent: http.Agent;

before(async () => {
  tmp = makeShmTmpDir('fuzz-serve-');
  agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  try {
    srv = await startServer({ root: join(tmp.dir, 'root'), port: 0, tokens: TokenStore.parse(`read ${T.read}\nwrite ${T.write}\nadmin ${T.admin}\n`), maxAuthFailuresPerMinute: 1e9, maxObjectBytes: 1 << 20 });
  } catch (err) { if (process.env.CI === 'true') throw err; }
});
after(async () => { agent?.destroy(); await srv?.close(); tmp?.cleanup(); });

/** Host/Origin values; `@…` markers become addresses of the server once its port is known. */
interface Req { method: string; path: string; headers: Record<string, string>; body: Buffer; host?: string; origin?: string }
const HOSTS = ['@local', '@localhost', '@v6', '@wrongport', 'evil.example', 'localhost', '127.0.0.1', '127.0.0.1.evil.example'];
const ORIGINS = ['@self', 'https://evil.example', 'null', 'http://localhost', '@wrongport'];
function resolveMarker(v: string, port: number, origin: boolean): string {
  const hp = ({ '@local': `127.0.0.1:${port}`, '@localhost': `localhost:${port}`, '@v6': `[::1]:${port}`, '@wrongport': `127.0.0.1:${port + 1}`, '@self': `127.0.0.1:${port}` } as Record<string, string>)[v];
  return hp === undefined ? v : origin ? `http://${hp}` : hp;
}
const sameHost = (v: string, port: number) => [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(v.toLowerCase());

const segment = fc.oneof(fc.constantFrom('..', '.', '', 'files', 'md5', 'sha256', 'xxh128', 'ab', '%2e%2e', '%2f', '%00', '..%2f', '\\..', 'C:', '.geodvc-uploads', '~', 'etc', 'passwd'), fc.stringMatching(/^[0-9a-f]{1,64}$/), fc.string({ maxLength: 8 }).map(encodeURIComponent));
const target = fc.oneof(
  fc.constantFrom(...KEYS).map((k) => `/${k}`),
  fc.constantFrom(...KEYS).map((k) => `/${k}.dir`),
  fc.constantFrom(...KEYS).map((k) => `/${k.slice(10)}`), // legacy layout
  fc.array(segment, { maxLength: 6 }).map((s) => '/' + s.join('/')),
  fc.tuple(fc.constantFrom('list', 'exists', 'info', 'limit', 'after', 'x'), fc.oneof(fc.constantFrom('files/md5/', '../', 'files/md5/ab/', '', '%2e%2e/'), fc.string({ maxLength: 12 }).map(encodeURIComponent))).map(([k, v]) => `/?${k}=${v}`),
  fc.constantFrom('/?list=files/md5/&limit=0', '/?list=files/md5/&limit=abc', '/?list=&after=../../x', '//', '/./files', '/files/md5/../../../etc/passwd'),
);
const authz = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(...Object.values(T)).map((t) => `Bearer ${t}`),
  fc.constantFrom(...Object.values(T)).map((t) => `Basic ${Buffer.from(`u:${t}`).toString('base64')}`),
  fc.constantFrom('Bearer', 'Basic', 'Basic !!!', 'Bearer fuzz-read-token-0123456789 extra', 'Digest x', `Basic ${Buffer.from(':').toString('base64')}`),
  fc.stringMatching(/^[\x21-\x7e]{0,40}$/).map((s) => `Bearer ${s}`),
);
const request = fc.record({
  method: fc.constantFrom('GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND', 'MKCOL', 'COPY', 'MOVE'),
  path: target,
  authorization: authz,
  range: fc.option(fc.oneof(fc.constantFrom('bytes=0-0', 'bytes=-1', 'bytes=5-', 'bytes=0-1,3-4', 'bytes=99999999999999999999-', 'bytes=-0', 'bytes=--1', 'items=0-1'), fc.stringMatching(/^bytes=[0-9-]{0,12}$/))),
  contentType: fc.option(fc.constantFrom('application/octet-stream', 'multipart/form-data; boundary=x', 'application/json')),
  contentEncoding: fc.option(fc.constantFrom('gzip', 'identity', 'br')),
  body: fc.oneof(fc.constantFrom(...CONTENTS).map((c) => Buffer.from(c)), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)), fc.constant(Buffer.from(JSON.stringify({ keys: KEYS })))),
  // mostly the server's own names (so the other checks are reached), sometimes foreign ones
  host: fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, { arbitrary: fc.constantFrom('@local', '@localhost', '@v6'), weight: 3 }, { arbitrary: fc.constantFrom(...HOSTS), weight: 1 }, { arbitrary: fc.stringMatching(/^[a-z0-9.:[\]-]{1,30}$/), weight: 1 }),
  origin: fc.oneof({ arbitrary: fc.constant(undefined), weight: 6 }, { arbitrary: fc.constantFrom(...ORIGINS), weight: 1 }),
}, { requiredKeys: ['method', 'path', 'body'] }).map((r): Req => {
  const headers: Record<string, string> = {};
  if (r.authorization !== undefined) headers.authorization = r.authorization;
  if (r.range) headers.range = r.range;
  if (r.contentType) headers['content-type'] = r.contentType;
  if (r.contentEncoding) headers['content-encoding'] = r.contentEncoding;
  return { method: r.method, path: r.path, headers, body: r.body, host: r.host ?? undefined, origin: r.origin ?? undefined };
});

function send(r: Req): Promise<{ status: number; body: Buffer } | undefined> {
  return new Promise((resolve, reject) => {
    let req: http.ClientRequest;
    try {
      const headers = { ...r.headers };
      if (r.host !== undefined) headers.host = resolveMarker(r.host, srv!.port, false);
      if (r.origin !== undefined) headers.origin = resolveMarker(r.origin, srv!.port, true);
      req = http.request({ host: '127.0.0.1', port: srv!.port, method: r.method, path: r.path, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
    } catch { resolve(undefined); return; } // the client refused to send it (invalid header or path characters)
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? resolve(undefined) : reject(e)));
    req.end(['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(r.method) ? undefined : r.body);
  });
}

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out); else out.push(p);
  }
  return out;
}

test('server: random requests never crash it, never store without write, never escape the root', { timeout: 240_000 }, async (t) => {
  if (!srv) { t.skip('server could not start'); return; }
  const s = srv;
  const root = join(tmp.dir, 'root');
  const before = readdirSync(tmp.dir).sort();
  let sent = 0;
  // 10 concurrent requests per case: FUZZ_RUNS requests in all, and concurrency is exercised too
  const canWrite = (r: Req) => {
    const auth = r.headers.authorization ?? '';
    return (auth.startsWith('Bearer ') && (auth.slice(7) === T.write || auth.slice(7) === T.admin)) || (auth.startsWith('Basic ') && [T.write, T.admin].some((x) => Buffer.from(auth.slice(6), 'base64').toString().endsWith(`:${x}`)));
  };
  await checkAsync(fc.asyncProperty(fc.array(request, { minLength: 10, maxLength: 10 }), async (batch) => {
    const anyWriter = batch.some(canWrite);
    const filesBefore = anyWriter ? undefined : walk(root).length;
    const results = await Promise.all(batch.map(send));
    results.forEach((res, i) => {
      const r = batch[i]!;
      if (!res) return;
      sent++;
      assert.ok(ALLOWED.has(res.status), `${r.method} ${r.path} -> ${res.status} ${res.body.toString().slice(0, 200)}`);
      if (!canWrite(r)) assert.notEqual(res.status, 201, `stored without a write token: ${r.method} ${r.path}`);
      const host = r.host === undefined ? undefined : resolveMarker(r.host, s.port, false);
      if (host !== undefined && !sameHost(host, s.port)) assert.equal(res.status, 421, `Host ${JSON.stringify(host)} answered ${res.status}`);
      else if (r.origin !== undefined && !['GET', 'HEAD', 'OPTIONS'].includes(r.method)) {
        const origin = resolveMarker(r.origin, s.port, true);
        const foreign = !origin.startsWith('http://') || !sameHost(origin.slice(7), s.port);
        if (foreign) assert.equal(res.status, 403, `${r.method} from Origin ${origin} answered ${res.status}`);
      }
    });
    if (filesBefore !== undefined) assert.equal(walk(root).length, filesBefore, 'a file appeared without a write token');
  }), params(Math.ceil(RUNS / 10)));
  assert.ok(sent > 0);
  // nothing outside the root, nothing but layout objects (and the empty upload dir) inside it, all intact
  assert.deepEqual(readdirSync(tmp.dir).sort(), before);
  for (const f of walk(root)) {
    const rel = relative(root, f).split('\\').join('/');
    const k = parseObjectKey(rel);
    assert.ok(k, `unexpected file ${rel}`);
    assert.equal(md5(readFileSync(f)), k.oid, `${rel} does not match its key`);
    assert.equal(statSync(f).mode & 0o222, 0, `${rel} is writable`);
  }
  assert.deepEqual(readdirSync(join(root, '.geodvc-uploads')), []);
  const info = await fetch(`${s.url}/?info`);
  assert.equal(info.status, 200);
});

test('server parsers: keys, list prefixes, Authorization headers, tokens files', { timeout: 120_000 }, async () => {
  const { parseListPrefix } = await import('../../src/apps/serve/keys.js');
  const { tokenFromAuthorization } = await import('../../src/apps/serve/tokens.js');
  const { check, tolerate } = await import('./_fuzz.js');
  check(fc.property(fc.oneof(fc.string({ maxLength: 100 }), fc.constantFrom(...KEYS), fc.stringMatching(/^[0-9a-f/.dirfles5mh]{0,80}$/)), (s) => {
    const k = parseObjectKey(s);
    if (k) {
      assert.ok(!s.includes('..') && !s.startsWith('/') && !s.includes('\\'));
      assert.equal(k.key, s);
    }
    const p = parseListPrefix(s);
    if (p) assert.ok(!s.includes('..'));
    tokenFromAuthorization(s);
    tokenFromAuthorization(`Basic ${Buffer.from(s).toString('base64')}`);
    tolerate(() => TokenStore.parse(s), 'TokenStore.parse');
  }));
});
