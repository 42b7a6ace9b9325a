/**
 * Pipeline stages on a shared Redis queue (BullMQ queue `geodvc-stages`, docs/scale-out.md).
 *
 * The coordinator (`repro --queue`, distributed.ts) commits its working state, pushes it to the
 * git remote `origin` as `refs/geodvc/stages/<run id>` and adds one job per stage instance once the
 * stage's upstream stages are done. A worker (`queue worker`, `runStageWorker` here) keeps one
 * clone per slot and one cache; for a job it checks out that commit, writes the lock entries of
 * the upstream stages the coordinator sent, pulls the deps it lacks from the DVC remote, answers
 * "unchanged" when the recorded lock entry still matches and its outputs are on the remote, else
 * looks the run up in the local and remote run-cache, runs the stage (`repro -s`), pushes the
 * outputs and the run-cache entry, and returns the stage's lock entry as dvc.lock text.
 */
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { AppError, ConfigError, InterruptedError, toAppError } from '../../lib/errors.js';
import { parseLock, readLock, serializeLock, writeLock, type LockStage } from '../dvcfile/lock.js';
import { loadYaml } from '../dvcfile/params.js';
import { openRepoSync } from '../repo/repo.js';
import { openRemote, closeRemotes, type RemoteHandle } from '../transfer/remote.js';
import { fetchObjects, pushObjects, type TransferObject } from '../transfer/engine.js';
import { objectRelPath } from '../odb/layout.js';
import { getBuffer } from '../../storage/backend.js';
import { writeFileAtomicSync } from '../../lib/atomic.js';
import { loadDvcFile, type DvcOut } from '../dvcfile/dvcfile.js';
import { ObjectDB } from '../odb/odb.js';
import { findDvcFiles, loadPipeline } from './graph.js';
import { checkoutFromCache } from './cache.js';
import { escapeGitignoreEntry } from '../scm/gitignore.js';
import { gitAsync as scmGitAsync, gitResetClone } from '../scm/git.js';
import { depEntries, lockPathOf, lockStageFor, reproduce, stateFor } from './repro.js';
import { StatusContext, currentParams } from './status.js';
import { runCacheEligible, runCacheKey, saveRun } from './runcache.js';
import { loadBullmq, redisConnection } from './redis-queue.js';
import { keepSupervisorWarm } from './executor.js';

export const STAGE_QUEUE_NAME = 'geodvc-stages';

export interface StageJobData {
  v: 1;
  runId: string;
  gitUrl: string;
  /** Ref on `origin` holding `commit` while the run lasts. */
  ref: string;
  commit: string;
  /** Repository root relative to the git top ('' when they are the same). */
  rootRel: string;
  /** Stage address (`name`, `name@key`, `sub/dvc.yaml:name`). */
  stage: string;
  /** dvc.lock text (repo-relative file) holding the lock entries of the upstream stages of this run. */
  upstreamLocks: { file: string; text: string }[];
  force?: boolean;
  noRunCache?: boolean;
  /** Per-attempt limit; the stage command is interrupted after it. */
  timeoutMs?: number;
}

export type StageJobAction = 'ran' | 'restored' | 'unchanged';

export interface StageJobResult {
  stage: string;
  /** Repo-relative dvc.lock holding the entry, and that entry as dvc.lock text. */
  lockFile: string;
  lockText: string;
  action: StageJobAction;
  worker: string;
  ms: number;
}

/** The lock entry a job returned. */
export function entryOfResult(r: StageJobResult, name: string): LockStage {
  const e = parseLock(r.lockText, r.lockFile).stages.get(name);
  if (!e) throw new AppError('stage-job-result', `the worker's answer for '${r.stage}' has no lock entry`, 1, { hint: 'the worker runs another geodvc version; update it' });
  return e;
}

export interface StageJobInfo {
  id: string;
  kind: 'stage';
  name: string;
  state: string;
  runId: string;
  attempts: number;
  action?: StageJobAction;
  worker?: string;
  error?: string;
}

