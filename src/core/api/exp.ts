/**
 * Experiments: `exp run` (workspace or queued into a temporary git worktree), `exp show`,
 * `exp diff`, `exp apply`, `exp branch`, `exp remove`, `exp list`, `exp push/pull`, and the local
 * queue (`queue start/status/logs`). Refs live under `refs/exps/<base[:2]>/<base[2:]>/<name>`.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Git } from '../scm/git.js';
import { tmpdir } from 'node:os';
import type { OpContext } from '../../lib/progress.js';
import { AppError, InternalError, UsageError } from '../../lib/errors.js';
import { writeFileAtomicSync } from '../../lib/atomic.js';
import { parseLock } from '../dvcfile/lock.js';
import { flattenParams, loadYaml, parseParamsText, toPlain } from '../dvcfile/params.js';
import { PyFloat } from '../../lib/pyjson.js';
import { pyFloatRepr } from '../dvcfile/lock.js';
import { collectOuts } from './used.js';
import { openRepoSync } from '../repo/repo.js';
import { reproduce, openPipelineRepo, stateFor, type ReproResult, type StageEvent } from '../pipeline/repro.js';
import type { OutputFn } from '../pipeline/executor.js';
import { checkoutFromCache, objectComplete, pipelineLinkOf } from '../pipeline/cache.js';
import { hashPath } from '../pipeline/hashing.js';
import {
  applyOverrides, autoName, checkExpName, commitStages, recordExperiment, git, gitTop, headSha, listExpRefs, resolveExp, validateName,
  ExperimentError, parseOverride, sweepCombinations, type ExpRefInfo,
} from '../pipeline/experiments.js';
import { paramsAt, paramsFiles, diffFlat, readAtRev, pyStr, type ParamsDiff } from './params.js';
import { metricsAt, metricsFiles } from './metrics.js';

export interface ExpRunOptions extends OpContext {
  cwd: string;
  set?: string[];
  name?: string;
  queue?: boolean;
  force?: boolean;
  jobs?: number;
  targets?: string[];
  onOutput?: OutputFn;
  onStage?: (e: StageEvent) => void;
  /** Redis URL for a shared queue (default: GEODVC_QUEUE_URL); local queue when unset. */
  redisUrl?: string;
}

/** The Redis queue URL in effect (flag, then GEODVC_QUEUE_URL), or undefined for the local queue. */
export function redisUrlOf(explicit?: string): string | undefined {
  return explicit || process.env.GEODVC_QUEUE_URL || undefined;
}

export interface ExpRunResult {
  name: string;
  ref?: string;
  rev?: string;
  baseline: string;
  queued?: string;
  applied: { file: string; key: string; value: unknown }[];
  repro?: ReproResult;
}

function queueDir(tmpDir: string): string { return join(tmpDir, 'exps', 'queue'); }

export interface QueueEntry {
  id: string;
  name: string;
  set: string[];
  baseline: string;
  created: string;
  status: 'queued' | 'running' | 'success' | 'failed';
  rev?: string;
  error?: string;
}

