/**
 * `repro`: plan the stages to consider (targets, their upstream, or --downstream / --single-item),
 * check each with DVC's rules when its upstream has finished, restore from the run-cache or run
 * the command, then hash/commit outputs and write its dvc.lock entry atomically. Independent
 * stages run in parallel up to `jobs`.
 */
import { existsSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { AppError, InterruptedError, PathError, toAppError } from '../../lib/errors.js';
import type { OpContext } from '../../lib/progress.js';
import { readLock, writeLock, type LockEntry, type LockStage } from '../dvcfile/lock.js';
import { stageAddress, type StageDef } from '../dvcfile/dvcyaml.js';
import { HashState, hashPath } from './hashing.js';
import { checkoutFromCache, commitToCache, gitignoreOutput, pipelineLinkOf, unprotectOutput } from './cache.js';
import { downstreamOf, findPipelineRepo, loadPipeline, postOrder, resolveTargets, type Pipeline, type PipelineRepo } from './graph.js';
import { StatusContext, currentParams, isChanged, memoFingerprints, stageStatus, type StageStatus } from './status.js';
import { runCommand, type OutputFn } from './executor.js';
import { findRuns, runCacheEligible, runsDir, saveRun } from './runcache.js';
import { beginRun, parentDirs, recordsDir, type RunJournal } from './supervisor.js';
import { NotARepoError } from '../../lib/errors.js';
import { withRepoLock } from '../repo/lock.js';

export interface StageEvent {
  stage: string;
  action: 'start' | 'skip' | 'done' | 'restored' | 'failed' | 'would-run' | 'lock-updated';
  cmd?: string | string[];
  reason?: string;
}

export interface ReproOptions extends OpContext {
  cwd: string;
  targets?: string[];
  force?: boolean;
  single?: boolean;
  downstream?: boolean;
  dry?: boolean;
  keepGoing?: boolean;
  allowMissing?: boolean;
  allPipelines?: boolean;
  jobs?: number;
  noRunCache?: boolean;
  onOutput?: OutputFn;
  onStage?: (e: StageEvent) => void;
  /** Called before running (for --pull): stages whose deps are missing. */
  beforeRun?: (stages: StageDef[]) => Promise<void>;
}

export interface ReproResult {
  ran: string[];
  restored: string[];
  unchanged: string[];
  skipped: string[];
  wouldRun: string[];
  failed: { stage: string; error: AppError }[];
}

export function openPipelineRepo(cwd: string): PipelineRepo {
  const r = findPipelineRepo(cwd);
  if (!r) throw new NotARepoError();
  return r;
}

export function stateFor(repo: PipelineRepo): HashState {
  return new HashState(join(repo.tmpDir, 'pipeline-hashes'));
}

export function lockPathOf(repo: PipelineRepo, s: StageDef): string {
  return join(repo.root, s.dvcfile.replace(/dvc\.yaml$/, 'dvc.lock'));
}

/** Serialises read-modify-write of lock files within this process. */
class LockWriter {
  private chain: Promise<void> = Promise.resolve();
  update(path: string, name: string, entry: LockStage): Promise<void> {
    const next = this.chain.then(() => {
      const lock = readLock(path);
      lock.stages.set(name, entry);
      writeLock(path, lock);
    });
    this.chain = next.catch(() => {});
    return next;
  }
}

/** Stage addresses `repro` considers, upstream first (exported for the distributed coordinator). */
export function plan(p: Pipeline, opts: ReproOptions): string[] {
  let targets: string[];
  if (opts.targets?.length) targets = resolveTargets(p, opts.targets, opts.cwd);
  else if (opts.allPipelines) targets = p.stages.map(stageAddress);
  else {
    const cwdYaml = relative(p.repo.root, join(opts.cwd, 'dvc.yaml')).split('\\').join('/');
    const inCwd = p.stages.filter((s) => s.dvcfile === cwdYaml);
    targets = (inCwd.length ? inCwd : p.stages).map(stageAddress);
  }
  if (opts.single) return targets;
  if (opts.downstream) {
    const down = downstreamOf(p, targets);
    return postOrder(p, p.stages.map(stageAddress)).filter((a) => down.has(a));
  }
  return postOrder(p, targets);
}

export async function depEntries(sc: StatusContext, s: StageDef): Promise<LockEntry[]> {
  const out: LockEntry[] = [];
  for (const d of s.deps) {
    const abs = resolve(s.wdir, d.path);
    const h = await hashPath(abs, sc.state);
    if (!h) {
      throw new PathError('missing-dep', `failed to reproduce '${stageAddress(s)}': dependency '${relative(sc.cwd, abs) || d.path}' does not exist`, {
        hint: `create it, run the stage that produces it, or \`geodvc pull\` it`,
      });
    }
    out.push({ path: d.path, hash: 'md5', md5: h.md5, size: h.size, ...(h.isDir ? { nfiles: h.nfiles } : {}) });
  }
  return out;
}

export function lockStageFor(s: StageDef, deps: LockEntry[], params: Record<string, Record<string, unknown>>, outs: LockEntry[]): LockStage {
  const e: LockStage = { cmd: s.cmd };
  if (deps.length) e.deps = deps;
  if (Object.keys(params).length) e.params = params;
  if (outs.length) e.outs = outs;
  return e;
}

function cmdList(s: StageDef): string[] { return Array.isArray(s.cmd) ? s.cmd : [s.cmd]; }

/** Reproduces under the repository lock (exclusive; shared for --dry), as DVC does. */
export async function reproduce(opts: ReproOptions): Promise<ReproResult> {
  const repo = openPipelineRepo(opts.cwd);
  return withRepoLock(repo, { write: !opts.dry, signal: opts.signal, cmd: 'geodvc repro' }, () => reproduceLocked(repo, opts));
}

async function reproduceLocked(repo: PipelineRepo, opts: ReproOptions): Promise<ReproResult> {
  const p = loadPipeline(repo);
  const order = plan(p, opts);
  const state = stateFor(repo);
  const sc = new StatusContext(repo, state, opts.cwd);
  const writer = new LockWriter();
  const result: ReproResult = { ran: [], restored: [], unchanged: [], skipped: [], wouldRun: [], failed: [] };
  const emit = (e: StageEvent) => opts.onStage?.(e);
  const jobs = Math.max(1, opts.jobs ?? 1);
  const inPlan = new Set(order);
  const done = new Set<string>();
  const changedUp = new Set<string>();
  const blocked = new Set<string>();
  const locks = new Map<string, ReturnType<typeof readLock>>();
  const lockOf = (s: StageDef) => {
    const path = lockPathOf(repo, s);
    if (!locks.has(path)) locks.set(path, readLock(path, relative(repo.root, path)));
    return locks.get(path)!;
  };
  let stopError: AppError | undefined;

  const processStage = async (addr: string): Promise<void> => {
    const s = p.byAddress.get(addr)!;
    const lockEntry = lockOf(s).stages.get(s.name);
    let st: StageStatus | undefined;
    const upChanged = (p.upstream.get(addr) ?? []).some((u) => changedUp.has(u));
    if (s.frozen && !opts.force) opts.logger?.warn(`stage: '${addr}' is frozen. Its dependencies are not going to be reproduced.`);
    if (!opts.force) {
      st = await stageStatus(sc, s, lockEntry);
      if (!isChanged(st) && !(opts.dry && upChanged)) {
        if (st.semanticSame.length && lockEntry && !opts.dry) {
          const deps = (lockEntry.deps ?? []).map((d) => {
            const n = st!.semanticSame.find((x) => x.path === d.path);
            return n ? { ...d, md5: n.md5, size: n.size, ...(n.nfiles !== undefined ? { nfiles: n.nfiles } : {}) } : d;
          });
          await writer.update(lockPathOf(repo, s), s.name, { ...lockEntry, deps });
          const what = st.semanticSame.map((x) => `${x.path} (${s.deps.find((d) => d.path === x.path)?.kind})`).join(', ');
          emit({ stage: addr, action: 'lock-updated', reason: `${what} changed without a semantic change (precision, format or order only); stage skipped` });
        }
        result.unchanged.push(addr);
        emit({ stage: addr, action: 'skip', reason: "didn't change" });
        return;
      }
      if (opts.allowMissing && st.onlyMissing) {
        result.skipped.push(addr);
        emit({ stage: addr, action: 'skip', reason: 'only data is missing (--allow-missing)' });
        return;
      }
      if (s.frozen) {
        result.skipped.push(addr);
        emit({ stage: addr, action: 'skip', reason: 'frozen' });
        return;
      }
    }
    if (opts.dry) {
      result.wouldRun.push(addr);
      changedUp.add(addr);
      emit({ stage: addr, action: 'would-run', cmd: s.cmd });
      return;
    }
    sc.invalidate();
    const params = currentParams(sc, s, true);
    const deps = await depEntries(sc, s);
    // run-cache
    if (!opts.noRunCache && !opts.force && runCacheEligible(s)) {
      const key = lockStageFor(s, deps, params, s.outs.map((o) => ({ path: o.path })));
      const runs = findRuns(repo.cacheDir, key);
      const run = runs[0];
      if (run) {
        for (const o of run.outs ?? []) {
          const abs = resolve(s.wdir, o.path);
          checkoutFromCache(repo.cacheDir, o.md5 as string, abs, pipelineLinkOf(repo));
          gitignoreOutput(repo, abs);
        }
        const entry = lockStageFor(s, deps, params, (run.outs ?? []).map((o) => ({ ...o })));
        await writer.update(lockPathOf(repo, s), s.name, entry);
        lockOf(s).stages.set(s.name, entry);
        result.restored.push(addr);
        changedUp.add(addr);
        emit({ stage: addr, action: 'restored', cmd: s.cmd });
        return;
      }
    }
    emit({ stage: addr, action: 'start', cmd: s.cmd });
    for (const o of s.outs) {
      if (!o.persist) rmSync(resolve(s.wdir, o.path), { recursive: true, force: true });
      else if (pipelineLinkOf(repo) !== 'copy') unprotectOutput(resolve(s.wdir, o.path));
    }
    if (!existsSync(s.wdir)) throw new PathError('missing-wdir', `wdir '${relative(repo.root, s.wdir)}' of stage '${addr}' does not exist`, { hint: 'create the directory or fix `wdir`' });
    for (const c of cmdList(s)) await runCommand(addr, c, s.wdir, { signal: opts.signal, onOutput: opts.onOutput, recordDir: recordsDir(repo.tmpDir) });
    const outs: LockEntry[] = [];
    for (const o of s.outs) {
      const abs = resolve(s.wdir, o.path);
      const h = o.cache ? await commitToCache(repo.cacheDir, abs, state, pipelineLinkOf(repo)) : await hashPath(abs, state);
      if (!h) {
        throw new PathError('missing-out', `failed to reproduce '${addr}': output '${relative(opts.cwd, abs)}' does not exist after the command`, {
          hint: 'the command must create every declared output; fix the command or the outs list (dvc.lock was not changed)',
        });
      }
      if (o.cache) gitignoreOutput(repo, abs);
      outs.push({ path: o.path, hash: 'md5', md5: h.md5, size: h.size, ...(h.isDir ? { nfiles: h.nfiles } : {}) });
    }
    // deps may be rewritten by the command only if they are also outs; re-hash to record the state used
    const entry = lockStageFor(s, deps, params, outs);
    await writer.update(lockPathOf(repo, s), s.name, entry);
    lockOf(s).stages.set(s.name, entry);
    if (runCacheEligible(s)) saveRun(repo.cacheDir, entry);
    await memoFingerprints(sc, s, deps);
    result.ran.push(addr);
    changedUp.add(addr);
    emit({ stage: addr, action: 'done' });
  };

  // Kill stage commands orphaned by a killed repro and sweep its temp files before looking at outs.
  let journal: RunJournal | undefined;
  if (!opts.dry) {
    const lockDirs = parentDirs(p.stages.map((s) => lockPathOf(repo, s)));
    const outDirs = parentDirs(p.stages.flatMap((s) => s.outs.map((o) => resolve(s.wdir, o.path))));
    journal = await beginRun(repo.tmpDir, [...lockDirs, ...outDirs], runsDir(repo.cacheDir));
    for (const r of journal.reaped) opts.logger?.warn(`killed ${r.processesKilled} leftover process(es) of stage '${r.stage}' from an interrupted repro`);
    if (journal.sweptTempFiles.length) opts.logger?.debug(`removed ${journal.sweptTempFiles.length} temp file(s) of an interrupted repro`);
  }
  // scheduler
  const running = new Map<string, Promise<void>>();
  const remaining = [...order];
  const ready = (a: string) => (p.upstream.get(a) ?? []).every((u) => !inPlan.has(u) || done.has(u));
  const anyBlockedUp = (a: string) => (p.upstream.get(a) ?? []).some((u) => blocked.has(u));
  try {
    while (remaining.length || running.size) {
      if (opts.signal?.aborted) throw new InterruptedError();
      let started = false;
      for (const a of [...remaining]) {
        if (running.size >= jobs || stopError) break;
        if (anyBlockedUp(a)) { remaining.splice(remaining.indexOf(a), 1); blocked.add(a); result.skipped.push(a); emit({ stage: a, action: 'skip', reason: 'an upstream stage failed' }); continue; }
        if (!ready(a)) continue;
        remaining.splice(remaining.indexOf(a), 1);
        started = true;
        const pr = processStage(a).then(
          () => { done.add(a); running.delete(a); },
          (e) => {
            running.delete(a);
            const err = toAppError(e);
            blocked.add(a);
            result.failed.push({ stage: a, error: err });
            emit({ stage: a, action: 'failed', reason: err.message });
            if (!opts.keepGoing || err instanceof InterruptedError) stopError ??= err;
          },
        );
        running.set(a, pr);
      }
      if (stopError && !running.size) break;
      if (!running.size && !started) {
        if (remaining.length && !stopError) throw new AppError('internal', `cannot schedule stages: ${remaining.join(', ')}`, 255, { hint: 'this is a bug' });
        break;
      }
      if (running.size) await Promise.race(running.values());
    }
  } finally {
    if (running.size) await Promise.allSettled(running.values());
    state.save();
    journal?.end();
  }
  if (stopError) throw stopError;
  return result;
}