/** Stage jobs on the queue (newest run first, then stage order). */
export async function stageQueueStatus(url: string, runId?: string): Promise<StageJobInfo[]> {
  const { Queue } = await loadBullmq();
  const queue = new Queue(STAGE_QUEUE_NAME, { connection: redisConnection(url) as any });
  try {
    const jobs = await queue.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized', 'waiting-children'], 0, 10000, true);
    const out: StageJobInfo[] = [];
    for (const j of jobs) {
      if (!j) continue;
      const d = j.data as StageJobData;
      if (runId && d.runId !== runId) continue;
      const r = j.returnvalue as StageJobResult | undefined;
      out.push({ id: String(j.id), kind: 'stage', name: d.stage, state: await j.getState(), runId: d.runId, attempts: j.attemptsMade, action: r?.action, worker: r?.worker, error: j.failedReason || undefined });
    }
    const seq = (id: string) => Number(id.slice(id.lastIndexOf('.') + 1)) || 0;
    return out.sort((a, b) => (a.runId === b.runId ? seq(a.id) - seq(b.id) : a.runId < b.runId ? 1 : -1));
  } finally { await queue.close(); }
}

/** The log lines a worker recorded for a stage job, or undefined when the job is unknown. */
export async function stageJobLogs(url: string, jobId: string): Promise<string | undefined> {
  const { Queue } = await loadBullmq();
  const queue = new Queue(STAGE_QUEUE_NAME, { connection: redisConnection(url) as any });
  try {
    const job = await queue.getJob(jobId);
    if (!job) return undefined;
    const { logs } = await queue.getJobLogs(jobId, 0, -1, true);
    return logs.join('\n') + (logs.length ? '\n' : '') + (job.failedReason ? `ERROR: ${job.failedReason}\n` : '');
  } finally { await queue.close(); }
}

// --- worker ------------------------------------------------------------------------------------

export interface StageWorkerOptions {
  /** Stage jobs run at once (one clone each). */
  concurrency?: number;
  /** Clones and cache live here (default: a temporary directory removed at the end). */
  workdir?: string;
  exitWhenEmpty?: boolean;
  signal?: AbortSignal;
  /** BullMQ lock of an active job; a worker that stops renewing it (killed) loses the job after this. */
  lockDurationMs?: number;
  /** How often live workers look for stalled jobs (those of dead workers) and put them back. */
  stalledIntervalMs?: number;
  /** Stalls a job may have before it fails. */
  maxStalledCount?: number;
  log: (s: string) => void;
  /** `pull` of these repo paths in the clone at `root` (core/api, injected for the layering). */
  pullTargets: (root: string, targets: string[], signal?: AbortSignal) => Promise<void>;
}

export interface StageWorkerResult { completed: number; failed: number }

const workerName = () => `${hostname()}:${process.pid}`;

function cleanPatterns(rootRel: string): string[] {
  const pre = rootRel ? `${rootRel}/` : '';
  return ['-e', `/${pre}.dvc/cache`, '-e', `/${pre}.dvc/tmp`, '-e', `/${pre}.dvc/config.local`];
}

/** git without blocking the event loop (the BullMQ lock of the job is renewed meanwhile), through core/scm. */
function gitAsync(cwd: string, args: string[], allowFail = false, input?: string): Promise<string> {
  return scmGitAsync(cwd, args, { allowFail, input, failure: (msg) => new AppError('git', `git ${args.join(' ')} failed: ${msg}`, 1, { hint: 'check that the worker can reach the git remote (origin of the coordinator)' }) });
}

/**
 * A clone of one worker slot. Every job starts from a clean checkout of its commit (`checkout -f`
 * + `clean -ffdx` in one shell: what a job leaves behind, outputs and `.gitignore` lines, would
 * change the hashes of directory deps of the next one); git fetches only for a new commit.
 */
export interface StageSlot {
  dir: string;
  busy: boolean;
  /** Git URL of `origin` in the clone, once known. */
  gitUrl?: string;
  /** Commit the remote handle was opened for (the committed `.dvc/config` decides the remote). */
  commit?: string;
  remote?: RemoteHandle;
  /** The repository and pipeline of `commit` in the clone (the same after every reset to it). */
  loaded?: { root: string; repo: ReturnType<typeof openRepoSync>; p: ReturnType<typeof loadPipeline> };
}

export function newSlot(dir: string): StageSlot {
  return { dir, busy: false };
}

async function closeSlotRemote(slot: StageSlot): Promise<void> {
  const r = slot.remote;
  slot.remote = undefined;
  if (r) await closeRemotes([r]).catch(() => {});
}

