/**
 * `repro --queue`: the coordinator of a distributed repro (docs/scale-out.md). It commits the
 * working state (without touching HEAD or the index), pushes it to `origin` as
 * `refs/geodvc/stages/<run id>`, and sends each planned stage instance as a BullMQ job on
 * `geodvc-stages` once its upstream stages are done (DAG order), with the lock entries of those
 * upstream stages. Workers (stage-queue.ts) run the stages and push outputs and run-cache entries
 * to the DVC remote; the coordinator writes the lock entries they return into its dvc.lock files
 * (stage order as a local repro writes them) without downloading the outputs (`pull` gets them).
 *
 * A failing job stops the stages downstream of it (and, without keep-going, every job not yet
 * started); a worker that dies mid-stage loses the job's lock and BullMQ's stalled-job check
 * puts it back for another worker. A job that completes twice is harmless: outputs are content
 * addressed and the coordinator takes the first answer.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { AppError, ConfigError, InterruptedError } from '../../lib/errors.js';
import { readLock, serializeLock, writeLock, type LockFile, type LockStage } from '../dvcfile/lock.js';
import { openRepoSync } from '../repo/repo.js';
import { withRepoLock } from '../repo/lock.js';
import { commitWorkspace, git, gitTop, headSha } from './experiments.js';
import { gitignoreOutput } from './cache.js';
import { loadPipeline } from './graph.js';
import { lockPathOf, openPipelineRepo, plan, type ReproOptions, type ReproResult } from './repro.js';
import { loadBullmq, redisConnection } from './redis-queue.js';
import { STAGE_QUEUE_NAME, entryOfResult, ignoreOutputs, type StageJobAction, type StageJobData, type StageJobResult } from './stage-queue.js';

export interface DistributedOptions extends ReproOptions {
  redisUrl: string;
  /** Attempts per job (a failing stage is tried again up to this many times in all). Default 1. */
  attempts?: number;
  /** Per-attempt limit of a stage on a worker. */
  timeoutMs?: number;
  /** How often the coordinator looks at every job besides the events of their queue (ms, default 2000). */
  pollMs?: number;
  /** Sends the workspace's tracked data to the DVC remote first (core/api push, injected). */
  pushWorkspace?: (cwd: string) => Promise<void>;
}

export interface StageJobSummary {
  stage: string;
  jobId: string;
  state: 'completed' | 'failed' | 'removed' | 'interrupted';
  action?: StageJobAction;
  worker?: string;
  ms?: number;
  attempts?: number;
  error?: string;
}

export interface DistributedSummary {
  runId: string;
  commit: string;
  jobs: StageJobSummary[];
  counts: { queued: number; running: number; done: number; failed: number; skipped: number };
  wallMs: number;
}

export interface DistributedResult extends ReproResult { distributed: DistributedSummary }

export class StageJobFailedError extends AppError {
  constructor(stage: string, jobId: string, reason: string) {
    super('stage-job-failed', `failed to reproduce '${stage}' on a worker (job ${jobId}): ${reason}`, 1, {
      hint: `read the job's log with \`geodvc queue logs ${jobId}\`; dvc.lock was not changed for this stage`,
      details: { stage, jobId },
    });
  }
}

