/**
 * What a hashing/linking worker does with one job: the code of `pool.worker.ts`, also run in the
 * main thread by `HashPool` for tiny jobs (no thread start-up). Hashing is `hash.ts`'s; object
 * paths are `layout.ts`'s.
 *
 * Operations per item (synchronous except the big-file reads; reads use one reused 1 MiB buffer
 * for big files and a reused buffer for small ones, perf-limits.md §3):
 *   hash                       hash the file (stat before and after: a file changing underneath is an error)
 *   hash-follow                hash a file still being written, up to a shared "bytes complete" counter
 *   copy-tmp                   kernel-side copy of a big file into a temp file in the cache
 *   store-copy                 hash + write the object into the cache (temp + rename, 0o444)
 *   store-hardlink             hash + the workspace file becomes a hard link of the object
 *   store-symlink              hash + move the file into the cache, symlink back
 *   link-copy|link-hardlink|link-symlink   place a cache object at a workspace path (temp + rename)
 *   chunk-list                 cut the file into the chunks a chunked remote stores (chunk/chunker.ts), run
 *                              beside a big file's 'hash'/'store-*' on another worker so `add` pays the cut
 *                              on the second core instead of `push` paying it alone (docs/chunking.md)
 */
import * as fs from 'node:fs';
import { dirname, basename } from 'node:path';
import { createHasherSync, hashBuffer, readyHasherSync, type HashName, type Hasher } from './hash.js';
import { objectPath } from './layout.js';

export type PoolOp = 'chunk-list' | 'copy-tmp' | 'hash' | 'hash-follow' | 'store-copy' | 'store-hardlink' | 'store-symlink' | 'link-copy' | 'link-hardlink' | 'link-symlink';

export interface PoolItem {
  /** Absolute workspace path. */
  path: string;
  /** For link-* ops: the object to place. */
  oid?: string;
  isexec?: boolean;
  /** For link-* ops: whether something exists at `path` already (replace atomically). */
  exists?: boolean;
  /** Size, used to balance batches and report bytes. */
  size?: number;
  /** For link-* ops: check that the object is protected (0444), and of `objSize` when given, before linking. */
  verify?: boolean;
  objSize?: number;
  /** This item's op, when not the job's (a big file's 'copy-tmp' beside its 'hash'). */
  op?: PoolOp;
  /** hash-follow: a shared BigInt64 holding how many leading bytes of the file are complete (-1: abort). */
  follow?: SharedArrayBuffer;
  /** chunk-list: how to cut (tiles falls back to CDC for a file without a block table). */
  chunkMode?: 'tiles' | 'cdc';
}

export interface PoolResult {
  /** copy-tmp: the temp file in the cache holding the copy. */
  tmp?: string;
  oid?: string;
  size?: number;
  ino?: number;
  mtimeMs?: number;
  /** chunk-list: the chunks in file order (ids in the chunk algorithm of the job's hash) and the mode used. */
  chunks?: { hash: string; size: number }[];
  chunkMode?: 'tiles' | 'cdc';
  error?: { code?: string; message: string; path: string };
}

/** One batch as sent to a worker (or to the in-thread executor, which also passes the signal). */
export interface PoolJobMessage {
  id: number;
  op: PoolOp;
  name: HashName;
  cache?: string;
  items: PoolItem[];
  signal?: AbortSignal;
}

/** What a worker sends back: bytes hashed so far in a big file, then the batch's results. */
export type PoolMessage = { type: 'bytes'; id: number; n: number } | { type: 'done'; id: number; results: PoolResult[] };

const BIG = 4 << 20;
const CHUNK = 1 << 20;
const TMP = '.geodvc-tmp-';
// Hashing a big file without writing it: the next chunks are read by libuv's thread pool while
// this thread hashes the current one. Several reads are in flight (on 2 cores, two page-cache
// copies run at once), so reading stops being the bottleneck of a fast hash (XXH3).
const ACHUNK = 4 << 20;
const AHEAD = 4;

