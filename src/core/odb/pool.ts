/**
 * A pool of worker threads that hash files, store them in the cache and link cache objects into
 * the workspace, on all cores (perf-limits.md: sync reads in workers are the fastest way to read
 * many warm small files from Node). Items are sent in batches to amortise messaging.
 */
import type { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { HashName } from './hash.js';
import { createPoolHandler, type PoolJobMessage, type PoolMessage, type PoolOp, type PoolResult, type PoolItem } from './pool-ops.js';
import { InterruptedError, toAppError } from '../../lib/errors.js';
import { startWorker, workerUrl } from '../../lib/worker.js';

export type { PoolItem, PoolOp, PoolResult } from './pool-ops.js';

export interface PoolJob {
  op: PoolOp;
  name: HashName;
  /** Cache root (for store/link ops). */
  cache?: string;
  items: PoolItem[];
  onProgress?: (done: number, bytes: number) => void;
  signal?: AbortSignal;
}

let shared: HashPool | undefined;

/** A per-item failure of a pool job as an Error carrying the errno-style `code` and the `path`. */
export function poolError(e: NonNullable<PoolResult['error']>): Error & { code?: string; path: string } {
  return Object.assign(new Error(e.message), { code: e.code, path: e.path });
}

/** A hash of a file that is still being written, from `followHash`. */
export interface FollowedHash {
  /** Publishes that the first `bytes` bytes of the file are complete (the worker hashes up to there). */
  complete(bytes: number): void;
  /** The digest and size once the whole file was hashed; a worker's failure as an AppError. */
  result(): Promise<{ oid: string; size: number }>;
  /** Stops the worker (the file will not be completed) and waits for it to let go. */
  abort(): Promise<void>;
}

/**
 * Hashes `path` on a pool worker while it is being written (ranged or chunked downloads landing
 * out of order): the writer publishes the complete prefix through a shared counter, so the hash is
 * ready when the last byte lands and the writing thread stays free.
 */
export function followHash(path: string, size: number, name: HashName): FollowedHash {
  const follow = new SharedArrayBuffer(8);
  const upto = new BigInt64Array(follow);
  const publish = (n: bigint) => { Atomics.store(upto, 0, n); Atomics.notify(upto, 0); };
  const hashing = HashPool.shared().run({ op: 'hash-follow', name, items: [{ path, size, op: 'hash-follow', follow }] });
  return {
    complete: (bytes) => publish(BigInt(bytes)),
    async result() {
      const [r] = await hashing;
      if (r!.error) throw toAppError(poolError(r!.error));
      return { oid: r!.oid!, size: r!.size! };
    },
    async abort() {
      publish(-1n);
      await hashing.catch(() => undefined);
    },
  };
}

/**
 * A big file's 'hash' and its 'copy-tmp' on another worker describe the same bytes only when both
 * saw the same (inode, mtime, size) of the source; otherwise it changed in between.
 */
export function sameSource(h: PoolResult, c: PoolResult): boolean {
  return h.ino === c.ino && h.mtimeMs === c.mtimeMs && h.size === c.size;
}

/** Jobs up to this many items and bytes run in this thread: starting a worker costs more (~50-100 ms). */
const INLINE_MAX_ITEMS = 32;
const INLINE_MAX_BYTES = 1 << 20;

/** Ops whose big-file work is an asynchronous read-and-hash (the thread stays responsive). */
const ASYNC_BIG_OPS = new Set<PoolOp>(['hash', 'store-hardlink', 'store-symlink']);
const BIG_ITEM = 4 << 20;

/**
 * Tiny jobs, and a job of one big file that is only read and hashed (nothing for a second worker
 * to do; the hash reads ahead asynchronously, so progress and Ctrl-C stay live), run in this thread.
 */
function runsInline(job: PoolJob): boolean {
  const items = job.items;
  if (items.length <= INLINE_MAX_ITEMS && items.reduce((s, it) => s + (it.size ?? 4096), 0) <= INLINE_MAX_BYTES) return true;
  const it = items[0]!;
  return items.length === 1 && job.name !== 'md5-dos2unix' && ASYNC_BIG_OPS.has(it.op ?? job.op) && (it.size ?? 0) > BIG_ITEM;
}

type InlineRunner = (job: PoolJob, onBytes: (n: number) => void) => Promise<PoolResult[]>;
let inlineRunner: InlineRunner | undefined;
/** Job ids of the in-thread executor, shared by every pool (they all use the one executor). */
let inlineIds = 0;

/**
 * The workers' job handler (pool-ops.ts) run in this thread: the same operations and results, no
 * thread start-up. Used for tiny jobs (one small file added, a few files checked out), where the
 * thread would cost more than the work.
 */
function inlineExecutor(): InlineRunner {
  if (inlineRunner) return inlineRunner;
  const waiting = new Map<number, { resolve: (r: PoolResult[]) => void; onBytes: (n: number) => void }>();
  const handle = createPoolHandler('m', (m: PoolMessage) => {
    const w = waiting.get(m.id);
    if (m.type === 'bytes') w?.onBytes(m.n);
    else { waiting.delete(m.id); w?.resolve(m.results); }
  });
  inlineRunner = (job, onBytes) => new Promise<PoolResult[]>((resolve, reject) => {
    const id = ++inlineIds;
    waiting.set(id, { resolve, onBytes });
    // same thread: the AbortSignal itself goes along (the big-file hash checks it between chunks)
    handle({ id, op: job.op, name: job.name, cache: job.cache, items: job.items, signal: job.signal }).catch((err: unknown) => { waiting.delete(id); reject(err); });
  });
  return inlineRunner;
}

export class HashPool {
  private workers: Worker[] = [];
  private nextId = 1;

  /** `inline`: run tiny jobs in this thread (default); false = always on the workers (tests). */
  constructor(readonly size = Math.max(1, Math.min(availableParallelism(), Number(process.env.GEODVC_JOBS) || 64)), private readonly inline = true) {}

  /** The process-wide pool (started lazily, unref'ed so it never keeps the process alive). */
  static shared(): HashPool {
    shared ??= new HashPool();
    return shared;
  }

  private spawn(n: number): Worker[] {
    while (this.workers.length < n) {
      const w = startWorker(workerUrl(import.meta.url, 'pool'), { workerData: { id: this.workers.length } });
      w.unref();
      this.workers.push(w);
    }
    return this.workers.slice(0, n);
  }

  /** Runs one job; results are in item order. Per-item failures come back as `error`. */
  async run(job: PoolJob): Promise<PoolResult[]> {
    const items = job.items;
    const results = new Array<PoolResult>(items.length);
    if (items.length === 0) return results;
    if (this.inline && runsInline(job)) {
      if (job.signal?.aborted) throw new InterruptedError();
      let bytes = 0;
      const rs = await inlineExecutor()(job, (n) => { bytes += n; job.onProgress?.(0, bytes); });
      if (job.signal?.aborted) throw new InterruptedError();
      job.onProgress?.(rs.length, items.reduce((s, it) => s + (it.size ?? 0), 0));
      return rs;
    }
    // Batches: ~256 small files or one big one; workers pull the next batch when done.
    const batches: { start: number; end: number }[] = [];
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < items.length; i++) {
      bytes += items[i]!.size ?? 4096;
      if (i + 1 - start >= 256 || bytes >= 16 << 20) {
        batches.push({ start, end: i + 1 });
        start = i + 1;
        bytes = 0;
      }
    }
    if (start < items.length) batches.push({ start, end: items.length });
    const nWorkers = Math.min(this.size, batches.length);
    const workers = this.spawn(nWorkers);
    let next = 0;
    let done = 0;
    let bytesDone = 0;
    await new Promise<void>((resolve, reject) => {
      let active = 0;
      let failed = false;
      const onAbort = () => { failed = true; reject(new InterruptedError()); };
      job.signal?.addEventListener('abort', onAbort, { once: true });
      const finish = () => { job.signal?.removeEventListener('abort', onAbort); };
      const feed = (w: Worker) => {
        if (failed) return;
        if (next >= batches.length) {
          if (active === 0) { finish(); resolve(); }
          return;
        }
        const b = batches[next++]!;
        const id = this.nextId++;
        active++;
        let reported = 0;
        w.ref();
        const onMsg = (m: PoolMessage) => {
          if (m.id !== id) return;
          if (m.type === 'bytes') { bytesDone += m.n; reported += m.n; job.onProgress?.(done, bytesDone); return; }
          w.off('message', onMsg);
          w.off('error', onErr);
          w.unref();
          active--;
          const rs = m.results;
          for (let k = 0; k < rs.length; k++) {
            results[b.start + k] = rs[k]!;
            bytesDone += items[b.start + k]!.size ?? 0;
          }
          bytesDone -= reported;
          done += rs.length;
          job.onProgress?.(done, bytesDone);
          if (job.signal?.aborted) return;
          feed(w);
          if (next >= batches.length && active === 0) { finish(); resolve(); }
        };
        const onErr = (err: unknown) => { failed = true; finish(); reject(err); };
        w.on('message', onMsg);
        w.once('error', onErr);
        const msg: PoolJobMessage = { id, op: job.op, name: job.name, cache: job.cache, items: items.slice(b.start, b.end) };
        w.postMessage(msg);
      };
      for (const w of workers) feed(w);
    });
    return results;
  }

  async close(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
    if (shared === this) shared = undefined;
  }
}