/** Resets the clone of `slot` to the job's commit (clean but for the cache and `.dvc/tmp`); returns the repository root in it. */
async function prepareClone(slot: StageSlot, d: StageJobData, cacheDir: string): Promise<string> {
  const dir = slot.dir;
  if (!existsSync(join(dir, '.git'))) {
    rmSync(dir, { recursive: true, force: true });
    await gitAsync(tmpdir(), ['clone', '-q', '--no-checkout', d.gitUrl, dir]);
  } else if (slot.gitUrl !== d.gitUrl && (await gitAsync(dir, ['remote', 'get-url', 'origin'], true)).trim() !== d.gitUrl) {
    await gitAsync(dir, ['remote', 'set-url', 'origin', d.gitUrl]);
  }
  slot.gitUrl = d.gitUrl;
  let head = '';
  try { head = readFileSync(join(dir, '.git', 'HEAD'), 'utf8').trim(); } catch { /* fresh clone */ }
  // one process for fetch (new commits only), checkout and clean
  await gitResetClone(dir, {
    commit: d.commit, ref: d.ref, fetch: head !== d.commit, excludes: cleanPatterns(d.rootRel),
    failure: (msg) => new AppError('git', msg, 1, { hint: 'check that the worker can reach the git remote (origin of the coordinator)' }),
  });
  if (slot.commit !== d.commit) { await closeSlotRemote(slot); slot.commit = d.commit; slot.loaded = undefined; }
  const root = d.rootRel ? join(dir, d.rootRel) : dir;
  mkdirSync(join(root, '.dvc'), { recursive: true });
  // no_scm: the clone's .gitignore files are never committed; the stage run skips their upkeep (a
  // `git check-ignore` per output); the lines that deps can see are written by `ignoreOutputs`
  writeFileSync(join(root, '.dvc', 'config.local'), `[core]\n    no_scm = true\n[cache]\n    dir = ${cacheDir}\n`);
  return root;
}

/**
 * `.gitignore` lines for outputs, as `repro`/`pull` add them one after the other (`ignoreOutput`:
 * `/name` appended to the parent's `.gitignore` unless git ignores the path already or the line is
 * there), with at most one `git check-ignore` for all of them and none when every line is already
 * there (the usual case: the coordinator committed its `.gitignore` files). A line appended for an
 * earlier path ignores a later one at or under it, as the one-by-one upkeep would find.
 */
export async function ignoreOutputs(root: string, abs: string[], check: (rels: string[]) => Promise<Set<string>> = (rels) => checkIgnored(root, rels)): Promise<string[]> {
  if (!abs.length) return [];
  const texts = new Map<string, string>();
  const textOf = (gi: string) => {
    let t = texts.get(gi);
    if (t === undefined) { try { t = readFileSync(gi, 'utf8'); } catch { t = ''; } texts.set(gi, t); }
    return t;
  };
  const items = abs.map((a) => ({ abs: a, gi: join(dirname(a), '.gitignore'), line: escapeGitignoreEntry(`/${basename(a)}`), rel: relative(root, a).split('\\').join('/') }));
  const ask = items.filter((x) => !textOf(x.gi).split('\n').includes(x.line));
  if (!ask.length) return [];
  const ignored = await check([...new Set(ask.map((x) => x.rel))]);
  const appended: string[] = [];
  const changed = new Set<string>();
  for (const x of ask) {
    if (ignored.has(x.rel) || appended.some((e) => x.abs === e || x.abs.startsWith(`${e}/`))) continue;
    const text = textOf(x.gi);
    if (text.split('\n').includes(x.line)) continue;
    const add = `${text.length && !text.endsWith('\n') ? '\n' : ''}${x.line}\n`;
    appendFileSync(x.gi, add, 'utf8');
    texts.set(x.gi, text + add);
    appended.push(x.abs);
    changed.add(x.gi);
  }
  return [...changed];
}

/** The paths (relative to `root`) git ignores, from one `git check-ignore --stdin`. */
async function checkIgnored(root: string, rels: string[]): Promise<Set<string>> {
  return new Set((await gitAsync(root, ['check-ignore', '--no-index', '-z', '--stdin'], true, `${rels.join('\0')}\0`)).split('\0').filter(Boolean));
}

function transferOf(path: string, md5: string, size?: number): TransferObject {
  return { hashName: 'md5', oid: md5, isDir: md5.endsWith('.dir'), size: md5.endsWith('.dir') ? undefined : size, paths: [path] };
}