/** Atomics.waitAsync (Node 16+; typed in lib es2024, newer than this project's target). */
interface AtomicsWaitAsync { waitAsync(a: BigInt64Array, i: number, v: bigint, timeoutMs: number): { value: Promise<unknown> | string } }
type Stat = { ino: number; mtimeMs: number; size: number };
type ErrnoError = Error & { code?: string };

function codedError(message: string, code: string): ErrnoError { return Object.assign(new Error(message), { code }); }
function interrupted(): ErrnoError { return codedError('interrupted', 'EINTERRUPTED'); }
function changedErr(path: string): ErrnoError { return codedError(`'${path}' changed while it was being hashed`, 'ECHANGED'); }
function sameStat(a: Stat, b: Stat): boolean { return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino; }
function finalStat(path: string): Stat { const s = fs.statSync(path); return { ino: s.ino, mtimeMs: s.mtimeMs, size: s.size }; }
/** Whether a cache object is in place and protected (0444), of `size` when given. */
function trusted(p: string, size?: number): boolean {
  const s = fs.statSync(p, { throwIfNoEntry: false });
  return !!s && s.isFile() && (s.mode & 0o777) === 0o444 && (size === undefined || size === null || s.size === size);
}
function preadFull(fd: number, buf: Buffer, pos: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let got = 0;
    const step = () => fs.read(fd, buf, got, buf.length - got, pos + got, (e, n) => {
      if (e) return reject(e);
      got += n;
      if (n === 0 || got === buf.length) resolve(got); else step();
    });
    step();
  });
}

/**
 * The job handler of one thread. `post` delivers its messages (a worker's parentPort, or the
 * in-thread executor's dispatcher); `id` names the thread in temp file names.
 */
