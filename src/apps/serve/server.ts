/**
 * `geodvc serve`: an HTTP(S) remote for geodvc's http backend and DVC's http remote, on plain
 * node:http / node:https.
 *
 * Routes (keys: see keys.ts; nothing outside the object layout is ever mapped to a file):
 *   GET|HEAD  /<key>                 read (Range: bytes=a-b | a- | -n -> 206, bad range -> 416)
 *   PUT|POST  /<key>                 write: body hashed against the key; 201 created, 200 already
 *                                    present (same bytes), 400 hash mismatch, 422 a `.dir` manifest
 *                                    with an unsafe relpath (nothing stored in either case)
 *   DELETE    /<key>                 admin: 204, 404
 *   GET       /?list=<prefix>[&after=<key>][&limit=N]
 *                                    read: JSON {"prefix","keys":[...],"next"?} in key order;
 *                                    prefix is '', `ab/`, `files/md5/` or `files/md5/ab/`
 *   POST      /?exists               read: body JSON {"keys":[...]} (<= 100000) ->
 *                                    {"exists":[true,false,...]} in the same order
 *   GET       /?info                 anyone: {"server":"geodvc","role":<caller's role|null>,...}
 * Auth: `Authorization: Bearer <token>` or `Basic base64(user:<token>)`. No credential -> the
 * anonymous role (none unless configured); unknown token -> 401; known but too weak -> 403.
 * Every denied request is logged as one line (never the token, never the raw Authorization).
 *
 * Guards (issue 17): `Host` must name this server (421 otherwise: DNS rebinding) and a
 * state-changing request with an `Origin` must come from it (403); repeated failures of one
 * credential from one address lock that pair out with exponential backoff (429 + Retry-After;
 * a valid token from the same address is never locked out); at most `maxUploads` uploads at once
 * (503 + Retry-After); objects larger than `maxObjectBytes` (default 5 GiB) are refused from
 * Content-Length before reading, or as soon as the stream passes the limit (413); an upload that
 * brings fewer than `minUploadBytesPerSec` over any `uploadIdleMs` window, or lasts longer than
 * `uploadTimeoutMs`, is cut off (408); every path is checked against symlinks (store.ts).
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream';
import { MAX_MANIFEST_BYTES, ObjectStore, UnsafeStorePathError } from './store.js';
import { createHostCheck } from './host-check.js';
import { parseObjectKey } from './keys.js';
import { TokenStore, roleAllows, tokenFromAuthorization, type Principal, type Role } from './tokens.js';
import { ConfigError } from '../../lib/errors.js';

export interface ServeOptions {
  root: string;
  host?: string;
  port?: number;
  tokens?: TokenStore;
  /** Role granted to requests without credentials. Default: none when tokens are set, else 'read'. */
  anonymous?: Role | 'none';
  tls?: { cert: string; key: string };
  maxObjectBytes?: number;
  /** One line per denied request and per error (and per request when `accessLog`). */
  log?: (line: string) => void;
  accessLog?: boolean;
  /**
   * Failed authentications of one credential from one address within a minute before that pair
   * is locked out (429; default 30). Ten times as many failures from one address with any
   * credentials lock out unknown credentials from that address; valid tokens keep working.
   */
  maxAuthFailuresPerMinute?: number;
  /** First lockout in ms (default 30 s); each further lockout of the same key doubles it, up to `maxLockoutMs` (default 1 h). */
  lockoutMs?: number;
  maxLockoutMs?: number;
  /** Extra names accepted in `Host`/`Origin` (e.g. a DNS name or a reverse proxy's name). */
  allowHosts?: string[];
  /** Uploads handled at once; more get 503 + Retry-After (default 32). */
  maxUploads?: number;
  /** Longest an upload may take, ms (default 3 h). */
  uploadTimeoutMs?: number;
  /** Window over which an upload must bring `minUploadBytesPerSec` on average, ms (default 60 s). */
  uploadIdleMs?: number;
  /** Slowest accepted upload, bytes per second averaged over `uploadIdleMs` (default 1024). */
  minUploadBytesPerSec?: number;
}

