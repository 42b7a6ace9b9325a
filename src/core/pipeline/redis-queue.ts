/**
 * Experiments queued on Redis through BullMQ, so workers on several machines can take them.
 *
 * The submitter pushes its baseline commit to the git remote `origin` (as
 * `refs/exps/queue/<job id>`) and adds a job `{gitUrl, baseline, set, name}` to the BullMQ queue
 * `geodvc-exps`. A worker clones the git remote into a temporary directory, runs the experiment
 * there (`exp run` semantics), pushes the experiment ref back to the git remote and, when the
 * repository has a default DVC remote, the outputs with `push`. The submitter gets the results
 * with `exp pull origin`.
 *
 * The Redis URL comes from `GEODVC_QUEUE_URL` or `--redis-url`, not from `.dvc/config`: DVC
 * validates its config strictly and would refuse an unknown option.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError, UsageError } from '../../lib/errors.js';
import { git, headSha } from './experiments.js';

export const REDIS_QUEUE_NAME = 'geodvc-exps';

export interface RedisJobData { gitUrl: string; baseline: string; set: string[]; name: string; baselineRef: string }
export interface RedisJobResult { name: string; ref: string; rev: string; pushedData: boolean }

export function redisConnection(url: string): Record<string, unknown> {
  let u: URL;
  try { u = new URL(url); } catch { throw new UsageError(`invalid Redis URL '${url}'`, { hint: 'write redis://HOST:PORT[/DB] or unix:///path/to/redis.sock' }); }
  if (u.protocol === 'unix:') return { path: u.pathname, maxRetriesPerRequest: null };
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new UsageError(`unsupported Redis URL scheme '${u.protocol}'`, { hint: 'use redis://, rediss:// or unix://' });
  return {
    host: u.hostname || '127.0.0.1', port: Number(u.port || 6379), maxRetriesPerRequest: null,
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}), ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.pathname.length > 1 ? { db: Number(u.pathname.slice(1)) } : {}), ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * BullMQ 6 talks to Redis through ioredis, an optional peer of its own: without it a Queue fails
 * later with an opaque TypeError. Load ioredis first so a missing one is the clear
 * MissingDependencyError (main.ts maps module-not-found errors of optional packages).
 */
export async function loadBullmq(): Promise<typeof import('bullmq')> {
  await import('ioredis');
  return import('bullmq');
}

export async function enqueueRedis(cwd: string, url: string, items: { name: string; set: string[] }[]): Promise<{ id: string; name: string }[]> {
  const gitUrl = git(cwd, ['remote', 'get-url', 'origin'], { allowFail: true }).trim();
  if (!gitUrl) throw new AppError('no-git-remote', 'queuing on Redis needs a git remote named origin', 1, { hint: 'add one with `git remote add origin URL`; workers clone it' });
  const baseline = headSha(cwd);
  const { Queue } = await loadBullmq();
  const queue = new Queue(REDIS_QUEUE_NAME, { connection: redisConnection(url) as any });
  try {
    const out: { id: string; name: string }[] = [];
    for (const it of items) {
      const id = `${Date.now().toString(36)}-${Math.random().toString(16).slice(2, 8)}`;
      const baselineRef = `refs/exps/queue/${id}`;
      git(cwd, ['push', '-q', 'origin', `${baseline}:${baselineRef}`]);
      const data: RedisJobData = { gitUrl, baseline, set: it.set, name: it.name, baselineRef };
      await queue.add('exp', data, { jobId: id, removeOnComplete: false, removeOnFail: false });
      out.push({ id, name: it.name });
    }
    return out;
  } finally { await queue.close(); }
}

export interface RedisJobState { id: string; name: string; state: string; result?: RedisJobResult; error?: string }

export async function redisQueueStatus(url: string): Promise<RedisJobState[]> {
  const { Queue } = await loadBullmq();
  const queue = new Queue(REDIS_QUEUE_NAME, { connection: redisConnection(url) as any });
  try {
    const jobs = await queue.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed'], 0, 1000, true);
    const out: RedisJobState[] = [];
    for (const j of jobs) {
      if (!j) continue;
      out.push({ id: String(j.id), name: (j.data as RedisJobData).name, state: await j.getState(), result: j.returnvalue as RedisJobResult | undefined, error: j.failedReason || undefined });
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  } finally { await queue.close(); }
}

/** Runs one job in a fresh clone. `runExp` is `exp run` (injected to keep the layering). */
export async function runRedisJob(data: RedisJobData, runExp: (cwd: string, set: string[], name: string) => Promise<{ ref: string; rev: string }>, pushData: (cwd: string) => Promise<boolean>, log: (s: string) => void): Promise<RedisJobResult> {
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-exp-worker-'));
  try {
    git(tmpdir(), ['clone', '-q', '--no-checkout', data.gitUrl, dir]);
    git(dir, ['fetch', '-q', 'origin', data.baselineRef]);
    git(dir, ['checkout', '-q', '--detach', data.baseline]);
    for (const k of ['user.name', 'user.email']) {
      if (!git(dir, ['config', '--get', k], { allowFail: true }).trim()) git(dir, ['config', k, k === 'user.name' ? 'geodvc worker' : 'worker@geodvc.local']);
    }
    log(`running ${data.name}: ${data.set.join(' ')}`);
    const r = await runExp(dir, data.set, data.name);
    git(dir, ['push', '-q', 'origin', `${r.rev}:${r.ref}`]);
    const pushedData = await pushData(dir);
    git(dir, ['push', '-q', 'origin', `:${data.baselineRef}`], { allowFail: true });
    log(`done ${data.name}: ${r.ref}`);
    return { name: data.name, ref: r.ref, rev: r.rev, pushedData };
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

/** A BullMQ worker; resolves when closed (signal) or, with `exitWhenEmpty`, when no job is left. */
export async function runRedisWorker(url: string, opts: { concurrency?: number; exitWhenEmpty?: boolean; signal?: AbortSignal; log: (s: string) => void;
  runExp: (cwd: string, set: string[], name: string) => Promise<{ ref: string; rev: string }>; pushData: (cwd: string) => Promise<boolean> }): Promise<number> {
  const { Worker, Queue } = await loadBullmq();
  const connection = redisConnection(url) as any;
  let done = 0;
  const worker = new Worker(REDIS_QUEUE_NAME, async (job) => runRedisJob(job.data as RedisJobData, opts.runExp, opts.pushData, opts.log), { connection, concurrency: opts.concurrency ?? 1 });
  worker.on('completed', () => { done++; });
  worker.on('failed', (job, err) => opts.log(`failed ${(job?.data as RedisJobData | undefined)?.name}: ${err.message}`));
  const queue = new Queue(REDIS_QUEUE_NAME, { connection });
  try {
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      opts.signal?.addEventListener('abort', stop, { once: true });
      if (opts.exitWhenEmpty) {
        const poll = setInterval(async () => {
          try {
            const c = await queue.getJobCounts('waiting', 'active', 'delayed');
            if ((c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) === 0) { clearInterval(poll); resolve(); }
          } catch { /* retry */ }
        }, 300);
      }
    });
  } finally {
    await worker.close();
    await queue.close();
  }
  return done;
}