export async function expRun(opts: ExpRunOptions): Promise<ExpRunResult> {
  const repo = openPipelineRepo(opts.cwd);
  gitTop(opts.cwd);
  const baseline = headSha(opts.cwd);
  const name = opts.name ?? autoName(baseline + (opts.set ?? []).join(','));
  const ref = checkExpName(opts.cwd, baseline, name, opts.force);
  const combos = sweepCombinations(opts.set ?? []);
  if (combos.length > 1 && !opts.queue) {
    throw new UsageError(`-S sweeps (${combos.length} combinations) need --queue`, { hint: 'add --queue, then run them with `geodvc queue start`' });
  }
  const redisUrl = redisUrlOf(opts.redisUrl);
  if (opts.queue && redisUrl) {
    for (const set of combos) for (const o of set) parseOverride(o);
    const items = combos.map((set, i) => ({ set, name: combos.length > 1 ? (opts.name ? `${opts.name}-${i + 1}` : autoName(baseline + set.join(','))) : name }));
    items.forEach((it) => validateName(it.name));
    const { enqueueRedis } = await import('../pipeline/redis-queue.js');
    const [first] = await enqueueRedis(opts.cwd, redisUrl, items);
    if (!first) throw new InternalError('the Redis queue accepted no job', { hint: 'check the Redis URL and `geodvc queue status`; this is a bug if the queue is reachable' });
    return { name: first.name, baseline, queued: first.id, applied: [] };
  }
  if (opts.queue) {
    let first: ExpRunResult | undefined;
    combos.forEach((set, i) => {
      const id = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
      const n = combos.length > 1 ? (opts.name ? `${opts.name}-${i + 1}` : autoName(baseline + set.join(','))) : name;
      validateName(n);
      // validate overrides now so a typo fails at queue time
      for (const o of set) parseOverride(o);
      const entry: QueueEntry = { id, name: n, set, baseline, created: new Date().toISOString(), status: 'queued' };
      writeFileAtomicSync(join(queueDir(repo.tmpDir), `${id}.json`), JSON.stringify(entry, null, 2));
      first ??= { name: n, baseline, queued: id, applied: [] };
    });
    return first!;
  }
  const applied = applyOverrides(repo.root, opts.set ?? []);
  const res = await reproduce({ cwd: opts.cwd, targets: opts.targets, jobs: opts.jobs, signal: opts.signal, onOutput: opts.onOutput, onStage: opts.onStage, onProgress: opts.onProgress, allPipelines: !opts.targets?.length });
  const { rev } = recordExperiment(opts.cwd, baseline, name);
  return { name, ref, rev, baseline, applied, repro: res };
}

export interface ExpSaveOptions extends OpContext {
  cwd: string;
  name?: string;
  force?: boolean;
  /** Commit message (default: geodvc's, as exp run). */
  message?: string;
  /** Untracked files to include (`-I`); other untracked files are left out with a warning, as DVC. */
  includeUntracked?: string[];
}

export interface ExpSaveResult { name: string; ref: string; rev: string; baseline: string; committed: string[]; stages: string[]; untracked: string[] }

/**
 * `exp save [-n NAME] [-f]`: records the workspace as it is (params, metrics, dvc.lock, .dvc files)
 * as an experiment of HEAD without running the pipeline; tracked data is first committed to the
 * cache as `commit -f` does. Same commit and ref as `exp run` (recordExperiment).
 */
export async function expSave(opts: ExpSaveOptions): Promise<ExpSaveResult> {
  openPipelineRepo(opts.cwd);
  gitTop(opts.cwd);
  const baseline = headSha(opts.cwd);
  const name = opts.name ?? autoName(baseline);
  const ref = checkExpName(opts.cwd, baseline, name, opts.force);
  const { commit } = await import('./commit.js');
  const res = await commit({ cwd: opts.cwd, force: true, signal: opts.signal, onProgress: opts.onProgress, logger: opts.logger });
  const stages = await commitStages(opts.cwd, opts);
  const leftOut: string[] = [];
  const { rev } = recordExperiment(opts.cwd, baseline, name, { message: opts.message, untracked: opts.includeUntracked ?? [], leftOut });
  if (leftOut.length) {
    opts.logger?.warn(`The following untracked files were present in the workspace before saving but will not be included in the experiment commit:\n\t${leftOut.join(', ')}`);
  }
  return { name, ref, rev, baseline, committed: res.outputs.filter((o) => o.changed).map((o) => o.dvcfile), stages: stages.changed, untracked: leftOut };
}

export interface ExpRow {
  name: string;
  rev: string;
  kind: 'workspace' | 'baseline' | 'experiment';
  baseline?: string;
  params: Record<string, Record<string, unknown>>;
  metrics: Record<string, Record<string, unknown>>;
  deps: Record<string, string>;
}

function depsAt(repo: { root: string }, rev?: string): Record<string, string> {
  const text = readAtRev(repo as any, 'dvc.lock', rev);
  if (!text) return {};
  const out: Record<string, string> = {};
  try {
    for (const s of parseLock(text).stages.values()) for (const d of s.deps ?? []) if (typeof d.md5 === 'string') out[d.path] = d.md5;
  } catch { /* unreadable lock at that revision */ }
  return out;
}

