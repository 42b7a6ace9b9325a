/**
 * SSH/SFTP through ssh2-sftp-client (the only importer of it). URL `ssh://[user@]host[:port]/path`.
 * Options: `user`, `port`, `keyfile` (a private key file; default ~/.ssh/id_ed25519 or id_rsa),
 * `password`, `host_key` (the server's public key blob, base64, to pin it; without it any host key
 * is accepted — a known gap, as ~/.ssh/known_hosts is not read). Writes go to a temp name and are
 * moved into place with the OpenSSH posix-rename extension (plain SFTP rename does not overwrite).
 */
import type { Readable } from 'node:stream';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { posix } from 'node:path';
import { randomBytes } from 'node:crypto';
import SftpClient from 'ssh2-sftp-client';
import type { Backend, GetOptions, PutOptions, PutSource, StatResult } from '../backend.js';
import { StorageError, isNetworkError, unreachable } from '../errors.js';
import type { RemoteOptions } from '../registry.js';

const str = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));

export async function openSsh(url: string, o: RemoteOptions): Promise<Backend> {
  let u: URL;
  try { u = new URL(url.replace(/^sftp:/, 'ssh:')); } catch (err) {
    throw new StorageError('bad-url', `bad SSH URL '${url}'`, { cause: err, hint: 'use ssh://USER@HOST[:PORT]/ABSOLUTE/PATH' });
  }
  const host = u.hostname;
  if (!host) throw new StorageError('bad-url', `bad SSH URL '${url}': no host`, { hint: 'use ssh://USER@HOST[:PORT]/ABSOLUTE/PATH' });
  const port = Number(str(o.port) ?? (u.port || 22));
  const username = str(o.user) ?? (decodeURIComponent(u.username) || process.env.USER || 'root');
  let keyfile = str(o.keyfile);
  if (keyfile?.startsWith('~')) keyfile = homedir() + keyfile.slice(1);
  if (keyfile && !existsSync(keyfile)) {
    throw new StorageError('credentials', `the key file '${keyfile}' does not exist`, { hint: 'fix the remote\'s `keyfile` option' });
  }
  if (!keyfile && !str(o.password)) {
    for (const k of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
      const p = `${homedir()}/.ssh/${k}`;
      if (existsSync(p)) { keyfile = p; break; }
    }
  }
  const pinned = str(o.host_key);
  const root = decodeURIComponent(u.pathname || '/').replace(/\/+$/, '') || '/';
  const cfg = {
    host, port, username,
    privateKey: keyfile ? readFileSync(keyfile) : undefined,
    password: str(o.password),
    readyTimeout: o.timeout !== undefined ? Number(o.timeout) * 1000 : 20_000,
    hostVerifier: pinned ? (key: Buffer) => key.toString('base64') === pinned : undefined,
    retries: 0,
  };
  return new SshBackend(url, cfg, root);
}

export class SshBackend implements Backend {
  readonly scheme = 'ssh';
  readonly canList = true;
  private client?: Promise<SftpClient>;
  private dirs = new Set<string>();
  constructor(readonly url: string, private cfg: any, private root: string) {}

  private path(key: string): string { return posix.join(this.root, key); }

  private conn(): Promise<SftpClient> {
    if (!this.client) {
      const c = new SftpClient('geodvc');
      this.client = c.connect(this.cfg).then(() => {
        (c as any).client?.setMaxListeners?.(0);
        c.on('error', () => { this.client = undefined; });
        c.on('end', () => { this.client = undefined; });
        c.on('close', () => { this.client = undefined; });
        return c;
      }, (err: any) => {
        this.client = undefined;
        throw this.wrap(err, 'connection');
      });
    }
    return this.client;
  }

  private wrap(err: any, what: string): Error {
    if (err instanceof StorageError) return err;
    const msg = String(err?.message ?? err);
    if (err?.code === 'ENOENT' || err?.code === 2 || /No such file/i.test(msg)) return new StorageError('object-missing', `${what} not found on remote '${this.url}'`, { cause: err });
    if (/authentication|All configured authentication methods failed/i.test(msg) || err?.level === 'client-authentication') {
      return new StorageError('access-denied', `SSH authentication to '${this.url}' failed`, { cause: err, hint: 'check the remote\'s `user`, `keyfile` or `password` (`geodvc remote modify --local NAME keyfile ~/.ssh/id_ed25519`)' });
    }
    if (err?.code === 3 || /Permission denied/i.test(msg)) return new StorageError('access-denied', `permission denied for ${what} on remote '${this.url}'`, { cause: err, hint: 'check the permissions of the remote directory' });
    if (isNetworkError(err) || err?.level === 'client-socket' || err?.level === 'client-timeout' || /connect|timed out|ENOTCONN|No SFTP connection|not connected/i.test(msg)) {
      this.client = undefined;
      return unreachable(this.url, err);
    }
    return new StorageError('remote-error', `SFTP error on ${what} at '${this.url}': ${msg}`, { cause: err });
  }

