/**
 * A directory as a remote: `<root>/files/md5/ab/cdef…`. Writes go to a temp file, then rename.
 * Small objects are copied with synchronous calls (for 4 KiB files the promise API costs 2-5x
 * more than the copy itself: ../shared/reference/perf-limits.md §3a), big ones with an async
 * copy_file_range copy; created directories are remembered so each is made once.
 */
import { constants as fsc, createReadStream, promises as fsp, copyFileSync, chmodSync, renameSync, rmSync, mkdirSync, writeFileSync, readFileSync, statSync, existsSync, open as openCb, read as readCb, close as closeCb, rename as renameCb } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Backend, GetOptions, PutOptions, PutSource, StatResult } from '../backend.js';
import { StorageError } from '../errors.js';
import { toAppError } from '../../lib/errors.js';
import { cb, openNewFile, removeQuietly } from '../../lib/fs-async.js';

/** Objects up to this size are copied with blocking calls (microseconds each). */
const SYNC_COPY_MAX = 4 << 20;

export class LocalBackend implements Backend {
  readonly scheme = 'local';
  readonly canList = true;
  private dirs = new Set<string>();
  /** Directories being made (or made) by putBuffer. */
  private asyncDirs = new Map<string, Promise<void>>();
  /** Directories this backend created (they held nothing before). */
  private made = new Set<string>();
  /**
   * Keys putBuffer wrote into directories this backend created: such a directory holds nothing
   * else, so hasSized answers for it without asking the disk (a fresh remote). A blocking `put`
   * (whole objects, possibly millions) is not remembered; it takes its directory out of `made`.
   */
  private fresh = new Map<string, number>();
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