export function expShow(cwd: string, opts: { all?: boolean } = {}): ExpRow[] {
  const repo = openPipelineRepo(cwd);
  const pf = paramsFiles(repo), mf = metricsFiles(repo);
  const head = headSha(cwd);
  const branch = git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD'], { allowFail: true }).trim();
  const row = (name: string, rev: string | undefined, kind: ExpRow['kind'], baseline?: string): ExpRow => ({
    name, rev: rev ?? 'workspace', kind, baseline,
    params: toPlain(paramsAt(repo, pf, rev)) as Record<string, Record<string, unknown>>,
    metrics: metricsAt(repo, mf, rev),
    deps: depsAt(repo, rev),
  });
  const rows: ExpRow[] = [row('workspace', undefined, 'workspace'), row(branch && branch !== 'HEAD' ? branch : head.slice(0, 7), head, 'baseline')];
  for (const e of listExpRefs(cwd, opts.all ? undefined : head)) rows.push(row(e.name, e.rev, 'experiment', e.baseline));
  return rows;
}

/** Columns for table/CSV: Experiment, rev, then metrics, params and deps columns. */
export function expTable(rows: ExpRow[]): { header: string[]; cells: string[][] } {
  const cols = new Map<string, (r: ExpRow) => unknown>();
  for (const r of rows) {
    for (const [f, v] of Object.entries(r.metrics)) for (const k of Object.keys(flattenParams(v))) cols.set(`${f}:${k}`, (x) => flattenParams(x.metrics[f] ?? {})[k]);
  }
  for (const r of rows) {
    for (const [f, v] of Object.entries(r.params)) for (const k of Object.keys(v)) cols.set(`${f}:${k}`, (x) => x.params[f]?.[k]);
  }
  for (const r of rows) for (const d of Object.keys(r.deps)) cols.set(d, (x) => (x.deps[d] ? x.deps[d].slice(0, 8) : undefined));
  const fmt = (v: unknown) => (v === undefined || v === null ? '-' : typeof v === 'string' ? v : JSON.stringify(v));
  const header = ['Experiment', 'rev', ...cols.keys()];
  const cells = rows.map((r) => [r.kind === 'experiment' ? `├── ${r.name}` : r.name, r.kind === 'workspace' ? '-' : r.rev.slice(0, 7), ...[...cols.values()].map((f) => fmt(f(r)))]);
  return { header, cells };
}

export function toCsv(header: string[], cells: string[][]): string {
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [header, ...cells.map((c) => c.map((x) => x.replace(/^├── /, '')))].map((r) => r.map(q).join(',')).join('\n');
}

export function expDiff(cwd: string, a: string, b?: string, all = false): { params: ParamsDiff; metrics: ParamsDiff } {
  const repo = openPipelineRepo(cwd);
  const ea = resolveRev(cwd, a);
  let oldRev: string | undefined, newRev: string | undefined;
  if (b === undefined) { oldRev = ea.baseline; newRev = ea.rev; }
  else { oldRev = ea.rev; newRev = resolveRev(cwd, b).rev; }
  const pf = paramsFiles(repo), mf = metricsFiles(repo);
  return {
    params: diffFlat(paramsAt(repo, pf, oldRev), paramsAt(repo, pf, newRev), all),
    metrics: diffFlat(metricsAt(repo, mf, oldRev), metricsAt(repo, mf, newRev), all),
  };
}

function resolveRev(cwd: string, x: string): { rev: string; baseline: string } {
  try { const e = resolveExp(cwd, x); return { rev: e.rev, baseline: e.baseline }; } catch (err) {
    const sha = git(cwd, ['rev-parse', '--verify', '-q', `${x}^{commit}`], { allowFail: true }).trim();
    if (!sha) throw err;
    return { rev: sha, baseline: git(cwd, ['rev-parse', `${sha}^`], { allowFail: true }).trim() || sha };
  }
}