async function remoteHasAll(r: RemoteHandle, md5s: string[]): Promise<boolean> {
  const st = await Promise.all(md5s.map((m) => r.backend.stat(objectRelPath('md5', m))));
  return st.every(Boolean);
}

/** Copies the remote's run-cache entries for `key` into the local run-cache, with their outputs. */
async function pullRunCache(r: RemoteHandle, cacheDir: string, keyEntry: LockStage, log: (s: string) => void, signal?: AbortSignal): Promise<number> {
  const key = runCacheKey(keyEntry);
  const prefix = `runs/${key.slice(0, 2)}/${key}/`;
  let got = 0;
  for await (const k of r.backend.list(prefix, signal)) {
    const local = join(cacheDir, k);
    let entry: LockStage;
    try {
      const buf = existsSync(local) ? undefined : await getBuffer(r.backend, k);
      entry = loadYaml((buf ?? readFileSync(local)).toString('utf8'), k) as LockStage;
      const outs = (entry.outs ?? []).filter((o) => typeof o.md5 === 'string');
      const res = await fetchObjects(cacheDir, [r], outs.map((o) => transferOf(o.path, o.md5 as string, o.size as number | undefined)), { signal });
      if (res.failed.length || res.corrupt.length) { log(`run-cache entry ${k}: outputs not on the remote, skipped`); continue; }
      if (buf) writeFileAtomicSync(local, buf);
      got++;
      break;
    } catch (e) {
      if (e instanceof InterruptedError) throw e;
      log(`run-cache entry ${k} unreadable: ${toAppError(e).message}`);
    }
  }
  return got;
}

const inside = (a: string, b: string) => a === b || a.startsWith(`${b}/`);

/**
 * Deps tracked by `.dvc` files (md5, cached, not imports), fetched by hash: the file, the files of
 * a tracked directory under the dep, or the whole directory. Only what the dep names is fetched
 * (a scene of a 10,000-scene directory costs its manifest and its own bytes). Returns the deps it
 * could not place (left to `pull`).
 */
async function fetchTrackedDeps(root: string, cacheDir: string, tmpDir: string, missing: string[], remote: RemoteHandle, signal?: AbortSignal): Promise<{ rest: string[]; outs: string[] }> {
  const { dotDvc } = findDvcFiles(root, tmpDir);
  type Want = { dep: string; out: DvcOut };
  const wants: Want[] = [];
  const rest = new Set(missing);
  for (const f of dotDvc) {
    let file;
    try { file = loadDvcFile(f); } catch { continue; }
    if (file.raw.deps) continue;
    for (const out of file.outs) {
      if (out.hashName !== 'md5' || !out.oid || !out.cache) continue;
      for (const dep of missing) {
        if (rest.has(dep) && (dep === out.absPath || (out.oid.endsWith('.dir') && inside(dep, out.absPath)))) { wants.push({ dep, out }); rest.delete(dep); }
      }
    }
  }
  if (!wants.length) return { rest: [...rest], outs: [] };
  // manifests of the directories a dep is part of
  const partial = wants.filter((w) => w.dep !== w.out.absPath);
  if (partial.length) {
    const res = await fetchObjects(cacheDir, [remote], partial.map((w) => ({ ...transferOf(relative(root, w.out.absPath), w.out.oid!), })), { signal, expandDirs: false });
    if (res.failed.length || res.corrupt.length) return { rest: missing, outs: [] };
  }
  const files: { abs: string; md5: string; size?: number; isexec?: boolean }[] = [];
  const whole: Want[] = [];
  for (const w of wants) {
    if (w.dep === w.out.absPath) { whole.push(w); continue; }
    const sub = relative(w.out.absPath, w.dep).split('\\').join('/');
    const tree = new ObjectDB(cacheDir).readTree('md5', w.out.oid!);
    const hit = tree.entries.filter((e) => e.relpath === sub || e.relpath.startsWith(`${sub}/`));
    if (!hit.length) { rest.add(w.dep); continue; }
    for (const e of hit) files.push({ abs: join(w.out.absPath, ...e.relpath.split('/')), md5: e.oid, size: e.size, isexec: e.isexec });
  }
  const objs = [...whole.map((w) => transferOf(relative(root, w.dep), w.out.oid!, w.out.size)), ...files.map((x) => transferOf(relative(root, x.abs), x.md5, x.size))];
  const res = await fetchObjects(cacheDir, [remote], objs, { signal });
  if (res.failed.length || res.corrupt.length) return { rest: missing, outs: [] };
  for (const w of whole) checkoutFromCache(cacheDir, w.out.oid!, w.dep);
  for (const x of files) {
    checkoutFromCache(cacheDir, x.md5, x.abs);
    if (x.isexec) chmodSync(x.abs, 0o755);
  }
  return { rest: [...rest], outs: [...new Set(wants.map((w) => w.out.absPath))] };
}