export function createPoolHandler(id: string | number, post: (m: PoolMessage) => void): (job: PoolJobMessage) => Promise<void> {
  const buf = Buffer.allocUnsafe(CHUNK);
  let seq = 0;
  const madeDirs = new Set<string>();
  // Small files are read into this reused buffer (no allocation per file).
  let smallBuf = Buffer.allocUnsafe(64 << 10);
  // Sets of AHEAD read buffers, one set per running async hash: jobs of the in-thread executor can
  // run concurrently, and a read still in flight must never land in a buffer another hash is using.
  const freeBufSets: Buffer[][] = [];
  const takeBufs = () => freeBufSets.pop() ?? Array.from({ length: AHEAD }, () => Buffer.allocUnsafe(ACHUNK));

  const tmpName = (dir: string, base: string) => `${dir}/${TMP}${base.slice(0, 40)}-${process.pid}-${id}-${seq++}`;
  const mkdirp = (d: string) => { if (madeDirs.has(d)) return; fs.mkdirSync(d, { recursive: true }); madeDirs.add(d); };

  // Reads a whole small file through an open fd: one read loop into the reused buffer.
  function readSmall(fd: number, size: number): Buffer {
    if (smallBuf.length < size + 1) smallBuf = Buffer.allocUnsafe(Math.max(size + 1, smallBuf.length * 2));
    let n = 0;
    for (;;) { const r = fs.readSync(fd, smallBuf, n, smallBuf.length - n, n); if (!r) break; n += r; if (n > size) break; }
    return smallBuf.subarray(0, n);
  }

  // Streams a big file through the reused buffer; optional copy to outFd.
  function hashBig(path: string, name: HashName, outFd: number | undefined, onBytes: (n: number) => void): { oid: string; size: number } {
    const h = createHasherSync(name);
    const fd = fs.openSync(path, 'r');
    let total = 0;
    try {
      for (;;) {
        let filled = 0;
        while (filled < CHUNK) { const n = fs.readSync(fd, buf, filled, CHUNK - filled, null); if (!n) break; filled += n; }
        if (!filled) break;
        const c = filled === CHUNK ? buf : buf.subarray(0, filled);
        h.update(c);
        if (outFd !== undefined) { let o = 0; while (o < filled) o += fs.writeSync(outFd, c, o, filled - o); }
        total += filled;
        if ((total & ((64 << 20) - 1)) === 0) onBytes(CHUNK * 64);
        if (filled < CHUNK) break;
      }
    } finally { fs.closeSync(fd); }
    return { oid: h.digest(), size: total };
  }

  async function hashBigAsync(path: string, name: HashName, onBytes: (n: number) => void, signal?: AbortSignal): Promise<{ oid: string; size: number }> {
    const abufs = takeBufs();
    const h = createHasherSync(name);
    const fd = fs.openSync(path, 'r');
    let total = 0;
    let lastReport = 0;
    const inflight: Promise<number>[] = [];
    try {
      // chunk k goes to abufs[k % AHEAD]; while chunk k is hashed, chunks k+1..k+AHEAD-1 are read
      const size = fs.fstatSync(fd).size;
      const nChunks = Math.max(1, Math.ceil(size / ACHUNK));
      let issued = 0;
      const issue = () => { inflight.push(preadFull(fd, abufs[issued % AHEAD]!, issued * ACHUNK)); issued++; };
      while (issued < Math.min(nChunks, AHEAD)) issue();
      for (let k = 0; ; k++) {
        const n = await inflight.shift()!;
        if (signal?.aborted) throw interrupted();
        if (!n) break;
        const cur = abufs[k % AHEAD]!;
        const full = n === ACHUNK;
        h.update(full ? cur : cur.subarray(0, n));
        total += n;
        if (total - lastReport >= (64 << 20)) { onBytes(total - lastReport); lastReport = total; }
        if (!full) break;
        // the file may have grown since the fstat: keep reading until a short read
        if (issued < nChunks || inflight.length === 0) issue();
      }
    } finally {
      // reads still in flight write into abufs: wait for them before the buffers are reused or the fd closed
      await Promise.allSettled(inflight);
      fs.closeSync(fd);
      freeBufSets.push(abufs);
    }
    return { oid: h.digest(), size: total };
  }

  // hash-follow: hashes a file that is still being written (a download arriving as ranged parts).
  // The parent publishes in it.follow how many bytes from the start are complete; this reads and
  // hashes up to there, waits for more, and stops at it.size. -1 means: give up.
  async function hashFollow(it: PoolItem, job: PoolJobMessage): Promise<PoolResult> {
    const v = new BigInt64Array(it.follow!);
    const h: Hasher = createHasherSync(job.name);
    const fd = fs.openSync(it.path, 'r');
    const size = it.size ?? 0;
    const bufs = takeBufs();
    const b = bufs[0]!;
    let pos = 0;
    try {
      while (pos < size) {
        const upto = Number(Atomics.load(v, 0));
        if (upto < 0) throw interrupted();
        // DVC 2's md5-dos2unix normalises each 1 MiB chunk on its own: hash whole chunks only
        const need = job.name === 'md5-dos2unix' ? Math.min(CHUNK, size - pos) : 1;
        if (upto < pos + need) { await (Atomics as unknown as AtomicsWaitAsync).waitAsync(v, 0, BigInt(upto), 50).value; continue; }
        const want = job.name === 'md5-dos2unix' ? need : Math.min(upto - pos, ACHUNK);
        let got = 0;
        while (got < want) { const n = fs.readSync(fd, b, got, want - got, pos + got); if (!n) break; got += n; }
        if (got < want) throw codedError(`short read of ${it.path} at ${pos + got}`, 'ESHORT');
        h.update(got === ACHUNK ? b : b.subarray(0, got));
        pos += got;
      }
    } finally { fs.closeSync(fd); freeBufSets.push(bufs); }
    return { oid: h.digest(), size: pos };
  }

  // chunk-list: the chunker is imported on first use (only repositories with a chunked remote cut
  // at add); the (ino, mtime, size) before and after let the parent match it with the file's hash
  async function chunkList(it: PoolItem, job: PoolJobMessage): Promise<PoolResult> {
    const { chunkFile, chunkHashFor } = await import('../chunk/chunker.js');
    const st0 = finalStat(it.path);
    const r = chunkFile(it.path, chunkHashFor(job.name), it.chunkMode ?? 'cdc', { signal: job.signal });
    const st1 = finalStat(it.path);
    if (!sameStat(st0, st1) || r.size !== st0.size) throw changedErr(it.path);
    return { size: r.size, ino: st0.ino, mtimeMs: st0.mtimeMs, chunks: r.chunks, chunkMode: r.mode };
  }

  // make(tmp) creates the new entry; rename over dest (atomic)
  function replaceWith(dest: string, make: (tmp: string) => void): void {
    const tmp = tmpName(dirname(dest), basename(dest));
    try { make(tmp); fs.renameSync(tmp, dest); } catch (e) { try { fs.rmSync(tmp, { force: true }); } catch { /* best effort */ } throw e; }
  }

  // store-hardlink of a small file in few syscalls: open, fstat, read, fchmod 0444 (the inode the
  // cache will share), close, then link(2) straight to the object path (atomic: the name appears
  // complete or not at all). Returns undefined when the generic path must handle the file.
  function storeHardlinkSmall(it: PoolItem, job: PoolJobMessage): PoolResult | undefined {
    const name = job.name;
    const fd = fs.openSync(it.path, 'r');
    let st0: fs.Stats;
    let oid: string;
    let final: string;
    let chmodded = false;
    try {
      st0 = fs.fstatSync(fd);
      if (!st0.isFile() || st0.size > BIG) return undefined;
      const data = readSmall(fd, st0.size);
      if (data.length !== st0.size) throw changedErr(it.path);
      oid = hashBuffer(data, name);
      final = objectPath(job.cache!, name, oid);
      if ((st0.mode & 0o777) !== 0o444) { fs.fchmodSync(fd, 0o444); chmodded = true; }
    } finally { fs.closeSync(fd); }
    mkdirp(dirname(final));
    try {
      fs.linkSync(it.path, final);
      return { oid, size: st0.size, ino: st0.ino, mtimeMs: st0.mtimeMs };
    } catch (e) {
      if ((e as ErrnoError).code !== 'EEXIST') { if (chmodded) { try { fs.chmodSync(it.path, st0.mode & 0o7777); } catch { /* best effort */ } } throw e; }
    }
    // The object exists already.
    const fo = fs.statSync(final);
    if (fo.ino === st0.ino) return { oid, size: st0.size, ino: st0.ino, mtimeMs: st0.mtimeMs };
    if (fo.isFile() && (fo.mode & 0o777) === 0o444 && fo.size === st0.size) replaceWith(it.path, (tmp) => fs.linkSync(final, tmp));
    else replaceWith(final, (tmp) => fs.linkSync(it.path, tmp));
    return { oid, ...finalStat(it.path) };
  }

  // copy-tmp: a kernel-side copy (copy_file_range) of a big file into a temp file in the cache,
  // run beside a 'hash' of the same file on another worker; the parent renames it into place once
  // the hash is known and both saw the same (ino, mtime, size).
  function copyTmp(it: PoolItem, job: PoolJobMessage): PoolResult {
    const st0 = fs.statSync(it.path);
    mkdirp(job.cache!);
    const tmp = tmpName(job.cache!, 'obj');
    try {
      fs.copyFileSync(it.path, tmp, fs.constants.COPYFILE_EXCL);
      if (!sameStat(st0, fs.statSync(it.path))) throw changedErr(it.path);
    } catch (e) { try { fs.rmSync(tmp, { force: true }); } catch { /* best effort */ } throw e; }
    return { tmp, size: st0.size, ino: st0.ino, mtimeMs: st0.mtimeMs };
  }

  function linkItem(it: PoolItem, job: PoolJobMessage, kind: string): PoolResult {
    const src = objectPath(job.cache!, job.name, it.oid!);
    const dest = it.path;
    mkdirp(dirname(dest));
    if (it.verify && !trusted(src, it.objSize)) throw codedError(`object ${it.oid} is not trusted`, 'EUNTRUSTED');
    const direct = (fn: () => void) => { try { fn(); } catch (e) { if ((e as ErrnoError).code !== 'EEXIST') throw e; return false; } return true; };
    if (kind === 'copy') {
      const mode = it.isexec ? 0o755 : 0o644;
      // small objects: read, then write the temp with its final mode; the stat key comes from the
      // open fd (rename keeps inode and mtime): no copy_file_range setup, path chmod or stat per file
      const sfd = fs.openSync(src, 'r');
      let data: Buffer | undefined;
      try { const ss = fs.fstatSync(sfd); if (ss.size <= (256 << 10)) data = readSmall(sfd, ss.size); } finally { fs.closeSync(sfd); }
      if (data) {
        const bytes = data;
        let st: fs.Stats | undefined;
        replaceWith(dest, (tmp) => {
          const fd = fs.openSync(tmp, 'wx', mode);
          try {
            let o = 0;
            while (o < bytes.length) o += fs.writeSync(fd, bytes, o, bytes.length - o);
            fs.fchmodSync(fd, mode); // whatever the umask
            st = fs.fstatSync(fd);
          } finally { fs.closeSync(fd); }
        });
        return { ino: st!.ino, mtimeMs: st!.mtimeMs, size: st!.size };
      }
      replaceWith(dest, (tmp) => { fs.copyFileSync(src, tmp, fs.constants.COPYFILE_EXCL); fs.chmodSync(tmp, mode); });
    } else if (kind === 'hardlink') {
      if (it.exists || !direct(() => fs.linkSync(src, dest))) replaceWith(dest, (tmp) => fs.linkSync(src, tmp));
    } else if (kind === 'symlink') {
      if (it.exists || !direct(() => fs.symlinkSync(src, dest))) replaceWith(dest, (tmp) => fs.symlinkSync(src, tmp));
    } else throw new Error(`bad link ${kind}`);
    return finalStat(dest);
  }

  function doItem(it: PoolItem, job: PoolJobMessage, pre: { oid: string; size: number } | undefined): PoolResult {
    const name = job.name;
    const op = it.op ?? job.op;
    if (op === 'copy-tmp') return copyTmp(it, job);
    if (op.startsWith('link-')) return linkItem(it, job, op.slice(5));
    if (op === 'store-hardlink' && (it.size ?? 0) <= BIG) {
      const r = storeHardlinkSmall(it, job);
      if (r) return r;
    }
    const st0 = fs.statSync(it.path);
    if (!st0.isFile()) throw codedError(`'${it.path}' is not a regular file`, 'ENOTFILE');
    let oid: string;
    let size: number;
    if (st0.size <= BIG) {
      let data: Buffer;
      const fd = fs.openSync(it.path, 'r');
      try { data = readSmall(fd, st0.size); } finally { fs.closeSync(fd); }
      oid = hashBuffer(data, name);
      size = data.length;
      // One read call: a concurrent writer shows up as a size mismatch (big files re-stat below).
      if (size !== st0.size) throw changedErr(it.path);
      if (op === 'hash') return { oid, size, ino: st0.ino, mtimeMs: st0.mtimeMs };
      const final = objectPath(job.cache!, name, oid);
      if (op === 'store-copy') {
        if (!trusted(final, size)) {
          mkdirp(dirname(final));
          replaceWith(final, (tmp) => { fs.writeFileSync(tmp, data, { mode: 0o444, flag: 'wx' }); });
        }
        return { oid, size, ino: st0.ino, mtimeMs: st0.mtimeMs };
      }
    } else {
      let fd: number | undefined;
      let tmpObj: string | undefined;
      if (op === 'store-copy') { mkdirp(job.cache!); tmpObj = tmpName(job.cache!, 'obj'); fd = fs.openSync(tmpObj, 'wx', 0o644); }
      try {
        const r = pre && fd === undefined ? pre : hashBig(it.path, name, fd, (n) => post({ type: 'bytes', id: job.id, n }));
        oid = r.oid;
        size = r.size;
      } catch (e) { if (fd !== undefined) { fs.closeSync(fd); fs.rmSync(tmpObj!, { force: true }); } throw e; }
      if (fd !== undefined) fs.closeSync(fd);
      const st1 = fs.statSync(it.path);
      if (!sameStat(st0, st1) || size !== st0.size) { if (tmpObj) fs.rmSync(tmpObj, { force: true }); throw changedErr(it.path); }
      if (op === 'hash') return { oid, size, ino: st0.ino, mtimeMs: st0.mtimeMs };
      const final = objectPath(job.cache!, name, oid);
      if (op === 'store-copy') {
        if (trusted(final, size)) fs.rmSync(tmpObj!, { force: true });
        else {
          mkdirp(dirname(final));
          try { fs.chmodSync(tmpObj!, 0o444); fs.renameSync(tmpObj!, final); } catch (e) { fs.rmSync(tmpObj!, { force: true }); throw e; }
        }
        return { oid, size, ino: st0.ino, mtimeMs: st0.mtimeMs };
      }
    }
    const final = objectPath(job.cache!, name, oid);
    mkdirp(dirname(final));
    if (op === 'store-hardlink') {
      if (trusted(final, size)) {
        const fo = fs.statSync(final);
        if (fo.ino !== st0.ino) replaceWith(it.path, (tmp) => fs.linkSync(final, tmp));
      } else {
        replaceWith(final, (tmp) => { fs.linkSync(it.path, tmp); fs.chmodSync(tmp, 0o444); });
      }
      return { oid, ...finalStat(it.path) };
    }
    if (op === 'store-symlink') {
      if (!trusted(final, size)) {
        const tmp = tmpName(dirname(final), 'obj');
        fs.renameSync(it.path, tmp);
        try { fs.chmodSync(tmp, 0o444); fs.renameSync(tmp, final); } catch (e) { fs.renameSync(tmp, it.path); throw e; }
        fs.symlinkSync(final, it.path);
      } else {
        replaceWith(it.path, (tmp) => fs.symlinkSync(final, tmp));
      }
      return { oid, ...finalStat(it.path) };
    }
    throw new Error(`unknown op ${op}`);
  }

  return async (job) => {
    const results = new Array<PoolResult>(job.items.length);
    for (let i = 0; i < job.items.length; i++) {
      const it = job.items[i]!;
      const op = it.op ?? job.op;
      try {
        // the hasher of this item is taken synchronously below (no await in between)
        if (job.name === 'xxh128') await readyHasherSync(job.name);
        if (op === 'hash-follow') { results[i] = await hashFollow(it, job); continue; }
        if (op === 'chunk-list') { results[i] = await chunkList(it, job); continue; }
        let pre: { oid: string; size: number } | undefined;
        // big files that are only read: hash them with overlapped reads first (stat key checked after)
        // (md5-dos2unix keeps the sync 1 MiB reads: DVC 2 normalises each 1 MiB chunk on its own)
        if ((it.size ?? 0) > BIG && job.name !== 'md5-dos2unix' && (op === 'hash' || op === 'store-hardlink' || op === 'store-symlink')) {
          const st = fs.statSync(it.path);
          if (st.isFile() && st.size > BIG) {
            if (job.name === 'xxh128') await readyHasherSync(job.name);
            pre = await hashBigAsync(it.path, job.name, (n) => post({ type: 'bytes', id: job.id, n }), job.signal);
            if (!sameStat(st, fs.statSync(it.path))) throw changedErr(it.path);
          }
        }
        try { results[i] = doItem(it, job, pre); }
        catch (e) {
          // a directory this thread created earlier may be gone (the cache was deleted by a
          // long-lived process): forget what was made and try once more
          if ((e as ErrnoError).code !== 'ENOENT' || madeDirs.size === 0) throw e;
          madeDirs.clear();
          results[i] = doItem(it, job, pre);
        }
      } catch (e) {
        const err = e as ErrnoError;
        results[i] = { error: { code: err?.code, message: String(err?.message ?? err), path: it.path } };
      }
    }
    post({ type: 'done', id: job.id, results });
  };
}