  /**
   * Temp files (`*.<hex>.tmp`, see tempNameFor) directly under the key prefix `dir` not written
   * for `olderThanMs`: what a push killed mid-write leaves (nothing lists or trusts them). Removed
   * unless `dry`; returns their keys. A temp file still being written is younger than any sane
   * threshold (its mtime moves with every write).
   */
  async sweepTemps(dir: string, olderThanMs: number, dry = false): Promise<string[]> {
    const base = this.path(dir);
    let names: string[];
    try { names = await fsp.readdir(base); } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw this.wrap(e);
    }
    const out: string[] = [];
    const cutoff = Date.now() - olderThanMs;
    for (const n of names) {
      if (!TEMP_NAME.test(n)) continue;
      const p = join(base, n);
      try {
        const st = await fsp.stat(p);
        if (!st.isFile() || st.mtimeMs > cutoff) continue;
        if (!dry) await fsp.rm(p, { force: true });
        out.push(`${dir}/${n}`);
      } catch { /* gone meanwhile */ }
    }
    return out;
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
      const tmp = tempNameFor(dest);
      try {
        if ('path' in src) {
          // EXCL: the temp name is fresh, and without it libuv ftruncate()s the destination, which makes
          // ext4 flush the whole file on close (auto_da_alloc): a second of waiting per GiB
          if (src.size <= SYNC_COPY_MAX) copyFileSync(src.path, tmp, fsc.COPYFILE_EXCL);
          else await fsp.copyFile(src.path, tmp, fsc.COPYFILE_EXCL);
        } else {
          writeFileSync(tmp, src.data, { mode: 0o444, flag: 'wx' });
        }
        if ('path' in src) try { chmodSync(tmp, 0o444); } catch { /* a filesystem without modes */ }
        renameSync(tmp, dest);
        // (not remembered: hasSized asks the disk in this directory from now on)
        this.made.delete(dir);
        opts.onBytes?.('path' in src ? src.size : src.data.byteLength);
        return;
      } catch (e) {
        rmSync(tmp, { force: true });
        // the directory was removed behind our back (a remote wiped between runs): make it again
        if ((e as NodeJS.ErrnoException)?.code === 'ENOENT' && attempt === 0 && !existsSync(dir)) {
          this.forgetDir(dir);
          ensureDir();
          continue;
        }
        throw this.wrap(e);
      }
    }
  }

  /**
   * Writes `data[0, len)` as `key` atomically (a temp file in the same directory, then a rename),
   * asynchronously on libuv's thread pool: for many small objects written concurrently (chunks),
   * so their file creation overlaps with work on the main thread. No fsync, as for `put`: the
   * caller's commit point is a later object (a chunk list after its chunks). `data` may be reused
   * once the promise settles.
   */
  async putBuffer(key: string, data: Uint8Array, len = data.byteLength): Promise<void> {
    const dest = this.path(key);
    const dir = dirname(dest);
    await this.ensureDirAsync(dir);
    for (let attempt = 0; ; attempt++) {
      const tmp = tempNameFor(dest);
      try {
        await writeNew(tmp, data, len);
        await cb<void>((done) => renameCb(tmp, dest, done));
        if (this.made.has(dir)) this.fresh.set(key, len);
        return;
      } catch (e) {
        await removeQuietly(tmp);
        // the directory was removed behind our back (a remote wiped between runs): make it again
        if ((e as NodeJS.ErrnoException)?.code === 'ENOENT' && attempt === 0) {
          this.forgetDir(dir);
          await this.ensureDirAsync(dir);
          continue;
        }
        throw this.wrap(e);
      }
    }
  }

  /**
   * Whether `key` exists as a file of `size` bytes (an object of another size, e.g. one a
   * non-atomic copy truncated, counts as absent). Answers without a `stat` for a directory this
   * backend created, which holds only what putBuffer wrote there.
   */
  hasSized(key: string, size: number): boolean {
    const p = this.path(key);
    if (this.made.has(dirname(p))) return this.fresh.get(key) === size;
    try {
      const st = statSync(p);
      return st.isFile() && st.size === size;
    } catch (e: any) {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return false;
      throw toAppError(e);
    }
  }

  /**
   * Reads object `key` into `buf` from offset 0, at most `max` bytes (≤ buf.length), on the
   * thread pool; resolves with the number of bytes read. Throws StorageError object-missing.
   */
  async readInto(key: string, buf: Buffer, max = buf.length): Promise<number> {
    return this.readAt(key, buf, 0, max, 0);
  }

  /**
   * Reads `len` bytes of object `key` from byte `pos` into `buf` at `bufOff` (one positioned read
   * loop on the thread pool); resolves with the number of bytes read (short at the end of the
   * object). Throws StorageError object-missing. Ranged reads of pack files (docs/chunking.md).
   */
  async readAt(key: string, buf: Uint8Array, bufOff: number, len: number, pos: number): Promise<number> {
    const fd = await cb<number>((done) => openCb(this.path(key), 'r', done)).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') throw new StorageError('object-missing', `${key} not found on remote '${this.root}'`, { cause: e });
      throw toAppError(e);
    });
    try {
      let got = 0;
      while (got < len) {
        const n = await cb<number>((done) => readCb(fd, buf, bufOff + got, len - got, pos + got, done));
        if (n <= 0) break;
        got += n;
      }
      return got;
    } catch (e) {
      throw toAppError(e);
    } finally {
      await cb<void>((done) => closeCb(fd, done)).catch(() => undefined);
    }
  }

  /**
   * A new temp file in the directory of `key` (not listed: its name ends in `.tmp`), written with
   * positioned writes on the thread pool and renamed to a key of the same directory by `commit`
   * (read-only, no fsync, as `put`): pack files, whose final name is known only once written.
   */
  async createTemp(key: string): Promise<LocalTempFile> {
    const dest = this.path(key);
    const dir = dirname(dest);
    await this.ensureDirAsync(dir);
    const tmp = tempNameFor(dest);
    const file = await openNewFile(tmp, 0o444).catch((e) => { throw this.wrap(e); });
    return {
      write: async (data, off, len, pos) => {
        try { await file.write(data, off, len, pos); } catch (e) { throw this.wrap(e); }
      },
      commit: async (finalKey) => {
        try {
          await file.close();
          await cb<void>((done) => renameCb(tmp, this.path(finalKey), done));
        } catch (e) {
          await removeQuietly(tmp);
          throw this.wrap(e);
        }
      },
      discard: async () => {
        await file.close().catch(() => undefined);
        await removeQuietly(tmp);
      },
    };
  }

  /**
   * Copies the local file `src` into a new temp file in the directory of `key` (in the kernel:
   * copy_file_range, as `put` of a big file), to be renamed to a key of that directory by
   * `commit`: a pack file that is a whole cached object (docs/chunking.md).
   */
  async copyToTemp(key: string, src: string): Promise<Pick<LocalTempFile, 'commit' | 'discard'>> {
    const dest = this.path(key);
    await this.ensureDirAsync(dirname(dest));
    const tmp = tempNameFor(dest);
    const rm = () => removeQuietly(tmp);
    try {
      await fsp.copyFile(src, tmp, fsc.COPYFILE_EXCL);
      try { await fsp.chmod(tmp, 0o444); } catch { /* a filesystem without modes */ }
    } catch (e) {
      await rm();
      throw this.wrap(e);
    }
    return {
      commit: async (finalKey) => {
        try { await cb<void>((done) => renameCb(tmp, this.path(finalKey), done)); } catch (e) { await rm(); throw this.wrap(e); }
      },
      discard: rm,
    };
  }

  /** Makes `dir` once (asynchronously), remembering whether this backend created it. */
  private ensureDirAsync(dir: string): Promise<void> {
    if (this.dirs.has(dir)) return Promise.resolve();
    let made = this.asyncDirs.get(dir);
    if (!made) {
      made = fsp.mkdir(dir, { recursive: true }).then((first) => {
        if (first !== undefined) this.made.add(dir);
        this.dirs.add(dir);
      }, (e) => { this.asyncDirs.delete(dir); throw this.wrap(e); });
      this.asyncDirs.set(dir, made);
    }
    return made;
  }

  /** A directory removed behind our back: made again on the next write, and nothing in it is known. */
  private forgetDir(dir: string): void {
    this.dirs.delete(dir);
    this.asyncDirs.delete(dir);
    if (this.made.delete(dir)) for (const k of this.fresh.keys()) if (dirname(this.path(k)) === dir) this.fresh.delete(k);
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

/** A temp file of a local remote (LocalBackend.createTemp). */
export interface LocalTempFile {
  /** Writes `data[off, off + len)` at byte `pos` of the file. */
  write(data: Uint8Array, off: number, len: number, pos: number): Promise<void>;
  /** Closes the file and renames it to `key` (same directory as the key it was created for). */
  commit(key: string): Promise<void>;
  /** Closes and removes the file. */
  discard(): Promise<void>;
}

/** A fresh temp name beside `dest` (same directory, so a rename commits it; `.tmp` is never listed). */
function tempNameFor(dest: string): string {
  return `${dest}.${randomBytes(6).toString('hex')}.tmp`;
}

/** The names tempNameFor makes (what `sweepTemps` may remove). */
const TEMP_NAME = /\.[0-9a-f]{12}\.tmp$/;

/** Creates `path` (it must not exist: EXCL, read-only mode) and writes `data[0, len)` to it. */
async function writeNew(path: string, data: Uint8Array, len: number): Promise<void> {
  const file = await openNewFile(path, 0o444);
  try {
    await file.write(data, 0, len, 0);
  } finally {
    await file.close();
  }
}