/** Writes an experiment's git-tracked files and its cached outputs into the workspace (no commit). */
export async function expApply(cwd: string, name: string): Promise<{ files: string[]; outs: string[]; exp: ExpRefInfo }> {
  const repo = openPipelineRepo(cwd);
  const e = resolveExp(cwd, name);
  const top = gitTop(cwd);
  const changed = git(top, ['diff', '--name-only', '-z', 'HEAD', e.rev]).split('\0').filter(Boolean);
  const files: string[] = [];
  const repoGit = Git.open(top);
  for (const f of changed) {
    const abs = join(top, f);
    const exists = git(top, ['ls-tree', '--name-only', e.rev, '--', f]).trim() !== '';
    if (exists) {
      const buf = repoGit?.showFile(e.rev, f) ?? Buffer.alloc(0);
      mkdirSync(resolve(abs, '..'), { recursive: true });
      writeFileAtomicSync(abs, buf);
    } else rmSync(abs, { force: true });
    files.push(f);
  }
  const outs: string[] = [];
  const state = stateFor(repo);
  const text = readAtRev(repo, 'dvc.lock', e.rev);
  if (text) {
    const { loadPipeline } = await import('../pipeline/graph.js');
    const p = loadPipeline(repo);
    for (const [stageName, s] of parseLock(text).stages) {
      const def = p.stages.find((x) => x.name === stageName && x.dvcfile === 'dvc.yaml');
      const wdir = def?.wdir ?? repo.root;
      for (const o of s.outs ?? []) {
        const md5 = o.md5 as string | undefined;
        if (!md5 || !objectComplete(repo.cacheDir, md5)) continue;
        const abs = resolve(wdir, o.path);
        const h = await hashPath(abs, state);
        if (h?.md5 === md5) continue;
        checkoutFromCache(repo.cacheDir, md5, abs, pipelineLinkOf(repo));
        outs.push(relative(repo.root, abs));
      }
    }
  }
  state.save();
  return { files, outs, exp: e };
}

export function expBranch(cwd: string, name: string, branch: string): { branch: string; rev: string } {
  const e = resolveExp(cwd, name);
  if (git(cwd, ['rev-parse', '--verify', '-q', `refs/heads/${branch}`], { allowFail: true }).trim()) {
    throw new ExperimentError(`branch '${branch}' already exists`, 'pick another branch name');
  }
  git(cwd, ['branch', branch, e.rev]);
  return { branch, rev: e.rev };
}

export function expRemove(cwd: string, names: string[], opts: { all?: boolean; queue?: boolean } = {}): string[] {
  const removed: string[] = [];
  const targets = opts.all ? listExpRefs(cwd) : names.map((n) => resolveExp(cwd, n));
  for (const e of targets) { git(cwd, ['update-ref', '-d', e.ref]); removed.push(e.name); }
  if (opts.queue) {
    const repo = openPipelineRepo(cwd);
    for (const q of queueStatus(cwd)) if (q.status === 'queued') { rmSync(join(queueDir(repo.tmpDir), `${q.id}.json`), { force: true }); removed.push(q.name); }
  }
  return removed;
}

export function expList(cwd: string, all = false): ExpRefInfo[] {
  return listExpRefs(cwd, all ? undefined : headSha(cwd));
}

export function expPush(cwd: string, remote: string, names: string[]): string[] {
  const refs = names.map((n) => resolveExp(cwd, n).ref);
  if (!refs.length) throw new UsageError('no experiments given', { hint: 'name the experiments to push' });
  git(cwd, ['push', remote, ...refs.map((r) => `${r}:${r}`)]);
  return refs;
}

export function expPull(cwd: string, remote: string, names: string[]): string[] {
  const out = git(cwd, ['ls-remote', remote, 'refs/exps/*']);
  const refs = out.split('\n').map((l) => l.split('\t')[1]).filter((r): r is string => !!r && (names.length === 0 || names.some((n) => r.endsWith(`/${n}`))));
  if (!refs.length) throw new ExperimentError(`no matching experiments on '${remote}'`, 'check the names with `git ls-remote REMOTE "refs/exps/*"`', 'exp-not-found');
  git(cwd, ['fetch', remote, ...refs.map((r) => `+${r}:${r}`)]);
  return refs;
}