function fmtEta(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 90 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export async function reproduceDistributed(opts: DistributedOptions): Promise<DistributedResult> {
  const t0 = Date.now();
  const repo = openPipelineRepo(opts.cwd);
  const full = openRepoSync(repo.root);
  if (!full.config.core?.remote) throw new ConfigError('repro --queue needs a default DVC remote: workers exchange data through it', { hint: 'run `geodvc remote add -d NAME URL` and commit .dvc/config' });
  const top = gitTop(opts.cwd);
  const gitUrl = git(opts.cwd, ['remote', 'get-url', 'origin'], { allowFail: true }).trim();
  if (!gitUrl) throw new AppError('no-git-remote', 'repro --queue needs a git remote named origin', 1, { hint: 'add one with `git remote add origin URL`; workers fetch the pipeline from it' });
  if (opts.pushWorkspace) await opts.pushWorkspace(opts.cwd);
  opts.logger?.debug(`repro --queue: workspace data pushed after ${Date.now() - t0} ms`);
  return withRepoLock(repo, { write: true, signal: opts.signal, cmd: 'geodvc repro --queue' }, async () => {
    const p = loadPipeline(repo);
    const order = plan(p, opts);
    const inPlan = new Set(order);
    const baseline = headSha(opts.cwd);
    const commit = commitWorkspace(opts.cwd, baseline, 'geodvc repro --queue: working state');
    const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const ref = `refs/geodvc/stages/${runId}`;
    git(opts.cwd, ['push', '-q', 'origin', `${commit}:${ref}`]);
    opts.logger?.debug(`repro --queue: working state ${commit.slice(0, 7)} pushed as ${ref} after ${Date.now() - t0} ms`);
    const rootRel = relative(top, repo.root).split('\\').join('/');
    const result: DistributedResult = {
      ran: [], restored: [], unchanged: [], skipped: [], wouldRun: [], failed: [],
      distributed: { runId, commit, jobs: [], counts: { queued: 0, running: 0, done: 0, failed: 0, skipped: 0 }, wallMs: 0 },
    };
    const emit = opts.onStage ?? (() => {});
    // dvc.lock files: the original, then the entries of this run set in plan order
    const bases = new Map<string, LockFile>();
    const entries = new Map<string, LockStage>();
    const lockFileOf = (a: string) => lockPathOf(repo, p.byAddress.get(a)!);
    for (const a of order) { const f = lockFileOf(a); if (!bases.has(f)) bases.set(f, readLock(f, relative(repo.root, f))); }
    const dirty = new Set<string>();
    const flush = () => {
      for (const f of dirty) {
        const base = bases.get(f)!;
        const lock: LockFile = { extra: base.extra, stages: new Map(base.stages) };
        for (const a of order) if (lockFileOf(a) === f && entries.has(a)) lock.stages.set(p.byAddress.get(a)!.name, entries.get(a)!);
        writeLock(f, lock);
      }
      dirty.clear();
    };
    let lastFlush = 0;

    const { Queue, QueueEvents, Job } = await loadBullmq();
    const connection = redisConnection(opts.redisUrl) as any;
    const queue = new Queue(STAGE_QUEUE_NAME, { connection });
    // Job news arrive as events (Redis stream, blocking read): a finished job is seen at once, and
    // only the jobs with news are looked at; a sweep of all of them every `pollMs` is the safety net
    // for events lost on a reconnect.
    const events = new QueueEvents(STAGE_QUEUE_NAME, { connection });
    const news = new Set<string>();
    let wake: (() => void) | undefined;
    const poke = ({ jobId }: { jobId: string }) => { news.add(jobId); wake?.(); };
    for (const ev of ['active', 'completed', 'failed', 'removed', 'waiting', 'stalled'] as const) events.on(ev, poke as any);
    await events.waitUntilReady();
    const jobOf = new Map<string, string>();
    const stageOfJob = new Map<string, string>();
    const pending = new Set<string>(order);
    const active = new Set<string>();
    const running = new Set<string>();
    const blocked = new Set<string>();
    const done = new Set<string>();
    let stop: AppError | undefined;
    let seq = 0;
    const upstreamIn = (a: string) => (p.upstream.get(a) ?? []).filter((u) => inPlan.has(u));
    const jobFor = (a: string) => {
      const byFile = new Map<string, Map<string, LockStage>>();
      for (const u of upstreamIn(a)) {
        const e = entries.get(u);
        if (!e) continue;
        const f = relative(repo.root, lockFileOf(u)).split('\\').join('/');
        (byFile.get(f) ?? byFile.set(f, new Map()).get(f)!).set(p.byAddress.get(u)!.name, e);
      }
      const data: StageJobData = {
        v: 1, runId, gitUrl, ref, commit, rootRel, stage: a,
        upstreamLocks: [...byFile].map(([file, stages]) => ({ file, text: serializeLock({ stages, extra: {} }) })),
        ...(opts.force ? { force: true } : {}), ...(opts.noRunCache ? { noRunCache: true } : {}), ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      };
      const jobId = `${runId}.${++seq}`;
      return { name: a, data, opts: { jobId, attempts: Math.max(1, opts.attempts ?? 1), backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: false, removeOnFail: false } };
    };
    const enqueueReady = async () => {
      const ready = order.filter((a) => pending.has(a) && upstreamIn(a).every((u) => done.has(u)));
      if (!ready.length) return;
      const jobs = ready.map(jobFor);
      await queue.addBulk(jobs);
      for (const j of jobs) {
        jobOf.set(j.name, j.opts.jobId); stageOfJob.set(j.opts.jobId, j.name);
        active.add(j.name); pending.delete(j.name);
      }
    };
    const skipDownstream = () => {
      let changed = true;
      while (changed) {
        changed = false;
        for (const a of [...pending]) {
          if (upstreamIn(a).some((u) => blocked.has(u)) || stop) {
            pending.delete(a); blocked.add(a); result.skipped.push(a); changed = true;
            emit({ stage: a, action: 'skip', reason: stop && !upstreamIn(a).some((u) => blocked.has(u)) ? 'the run stopped after a failure' : 'an upstream stage failed' });
          }
        }
      }
    };
    const cancelWaiting = async () => {
      for (const a of [...active]) {
        const id = jobOf.get(a)!;
        const st = await queue.getJobState(id);
        if (st === 'waiting' || st === 'delayed' || st === 'prioritized') {
          try {
            await queue.remove(id);
            active.delete(a); blocked.add(a); result.skipped.push(a);
            result.distributed.jobs.push({ stage: a, jobId: id, state: 'removed' });
            emit({ stage: a, action: 'skip', reason: 'the run stopped after a failure' });
          } catch { /* taken meanwhile: wait for it */ }
        }
      }
    };
    const progress = (finished = false) => {
      const c = result.distributed.counts;
      c.running = running.size; c.queued = active.size - running.size; c.done = done.size; c.failed = result.failed.length; c.skipped = result.skipped.length;
      const left = order.length - c.done - c.failed - c.skipped;
      const elapsed = Date.now() - t0;
      const eta = c.done ? (elapsed / c.done) * left : undefined;
      opts.onProgress?.({
        phase: 'stage jobs', done: c.done + c.failed + c.skipped, total: order.length, finished,
        item: `${c.queued} queued, ${c.running} running, ${c.done} done, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}${eta !== undefined && !finished ? `, ETA ${fmtEta(eta)}` : ''}`,
      });
    };
    const look = async (a: string, st: string) => {
      const id = jobOf.get(a)!;
      if (!active.has(a)) return;
      if (st === 'active') { running.add(a); return; }
      if (st === 'completed') {
        const job = await Job.fromId(queue, id);
        const r = job?.returnvalue as StageJobResult | undefined;
        active.delete(a); running.delete(a);
        if (!r) { stop ??= new StageJobFailedError(a, id, 'the job completed without an answer'); result.failed.push({ stage: a, error: stop }); blocked.add(a); return; }
        const s = p.byAddress.get(a)!;
        entries.set(a, entryOfResult(r, s.name));
        dirty.add(lockFileOf(a));
        done.add(a);
        (r.action === 'ran' ? result.ran : r.action === 'restored' ? result.restored : result.unchanged).push(a);
        result.distributed.jobs.push({ stage: a, jobId: id, state: 'completed', action: r.action, worker: r.worker, ms: r.ms, attempts: job?.attemptsMade });
        emit(r.action === 'ran' ? { stage: a, action: 'done' } : r.action === 'restored' ? { stage: a, action: 'restored', cmd: s.cmd } : { stage: a, action: 'skip', reason: "didn't change" });
      } else if (st === 'failed' || st === 'unknown') {
        const job = st === 'failed' ? await Job.fromId(queue, id) : undefined;
        active.delete(a); running.delete(a); blocked.add(a);
        const reason = job?.failedReason || (st === 'unknown' ? 'the job was removed from the queue' : 'failed');
        const err = new StageJobFailedError(a, id, reason);
        result.failed.push({ stage: a, error: err });
        result.distributed.jobs.push({ stage: a, jobId: id, state: 'failed', attempts: job?.attemptsMade, error: reason });
        emit({ stage: a, action: 'failed', reason: err.message });
        if (!opts.keepGoing) { stop ??= err; await cancelWaiting(); }
      } else running.delete(a);
    };
    const pollMs = opts.pollMs ?? 2000;
    let lastSweep = Date.now();
    try {
      while (pending.size || active.size) {
        if (opts.signal?.aborted) { stop ??= new InterruptedError(); await cancelWaiting(); throw stop; }
        if (!stop) await enqueueReady();
        skipDownstream();
        // the jobs with news (all of them at a sweep), their states read in one round of requests
        const sweep = Date.now() - lastSweep >= pollMs;
        if (sweep) lastSweep = Date.now();
        const ids = sweep ? [...active].map((a) => jobOf.get(a)!) : [...news].filter((id) => active.has(stageOfJob.get(id) ?? ''));
        news.clear();
        const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
        for (let i = 0; i < ids.length; i++) await look(stageOfJob.get(ids[i]!)!, states[i]!);
        skipDownstream();
        if (dirty.size && (Date.now() - lastFlush > 500 || (!pending.size && !active.size))) { flush(); lastFlush = Date.now(); }
        progress();
        if (!pending.size && !active.size) opts.logger?.debug(`repro --queue: last job done after ${Date.now() - t0} ms`);
        if ((pending.size || active.size) && !news.size && !opts.signal?.aborted) {
          await new Promise<void>((r) => {
            const end = () => { clearTimeout(timer); opts.signal?.removeEventListener('abort', end); wake = undefined; r(); };
            const timer = setTimeout(end, Math.max(1, pollMs - (Date.now() - lastSweep)));
            opts.signal?.addEventListener('abort', end, { once: true });
            wake = end;
          });
        }
      }
    } finally {
      flush();
      // .gitignore entries of the outputs, in plan order as a local repro adds them (one
      // `git check-ignore` for all of them, none when every line is there already)
      const outs: string[] = [];
      for (const a of order) {
        if (!entries.has(a)) continue;
        const s = p.byAddress.get(a)!;
        for (const o of s.outs) {
          if (!o.cache) continue;
          const abs = resolve(s.wdir, o.path);
          if (relative(repo.root, abs).startsWith('..')) { gitignoreOutput(repo, abs); continue; } // its error
          mkdirSync(dirname(abs), { recursive: true });
          outs.push(abs);
        }
      }
      if (!repo.noScm) await ignoreOutputs(repo.root, outs);
      await events.close().catch(() => {});
      await queue.close().catch(() => {});
      git(opts.cwd, ['push', '-q', 'origin', `:${ref}`], { allowFail: true });
      result.distributed.wallMs = Date.now() - t0;
    }
    progress(true);
    if (stop && !(stop instanceof StageJobFailedError)) throw stop;
    return result;
  });
}
