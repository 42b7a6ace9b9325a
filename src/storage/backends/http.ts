/**
 * Plain HTTP(S) remote through undici (the only importer of it, shared with the WebDAV backend).
 * Objects are `GET/HEAD URL/KEY`; uploads use `method` (DVC's default POST; PUT also works). An
 * HTTP remote cannot list, so existence is checked with HEADs. Auth: `auth` = basic with
 * `user`/`password`, or `custom` with `custom_auth_header` + `password`.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import type { Backend, GetOptions, PutOptions, PutSource, StatResult } from '../backend.js';
import { StorageError, fromHttpStatus, isNetworkError, unreachable } from '../errors.js';
import type { RemoteOptions } from '../registry.js';

const str = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));

export function encodeKey(key: string): string { return key.split('/').map(encodeURIComponent).join('/'); }

export function authHeaders(o: RemoteOptions, u: URL): Record<string, string> {
  const h: Record<string, string> = {};
  const user = str(o.user) ?? (u.username ? decodeURIComponent(u.username) : undefined);
  const pass = str(o.password) ?? (u.password ? decodeURIComponent(u.password) : undefined);
  const auth = str(o.auth) ?? (user ? 'basic' : undefined);
  if (auth === 'basic' && user !== undefined) h.authorization = 'Basic ' + Buffer.from(`${user}:${pass ?? ''}`).toString('base64');
  else if (auth === 'custom') {
    const name = str(o.custom_auth_header);
    if (!name) throw new StorageError('bad-option', 'auth = custom needs `custom_auth_header`', { hint: 'geodvc remote modify NAME custom_auth_header X-Token' });
    h[name.toLowerCase()] = pass ?? '';
  } else if (auth === 'bearer' || str(o.token) || (!auth && process.env.GEODVC_HTTP_TOKEN)) {
    // token: remote option (keep it in config.local), else the GEODVC_HTTP_TOKEN environment variable (CI secrets)
    h.authorization = `Bearer ${str(o.token) ?? process.env.GEODVC_HTTP_TOKEN ?? pass ?? ''}`;
  }
  else if (auth && auth !== 'basic') throw new StorageError('bad-option', `unknown auth '${auth}'`, { hint: 'use basic, custom or bearer' });
  return h;
}

export async function openHttp(url: string, o: RemoteOptions): Promise<Backend> {
  let u: URL;
  try { u = new URL(url); } catch (err) { throw new StorageError('bad-url', `bad HTTP URL '${url}'`, { cause: err, hint: 'use http(s)://HOST[:PORT]/PATH' }); }
  const method = (str(o.method) ?? 'POST').toUpperCase();
  if (method !== 'POST' && method !== 'PUT') throw new StorageError('bad-option', `method must be POST or PUT, not '${method}'`);
  const b = new HttpBackend(url, u, o, method);
  // `geodvc serve` (see docs/serve-and-security.md) answers GET /?info and lists with GET /?list=PREFIX:
  // batch existence checks then cost one request per prefix instead of one HEAD per object.
  if (str(o.list) !== 'false') await b.probeGeodvcServe();
  return b;
}

export class HttpBackend implements Backend {
  readonly scheme: string = 'http';
  canList: boolean = false;
  /** True when the server is `geodvc serve` (listing through `/?list=`). */
  protected geodvcServe = false;
  protected base: string;
  protected headers: Record<string, string>;
  protected dispatcher: Dispatcher;
  readonly url: string;
  constructor(url: string, u: URL, o: RemoteOptions, protected method: string) {
    this.url = url;
    const clean = new URL(u.toString());
    clean.username = ''; clean.password = '';
    this.base = clean.toString().replace(/\/+$/, '');
    this.headers = authHeaders(o, u);
    const t = o.timeout !== undefined ? Number(o.timeout) * 1000 : undefined;
    this.dispatcher = new Agent({
      connections: 64, pipelining: 1, keepAliveTimeout: 10_000,
      connectTimeout: o.connect_timeout !== undefined ? Number(o.connect_timeout) * 1000 : t ?? 30_000,
      bodyTimeout: o.read_timeout !== undefined ? Number(o.read_timeout) * 1000 : t ?? 300_000,
      headersTimeout: t ?? 300_000,
      connect: o.ssl_verify === false || o.ssl_verify === 'false' ? { rejectUnauthorized: false } : undefined,
    });
  }

  protected u(key: string): string { return key ? `${this.base}/${encodeKey(key)}` : `${this.base}/`; }

  protected async req(method: string, url: string, what: string, opts: { headers?: Record<string, string>; body?: any; signal?: AbortSignal; ok?: number[] } = {}): Promise<Dispatcher.ResponseData> {
    let res: Dispatcher.ResponseData;
    try {
      // undici closes the connection after every HEAD unless told not to (against servers that send
      // a body with HEAD); its parser knows a HEAD response has none, and an existence check per
      // object (push, status -c) would otherwise open one TCP (and TLS) connection per object
      res = await request(url, { method: method as any, headers: { ...this.headers, ...opts.headers }, body: opts.body, signal: opts.signal, dispatcher: this.dispatcher, reset: method === 'HEAD' ? false : undefined });
    } catch (err) {
      if (isNetworkError(err) || (err as any)?.code?.startsWith?.('UND_ERR')) throw unreachable(this.url, err);
      throw err;
    }
    if (opts.ok ? !opts.ok.includes(res.statusCode) : res.statusCode >= 300) {
      await res.body.dump().catch(() => {});
      throw fromHttpStatus(res.statusCode, what, this.url);
    }
    return res;
  }

  async stat(key: string): Promise<StatResult | null> {
    const res = await this.req('HEAD', this.u(key), key, { ok: [200, 204, 404] });
    await res.body.dump().catch(() => {});
    if (res.statusCode === 404) return null;
    const len = res.headers['content-length'];
    return { size: Number(len ?? 0), etag: (res.headers.etag as string | undefined) ?? undefined };
  }

  async get(key: string, opts: GetOptions = {}): Promise<Readable> {
    const r = opts.range;
    const headers: Record<string, string> = r ? { range: `bytes=${r.start}-${r.end ?? ''}` } : {};
    const res = await this.req('GET', this.u(key), key, { headers, signal: opts.signal, ok: r ? [206, 200] : [200] });
    if (r && res.statusCode === 200) {
      // the server ignored the range: cut it out ourselves
      return sliceStream(res.body as unknown as Readable, r.start, r.end);
    }
    return res.body as unknown as Readable;
  }

  protected body(src: PutSource): { body: any; length: number } {
    if ('data' in src) return { body: Buffer.from(src.data.buffer, src.data.byteOffset, src.data.byteLength), length: src.data.byteLength };
    return { body: createReadStream(src.path, { highWaterMark: 1 << 20 }), length: src.size };
  }

  async put(key: string, src: PutSource, opts: PutOptions = {}): Promise<void> {
    const { body, length } = this.body(src);
    const res = await this.req(this.method, this.u(key), key, { body, headers: { 'content-length': String(length), 'content-type': 'application/octet-stream' }, signal: opts.signal });
    await res.body.dump().catch(() => {});
    opts.onBytes?.(length);
  }

  /** Asks the server whether it is `geodvc serve`; enables listing when it is. Never throws. */
  async probeGeodvcServe(): Promise<boolean> {
    try {
      const res = await request(`${this.base}/?info`, { method: 'GET', headers: this.headers, dispatcher: this.dispatcher, signal: AbortSignal.timeout(5000) });
      const text = res.statusCode === 200 && String(res.headers['content-type'] ?? '').includes('json') ? await res.body.text() : (await res.body.dump().catch(() => {}), '');
      const info = text ? JSON.parse(text) as { server?: unknown; role?: unknown } : undefined;
      this.geodvcServe = info?.server === 'geodvc' && info.role !== null && info.role !== undefined;
    } catch { this.geodvcServe = false; }
    this.canList = this.geodvcServe;
    return this.geodvcServe;
  }

  // eslint-disable-next-line require-yield
  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<string> {
    if (this.geodvcServe) {
      let after: string | undefined;
      for (;;) {
        const q = `?list=${encodeURIComponent(prefix)}&limit=10000${after ? `&after=${encodeURIComponent(after)}` : ''}`;
        const res = await this.req('GET', `${this.base}/${q}`, `listing ${prefix || '/'}`, { signal });
        const page = await res.body.json() as { keys: string[]; next?: string };
        yield* page.keys;
        if (!page.next) return;
        after = page.next;
      }
    }
    throw new StorageError('remote-error', `an HTTP remote cannot list its objects ('${this.url}')`, { hint: 'use a WebDAV remote (webdav://) to allow listing' });
  }

  async delete(key: string): Promise<void> {
    const res = await this.req('DELETE', this.u(key), key, { ok: [200, 202, 204, 404] });
    await res.body.dump().catch(() => {});
  }

  async close(): Promise<void> { await this.dispatcher.close().catch(() => {}); }
}

function sliceStream(src: Readable, start: number, end?: number): Readable {
  let pos = 0;
  return Readable.from((async function* () {
    for await (const c of src) {
      const buf = c as Buffer;
      const s = Math.max(0, start - pos);
      const e = end === undefined ? buf.length : Math.min(buf.length, end + 1 - pos);
      pos += buf.length;
      if (e > s) yield buf.subarray(s, e);
      if (end !== undefined && pos > end) { src.destroy(); break; }
    }
  })());
}
