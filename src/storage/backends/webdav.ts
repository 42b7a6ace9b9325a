/**
 * WebDAV remote (`webdav://host/path` = http, `webdavs://` = https) on the HTTP backend's undici
 * client. Uploads PUT to a temp name and MOVE it into place (so no half-written object is ever
 * visible under its key); parent collections are created with MKCOL when the server does not do it
 * (nginx's create_full_put_path does, Apache does not). Listing uses PROPFIND Depth 1 recursively
 * (nginx refuses Depth: infinity).
 */
import { randomBytes } from 'node:crypto';
import type { Backend, PutOptions, PutSource } from '../backend.js';
import { StorageError } from '../errors.js';
import type { RemoteOptions } from '../registry.js';
import { HttpBackend, encodeKey } from './http.js';

export async function openWebdav(url: string, o: RemoteOptions): Promise<Backend> {
  let u: URL;
  try { u = new URL(url.replace(/^webdav(s?):/i, 'http$1:')); } catch (err) {
    throw new StorageError('bad-url', `bad WebDAV URL '${url}'`, { cause: err, hint: 'use webdav(s)://HOST[:PORT]/PATH' });
  }
  return new WebdavBackend(url, u, o);
}

export class WebdavBackend extends HttpBackend {
  override readonly scheme = 'webdav';
  override readonly canList = true;
  private cols = new Set<string>();
  constructor(url: string, u: URL, o: RemoteOptions) { super(url, u, o, 'PUT'); }

  private async mkcol(dir: string): Promise<void> {
    if (!dir || this.cols.has(dir)) return;
    const parts = dir.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (this.cols.has(d)) continue;
      const res = await this.req('MKCOL', `${this.u(d)}/`, d, { ok: [201, 405, 301] });
      await res.body.dump().catch(() => {});
      this.cols.add(d);
    }
  }

  override async put(key: string, src: PutSource, opts: PutOptions = {}): Promise<void> {
    const tmpKey = `${key}.${randomBytes(6).toString('hex')}.tmp`;
    const put = async () => {
      const { body, length } = this.body(src);
      const res = await this.req('PUT', this.u(tmpKey), key, { body, headers: { 'content-length': String(length), 'content-type': 'application/octet-stream' }, signal: opts.signal, ok: [200, 201, 204, 409] });
      await res.body.dump().catch(() => {});
      return { status: res.statusCode, length };
    };
    let r = await put();
    if (r.status === 409) {
      const dir = key.split('/').slice(0, -1).join('/');
      await this.mkcol(dir);
      r = await put();
      if (r.status === 409) throw new StorageError('remote-error', `WebDAV server refused to create ${key} on '${this.url}' (409)`);
    }
    try {
      const res = await this.req('MOVE', this.u(tmpKey), key, { headers: { destination: this.u(key), overwrite: 'T' }, ok: [201, 204] });
      await res.body.dump().catch(() => {});
    } catch (err) {
      await this.delete(tmpKey).catch(() => {});
      throw err;
    }
    opts.onBytes?.(r.length);
  }

  override async *list(prefix: string): AsyncIterable<string> {
    const basePath = new URL(this.base + '/').pathname;
    const stack = [prefix.replace(/\/+$/, '')];
    while (stack.length) {
      const rel = stack.pop()!;
      const url = rel ? `${this.u(rel)}/` : `${this.base}/`;
      const res = await this.req('PROPFIND', url, rel || '/', {
        headers: { depth: '1', 'content-type': 'application/xml' },
        body: '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getcontentlength/></D:prop></D:propfind>',
        ok: [207, 404],
      });
      const text = await res.body.text();
      if (res.statusCode === 404) continue;
      for (const block of text.split(/<(?:[\w-]+:)?response[\s>]/).slice(1)) {
        const href = /<(?:[\w-]+:)?href>([^<]*)<\/(?:[\w-]+:)?href>/.exec(block)?.[1];
        if (!href) continue;
        const path = decodeURIComponent(new URL(href, this.base + '/').pathname);
        if (!path.startsWith(basePath)) continue;
        const k = path.slice(basePath.length).replace(/\/+$/, '');
        if (k === rel || !k) continue;
        if (/<(?:[\w-]+:)?collection\s*\/?>/.test(block)) stack.push(k);
        else if (!k.endsWith('.tmp')) yield k;
      }
    }
  }
}
void encodeKey;
