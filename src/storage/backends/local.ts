/**
 * A directory as a remote: `<root>/files/md5/ab/cdef…`. Writes go to a temp file, then rename.
 * Small objects are copied with synchronous calls (for 4 KiB files the promise API costs 2-5x
 * more than the copy itself: ../shared/reference/perf-limits.md §3a), big ones with an async
 * copy_file_range copy; created directories are remembered so each is made once.
 */
import { constants as fsc, createReadStream, promises as fsp, copyFileSync, chmodSync, renameSync, rmSync, mkdirSync, writeFileSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Backend, GetOptions, PutOptions, PutSource, StatResult } from '../backend.js';
import { StorageError } from '../errors.js';
import { toAppError } from '../../lib/errors.js';

/** Objects up to this size are copied with blocking calls (microseconds each). */
const SYNC_COPY_MAX = 4 << 20;

export class LocalBackend implements Backend {
  readonly scheme = 'local';
  readonly canList = true;
  private dirs = new Set<string>();
  constructor(readonly root: string) {}
  get url(): string { return this.root; }

  private path(key: string): string { return join(this.root, ...key.split('/')); }

  async stat(key: string): Promise<StatResult | null> {
    try {
      const st = statSync(this.path(key));
      return st.isFile() ? { size: st.size } : null;
    } catch (e: any) {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return null;
      throw toAppError(e);
    }
  }

  localPath(key: string): string | undefined {
    const p = this.path(key);
    try { return statSync(p).isFile() ? p : undefined; } catch { return undefined; }
  }

  async getSmall(key: string): Promise<Buffer> {
    try { return readFileSync(this.path(key)); } catch (e: any) {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') throw new StorageError('object-missing', `${key} not found on remote '${this.root}'`, { cause: e });
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
    const dir = dirname(dest);
    const ensureDir = () => {
      if (this.dirs.has(dir)) return;
      try { mkdirSync(dir, { recursive: true }); } catch (e) { throw this.wrap(e); }
      this.dirs.add(dir);
    };
    ensureDir();
    for (let attempt = 0; ; attempt++) {
      const tmp = `${dest}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        if ('path' in src) {
          // EXCL: the temp name is fresh, and without it libuv ftruncate()s the destination, which makes
          // ext4 flush the whole file on close (auto_da_alloc): a second of waiting per GiB
          if (src.size <= SYNC_COPY_MAX) copyFileSync(src.path, tmp, fsc.COPYFILE_EXCL);
          else await fsp.copyFile(src.path, tmp, fsc.COPYFILE_EXCL);
        } else {
          writeFileSync(tmp, src.data, { mode: 0o444 });
        }
        if ('path' in src) try { chmodSync(tmp, 0o444); } catch { /* a filesystem without modes */ }
        renameSync(tmp, dest);
        opts.onBytes?.('path' in src ? src.size : src.data.byteLength);
        return;
      } catch (e) {
        rmSync(tmp, { force: true });
        // the directory was removed behind our back (a remote wiped between runs): make it again
        if ((e as NodeJS.ErrnoException)?.code === 'ENOENT' && attempt === 0 && !existsSync(dir)) {
          this.dirs.delete(dir);
          ensureDir();
          continue;
        }
        throw this.wrap(e);
      }
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