  async stat(key: string): Promise<StatResult | null> {
    const c = await this.conn();
    try {
      const st = await c.stat(this.path(key));
      return st.isFile ? { size: st.size } : null;
    } catch (err: any) {
      const e = this.wrap(err, key);
      if (e instanceof StorageError && e.kind === 'object-missing') return null;
      throw e;
    }
  }

  async get(key: string, opts: GetOptions = {}): Promise<Readable> {
    const c = await this.conn();
    const st = await this.stat(key);
    if (!st) throw new StorageError('object-missing', `${key} not found on remote '${this.url}'`);
    const r = opts.range;
    try {
      return c.createReadStream(this.path(key), { start: r?.start ?? 0, end: r?.end ?? Math.max(0, st.size - 1) , highWaterMark: 256 << 10} as any) as unknown as Readable;
    } catch (err) { throw this.wrap(err, key); }
  }

  /** Small objects: one open/read/close (no stat first). */
  async getSmall(key: string): Promise<Buffer> {
    const c = await this.conn();
    try { return await c.get(this.path(key)) as Buffer; } catch (err) { throw this.wrap(err, key); }
  }

  /**
   * Large objects: the SFTP client's concurrent reads (64 x 64 KiB in flight) straight into a
   * local file. A stream issues one read at a time, which makes a download latency-bound.
   */
  async getToFile(key: string, dest: string, opts: { onBytes?: (n: number) => void; signal?: AbortSignal } = {}): Promise<void> {
    const c = await this.conn();
    let last = 0;
    try {
      await c.fastGet(this.path(key), dest, { concurrency: 64, chunkSize: 64 << 10, step: (total: number) => { opts.onBytes?.(total - last); last = total; } } as any);
    } catch (err) { throw this.wrap(err, key); }
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
  }

  private mkdirs = new Map<string, Promise<void>>();
  /** mkdir -p that tolerates concurrent callers (ssh2-sftp-client's recursive mkdir races). */
  private mkdirp(c: SftpClient, dir: string): Promise<void> {
    if (this.dirs.has(dir) || dir === '/' || dir === '.') return Promise.resolve();
    let p = this.mkdirs.get(dir);
    if (!p) {
      p = (async () => {
        const exists = await c.exists(dir).catch(() => false);
        if (exists !== 'd') {
          await this.mkdirp(c, posix.dirname(dir));
          try { await c.mkdir(dir, false); } catch (err) {
            if ((await c.exists(dir).catch(() => false)) !== 'd') throw this.wrap(err, dir);
          }
        }
        this.dirs.add(dir);
      })();
      this.mkdirs.set(dir, p);
      p.catch(() => this.mkdirs.delete(dir));
    }
    return p;
  }

  async put(key: string, src: PutSource, opts: PutOptions = {}): Promise<void> {
    const c = await this.conn();
    const dest = this.path(key);
    const tmp = `${dest}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await this.mkdirp(c, posix.dirname(dest));
      if ('data' in src) {
        await c.put(Buffer.from(src.data.buffer, src.data.byteOffset, src.data.byteLength), tmp);
        opts.onBytes?.(src.data.byteLength);
      } else if (src.size > (8 << 20)) {
        let last = 0;
        await c.fastPut(src.path, tmp, {
          concurrency: Math.max(1, (opts.concurrency ?? 4) * 4), chunkSize: 256 << 10,
          step: (total: number) => { opts.onBytes?.(total - last); last = total; },
        } as any);
        if (last < src.size) opts.onBytes?.(src.size - last);
      } else {
        await c.put(src.path, tmp);
        opts.onBytes?.(src.size);
      }
      await c.posixRename(tmp, dest);
    } catch (err) {
      await c.delete(tmp, true).catch(() => {});
      throw this.wrap(err, key);
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    const c = await this.conn();
    const base = prefix.replace(/\/+$/, '');
    const stack = [base];
    while (stack.length) {
      const rel = stack.pop()!;
      let entries;
      try { entries = await c.list(this.path(rel)); } catch (err) {
        const e = this.wrap(err, rel);
        if (e instanceof StorageError && e.kind === 'object-missing') continue;
        throw e;
      }
      for (const e of entries) {
        const k = rel ? `${rel}/${e.name}` : e.name;
        if (e.type === 'd') stack.push(k);
        else if (e.type === '-' && !e.name.endsWith('.tmp')) yield k;
      }
    }
  }

  async delete(key: string): Promise<void> {
    const c = await this.conn();
    try { await c.delete(this.path(key), true); } catch (err) { throw this.wrap(err, key); }
  }

  async close(): Promise<void> {
    const p = this.client;
    this.client = undefined;
    const c = p ? await p.catch(() => undefined) : undefined;
    if (!c) return;
    // let in-flight SFTP requests (e.g. handle closes of finished read streams) drain first: ending
    // the channel with requests pending makes ssh2 fail them with "No response from server".
    const t0 = Date.now();
    while (Object.keys((c as any).sftp?._requests ?? {}).length && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 20));
    await c.end().catch(() => {});
  }
}