/** Runs one stage job in the clone of `slot`; the result carries the stage's lock entry. */
export async function runStageJob(d: StageJobData, slot: StageSlot, cacheDir: string, o: { log: (s: string) => void; signal?: AbortSignal; pullTargets: StageWorkerOptions['pullTargets'] }): Promise<StageJobResult> {
  const t0 = Date.now();
  const log = (x: string) => o.log(`${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s ${x}`);
  log(`stage '${d.stage}' of run ${d.runId} on ${workerName()}`);
  const root = await prepareClone(slot, d, cacheDir);
  for (const u of d.upstreamLocks) {
    const path = join(root, u.file);
    const lock = readLock(path, u.file);
    let changed = false;
    for (const [n, e] of parseLock(u.text, u.file).stages) {
      const had = lock.stages.get(n);
      if (had && JSON.stringify(had) === JSON.stringify(e)) continue;
      lock.stages.set(n, e);
      changed = true;
    }
    if (changed) writeLock(path, lock);
  }
  // dvc.yaml, params and config are those of the commit: read once per commit and clone
  if (slot.loaded?.root !== root) slot.loaded = undefined;
  const { repo, p } = (slot.loaded ??= (() => { const r = openRepoSync(root); return { root, repo: r, p: loadPipeline(r) }; })());
  const s = p.byAddress.get(d.stage);
  if (!s) throw new AppError('stage-not-found', `stage '${d.stage}' is not in commit ${d.commit.slice(0, 7)}`, 1, { hint: 'the coordinator and the worker read different pipelines; check the git remote' });
  if (!repo.config.core?.remote) throw new ConfigError('stage jobs need a default DVC remote (core.remote) in the committed .dvc/config', { hint: 'run `geodvc remote add -d NAME URL` and commit .dvc/config' });
  slot.remote ??= await openRemote(repo, undefined);
  const remote = slot.remote;
  // outputs of other stages (this run's upstream entries, or dvc.lock) that the deps need: by their hashes
  const depAbs = s.deps.map((dep) => resolve(s.wdir, dep.path));
  const wanted: { abs: string; md5: string; size?: number }[] = [];
  {
    const locks = new Map<string, ReturnType<typeof readLock>>();
    for (const u of p.stages) {
      if (u === s) continue;
      const outsAbs = u.outs.filter((x) => x.cache).map((x) => resolve(u.wdir, x.path));
      if (!outsAbs.some((oa) => depAbs.some((a) => a === oa || oa.startsWith(`${a}/`) || a.startsWith(`${oa}/`)))) continue;
      const lp = lockPathOf(repo, u);
      if (!locks.has(lp)) locks.set(lp, readLock(lp, relative(root, lp)));
      for (const out of locks.get(lp)!.stages.get(u.name)?.outs ?? []) {
        const abs = resolve(u.wdir, out.path);
        if (typeof out.md5 === 'string' && !existsSync(abs) && depAbs.some((a) => a === abs || abs.startsWith(`${a}/`) || a.startsWith(`${abs}/`))) wanted.push({ abs, md5: out.md5, size: out.size as number | undefined });
      }
    }
  }
  if (wanted.length) {
    const res = await fetchObjects(repo.cacheDir, [remote], wanted.map((w) => transferOf(relative(root, w.abs), w.md5, w.size)), { signal: o.signal });
    if (res.failed.length || res.corrupt.length) throw new AppError('stage-deps-missing', `${res.failed.length + res.corrupt.length} upstream output(s) of '${d.stage}' could not be fetched from remote '${remote.name}'`, 1, { hint: 'the upstream worker could not push them; run the upstream stage again' });
    for (const w of wanted) checkoutFromCache(repo.cacheDir, w.md5, w.abs);
    await ignoreOutputs(root, wanted.map((w) => w.abs));
    log(`fetched ${wanted.length} upstream output(s) (${res.fetched} object(s) downloaded)`);
  }
  const missingAbs = depAbs.filter((a) => !existsSync(a));
  if (missingAbs.length) {
    const { rest, outs } = await fetchTrackedDeps(root, repo.cacheDir, repo.tmpDir, missingAbs, remote, o.signal);
    await ignoreOutputs(root, outs);
    const missing = rest.map((a) => relative(root, a));
    log(`fetched ${missingAbs.length - rest.length} tracked dep(s)${missing.length ? `; pulling ${missing.length}: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}` : ''}`);
    if (missing.length) {
      try { await o.pullTargets(root, missing, o.signal); } catch (e) {
        if (e instanceof InterruptedError) throw e;
        log(`pull: ${toAppError(e).message}`);
      }
    }
  }
  const lockPath = lockPathOf(repo, s);
  const lockFile = relative(root, lockPath).split('\\').join('/');
  const answer = (entry: LockStage, action: StageJobAction): StageJobResult => {
    log(`stage '${d.stage}': ${action} in ${Date.now() - t0} ms`);
    return { stage: d.stage, lockFile, lockText: serializeLock({ stages: new Map([[s.name, entry]]), extra: {} }), action, worker: workerName(), ms: Date.now() - t0 };
  };
  const eligible = runCacheEligible(s);
  let keyEntry: LockStage | undefined;
  if (eligible && !d.force) {
    const state = stateFor(repo);
    try {
      const sc = new StatusContext(repo, state, root);
      keyEntry = lockStageFor(s, await depEntries(sc, s), currentParams(sc, s, true), s.outs.map((x) => ({ path: x.path })));
    } catch { keyEntry = undefined; } finally { state.save(); }
  }
  // unchanged: the recorded entry matches the deps and params now, and its outputs are on the remote
  const prev = keyEntry ? readLock(lockPath, lockFile).stages.get(s.name) : undefined;
  if (keyEntry && prev && runCacheKey(prev) === runCacheKey(keyEntry)) {
    const md5s = (prev.outs ?? []).map((x) => x.md5).filter((x): x is string => typeof x === 'string');
    if (md5s.length === s.outs.length && await remoteHasAll(remote, md5s)) return answer(prev, 'unchanged');
  }
  if (keyEntry && !d.noRunCache) {
    if (await pullRunCache(remote, repo.cacheDir, keyEntry, log, o.signal)) log('found the run in the remote run-cache');
  }
  const res = await reproduce({
    cwd: root, targets: [d.stage], single: true, force: d.force, noRunCache: d.noRunCache, signal: o.signal,
    onOutput: (_st, chunk) => log(chunk.replace(/\n$/, '')),
    onStage: (e) => log(`[${e.action}] ${e.stage}${e.reason ? `: ${e.reason}` : ''}`),
  });
  const entry = readLock(lockPath, lockFile).stages.get(s.name);
  if (!entry) throw new AppError('stage-no-lock', `stage '${d.stage}' left no dvc.lock entry`, 1, { hint: 'a stage without outputs or deps is not locked; give it deps and outs' });
  const action: StageJobAction = res.ran.includes(d.stage) ? 'ran' : res.restored.includes(d.stage) ? 'restored' : 'unchanged';
  const cachedOuts = (entry.outs ?? []).filter((x) => typeof x.md5 === 'string' && s.outs.find((so) => so.path === x.path)?.cache !== false);
  if (cachedOuts.length) {
    const pr = await pushObjects(repo.cacheDir, remote, cachedOuts.map((x) => transferOf(x.path, x.md5 as string, x.size as number | undefined)), { signal: o.signal });
    const bad = pr.failed.length + pr.missingLocal.length + pr.dirsHeldBack.length;
    if (bad) throw new AppError('stage-push-failed', `could not push ${bad} output object(s) of '${d.stage}' to remote '${remote.name}'`, 1, { hint: 'check the remote; the job is retried if attempts are left' });
    log(`pushed ${pr.pushed} object(s) (${pr.skipped} already on the remote)`);
  }
  if (eligible) {
    const local = saveRun(repo.cacheDir, entry);
    const key = relative(repo.cacheDir, local).split('\\').join('/');
    if (!(await remote.backend.stat(key))) await remote.backend.put(key, { path: local, size: statSync(local).size });
  }
  return answer(entry, action);
}