// --- local queue -------------------------------------------------------------------------

export function queueStatus(cwd: string): QueueEntry[] {
  const repo = openPipelineRepo(cwd);
  const dir = queueDir(repo.tmpDir);
  let names: string[] = [];
  try { names = readdirSync(dir).filter((n) => n.endsWith('.json')); } catch { return []; }
  return names.map((n) => JSON.parse(readFileSync(join(dir, n), 'utf8')) as QueueEntry).sort((a, b) => a.created.localeCompare(b.created));
}

export function queueLogs(cwd: string, id: string): string {
  const repo = openPipelineRepo(cwd);
  const q = queueStatus(cwd).find((e) => e.id === id || e.name === id);
  if (!q) throw new ExperimentError(`queued experiment '${id}' not found`, 'list the queue with `geodvc queue status`', 'exp-not-found');
  const p = join(queueDir(repo.tmpDir), `${q.id}.log`);
  return existsSync(p) ? readFileSync(p, 'utf8') : '';
}

/** Copies the workspace (not .git, .dvc/tmp, .dvc/cache) over a fresh worktree of the baseline. */
function prepareWorktree(root: string, top: string, baseline: string, dir: string, cacheDir: string): string {
  git(top, ['worktree', 'add', '--detach', '-f', dir, baseline]);
  const relRoot = relative(top, root);
  const wRoot = join(dir, relRoot);
  for (const name of readdirSync(root)) {
    if (name === '.git') continue;
    const src = join(root, name);
    cpSync(src, join(wRoot, name), {
      recursive: true, force: true,
      filter: (p) => {
        const r = relative(root, p).split('\\').join('/');
        return !(r === '.dvc/tmp' || r.startsWith('.dvc/tmp/') || r === '.dvc/cache' || r.startsWith('.dvc/cache/'));
      },
    });
  }
  const local = join(wRoot, '.dvc', 'config.local');
  appendFileSync(local, `${existsSync(local) ? '\n' : ''}[cache]\n    dir = ${cacheDir}\n`);
  return wRoot;
}

export async function queueStart(cwd: string, opts: OpContext & { onEntry?: (e: QueueEntry) => void } = {}): Promise<QueueEntry[]> {
  const repo = openPipelineRepo(cwd);
  const top = gitTop(cwd);
  const dir = queueDir(repo.tmpDir);
  const done: QueueEntry[] = [];
  for (const entry of queueStatus(cwd).filter((e) => e.status === 'queued')) {
    const file = join(dir, `${entry.id}.json`);
    const log = join(dir, `${entry.id}.log`);
    const save = () => writeFileAtomicSync(file, JSON.stringify(entry, null, 2));
    entry.status = 'running';
    save();
    opts.onEntry?.(entry);
    writeFileSync(log, `# ${entry.name}: ${entry.set.map((s) => `-S ${s}`).join(' ')}\n`);
    const wdir = join(tmpdir(), `geodvc-exp-${entry.id}`);
    try {
      const wRoot = prepareWorktree(repo.root, top, entry.baseline, wdir, repo.cacheDir);
      const res = await expRun({
        cwd: wRoot, set: entry.set, name: entry.name, signal: opts.signal,
        onOutput: (_s, chunk) => appendFileSync(log, chunk),
        onStage: (e) => appendFileSync(log, `[${e.action}] ${e.stage}${e.reason ? `: ${e.reason}` : ''}\n`),
      });
      entry.status = 'success';
      entry.rev = res.rev;
    } catch (e) {
      entry.status = 'failed';
      entry.error = e instanceof Error ? e.message : String(e);
      appendFileSync(log, `ERROR: ${entry.error}\n`);
      if (e instanceof AppError && e.code === 'interrupted') { save(); throw e; }
    } finally {
      git(top, ['worktree', 'remove', '--force', wdir], { allowFail: true });
      rmSync(wdir, { recursive: true, force: true });
      git(top, ['worktree', 'prune'], { allowFail: true });
    }
    save();
    opts.onEntry?.(entry);
    done.push(entry);
  }
  return done;
}

// --- shared queue on Redis (BullMQ) ------------------------------------------------------------

