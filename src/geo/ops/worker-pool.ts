/**
 * A small pool of worker threads, each holding its own gdal3.js instance (gdal3.js is
 * single-threaded wasm; parallelism comes from several instances, ~200 MB and ~1 s start-up each).
 */
import type { Worker } from 'node:worker_threads';
import { startWorker, workerUrl } from '../../lib/worker.js';
import { availableParallelism } from 'node:os';
import { AppError, type ErrorCode } from '../../lib/errors.js';
import type { GdalTask } from './gdal-task.js';
import { runGdalTask } from './gdal-task.js';

export function defaultJobs(): number { return Math.max(1, availableParallelism()); }

export class GdalWorkerPool {
  private workers: Worker[] = [];
  private idle: Worker[] = [];
  private queue: { task: GdalTask; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void; w: Worker }>();
  private nextId = 1;
  /** With size 1 tasks run in this thread (no worker start-up cost). */
  constructor(readonly size: number) {
    if (size <= 1) return;
    const entry = workerUrl(import.meta.url, 'gdal');
    for (let i = 0; i < size; i++) {
      const w = startWorker(entry);
      w.on('message', (m: { id: number; result?: unknown; error?: { message: string; code?: string; hint?: string; details?: Record<string, unknown> } }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.error) p.reject(new AppError((m.error.code as ErrorCode | undefined) ?? 'gdal-error', m.error.message, 1, { hint: m.error.hint, details: m.error.details }));
        else p.resolve(m.result);
        this.idle.push(w);
        this.pump();
      });
      w.on('error', (err) => {
        for (const [id, p] of this.pending) if (p.w === w) { this.pending.delete(id); p.reject(err); }
      });
      w.unref();
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  run(task: GdalTask): Promise<unknown> {
    if (this.size <= 1) return runGdalTask(task);
    return new Promise((resolve, reject) => { this.queue.push({ task, resolve, reject }); this.pump(); });
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop()!;
      const job = this.queue.shift()!;
      const id = this.nextId++;
      this.pending.set(id, { resolve: job.resolve, reject: job.reject, w });
      w.ref();
      w.postMessage({ id, task: job.task });
    }
    if (!this.pending.size) for (const w of this.workers) w.unref();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
    this.idle = [];
  }
}
