/**
 * The object store behind `geodvc serve`: a directory with the DVC remote layout
 * (`files/md5/ab/cdef...`, legacy `ab/cdef...`), so the same directory also works as a local
 * remote. Uploads are streamed to a temp file under `<root>/.geodvc-uploads/` while hashing, checked
 * against the key, fsynced, made read-only and published with `link()`, which fails if the object
 * exists: an existing object is never replaced, and two concurrent uploads store it once.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { link, lstat, mkdir, open, readdir, readFile, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { createStreamHasher } from './hash.js';
import { parseListPrefix, type ObjectKey } from './keys.js';
import { checkRelpath } from '../../lib/safepath.js';

export const UPLOAD_DIR = '.geodvc-uploads';

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
 */
export function manifestProblem(bytes: Buffer): string | undefined {
  let data: unknown;
  try { data = JSON.parse(bytes.toString('utf8')); } catch { return 'not valid JSON'; }
  if (!Array.isArray(data)) return 'not a JSON list';
  for (const [i, e] of data.entries()) {
    if (!e || typeof e !== 'object' || Array.isArray(e)) return `entry ${i} is not an object`;
    const why = checkRelpath((e as { relpath?: unknown }).relpath);
    if (why && why !== 'contains a control character') return `entry ${i} relpath ${JSON.stringify(String((e as { relpath?: unknown }).relpath)).slice(0, 120)} ${why}`;
  }
  return undefined;
}

export class ObjectStore {
  readonly root: string;
  readonly maxObjectBytes: number;
  constructor(root: string, opts: { maxObjectBytes?: number } = {}) {
    this.root = root;
    this.maxObjectBytes = opts.maxObjectBytes ?? Number.POSITIVE_INFINITY;
  }

  /**
   * Creates the root and the upload dir, removing stale uploads of earlier runs: files older than
   * an hour (another server process may share the root and be uploading right now).
   */
  async init(): Promise<void> {
    await mkdir(join(this.root, UPLOAD_DIR), { recursive: true });
    const dir = join(this.root, UPLOAD_DIR);
    const cutoff = Date.now() - 3600_000;
    for (const n of await readdir(dir).catch(() => [] as string[])) {
      const p = join(dir, n);
      const st = await lstat(p).catch(() => undefined);
      if (st && (st.mtimeMs < cutoff || !st.isFile())) await rm(p, { recursive: true, force: true });
    }
  }

  pathOf(k: ObjectKey): string { return join(this.root, ...k.key.split('/')); }

  /** Size of a stored object, or undefined. Only regular files count (a symlink planted in the root is not served). */
  async stat(k: ObjectKey): Promise<{ size: number; mtimeMs: number } | undefined> {
    try {
      const st = await lstat(this.pathOf(k));
      return st.isFile() ? { size: st.size, mtimeMs: st.mtimeMs } : undefined;
    } catch { return undefined; }
  }

  openRead(k: ObjectKey, range?: { start: number; end: number }): ReadStream {
    return createReadStream(this.pathOf(k), range ? { start: range.start, end: range.end } : {});
  }

  /**
   * Streams `body` into the store under `k` if its bytes hash to the key. Nothing is kept on a
   * mismatch, an error or an abort. `declaredLength` (Content-Length) is checked against the limit
   * before reading.
   */
  async put(k: ObjectKey, body: Readable, declaredLength?: number): Promise<PutOutcome> {
    if (declaredLength !== undefined && declaredLength > this.maxObjectBytes) return { status: 'too-large', limit: this.maxObjectBytes };
    const hasher = await createStreamHasher(k.algo);
    const existing = await this.stat(k);
    const tmp = join(this.root, UPLOAD_DIR, `${k.oid}-${process.pid}-${randomBytes(6).toString('hex')}`);
    let fh: FileHandle | undefined;
    let size = 0;
    try {
      // the object exists already: hash the body only (to tell "same bytes" from "different bytes")
      if (!existing) fh = await open(tmp, 'wx', 0o600);
      for await (const chunk of body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > this.maxObjectBytes) { body.destroy(); return { status: 'too-large', limit: this.maxObjectBytes }; }
        hasher.update(chunk);
        if (fh) {
          let off = 0;
          while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
        }
      }
      const actual = hasher.digestHex();
      if (actual !== k.oid) return { status: 'mismatch', expected: k.oid, actual, size };
      if (!fh) return { status: 'exists', size };
      if (k.isDir) {
        if (size > MAX_MANIFEST_BYTES) return { status: 'bad-manifest', reason: `larger than ${MAX_MANIFEST_BYTES} bytes` };
        const problem = manifestProblem(await readFile(tmp));
        if (problem) return { status: 'bad-manifest', reason: problem };
      }
      await fh.sync();
      await fh.chmod(0o444);
      await fh.close();
      fh = undefined;
      const dest = this.pathOf(k);
      await mkdir(join(dest, '..'), { recursive: true });
      try {
        await link(tmp, dest); // atomic, never replaces
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

  /** Deletes an object; false when it did not exist. */
  async delete(k: ObjectKey): Promise<boolean> {
    try {
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
   */
  async list(prefix: string, opts: { limit?: number; after?: string } = {}): Promise<{ keys: string[]; next?: string } | undefined> {
    const p = parseListPrefix(prefix);
    if (!p) return undefined;
    const limit = Math.max(1, Math.min(opts.limit ?? 10_000, 100_000));
    const after = opts.after ?? '';
    const base = join(this.root, ...p.layout.split('/').filter(Boolean));
    let shards: string[];
    if (p.shard) shards = [p.shard];
    else {
      try { shards = (await readdir(base)).filter((s) => /^[0-9a-f]{2}$/.test(s)).sort(); } catch { shards = []; }
    }
    const keys: string[] = [];
    for (const shard of shards) {
      const shardPrefix = `${p.layout}${shard}/`;
      if (after && after.slice(0, shardPrefix.length) > shardPrefix && !after.startsWith(shardPrefix)) continue;
      let names: string[];
      try { names = await readdir(join(base, shard)); } catch { continue; }
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
    const d = join(this.root, UPLOAD_DIR);
    for (const n of await readdir(d).catch(() => [] as string[])) await rm(join(d, n), { force: true });
    await stat(d).catch(() => undefined);
  }
}
