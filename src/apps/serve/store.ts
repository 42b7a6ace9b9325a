/**
 * The object store behind `geodvc serve`: a directory with the DVC remote layout
 * (`files/md5/ab/cdef...`, legacy `ab/cdef...`), so the same directory also works as a local
 * remote. Uploads are streamed to a temp file under `<root>/.geodvc-uploads/` while hashing (and,
 * for `.dir` manifests, while validating the JSON: see manifest-check.ts), checked against the
 * key, fsynced, made read-only and published with `link()`, which fails if the object exists: an
 * existing object is never replaced, and two concurrent uploads store it once.
 *
 * Every path is checked before it is used: the root is resolved once (`realpath`), and the
 * directory of an object (`files/md5/ab`), the upload directory and listed directories must
 * resolve to exactly the path the key names under it, so a symlinked shard or layout directory
 * planted in the root (`files/md5/b5 -> /outside`) is never read, listed, written or deleted
 * through. Object files themselves must be regular files (lstat), and are opened with O_NOFOLLOW.
 */
import { constants as FS, createReadStream, type ReadStream } from 'node:fs';
import { link, lstat, mkdir, open, readdir, realpath, rm, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { createStreamHasher } from './hash.js';
import { parseListPrefix, type ObjectKey } from './keys.js';
import { ManifestChecker, manifestProblemOf } from './manifest-check.js';

export const UPLOAD_DIR = '.geodvc-uploads';

/** Default limit on one object's size: 5 GiB (`--max-object-size` changes it, `none` lifts it). */
export const DEFAULT_MAX_OBJECT_BYTES = 5 * 1024 ** 3;

export type PutOutcome =
  | { status: 'created'; size: number }
  | { status: 'exists'; size: number }
  | { status: 'mismatch'; expected: string; actual: string; size: number }
  | { status: 'too-large'; limit: number }
  | { status: 'bad-manifest'; reason: string };

/** Largest `.dir` manifest the server validates (1M entries are ~90 MB). */
export const MAX_MANIFEST_BYTES = 512 * 1024 * 1024;

/**
 * Why a `.dir` manifest must not be stored, or undefined: not a JSON list of objects, or an entry
 * whose relpath could leave the directory it is checked out into (`..`, absolute, backslash, NUL,
 * drive letter, empty or `.` segments). Defense in depth: clients check too (src/core/odb/tree.ts).
 * Uploads are checked while they stream (ManifestChecker); this is the same check on bytes in memory.
 */
export function manifestProblem(bytes: Buffer): string | undefined {
  return manifestProblemOf(bytes);
}

/** A path of the store that resolves somewhere else than its name says (a planted symlink). */
export class UnsafeStorePathError extends Error {
  constructor(readonly path: string, readonly resolved: string) {
    super(`${path} resolves to ${resolved}, outside the object layout (a symlink planted in the root?); refused`);
  }
}

export interface PutOptions {
  /** Called with the size of each chunk received (for upload watchdogs). */
  onBytes?: (n: number) => void;
}

export class ObjectStore {
  readonly root: string;
  readonly maxObjectBytes: number;
  /** realpath of the root, set by init(). */
  private realRoot: string;
  private onUnsafe: (err: UnsafeStorePathError) => void;
  constructor(root: string, opts: { maxObjectBytes?: number; onUnsafe?: (err: UnsafeStorePathError) => void } = {}) {
    this.root = root;
    this.onUnsafe = opts.onUnsafe ?? (() => {});
    this.realRoot = root;
    this.maxObjectBytes = opts.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
  }

  /**
   * Creates the root and the upload dir, removing stale uploads of earlier runs: files older than
   * an hour (another server process may share the root and be uploading right now).
   */
  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    this.realRoot = await realpath(this.root);
    const dir = join(this.realRoot, UPLOAD_DIR);
    const st = await lstat(dir).catch(() => undefined);
    if (st && !st.isDirectory()) await rm(dir, { force: true }); // a planted symlink or file: removed, never followed
    await mkdir(dir, { recursive: true });
    await this.assertReal(dir);
    const cutoff = Date.now() - 3600_000;
    for (const n of await readdir(dir).catch(() => [] as string[])) {
      const p = join(dir, n);
      const st = await lstat(p).catch(() => undefined);
      if (st && (st.mtimeMs < cutoff || !st.isFile())) await rm(p, { recursive: true, force: true });
    }
  }

  pathOf(k: ObjectKey): string { return join(this.realRoot, ...k.key.split('/')); }

  private dirOf(k: ObjectKey): string { return join(this.realRoot, ...k.key.split('/').slice(0, -1)); }

  /** Directories found real recently (reads reuse a check for up to a second; writes check afresh). */
  private verified = new Map<string, { at: number; p: Promise<void> }>();

  /**
   * Throws UnsafeStorePathError unless `dir` resolves to itself (no symlink anywhere below the
   * root); ENOENT passes through. `fresh` skips the short-lived cache (before writes and deletes):
   * without it, a batch `?exists` of 20,000 keys took 3.5x as long as with plain lstat.
   */
  private assertReal(dir: string, fresh = false): Promise<void> {
    const now = Date.now();
    const v = this.verified.get(dir);
    if (!fresh && v && now - v.at < 1000) return v.p;
    const p = realpath(dir).then((r) => { if (r !== dir) throw new UnsafeStorePathError(dir.slice(this.realRoot.length + 1) || '.', r); });
    this.verified.set(dir, { at: now, p });
    p.catch(() => { if (this.verified.get(dir)?.p === p) this.verified.delete(dir); });
    if (this.verified.size > 10_000) this.verified.clear();
    return p;
  }

  /**
   * Creates `dir` below the root one component at a time, refusing any existing component that is
   * not a real directory (mkdir -p would follow a planted symlink and create directories outside).
   */
  private async makeRealDir(dir: string): Promise<void> {
    let cur = this.realRoot;
    for (const seg of dir.slice(this.realRoot.length + 1).split('/')) {
      cur = join(cur, seg);
      let st = await lstat(cur).catch(() => undefined);
      if (!st) {
        await mkdir(cur).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'EEXIST') throw err; });
        st = await lstat(cur);
      }
      if (!st.isDirectory()) throw new UnsafeStorePathError(cur.slice(this.realRoot.length + 1), st.isSymbolicLink() ? await realpath(cur).catch(() => '(dangling symlink)') : '(not a directory)');
    }
    await this.assertReal(dir, true);
  }

  /** True when the object's directory exists and is real; false when missing; throws when it is a symlink. */
  private async realDir(k: ObjectKey, fresh = false): Promise<boolean> {
    try { await this.assertReal(this.dirOf(k), fresh); return true; } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
      throw err;
    }
  }

  /**
   * Size of a stored object, or undefined. Only regular files in real directories count: a symlink
   * planted in the root, as the object or as any directory above it, is not served (and reported
   * through `onUnsafe`).
   */
  async stat(k: ObjectKey): Promise<{ size: number; mtimeMs: number } | undefined> {
    try {
      if (!(await this.realDir(k))) return undefined;
      const st = await lstat(this.pathOf(k));
      return st.isFile() ? { size: st.size, mtimeMs: st.mtimeMs } : undefined;
    } catch (err) {
      if (err instanceof UnsafeStorePathError) this.onUnsafe(err);
      return undefined;
    }
  }

  /** Opens an object checked by stat(): the file is opened without following a symlink. */
  async openRead(k: ObjectKey, range?: { start: number; end: number }): Promise<ReadStream> {
    await this.assertReal(this.dirOf(k));
    const fh = await open(this.pathOf(k), FS.O_RDONLY | FS.O_NOFOLLOW);
    return createReadStream('', { fd: fh, autoClose: true, ...(range ? { start: range.start, end: range.end } : {}) });
  }

  /**
   * Streams `body` into the store under `k` if its bytes hash to the key. Nothing is kept on a
   * mismatch, an error or an abort. `declaredLength` (Content-Length) is checked against the limit
   * before reading. A `.dir` manifest is validated while it streams (bounded memory).
   */
  async put(k: ObjectKey, body: Readable, declaredLength?: number, opts: PutOptions = {}): Promise<PutOutcome> {
    const limit = k.isDir ? Math.min(this.maxObjectBytes, MAX_MANIFEST_BYTES) : this.maxObjectBytes;
    if (declaredLength !== undefined && declaredLength > limit) return { status: 'too-large', limit };
    const hasher = await createStreamHasher(k.algo);
    const existing = await this.stat(k);
    const uploads = join(this.realRoot, UPLOAD_DIR);
    await this.assertReal(uploads, true);
    const tmp = join(uploads, `${k.oid}-${process.pid}-${randomBytes(6).toString('hex')}`);
    const checker = k.isDir && !existing ? new ManifestChecker() : undefined;
    let fh: FileHandle | undefined;
    let size = 0;
    try {
      // the object exists already: hash the body only (to tell "same bytes" from "different bytes")
      if (!existing) fh = await open(tmp, FS.O_WRONLY | FS.O_CREAT | FS.O_EXCL | FS.O_NOFOLLOW, 0o600);
      // leaving the loop early must not destroy the request: the caller still answers 413 on it
      for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
        size += chunk.length;
        opts.onBytes?.(chunk.length);
        if (size > limit) return { status: 'too-large', limit };
        hasher.update(chunk);
        checker?.push(chunk);
        if (fh) {
          let off = 0;
          while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
        }
      }
      const actual = hasher.digestHex();
      if (actual !== k.oid) return { status: 'mismatch', expected: k.oid, actual, size };
      if (!fh) return { status: 'exists', size };
      const problem = checker?.end();
      if (problem) return { status: 'bad-manifest', reason: problem };
      await fh.sync();
      await fh.chmod(0o444);
      await fh.close();
      fh = undefined;
      const dest = this.pathOf(k);
      const dir = this.dirOf(k);
      await this.makeRealDir(dir);
      try {
        await link(tmp, dest); // atomic, never replaces (and never follows a symlink at dest)
        return { status: 'created', size };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { status: 'exists', size };
        throw err;
      }
    } finally {
      if (fh) await fh.close().catch(() => {});
      await unlink(tmp).catch(() => {});
    }
  }

  /** Deletes an object; false when it did not exist (or is not a regular file in a real directory). */
  async delete(k: ObjectKey): Promise<boolean> {
    try {
      if (!(await this.realDir(k, true))) return false;
      const st = await lstat(this.pathOf(k));
      if (!st.isFile()) return false;
      await unlink(this.pathOf(k));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  /**
   * Lists keys under a layout prefix in sorted order: `files/md5/`, `files/md5/ab/`, '' or `ab/`
   * (legacy). Returns at most `limit` keys strictly after `after`; `next` is set when more remain.
   * Only real directories are entered and only regular files listed (symlinks are skipped).
   */
  async list(prefix: string, opts: { limit?: number; after?: string } = {}): Promise<{ keys: string[]; next?: string } | undefined> {
    const p = parseListPrefix(prefix);
    if (!p) return undefined;
    const limit = Math.max(1, Math.min(opts.limit ?? 10_000, 100_000));
    const after = opts.after ?? '';
    const base = join(this.realRoot, ...p.layout.split('/').filter(Boolean));
    const real = async (d: string) => { try { return (await realpath(d)) === d; } catch { return false; } };
    if (!(await real(base))) return { keys: [] };
    let shards: string[];
    if (p.shard) shards = [p.shard];
    else {
      try { shards = (await readdir(base, { withFileTypes: true })).filter((d) => d.isDirectory() && /^[0-9a-f]{2}$/.test(d.name)).map((d) => d.name).sort(); } catch { shards = []; }
    }
    const keys: string[] = [];
    for (const shard of shards) {
      const shardPrefix = `${p.layout}${shard}/`;
      if (after && after.slice(0, shardPrefix.length) > shardPrefix && !after.startsWith(shardPrefix)) continue;
      if (!(await real(join(base, shard)))) continue;
      let names: string[];
      try { names = (await readdir(join(base, shard), { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name); } catch { continue; }
      names = names.filter((n) => /^([0-9a-f]{30}|[0-9a-f]{62})(\.dir)?$/.test(n)).sort();
      for (const n of names) {
        const key = shardPrefix + n;
        if (key <= after) continue;
        if (keys.length >= limit) return { keys, next: keys[keys.length - 1] };
        keys.push(key);
      }
    }
    return { keys };
  }

  /** Removes the store's upload dir contents (for tests and shutdown). */
  async cleanUploads(): Promise<void> {
    const d = join(this.realRoot, UPLOAD_DIR);
    try { await this.assertReal(d); } catch { return; }
    for (const n of await readdir(d).catch(() => [] as string[])) await rm(join(d, n), { force: true });
  }
}