export const SERVE_DEFAULTS = {
  maxUploads: 32,
  uploadTimeoutMs: 3 * 3600_000,
  uploadIdleMs: 60_000,
  minUploadBytesPerSec: 1024,
  maxAuthFailuresPerMinute: 30,
  lockoutMs: 30_000,
  maxLockoutMs: 3600_000,
} as const;

/** Failure counter of one key (an address and a credential, or an address alone), with its lockout. */
interface Strikes { n: number; since: number; lockedUntil: number; lockouts: number; last: number }

/**
 * Failed-authentication bookkeeping: a key fails `limit` times within a minute -> locked for
 * `base * 2^(lockouts-1)` (capped), counted again from zero after. Keys idle for an hour are
 * forgotten; the table is bounded (oldest dropped first), so a flood cannot grow it without end
 * or reset everyone's counters at once.
 */
class Lockouts {
  private m = new Map<string, Strikes>();
  constructor(private limit: number, private base: number, private cap: number) {}
  /** ms left of a lockout of `key`, or 0. */
  locked(key: string, now: number): number {
    const s = this.m.get(key);
    return s && s.lockedUntil > now ? s.lockedUntil - now : 0;
  }
  fail(key: string, now: number): void {
    let s = this.m.get(key);
    if (s && now - s.last > 3600_000) s = undefined;
    if (!s) s = { n: 0, since: now, lockedUntil: 0, lockouts: 0, last: now };
    if (now - s.since > 60_000) { s.n = 0; s.since = now; }
    s.n++;
    s.last = now;
    if (s.n >= this.limit) {
      s.lockouts++;
      s.lockedUntil = now + Math.min(this.cap, this.base * 2 ** Math.min(30, s.lockouts - 1));
      s.n = 0;
      s.since = now;
    }
    this.m.delete(key);
    this.m.set(key, s); // most recent last
    if (this.m.size > 50_000) {
      let drop = 5_000;
      for (const k of this.m.keys()) { if (drop-- <= 0) break; this.m.delete(k); }
    }
  }
}

export interface RunningServer {
  url: string;
  port: number;
  host: string;
  server: http.Server | https.Server;
  store: ObjectStore;
  close(): Promise<void>;
}

export interface ServeStats { created: number; existed: number; mismatched: number; denied: number; served: number }

const MAX_EXISTS_BODY = 16 * 1024 * 1024;

/** Request path and query, parsed without any decoding of the path. */
function splitUrl(raw: string | undefined): { path: string; query: URLSearchParams } | undefined {
  if (!raw || raw.length > 4096 || raw[0] !== '/') return undefined;
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  let query: URLSearchParams;
  try { query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)); } catch { return undefined; }
  return { path, query };
}

/** A printable, bounded rendering of a request path for logs. */
function showPath(p: string | undefined): string {
  const s = (p ?? '').slice(0, 200);
  return JSON.stringify(s.replace(/[^\x20-\x7e]/g, '?'));
}

function parseRange(h: string, size: number): { start: number; end: number } | 'invalid' | 'ignore' {
  const m = /^bytes=(\d*)-(\d*)$/.exec(h.trim());
  if (!m) return 'ignore'; // multi-range or another unit: serve the whole object (RFC 9110 allows ignoring Range)
  const [a, b] = [m[1]!, m[2]!];
  if (a === '' && b === '') return 'invalid';
  if (a === '') {
    const n = Number(b);
    if (!Number.isSafeInteger(n) || n === 0) return 'invalid';
    if (size === 0) return 'invalid';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  let end = b === '' ? size - 1 : Number(b);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) return 'invalid';
  if (start >= size || end < start) return 'invalid';
  if (end >= size) end = size - 1;
  return { start, end };
}

/** Builds the request handler (exported for tests that want it without a socket). */
type HandlerOptions = Omit<ServeOptions, 'root'> & { hostCheck?: () => ReturnType<typeof createHostCheck> | undefined };