export async function redisQueueStatus(url: string) {
  return (await import('../pipeline/redis-queue.js')).redisQueueStatus(url);
}

/** Runs a BullMQ worker taking experiments from the shared queue (see redis-queue.ts). */
export async function redisWorker(url: string, opts: OpContext & { concurrency?: number; exitWhenEmpty?: boolean; log: (s: string) => void }): Promise<number> {
  const { runRedisWorker } = await import('../pipeline/redis-queue.js');
  return runRedisWorker(url, {
    ...opts,
    runExp: async (cwd, set, name) => {
      const r = await expRun({ cwd, set, name, signal: opts.signal });
      return { ref: r.ref!, rev: r.rev! };
    },
    pushData: async (cwd) => {
      const { openRepoSync } = await import('../repo/repo.js');
      if (!openRepoSync(cwd).config.core?.remote) return false;
      const { push } = await import('./push.js');
      await push({ cwd, signal: opts.signal });
      return true;
    },
  });
}

// --- DVC 3's `exp show --json` / `--csv` and `exp list` ------------------------------------

export interface DvcExpState {
  rev: string;
  timestamp: string | null;
  params: Record<string, { data: unknown }>;
  metrics: Record<string, { data: unknown }>;
  deps: Record<string, { hash: string | null; size: number | null; nfiles: number | null }>;
  outs: Record<string, { hash: string | null; size: number | null; nfiles: number | null; use_cache: boolean; is_data_source: boolean }>;
  meta: Record<string, unknown>;
}
export interface DvcExpRev { rev: string; name: string | null; data: DvcExpState; error: null | { type: string; msg: string }; experiments: DvcExpRange[] | null }
export interface DvcExpRange { revs: DvcExpRev[]; executor: null; name: string }

/** A commit's committer time as DVC prints it (`datetime.fromtimestamp`, UTC here): `2024-01-01T00:00:00`. */
function commitTime(cwd: string, rev: string): { iso: string; epoch: number } {
  const epoch = Number(git(cwd, ['show', '-s', '--format=%ct', rev]).trim());
  return { iso: new Date(epoch * 1000).toISOString().slice(0, 19), epoch };
}

/** Params (whole files, nested), metrics (nested), deps and outs from dvc.lock, at `rev`. */
function expState(repo: ReturnType<typeof openPipelineRepo>, cwd: string, rev: string | undefined, pf: string[], mf: string[]): DvcExpState {
  const params: DvcExpState['params'] = {};
  for (const f of pf) {
    const text = readAtRev(repo, f, rev);
    if (text === undefined) continue;
    try { params[f] = { data: toPlain(parseParamsText(text, f)) }; } catch { /* unreadable there */ }
  }
  const metrics: DvcExpState['metrics'] = {};
  for (const f of mf) {
    const text = readAtRev(repo, f, rev);
    if (text === undefined) continue;
    try { metrics[f] = { data: toPlain(parseParamsText(text, /\.(json|ya?ml|toml)$/.test(f) ? f : `${f}.yaml`)) }; } catch { /* not a metrics file */ }
  }
  const deps: DvcExpState['deps'] = {};
  const outs: DvcExpState['outs'] = {};
  // dvc.yaml at that revision says which outputs are metrics/plots (not listed) and which are uncached.
  const notOuts = new Set<string>();
  const uncached = new Set<string>();
  try {
    const y = loadYaml(readAtRev(repo, 'dvc.yaml', rev) ?? '', 'dvc.yaml') as { stages?: Record<string, Record<string, unknown>> };
    for (const st of Object.values(y?.stages ?? {})) {
      for (const kind of ['outs', 'metrics', 'plots']) {
        for (const o of (st?.[kind] as unknown[]) ?? []) {
          const [path, flags] = typeof o === 'string' ? [o, {}] : Object.entries(o as Record<string, unknown>)[0] ?? ['', {}];
          if (kind !== 'outs') notOuts.add(String(path));
          if ((flags as { cache?: boolean })?.cache === false) uncached.add(String(path));
        }
      }
    }
  } catch { /* no dvc.yaml there */ }
  const lockText = readAtRev(repo, 'dvc.lock', rev);
  if (lockText) {
    try {
      for (const s of parseLock(lockText).stages.values()) {
        for (const d of s.deps ?? []) deps[d.path] = { hash: (d.md5 as string | undefined) ?? null, size: (d.size as number | undefined) ?? null, nfiles: (d.nfiles as number | undefined) ?? null };
        for (const o of s.outs ?? []) {
          if (notOuts.has(o.path)) continue;
          outs[o.path] = { hash: (o.md5 as string | undefined) ?? null, size: (o.size as number | undefined) ?? null, nfiles: (o.nfiles as number | undefined) ?? null, use_cache: !uncached.has(o.path), is_data_source: false };
        }
      }
    } catch { /* unreadable lock at that revision */ }
  }
  try {
    for (const { out, dvcfile } of collectOuts(openRepoSync(repo.root), rev ?? 'workspace')) {
      if (!dvcfile.endsWith('.dvc')) continue;
      const rel = relative(repo.root, out.absPath).split('\\').join('/');
      outs[rel] = { hash: out.oid ?? null, size: out.size ?? null, nfiles: out.nfiles ?? null, use_cache: out.cache !== false, is_data_source: true };
    }
  } catch { /* no .dvc files readable there */ }
  return { rev: rev ?? 'workspace', timestamp: rev ? commitTime(cwd, rev).iso : null, params, metrics, deps, outs, meta: {} };
}

