/** A directory as a remote: `<root>/files/md5/ab/cdef…`. Writes go to a temp file, then rename. */
import { createReadStream, promises as fsp, constants as FS } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Backend, GetOptions, PutOptions, PutSource, StatResult } from '../backend.js';
import { StorageError } from '../errors.js';
import { toAppError } from '../../lib/errors.js';

export class LocalBackend implements Backend {
  readonly scheme = 'local';
  readonly canList = true;
  constructor(readonly root: string) {}
  get url(): string { return this.root; }

  private path(key: string): string { return join(this.root, ...key.split('/')); }

  async stat(key: string): Promise<StatResult | null> {
    try {
      const st = await fsp.stat(this.path(key));
      return st.isFile() ? { size: st.size } : null;
    } catch (e: any) {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return null;
      throw toAppError(e);
    }
  }

  async get(key: string, opts: GetOptions = {}): Promise<Readable> {
    const p = this.path(key);
    const fh = await fsp.open(p, 'r').catch((e: any) => {
      if (e.code === 'ENOENT') throw new StorageError('object-missing', `${key} not found on remote '${this.root}'`, { cause: e });
      throw toAppError(e);
    });
    const r = opts.range;
    return createReadStream('', { fd: fh, autoClose: true, start: r?.start, end: r?.end, highWaterMark: 1 << 20, signal: opts.signal } as any);
  }

  async put(key: string, src: PutSource, opts: PutOptions = {}): Promise<void> {
    const dest = this.path(key);
    await fsp.mkdir(dirname(dest), { recursive: true }).catch((e) => { throw this.wrap(e); });
    const tmp = `${dest}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      if ('path' in src) {
        await fsp.copyFile(src.path, tmp);
        opts.onBytes?.(src.size);
      } else {
        await fsp.writeFile(tmp, src.data);
        opts.onBytes?.(src.data.byteLength);
      }
      await fsp.chmod(tmp, 0o444).catch(() => {});
      await fsp.rename(tmp, dest);
    } catch (e) {
      await fsp.rm(tmp, { force: true }).catch(() => {});
      throw this.wrap(e);
    }
  }

  private wrap(e: any): Error {
    if (e?.code === 'EACCES' || e?.code === 'EPERM' || e?.code === 'EROFS') {
      return new StorageError('access-denied', `cannot write to remote '${this.root}': ${e.code}`, { cause: e, hint: 'check the permissions of the remote directory' });
    }
    return toAppError(e);
  }

  async *list(prefix: string): AsyncIterable<string> {
    const base = prefix.replace(/\/+$/, '');
    const start = base ? this.path(base) : this.root;
    const stack: [string, string][] = [[start, base]];
    while (stack.length) {
      const [dir, rel] = stack.pop()!;
      let entries;
      try { entries = await fsp.readdir(dir, { withFileTypes: true }); } catch (e: any) {
        if (e.code === 'ENOENT' || e.code === 'ENOTDIR') continue;
        throw toAppError(e);
      }
      for (const e of entries) {
        const k = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) stack.push([join(dir, e.name), k]);
        else if (e.isFile() && !e.name.endsWith('.tmp')) yield k;
      }
    }
  }

  async delete(key: string): Promise<void> {
    await fsp.rm(this.path(key), { force: true });
  }

  async close(): Promise<void> {}
}
void FS; void sep;
