/**
 * The code of the hashing/linking worker threads, as plain CommonJS text (workers are started
 * with `eval: true`, so they run the same way from the TypeScript sources under tsx and from the
 * compiled dist/ build). Module paths come in `workerData` (absolute, resolved by the parent).
 *
 * Operations per item (all synchronous inside the worker; reads use one reused 1 MiB buffer for
 * big files and readFileSync for small ones, perf-limits.md §3):
 *   hash                       hash the file (stat before and after: a file changing underneath is an error)
 *   store-copy                 hash + write the object into the cache (temp + rename, 0o444)
 *   store-hardlink             hash + the workspace file becomes a hard link of the object
 *   store-symlink              hash + move the file into the cache, symlink back
 *   link-copy|link-hardlink|link-symlink   place a cache object at a workspace path (temp + rename)
 */
import { NATIVE_XXH_SOURCE } from './xxh-native.js';

export const WORKER_SOURCE = String.raw`
'use strict';
${NATIVE_XXH_SOURCE}
const { parentPort, workerData } = require('worker_threads');
const fs = require('fs');
const pathm = require('path');
const crypto = require('crypto');
const { xxh3 } = require(workerData.xxhashPath);
const hw = require(workerData.hashWasmPath);
// The native XXH3-128 is loaded on the first xxh128 job only: loading an addon while the process
// exits (an idle worker being torn down) can abort the whole process, and md5 jobs never need it.
let nxLoaded = false;
let nxApi = null;
function getNx() { if (!nxLoaded) { nxLoaded = true; nxApi = loadNativeXxh128(workerData.koffiPath); } return nxApi; }
const BIG = 4 << 20;
const CHUNK = 1 << 20;
const buf = Buffer.allocUnsafe(CHUNK);
const TMP = '.geodvc-tmp-';
let wasm = null;
let seq = 0;
const madeDirs = new Set();

function tmpName(dir, base) { return dir + '/' + TMP + base.slice(0, 40) + '-' + process.pid + '-' + workerData.id + '-' + (seq++); }
function mkdirp(d) { if (madeDirs.has(d)) return; fs.mkdirSync(d, { recursive: true }); madeDirs.add(d); }
function isText(c) {
  const n = Math.min(c.length, 512);
  if (n === 0) return true;
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const x = c[i];
    if (x === 0) return false;
    if (!((x >= 32 && x < 127) || x === 10 || x === 13 || x === 9 || x === 12 || x === 8)) bad++;
  }
  return bad / n <= 0.3;
}
function d2u(c) {
  let k = 0;
  for (let i = 0; i + 1 < c.length; i++) if (c[i] === 13 && c[i + 1] === 10) k++;
  if (!k) return c;
  const o = Buffer.allocUnsafe(c.length - k);
  let j = 0;
  for (let i = 0; i < c.length; i++) { if (c[i] === 13 && i + 1 < c.length && c[i + 1] === 10) continue; o[j++] = c[i]; }
  return o;
}
function newHasher(name) {
  if (name === 'md5' || name === 'sha256') { const h = crypto.createHash(name); return { u: (c) => h.update(c), d: () => h.digest('hex') }; }
  if (name === 'md5-dos2unix') { const h = crypto.createHash('md5'); return { u: (c) => h.update(isText(c) ? d2u(c) : c), d: () => h.digest('hex') }; }
  if (name === 'xxh128') {
    const nx = getNx();
    if (nx) { const h = nx.create(); return { u: h.update, d: h.digest }; }
    wasm.init(); return { u: (c) => wasm.update(c), d: () => wasm.digest('hex') };
  }
  throw new Error('unknown hash ' + name);
}
function hashSmall(data, name) {
  if (name === 'xxh128') { const nx = getNx(); return nx ? nx.oneShot(data) : xxh3.xxh128(data).toString(16).padStart(32, '0'); }
  if (name === 'md5-dos2unix') {
    const h = crypto.createHash('md5');
    for (let off = 0; off < data.length || off === 0; off += CHUNK) {
      const c = data.subarray(off, Math.min(off + CHUNK, data.length));
      h.update(isText(c) ? d2u(c) : c);
      if (data.length === 0) break;
    }
    return h.digest('hex');
  }
  return oneShot ? crypto.hash(name, data, 'hex') : crypto.createHash(name).update(data).digest('hex');
}
const oneShot = typeof crypto.hash === 'function'; // Node >= 20.12: no Hash object per small file
// Small files are read into this reused buffer (no allocation per file).
let smallBuf = Buffer.allocUnsafe(64 << 10);
// Reads a whole small file through an open fd: one fstat (the stat key) and one read.
function readSmall(fd, size) {
  if (smallBuf.length < size + 1) smallBuf = Buffer.allocUnsafe(Math.max(size + 1, smallBuf.length * 2));
  let n = 0;
  for (;;) { const r = fs.readSync(fd, smallBuf, n, smallBuf.length - n, n); if (!r) break; n += r; if (n > size) break; }
  return smallBuf.subarray(0, n);
}
function objPath(cache, name, oid) {
  const rel = oid.slice(0, 2) + '/' + oid.slice(2);
  const base = cache.endsWith('/') ? cache.slice(0, -1) : cache;
  return name === 'md5-dos2unix' ? base + '/' + rel : base + '/files/' + name + '/' + rel;
}
// size undefined/null: any size
function trusted(p, size) {
  const s = fs.statSync(p, { throwIfNoEntry: false });
  return !!s && s.isFile() && (s.mode & 0o777) === 0o444 && (size === undefined || size === null || s.size === size);
}
// Streams a big file through the reused buffer; optional copy to fd.
function hashBig(path, name, outFd, onBytes) {
  const h = newHasher(name);
  const fd = fs.openSync(path, 'r');
  let total = 0;
  try {
    for (;;) {
      let filled = 0;
      while (filled < CHUNK) { const n = fs.readSync(fd, buf, filled, CHUNK - filled, null); if (!n) break; filled += n; }
      if (!filled) break;
      const c = filled === CHUNK ? buf : buf.subarray(0, filled);
      h.u(c);
      if (outFd !== undefined) { let o = 0; while (o < filled) o += fs.writeSync(outFd, c, o, filled - o); }
      total += filled;
      if (onBytes && (total & ((64 << 20) - 1)) === 0) onBytes(total);
      if (filled < CHUNK) break;
    }
  } finally { fs.closeSync(fd); }
  return { oid: h.d(), size: total };
}
// Hashing a big file without writing it: the next chunks are read by libuv's thread pool while
// this thread hashes the current one. Several reads are in flight (on 2 cores, two page-cache
// copies run at once), so reading stops being the bottleneck of a fast hash (XXH3).
const ACHUNK = 4 << 20;
const AHEAD = 4;
// Sets of AHEAD read buffers, one set per running async hash: jobs of the in-thread executor
// (pool.ts) can run concurrently, and a read still in flight must never land in a buffer another
// hash is using. Finished sets are kept for the next hash.
const freeBufSets = [];
function takeBufs() { return freeBufSets.pop() || Array.from({ length: AHEAD }, () => Buffer.allocUnsafe(ACHUNK)); }
function preadFull(fd, buf, pos) {
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
function interrupted() { const e = new Error('interrupted'); e.code = 'EINTERRUPTED'; return e; }
async function hashBigAsync(path, name, onBytes, signal) {
  const abufs = takeBufs();
  const h = newHasher(name);
  const fd = fs.openSync(path, 'r');
  let total = 0;
  let lastReport = 0;
  const inflight = [];
  try {
    // chunk k goes to abufs[k % AHEAD]; while chunk k is hashed, chunks k+1..k+AHEAD-1 are read
    const size = fs.fstatSync(fd).size;
    const nChunks = Math.max(1, Math.ceil(size / ACHUNK));
    let issued = 0;
    const issue = () => { inflight.push(preadFull(fd, abufs[issued % AHEAD], issued * ACHUNK)); issued++; };
    while (issued < Math.min(nChunks, AHEAD)) issue();
    for (let k = 0; ; k++) {
      const n = await inflight.shift();
      if (signal && signal.aborted) throw interrupted();
      if (!n) break;
      const cur = abufs[k % AHEAD];
      const full = n === ACHUNK;
      h.u(full ? cur : cur.subarray(0, n));
      total += n;
      if (onBytes && total - lastReport >= (64 << 20)) { onBytes(total - lastReport); lastReport = total; }
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
  return { oid: h.d(), size: total };
}
// hash-follow: hashes a file that is still being written (a download arriving as ranged parts).
// The parent publishes in it.follow (a shared BigInt64) how many bytes from the start are complete;
// this reads and hashes up to there, waits for more, and stops at it.size. -1 means: give up.
async function hashFollow(it, job) {
  const v = new BigInt64Array(it.follow);
  const h = newHasher(job.name);
  const fd = fs.openSync(it.path, 'r');
  const size = it.size;
  const bufs = takeBufs();
  const b = bufs[0];
  let pos = 0;
  try {
    while (pos < size) {
      const upto = Number(Atomics.load(v, 0));
      if (upto < 0) throw interrupted();
      // DVC 2's md5-dos2unix normalises each 1 MiB chunk on its own: hash whole chunks only
      const need = job.name === 'md5-dos2unix' ? Math.min(CHUNK, size - pos) : 1;
      if (upto < pos + need) { await Atomics.waitAsync(v, 0, BigInt(upto), 50).value; continue; }
      const want = job.name === 'md5-dos2unix' ? need : Math.min(upto - pos, ACHUNK);
      let got = 0;
      while (got < want) { const n = fs.readSync(fd, b, got, want - got, pos + got); if (!n) break; got += n; }
      if (got < want) { const e = new Error('short read of ' + it.path + ' at ' + (pos + got)); e.code = 'ESHORT'; throw e; }
      h.u(got === ACHUNK ? b : b.subarray(0, got));
      pos += got;
    }
  } finally { fs.closeSync(fd); freeBufSets.push(bufs); }
  return { oid: h.d(), size: pos };
}
function sameStat(a, b) { return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino; }
function changedErr(path) { const e = new Error("'" + path + "' changed while it was being hashed"); e.code = 'ECHANGED'; return e; }
function replaceWith(dest, make) {
  // make(tmp) creates the new entry; rename over dest (atomic)
  const tmp = tmpName(pathm.dirname(dest), pathm.basename(dest));
  try { make(tmp); fs.renameSync(tmp, dest); } catch (e) { try { fs.rmSync(tmp, { force: true }); } catch {} throw e; }
}
function finalStat(path) { const s = fs.statSync(path); return { ino: s.ino, mtimeMs: s.mtimeMs, size: s.size }; }

// store-hardlink of a small file in few syscalls: open, fstat, read, fchmod 0444 (the inode the
// cache will share), close, then link(2) straight to the object path (atomic: the name appears
// complete or not at all). Returns undefined when the generic path must handle the file.
function storeHardlinkSmall(it, job) {
  const name = job.name;
  const fd = fs.openSync(it.path, 'r');
  let st0, data, oid, final, chmodded = false;
  try {
    st0 = fs.fstatSync(fd);
    if (!st0.isFile() || st0.size > BIG) return undefined;
    data = readSmall(fd, st0.size);
    if (data.length !== st0.size) throw changedErr(it.path);
    oid = hashSmall(data, name);
    final = objPath(job.cache, name, oid);
    if ((st0.mode & 0o777) !== 0o444) { fs.fchmodSync(fd, 0o444); chmodded = true; }
  } finally { fs.closeSync(fd); }
  mkdirp(pathm.dirname(final));
  try {
    fs.linkSync(it.path, final);
    return { oid, size: st0.size, ino: st0.ino, mtimeMs: st0.mtimeMs };
  } catch (e) {
    if (!e || e.code !== 'EEXIST') { if (chmodded) { try { fs.chmodSync(it.path, st0.mode & 0o7777); } catch {} } throw e; }
  }
  // The object exists already.
  const fo = fs.statSync(final);
  if (fo.ino === st0.ino) return { oid, size: st0.size, ino: st0.ino, mtimeMs: st0.mtimeMs };
  if (fo.isFile() && (fo.mode & 0o777) === 0o444 && fo.size === st0.size) {
    replaceWith(it.path, (tmp) => fs.linkSync(final, tmp));
  } else {
    replaceWith(final, (tmp) => fs.linkSync(it.path, tmp));
  }
  return Object.assign({ oid }, finalStat(it.path));
}

// copy-tmp: a kernel-side copy (copy_file_range) of a big file into a temp file in the cache,
// run beside a 'hash' of the same file on another worker; the parent renames it into place once
// the hash is known and both saw the same (ino, mtime, size).
function copyTmp(it, job) {
  const st0 = fs.statSync(it.path);
  mkdirp(job.cache);
  const tmp = tmpName(job.cache, 'obj');
  try {
    fs.copyFileSync(it.path, tmp, fs.constants.COPYFILE_EXCL);
    const st1 = fs.statSync(it.path);
    if (!sameStat(st0, st1)) throw changedErr(it.path);
  } catch (e) { try { fs.rmSync(tmp, { force: true }); } catch {} throw e; }
  return { tmp, size: st0.size, ino: st0.ino, mtimeMs: st0.mtimeMs };
}

function doItem(it, job, pre) {
  const name = job.name;
  const op = it.op || job.op;
  if (op === 'copy-tmp') return copyTmp(it, job);
  if (op.startsWith('link-')) {
    const src = objPath(job.cache, name, it.oid);
    const dest = it.path;
    mkdirp(pathm.dirname(dest));
    const kind = op.slice(5);
    const exists = it.exists;
    if (it.verify && !trusted(src, it.objSize)) {
      const e = new Error("object " + it.oid + " is not trusted"); e.code = 'EUNTRUSTED'; throw e;
    }
    const direct = (fn) => { try { fn(); } catch (e) { if (!e || e.code !== 'EEXIST') throw e; return false; } return true; };
    if (kind === 'copy') {
      const mode = it.isexec ? 0o755 : 0o644;
      // small objects: read, then write the temp with its final mode; the stat key comes from the
      // open fd (rename keeps inode and mtime): no copy_file_range setup, path chmod or stat per file
      const sfd = fs.openSync(src, 'r');
      let data;
      try { const ss = fs.fstatSync(sfd); if (ss.size <= (256 << 10)) data = readSmall(sfd, ss.size); } finally { fs.closeSync(sfd); }
      if (data) {
        let st;
        replaceWith(dest, (tmp) => {
          const fd = fs.openSync(tmp, 'wx', mode);
          try {
            let o = 0;
            while (o < data.length) o += fs.writeSync(fd, data, o, data.length - o);
            fs.fchmodSync(fd, mode); // whatever the umask
            st = fs.fstatSync(fd);
          } finally { fs.closeSync(fd); }
        });
        return { ino: st.ino, mtimeMs: st.mtimeMs, size: st.size };
      }
      replaceWith(dest, (tmp) => { fs.copyFileSync(src, tmp, fs.constants.COPYFILE_EXCL); fs.chmodSync(tmp, mode); });
    } else if (kind === 'hardlink') {
      if (exists || !direct(() => fs.linkSync(src, dest))) replaceWith(dest, (tmp) => fs.linkSync(src, tmp));
    } else if (kind === 'symlink') {
      if (exists || !direct(() => fs.symlinkSync(src, dest))) replaceWith(dest, (tmp) => fs.symlinkSync(src, tmp));
    } else throw new Error('bad link ' + kind);
    return finalStat(dest);
  }
  if (op === 'store-hardlink' && (it.size || 0) <= BIG) {
    const r = storeHardlinkSmall(it, job);
    if (r) return r;
  }
  const st0 = fs.statSync(it.path);
  if (!st0.isFile()) { const e = new Error("'" + it.path + "' is not a regular file"); e.code = 'ENOTFILE'; throw e; }
  let oid, size, tmpObj;
  if (st0.size <= BIG) {
    let data;
    const fd = fs.openSync(it.path, 'r');
    try { data = readSmall(fd, st0.size); } finally { fs.closeSync(fd); }
    oid = hashSmall(data, name); size = data.length;
    // One read call: a concurrent writer shows up as a size mismatch (big files re-stat below).
    if (size !== st0.size) throw changedErr(it.path);
    if (op === 'hash') return { oid, size, ino: st0.ino, mtimeMs: st0.mtimeMs };
    const final = objPath(job.cache, name, oid);
    if (op === 'store-copy') {
      if (!trusted(final, size)) {
        mkdirp(pathm.dirname(final));
        replaceWith(final, (tmp) => { fs.writeFileSync(tmp, data, { mode: 0o444, flag: 'wx' }); });
      }
      return { oid, size, ino: st0.ino, mtimeMs: st0.mtimeMs };
    }
  } else {
    let fd;
    if (op === 'store-copy') { mkdirp(job.cache); tmpObj = tmpName(job.cache, 'obj'); fd = fs.openSync(tmpObj, 'wx', 0o644); }
    try {
      const r = pre && fd === undefined ? pre : hashBig(it.path, name, fd, (n) => parentPort.postMessage({ type: 'bytes', id: job.id, n: CHUNK * 64 }));
      oid = r.oid; size = r.size;
    } catch (e) { if (fd !== undefined) { fs.closeSync(fd); fs.rmSync(tmpObj, { force: true }); } throw e; }
    if (fd !== undefined) fs.closeSync(fd);
    const st1 = fs.statSync(it.path);
    if (!sameStat(st0, st1) || size !== st0.size) { if (tmpObj) fs.rmSync(tmpObj, { force: true }); throw changedErr(it.path); }
    if (op === 'hash') return { oid, size, ino: st0.ino, mtimeMs: st0.mtimeMs };
    const final = objPath(job.cache, name, oid);
    if (op === 'store-copy') {
      if (trusted(final, size)) fs.rmSync(tmpObj, { force: true });
      else {
        mkdirp(pathm.dirname(final));
        try { fs.chmodSync(tmpObj, 0o444); fs.renameSync(tmpObj, final); } catch (e) { fs.rmSync(tmpObj, { force: true }); throw e; }
      }
      return { oid, size, ino: st0.ino, mtimeMs: st0.mtimeMs };
    }
  }
  const final = objPath(job.cache, name, oid);
  mkdirp(pathm.dirname(final));
  if (op === 'store-hardlink') {
    if (trusted(final, size)) {
      const fo = fs.statSync(final);
      if (fo.ino !== st0.ino) replaceWith(it.path, (tmp) => fs.linkSync(final, tmp));
    } else {
      replaceWith(final, (tmp) => { fs.linkSync(it.path, tmp); fs.chmodSync(tmp, 0o444); });
    }
    return Object.assign({ oid }, finalStat(it.path));
  }
  if (op === 'store-symlink') {
    if (!trusted(final, size)) {
      const tmp = tmpName(pathm.dirname(final), 'obj');
      fs.renameSync(it.path, tmp);
      try { fs.chmodSync(tmp, 0o444); fs.renameSync(tmp, final); } catch (e) { fs.renameSync(tmp, it.path); throw e; }
      fs.symlinkSync(final, it.path);
    } else {
      replaceWith(it.path, (tmp) => fs.symlinkSync(final, tmp));
    }
    return Object.assign({ oid }, finalStat(it.path));
  }
  throw new Error('unknown op ' + op);
}

parentPort.on('message', async (job) => {
  if (job.name === 'xxh128' && !wasm && !getNx()) wasm = await hw.createXXHash128();
  const results = new Array(job.items.length);
  for (let i = 0; i < job.items.length; i++) {
    const it = job.items[i];
    const op = it.op || job.op;
    try {
      if (op === 'hash-follow') { results[i] = await hashFollow(it, job); continue; }
      let pre;
      // big files that are only read: hash them with overlapped reads first (stat key checked after)
      // (md5-dos2unix keeps the sync 1 MiB reads: DVC 2 normalises each 1 MiB chunk on its own)
      if ((it.size || 0) > BIG && job.name !== 'md5-dos2unix' && (op === 'hash' || op === 'store-hardlink' || op === 'store-symlink')) {
        const st = fs.statSync(it.path);
        if (st.isFile() && st.size > BIG) {
          pre = await hashBigAsync(it.path, job.name, (n) => parentPort.postMessage({ type: 'bytes', id: job.id, n }), job.signal);
          if (!sameStat(st, fs.statSync(it.path))) throw changedErr(it.path);
        }
      }
      try { results[i] = doItem(it, job, pre); }
      catch (e) {
        // a directory this worker created earlier may be gone (the cache was deleted by a long-lived
        // process): forget what was made and try once more
        if (!e || e.code !== 'ENOENT' || madeDirs.size === 0) throw e;
        madeDirs.clear();
        results[i] = doItem(it, job, pre);
      }
    }
    catch (e) { results[i] = { error: { code: e && e.code, message: String(e && e.message || e), path: job.items[i].path } }; }
  }
  parentPort.postMessage({ type: 'done', id: job.id, results });
});
`;