/**
 * `exp show --json` in DVC 3's shape: the workspace, then the baseline (HEAD; named after its
 * branch) holding its experiments newest first (`-A`: every baseline that has experiments).
 */
export function expShowDvc(cwd: string, opts: { all?: boolean } = {}): DvcExpRev[] {
  const repo = openPipelineRepo(cwd);
  const pf = paramsFiles(repo), mf = metricsFiles(repo);
  const head = headSha(cwd);
  const branch = git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD'], { allowFail: true }).trim();
  const refs = listExpRefs(cwd, opts.all ? undefined : head);
  const baselines = [head, ...new Set(refs.map((r) => r.baseline).filter((b) => b !== head))];
  const out: DvcExpRev[] = [{ rev: 'workspace', name: null, data: expState(repo, cwd, undefined, pf, mf), error: null, experiments: null }];
  for (const base of baselines) {
    const exps = refs.filter((r) => r.baseline === base).map((r) => ({ r, t: commitTime(cwd, r.rev).epoch, m: refMtime(cwd, r.ref) }))
      .sort((a, b) => b.t - a.t || b.m - a.m || (a.r.name < b.r.name ? 1 : -1));
    const baseName = base === head && branch && branch !== 'HEAD' ? branch : git(cwd, ['name-rev', '--name-only', '--refs=refs/heads/*', base], { allowFail: true }).trim().replace(/^undefined$/, '') || null;
    out.push({
      rev: base, name: baseName, data: expState(repo, cwd, base, pf, mf), error: null,
      experiments: exps.length ? exps.map(({ r }) => ({ revs: [{ rev: r.rev, name: r.name, data: expState(repo, cwd, r.rev, pf, mf), error: null, experiments: null }], executor: null, name: r.name })) : null,
    });
  }
  return out;
}

/** Mtime of a loose ref file (orders experiments committed within the same second). */
function refMtime(cwd: string, ref: string): number {
  try {
    const gitDir = git(cwd, ['rev-parse', '--git-common-dir']).trim();
    return statSync(resolve(cwd, gitDir, ref)).mtimeMs;
  } catch { return 0; }
}

/** Python `str()` of a value as a CSV cell (DVC writes floats as `3.0`). */
function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (v instanceof PyFloat) return pyFloatRepr(v.value);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pyFloatRepr(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return v;
  return pyStr(v);
}

/**
 * `exp show --csv` as DVC writes it (Python's csv module: `\r\n`, minimal quoting): Experiment,
 * rev, typ, Created, parent, then metrics, params and deps columns, each named by its key alone
 * unless two files share it (then `file:key`). Floats keep their `.0` (read with PyFloat marks).
 */