export function createServeHandler(store: ObjectStore, opts: HandlerOptions, stats: ServeStats = { created: 0, existed: 0, mismatched: 0, denied: 0, served: 0 }): http.RequestListener {
  const log = opts.log ?? (() => {});
  const anonymous: Role | undefined = (opts.anonymous ?? (opts.tokens ? 'none' : 'read')) === 'none' ? undefined : (opts.anonymous ?? 'read') as Role;
  const maxFailures = opts.maxAuthFailuresPerMinute ?? SERVE_DEFAULTS.maxAuthFailuresPerMinute;
  const lockBase = opts.lockoutMs ?? SERVE_DEFAULTS.lockoutMs;
  const lockCap = opts.maxLockoutMs ?? SERVE_DEFAULTS.maxLockoutMs;
  const pairLocks = new Lockouts(maxFailures, lockBase, lockCap);
  const addrLocks = new Lockouts(maxFailures * 10, lockBase, lockCap);
  const maxUploads = opts.maxUploads ?? SERVE_DEFAULTS.maxUploads;
  const uploadTimeoutMs = opts.uploadTimeoutMs ?? SERVE_DEFAULTS.uploadTimeoutMs;
  const uploadIdleMs = opts.uploadIdleMs ?? SERVE_DEFAULTS.uploadIdleMs;
  const minRate = opts.minUploadBytesPerSec ?? SERVE_DEFAULTS.minUploadBytesPerSec;
  let uploads = 0;
  // Host/Origin checks need the port the server listens on: set by startServer (or hostCheck option).
  const hostCheck = () => (opts as HandlerOptions).hostCheck?.();

  const send = (res: http.ServerResponse, status: number, body?: unknown, headers: Record<string, string | number> = {}) => {
    if (res.headersSent) { res.destroy(); return; }
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', 'Content-Length': Buffer.byteLength(text), 'X-Content-Type-Options': 'nosniff', ...headers });
    res.end(res.req.method === 'HEAD' ? undefined : text);
  };

  return (req, res) => {
    const started = Date.now();
    const ip = req.socket.remoteAddress ?? '?';
    let principal: Principal | undefined;
    const who = () => (principal ? `${principal.name}(${principal.role})` : 'anonymous');
    const deny = (status: number, reason: string, headers: Record<string, string> = {}) => {
      stats.denied++;
      log(`denied ${status} ${ip} ${who()} ${req.method ?? '?'} ${showPath(req.url)}: ${reason}`);
      // drain (bounded) so the client sees the answer instead of a reset, then close the connection
      req.resume();
      send(res, status, { error: reason }, { Connection: 'close', ...headers });
    };
    const fail = (err: unknown) => {
      log(`error ${ip} ${req.method ?? '?'} ${showPath(req.url)}: ${(err as Error)?.message ?? String(err)}`);
      if (!res.headersSent) send(res, 500, { error: 'internal error' }, { Connection: 'close' });
      else res.destroy();
    };

    res.on('finish', () => { if (opts.accessLog) log(`${res.statusCode} ${ip} ${who()} ${req.method} ${showPath(req.url)} ${Date.now() - started}ms`); });

    // --- DNS rebinding / cross-site requests
    const hc = hostCheck();
    if (hc) {
      const h = hc.checkHost(req.headers.host);
      if (!h.ok) { deny(h.status, h.reason); return; }
      const o = hc.checkOrigin(req.method ?? '', req.headers.origin);
      if (!o.ok) { deny(o.status, o.reason); return; }
    }

    // --- authentication (failures keyed by address + credential, so one client's wrong token
    // never locks out a valid token from the same address, e.g. behind a proxy or NAT)
    const authz = req.headers.authorization;
    if (authz !== undefined) {
      const now = Date.now();
      const pairKey = `${ip}\0${createHash('sha256').update(authz).digest('base64').slice(0, 22)}`;
      const retry = (ms: number) => ({ 'Retry-After': String(Math.max(1, Math.ceil(ms / 1000))) });
      const lockedMs = pairLocks.locked(pairKey, now);
      if (lockedMs > 0) { deny(429, 'too many failed authentications with this credential; retry later', retry(lockedMs)); return; }
      const token = tokenFromAuthorization(authz);
      principal = token !== undefined && opts.tokens ? opts.tokens.lookup(token) : undefined;
      if (!principal) {
        pairLocks.fail(pairKey, now);
        addrLocks.fail(ip, now);
        const addrMs = addrLocks.locked(ip, now);
        if (addrMs > 0) { deny(429, 'too many failed authentications from this address; retry later', retry(addrMs)); return; }
        deny(401, opts.tokens ? 'invalid token' : 'this server has no tokens configured', { 'WWW-Authenticate': 'Bearer realm="geodvc", Basic realm="geodvc"' });
        return;
      }
    }
    const role: Role | undefined = principal?.role ?? anonymous;
    const need = (r: Role): boolean => {
      if (roleAllows(role, r)) return true;
      if (!principal) deny(401, `authentication required (${r})`, { 'WWW-Authenticate': 'Bearer realm="geodvc", Basic realm="geodvc"' });
      else deny(403, `role '${principal.role}' may not ${r === 'read' ? 'read' : r === 'write' ? 'upload' : 'delete'}`);
      return false;
    };

    const u = splitUrl(req.url);
    if (!u) { deny(400, 'malformed request target'); return; }
    const method = req.method ?? '';

    // --- service endpoints on "/"
    if (u.path === '/') {
      if (u.query.has('info') && (method === 'GET' || method === 'HEAD')) {
        send(res, 200, { server: 'geodvc', api: 1, role: role ?? null, layouts: ['files/md5', 'files/sha256', 'files/xxh128', 'legacy'], list: '/?list=<prefix>', exists: 'POST /?exists' });
        return;
      }
      if (u.query.has('list') && (method === 'GET' || method === 'HEAD')) {
        if (!need('read')) return;
        const prefix = u.query.get('list') ?? '';
        const limitS = u.query.get('limit');
        const limit = limitS === null ? undefined : Number(limitS);
        if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) { deny(400, 'limit must be a positive integer'); return; }
        const after = u.query.get('after') ?? undefined;
        if (after !== undefined && (after.length > 100 || /[^0-9a-z/.]/.test(after))) { deny(400, 'after must be an object key'); return; }
        store.list(prefix, { limit, after }).then((r) => {
          if (!r) { deny(400, "list prefix must be '', 'ab/', 'files/<algo>/' or 'files/<algo>/ab/'"); return; }
          send(res, 200, { prefix, keys: r.keys, ...(r.next ? { next: r.next } : {}) });
        }, fail);
        return;
      }
      if (u.query.has('exists') && method === 'POST') {
        if (!need('read')) return;
        const chunks: Buffer[] = [];
        let n = 0;
        let tooBig = false;
        req.on('data', (c: Buffer) => { n += c.length; if (n > MAX_EXISTS_BODY) { tooBig = true; req.destroy(); } else chunks.push(c); });
        req.on('error', () => {});
        req.on('end', () => {
          if (tooBig) return;
          let keys: unknown;
          try { keys = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { keys?: unknown })?.keys; } catch { keys = undefined; }
          if (!Array.isArray(keys) || keys.length > 100_000 || !keys.every((k) => typeof k === 'string')) { deny(400, 'body must be {"keys": [<object key>, ...]} with at most 100000 keys'); return; }
          Promise.all((keys as string[]).map(async (k) => { const ok = parseObjectKey(k); return ok ? (await store.stat(ok)) !== undefined : false; }))
            .then((exists) => send(res, 200, { exists }), fail);
        });
        req.on('close', () => { if (tooBig && !res.headersSent) deny(413, 'request body too large'); });
        return;
      }
      if (method === 'GET' || method === 'HEAD') { send(res, 200, 'geodvc remote: see GET /?info\n'); return; }
      deny(405, 'method not allowed here', { Allow: 'GET, HEAD' });
      return;
    }

    // --- objects
    const k = parseObjectKey(u.path.slice(1));
    if (!k) { deny(404, 'not an object key'); return; }
    if (u.query.toString() !== '') { /* queries on objects are ignored */ }

    if (method === 'GET' || method === 'HEAD') {
      if (!need('read')) return;
      store.stat(k).then((st) => {
        if (!st) { send(res, 404, { error: 'no such object' }); return; }
        const base = { 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream', ETag: `"${k.oid}${k.isDir ? '.dir' : ''}"`, 'Last-Modified': new Date(st.mtimeMs).toUTCString(), 'Cache-Control': 'public, max-age=31536000, immutable', 'X-Content-Type-Options': 'nosniff' };
        const rh = req.headers.range;
        let range: { start: number; end: number } | undefined;
        if (typeof rh === 'string') {
          const r = parseRange(rh, st.size);
          if (r === 'invalid') { res.writeHead(416, { 'Content-Range': `bytes */${st.size}`, 'Content-Length': 0 }); res.end(); return; }
          if (r !== 'ignore') range = r;
        }
        stats.served++;
        if (range) res.writeHead(206, { ...base, 'Content-Range': `bytes ${range.start}-${range.end}/${st.size}`, 'Content-Length': range.end - range.start + 1 });
        else res.writeHead(200, { ...base, 'Content-Length': st.size });
        if (method === 'HEAD' || st.size === 0) { res.end(); return; }
        return store.openRead(k, range).then((rs) => {
          // pipeline closes the file when the client goes away mid-download (pipe() would leave it open)
          pipeline(rs, res, (err) => {
            if (err && (err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') log(`error reading ${k.key}: ${err.message}`);
          });
        });
      }).catch(fail);
      return;
    }

    if (method === 'PUT' || method === 'POST') {
      if (!need('write')) return;
      const ctype = String(req.headers['content-type'] ?? '');
      if (/^multipart\//i.test(ctype)) { deny(415, 'send the object bytes as the raw request body, not multipart'); return; }
      const enc = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
      if (enc !== 'identity' && enc !== '') { deny(415, `content-encoding ${enc.slice(0, 20)} is not supported`); return; }
      const cl = req.headers['content-length'];
      const declared = cl === undefined ? undefined : Number(cl);
      const limit = k.isDir ? Math.min(store.maxObjectBytes, MAX_MANIFEST_BYTES) : store.maxObjectBytes;
      if (declared !== undefined && Number.isFinite(declared) && declared > limit) {
        // refused from the header: the body is not read (the connection is closed after the answer)
        stats.denied++;
        log(`denied 413 ${ip} ${who()} ${method} ${showPath(req.url)}: Content-Length ${declared} over the limit ${limit}`);
        send(res, 413, { error: `object larger than the server's limit of ${limit} bytes (Content-Length ${declared}); nothing stored` }, { Connection: 'close' });
        return;
      }
      if (uploads >= maxUploads) { deny(503, `too many uploads in progress (${maxUploads}); retry shortly`, { 'Retry-After': '2' }); return; }
      uploads++;
      const t0 = Date.now();
      let got = 0;
      let windowStart = t0;
      let windowBytes = 0;
      let cutOff: string | undefined;
      const watchdog = setInterval(() => {
        const now = Date.now();
        if (now - t0 > uploadTimeoutMs) cutOff = `upload took longer than ${Math.round(uploadTimeoutMs / 1000)} s`;
        else if (now - windowStart >= uploadIdleMs) {
          if (windowBytes < (minRate * uploadIdleMs) / 1000) cutOff = `upload too slow: ${windowBytes} bytes in ${Math.round((now - windowStart) / 100) / 10} s (at least ${minRate} bytes/s needed)`;
          windowStart = now; windowBytes = 0;
        }
        if (!cutOff) return;
        clearInterval(watchdog);
        stats.denied++;
        log(`denied 408 ${ip} ${who()} ${method} ${showPath(req.url)}: ${cutOff} after ${got} bytes; nothing stored`);
        send(res, 408, { error: `${cutOff}; nothing stored` }, { Connection: 'close' });
        // the store sees the aborted stream and removes its temp file
        setTimeout(() => req.destroy(), 50).unref();
      }, Math.max(20, Math.min(1000, Math.floor(uploadIdleMs / 4), Math.floor(uploadTimeoutMs / 4))));
      watchdog.unref();
      const done = () => { clearInterval(watchdog); uploads--; };
      store.put(k, req, Number.isFinite(declared) ? declared : undefined, { onBytes: (n) => { got += n; windowBytes += n; } }).then((r) => {
        done();
        if (cutOff) return;
        switch (r.status) {
          case 'created': stats.created++; send(res, 201, { key: k.key, size: r.size, created: true }); return;
          case 'exists': stats.existed++; send(res, 200, { key: k.key, size: r.size, created: false }); return;
          case 'mismatch':
            stats.mismatched++;
            deny(400, `body hash ${r.actual} does not match the key's ${k.algo} ${k.oid}; nothing stored`);
            return;
          case 'too-large':
            stats.denied++;
            log(`denied 413 ${ip} ${who()} ${method} ${showPath(req.url)}: body over the limit ${r.limit}`);
            send(res, 413, { error: `object larger than the server's limit of ${r.limit} bytes; nothing stored` }, { Connection: 'close' });
            setTimeout(() => req.destroy(), 50).unref();
            return;
          case 'bad-manifest': deny(422, `unsafe .dir manifest refused: ${r.reason}; nothing stored`); return;
        }
      }, (err) => {
        done();
        if (cutOff) return;
        if (err instanceof UnsafeStorePathError) { log(`refused ${ip} ${who()} ${k.key}: ${err.message}`); deny(403, 'refused: the object\'s directory on the server is a symbolic link (see the server log); nothing stored'); return; }
        if ((err as NodeJS.ErrnoException)?.code === 'ECONNRESET' || req.destroyed || (err as Error)?.message === 'aborted') { log(`aborted upload ${ip} ${who()} ${k.key}: nothing stored`); res.destroy(); return; }
        fail(err);
      });
      return;
    }

    if (method === 'DELETE') {
      if (!need('admin')) return;
      store.delete(k).then((ok) => {
        if (ok) log(`deleted ${k.key} by ${who()} from ${ip}`);
        send(res, ok ? 204 : 404, ok ? undefined : { error: 'no such object' });
      }, (err) => {
        if (err instanceof UnsafeStorePathError) { log(`refused ${ip} ${who()} ${k.key}: ${err.message}`); deny(403, 'refused: the object\'s directory on the server is a symbolic link (see the server log)'); return; }
        fail(err);
      });
      return;
    }

    deny(405, `method ${method.slice(0, 16)} not allowed`, { Allow: 'GET, HEAD, PUT, POST, DELETE' });
  };
}

/** Starts the server and resolves once it listens. Port 0 picks a free port. */
export async function startServer(opts: ServeOptions): Promise<RunningServer & { stats: ServeStats }> {
  const log = opts.log ?? (() => {});
  const store = new ObjectStore(opts.root, { maxObjectBytes: opts.maxObjectBytes, onUnsafe: (e) => log(`refused: ${e.message}`) });
  await store.init();
  const stats: ServeStats = { created: 0, existed: 0, mismatched: 0, denied: 0, served: 0 };
  const host = opts.host ?? '127.0.0.1';
  let check: ReturnType<typeof createHostCheck> | undefined;
  const handler = createServeHandler(store, { ...opts, hostCheck: () => check }, stats);
  let server: http.Server | https.Server;
  if (opts.tls) {
    let cert: Buffer; let key: Buffer;
    try { cert = readFileSync(opts.tls.cert); key = readFileSync(opts.tls.key); } catch (err) {
      throw new ConfigError('cannot read the TLS certificate or key', { cause: err, hint: 'pass PEM files to --tls-cert and --tls-key' });
    }
    server = https.createServer({ cert, key }, handler);
  } else server = http.createServer(handler);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 30_000; // slow headers (slowloris)
  // whole-request backstop (Node checks it every 30 s); the per-upload watchdog is finer
  server.requestTimeout = (opts.uploadTimeoutMs ?? SERVE_DEFAULTS.uploadTimeoutMs) + 60_000;
  server.setTimeout(120_000); // idle sockets
  server.maxHeadersCount = 100;
  await new Promise<void>((resolve, reject) => {
    const onErr = (err: Error) => reject(new ConfigError(`cannot listen on ${host}:${opts.port ?? 0}: ${err.message}`, { cause: err, hint: 'pick another --port or --host' }));
    server.once('error', onErr);
    server.listen(opts.port ?? 0, host, () => { server.off('error', onErr); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  check = createHostCheck({ host, port, tls: !!opts.tls, allowHosts: opts.allowHosts });
  const url = `${opts.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url, port, host, server, store, stats,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections?.();
    }),
  };
}