/** Takes stage jobs until stopped (signal) or, with `exitWhenEmpty`, until the queue stays empty. */
export async function runStageWorker(url: string, o: StageWorkerOptions): Promise<StageWorkerResult> {
  const { Worker, Queue } = await loadBullmq();
  const connection = redisConnection(url) as any;
  const ownDir = !o.workdir;
  const base = o.workdir ? resolve(o.workdir) : mkdtempSync(join(tmpdir(), 'geodvc-stage-worker-'));
  const cacheDir = join(base, 'cache');
  mkdirSync(cacheDir, { recursive: true });
  const slots = Array.from({ length: Math.max(1, o.concurrency ?? 1) }, (_, i) => newSlot(join(base, `clone-${i}`)));
  const result: StageWorkerResult = { completed: 0, failed: 0 };
  // one stage supervisor for all the jobs of this worker (not a Node start per stage)
  keepSupervisorWarm(true);
  const worker = new Worker(STAGE_QUEUE_NAME, async (job) => {
    const d = job.data as StageJobData;
    const slot = slots.find((x) => !x.busy)!;
    slot.busy = true;
    // the job's log goes to Redis in batches (one round trip per second at most, and one at the end)
    const logs: Promise<unknown>[] = [];
    let batch: string[] = [];
    let flushTimer: NodeJS.Timeout | undefined;
    const flush = () => {
      if (flushTimer) { clearTimeout(flushTimer); flushTimer = undefined; }
      if (batch.length) { logs.push(job.log(batch.join('\n')).catch(() => {})); batch = []; }
    };
    const log = (s: string) => { o.log(s); batch.push(s); flushTimer ??= setTimeout(flush, 1000); };
    const ctl = new AbortController();
    const timer = d.timeoutMs ? setTimeout(() => ctl.abort(), d.timeoutMs) : undefined;
    try {
      return await runStageJob(d, slot, cacheDir, { log, signal: ctl.signal, pullTargets: o.pullTargets });
    } catch (e) {
      const err = ctl.signal.aborted ? new AppError('stage-timeout', `stage '${d.stage}' exceeded its time limit of ${d.timeoutMs} ms`, 1, { hint: 'raise --stage-timeout or make the stage faster' }) : toAppError(e);
      log(`ERROR: ${err.message}`);
      throw err;
    } finally {
      if (timer) clearTimeout(timer);
      flush();
      await Promise.all(logs);
      slot.busy = false;
    }
  }, {
    connection, concurrency: slots.length, autorun: true,
    ...(o.lockDurationMs ? { lockDuration: o.lockDurationMs } : {}),
    ...(o.stalledIntervalMs ? { stalledInterval: o.stalledIntervalMs } : {}),
    ...(o.maxStalledCount !== undefined ? { maxStalledCount: o.maxStalledCount } : {}),
  });
  await worker.waitUntilReady();
  o.log(`waiting for stage jobs (${slots.length} at once, clones and cache in ${base})`);
  worker.on('completed', () => { result.completed++; });
  worker.on('failed', (job, err) => { result.failed++; o.log(`failed ${(job?.data as StageJobData | undefined)?.stage}: ${err.message}`); });
  worker.on('error', (err) => o.log(`worker error: ${err.message}`));
  const queue = new Queue(STAGE_QUEUE_NAME, { connection });
  let force = false;
  try {
    await new Promise<void>((done) => {
      o.signal?.addEventListener('abort', () => { force = true; done(); }, { once: true });
      if (o.exitWhenEmpty) {
        let empty = 0;
        const poll = setInterval(async () => {
          try {
            const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
            const n = Object.values(c).reduce((a, b) => a + (b ?? 0), 0);
            empty = n === 0 ? empty + 1 : 0;
            // a short grace: the coordinator adds a stage once its upstream stages are done
            if (empty >= 5) { clearInterval(poll); done(); }
          } catch { /* retry */ }
        }, 300);
        o.signal?.addEventListener('abort', () => clearInterval(poll), { once: true });
      }
    });
  } finally {
    // On Ctrl-C the active jobs are left to stall: another worker takes them after the lock expires.
    await worker.close(force);
    await queue.close();
    for (const sl of slots) await closeSlotRemote(sl);
    keepSupervisorWarm(false);
    if (ownDir) rmSync(base, { recursive: true, force: true });
  }
  return result;
}