export function expShowCsv(cwd: string, opts: { all?: boolean } = {}): string {
  const repo = openPipelineRepo(cwd);
  const pf = paramsFiles(repo), mf = metricsFiles(repo);
  const rows = expShowDvc(cwd, opts);
  type Line = { exp: string; rev: string; typ: string; created: string; parent: string; revForFiles: string | undefined; deps: DvcExpState['deps'] };
  const lines: Line[] = [];
  for (const r of rows) {
    lines.push({ exp: '', rev: r.rev === 'workspace' ? 'workspace' : (r.name ?? r.rev.slice(0, 7)), typ: 'baseline', created: r.data.timestamp ?? '', parent: '', revForFiles: r.rev === 'workspace' ? undefined : r.rev, deps: r.data.deps });
    const exps = r.experiments ?? [];
    exps.forEach((e, i) => {
      const x = e.revs[0]!;
      lines.push({ exp: e.name, rev: x.rev.slice(0, 7), typ: i === exps.length - 1 ? 'branch_base' : 'branch_commit', created: x.data.timestamp ?? '', parent: '', revForFiles: x.rev, deps: x.data.deps });
    });
  }
  // Flattened values with float marks, per line.
  const flat = (files: string[], rev: string | undefined) => {
    const o: Record<string, Record<string, unknown>> = {};
    for (const f of files) {
      const text = readAtRev(repo, f, rev);
      if (text === undefined) continue;
      try { o[f] = flattenParams(parseParamsText(text, /\.(json|ya?ml|toml|py)$/.test(f) ? f : `${f}.yaml`)); } catch { /* skip */ }
    }
    return o;
  };
  const vals = lines.map((l) => ({ metrics: flat(mf, l.revForFiles), params: flat(pf, l.revForFiles) }));
  const columns = (kind: 'metrics' | 'params') => {
    const keys: [string, string][] = [];
    for (const v of vals) for (const [f, kv] of Object.entries(v[kind])) for (const k of Object.keys(kv)) if (!keys.some(([a, b]) => a === f && b === k)) keys.push([f, k]);
    return keys.map(([f, k]) => ({ f, k, name: keys.filter(([, b]) => b === k).length > 1 ? `${f}:${k}` : k }));
  };
  const mcols = columns('metrics'), pcols = columns('params');
  const dcols: string[] = [];
  for (const l of lines) for (const d of Object.keys(l.deps)) if (!dcols.includes(d)) dcols.push(d);
  const q = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const header = ['Experiment', 'rev', 'typ', 'Created', 'parent', ...mcols.map((c) => c.name), ...pcols.map((c) => c.name), ...dcols];
  const body = lines.map((l, i) => [l.exp, l.rev, l.typ, l.created, l.parent,
    ...mcols.map((c) => csvCell(vals[i]!.metrics[c.f]?.[c.k])), ...pcols.map((c) => csvCell(vals[i]!.params[c.f]?.[c.k])),
    ...dcols.map((d) => l.deps[d]?.hash ?? '')]);
  return [header, ...body].map((r) => r.map(q).join(',')).join('\r\n') + '\r\n';
}

/** `exp list` text as DVC prints it: `BASELINE:` then a tab, the short sha and `[name]` per experiment. */
export function expListText(cwd: string, opts: { all?: boolean; nameOnly?: boolean } = {}): string {
  const head = headSha(cwd);
  const branch = git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD'], { allowFail: true }).trim();
  const refs = listExpRefs(cwd, opts.all ? undefined : head);
  const byBase = new Map<string, ExpRefInfo[]>();
  for (const r of refs) (byBase.get(r.baseline) ?? byBase.set(r.baseline, []).get(r.baseline)!).push(r);
  const lines: string[] = [];
  for (const [base, list] of byBase) {
    list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (opts.nameOnly) { lines.push(...list.map((e) => e.name)); continue; }
    const name = base === head && branch && branch !== 'HEAD' ? branch : base.slice(0, 7);
    lines.push(`${name}:`, ...list.map((e) => `\t${e.rev.slice(0, 7)} [${e.name}]`));
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}
