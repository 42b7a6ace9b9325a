/**
 * Bulk verification of cache objects for fsck: worker threads each run a tight synchronous
 * read+hash loop over a batch of objects and send back only the mismatches, so per-object cost is
 * close to `md5sum`'s and all cores are used. md5 and sha256 use node:crypto in the workers; other
 * algorithms (xxh128, legacy md5-dos2unix) go through the object database's HashPool.
 */
import type { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { closeSync, openSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { HashName } from '../odb/hash.js';
import { HashPool } from '../odb/pool.js';
import { InterruptedError } from '../../lib/errors.js';
import { startWorker, workerUrl } from '../../lib/worker.js';
import type { VerifyBatch, VerifyReply } from './verify.worker.js';

export interface VerifyItem { path: string; oid: string; hashName: HashName; size: number; }
export interface VerifyMismatch { item: VerifyItem; actual?: string; errorCode?: string; error?: string; }


export interface VerifyOptions {
  jobs?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, bytes: number) => void;
}

/** Hashes every item; returns those whose content does not match their oid (or cannot be read). */
export async function verifyObjects(items: VerifyItem[], opts: VerifyOptions = {}): Promise<VerifyMismatch[]> {
  const native = items.filter((i) => i.hashName === 'md5' || i.hashName === 'sha256');
  const other = items.filter((i) => i.hashName !== 'md5' && i.hashName !== 'sha256');
  const out: VerifyMismatch[] = [];
  let doneBase = 0;
  let bytesBase = 0;
  if (native.length) {
    out.push(...await verifyNative(native, { ...opts, onProgress: (d, b) => opts.onProgress?.(d, b) }));
    doneBase = native.length;
    bytesBase = native.reduce((a, i) => a + i.size, 0);
  }
  const byAlgo = new Map<HashName, VerifyItem[]>();
  for (const i of other) { let l = byAlgo.get(i.hashName); if (!l) byAlgo.set(i.hashName, (l = [])); l.push(i); }
  for (const [name, list] of byAlgo) {
    const rs = await HashPool.shared().run({
      op: 'hash', name, items: list.map((i) => ({ path: i.path, size: i.size })), signal: opts.signal,
      onProgress: (d, b) => opts.onProgress?.(doneBase + d, bytesBase + b),
    });
    list.forEach((it, k) => {
      const r = rs[k]!;
      const actual = r.oid === undefined ? undefined : r.oid + (it.oid.endsWith('.dir') && !r.oid.endsWith('.dir') ? '.dir' : '');
      if (r.error) out.push({ item: it, errorCode: r.error.code, error: r.error.message });
      else if (actual !== it.oid) out.push({ item: it, actual });
    });
    doneBase += list.length;
    bytesBase += list.reduce((a, i) => a + i.size, 0);
  }
  return out;
}

/** Small jobs are hashed in this thread: starting workers costs more than the hashing. */
function verifyInline(items: VerifyItem[], opts: VerifyOptions): VerifyMismatch[] {
  const out: VerifyMismatch[] = [];
  const buf = Buffer.allocUnsafe(1 << 20);
  let bytes = 0;
  items.forEach((it, i) => {
    if (opts.signal?.aborted) throw new InterruptedError();
    try {
      const fd = openSync(it.path, 'r');
      try {
        const h = createHash(it.hashName);
        let n;
        while ((n = readSync(fd, buf, 0, buf.length, null)) > 0) { h.update(buf.subarray(0, n)); bytes += n; }
        const d = h.digest('hex') + (it.oid.endsWith('.dir') ? '.dir' : '');
        if (d !== it.oid) out.push({ item: it, actual: d });
      } finally { closeSync(fd); }
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      out.push({ item: it, errorCode: err.code, error: err.message });
    }
    if ((i & 255) === 255) opts.onProgress?.(i + 1, bytes);
  });
  opts.onProgress?.(items.length, bytes);
  return out;
}

async function verifyNative(items: VerifyItem[], opts: VerifyOptions): Promise<VerifyMismatch[]> {
  const total = items.reduce((a, i) => a + i.size, 0);
  if (items.length <= 3000 && total <= 32 << 20) return verifyInline(items, opts);
  // Batches of ~1000 small objects or ~256 MiB, so workers stay balanced.
  const batches: { start: number; end: number }[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < items.length; i++) {
    bytes += items[i]!.size + 4096;
    if (i + 1 - start >= 1000 || bytes >= 256 << 20) { batches.push({ start, end: i + 1 }); start = i + 1; bytes = 0; }
  }
  if (start < items.length) batches.push({ start, end: items.length });
  const n = Math.max(1, Math.min(opts.jobs ?? availableParallelism(), batches.length));
  const workers: Worker[] = Array.from({ length: n }, () => startWorker(workerUrl(import.meta.url, 'verify')));
  const out: VerifyMismatch[] = [];
  let next = 0;
  let done = 0;
  let bytesDone = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let active = 0;
      let failed = false;
      const onAbort = () => { failed = true; reject(new InterruptedError()); };
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const feed = (w: Worker, id: number) => {
        if (failed) return;
        if (next >= batches.length) {
          if (active === 0) { opts.signal?.removeEventListener('abort', onAbort); resolve(); }
          return;
        }
        const b = batches[next++]!;
        active++;
        const onMsg = (m: VerifyReply) => {
          if (m.id !== id) return;
          bytesDone += m.bytes ?? 0;
          if (!m.done) { opts.onProgress?.(done, bytesDone); return; }
          w.off('message', onMsg);
          active--;
          for (const [k, actual, code, msg] of m.out ?? []) {
            const item = items[b.start + k]!;
            out.push(actual === null ? { item, errorCode: code, error: msg } : { item, actual });
          }
          done += b.end - b.start;
          opts.onProgress?.(done, bytesDone);
          feed(w, id);
        };
        w.on('message', onMsg);
        const batch: VerifyBatch = { id, items: items.slice(b.start, b.end).map((i) => [i.path, i.oid, i.hashName]) };
        w.postMessage(batch);
      };
      workers.forEach((w, i) => {
        w.once('error', (err) => { failed = true; reject(err); });
        feed(w, i + 1);
      });
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return out;
}
