/**
 * Experiments as DVC keeps them: `exp run` applies `-S key=value` overrides to params files,
 * reproduces, and commits the workspace (git-tracked files, i.e. params, dvc.lock, metrics; data
 * stays in the cache) as a commit whose parent is the baseline, referenced by
 * `refs/exps/<baseline[:2]>/<baseline[2:]>/<name>`. The user's index and branch are not touched.
 */
import { gitTry } from '../scm/git.js';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { relative, resolve, extname } from 'node:path';
import { parseDocument, isScalar, isCollection, type Node } from 'yaml';
import { stringify as tomlStringify } from 'smol-toml';
import { AppError, UsageError, type ErrorCode } from '../../lib/errors.js';
import { writeFileAtomicSync } from '../../lib/atomic.js';
import { hasDotted, loadYaml, parseParamsText, setDotted } from '../dvcfile/params.js';
import { DEFAULT_PARAMS_FILE } from '../dvcfile/dvcyaml.js';
import { PyFloat } from '../../lib/pyjson.js';
import type { OpContext } from '../../lib/progress.js';
import { readLock, writeLock, type LockEntry, type LockFile, type LockStage } from '../dvcfile/lock.js';
import { stageAddress } from '../dvcfile/dvcyaml.js';
import { withRepoLock } from '../repo/lock.js';
import { loadPipeline } from './graph.js';
import { openPipelineRepo, stateFor, lockPathOf } from './repro.js';
import { StatusContext, currentParams } from './status.js';
import { hashPath } from './hashing.js';
import { commitToCache, gitignoreOutput, pipelineLinkOf } from './cache.js';

export const EXPS_NAMESPACE = 'refs/exps';

export class ExperimentError extends AppError {
  constructor(message: string, hint: string, code: ErrorCode = 'experiment') { super(code, message, 1, { hint }); }
}

export function git(cwd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; allowFail?: boolean; input?: string } = {}): string {
  const r = gitTry(cwd, args, { env: opts.env, input: opts.input });
  if (r.error) throw new ExperimentError(`cannot run git: ${r.error.message}`, 'install git and make sure it is on PATH', 'git');
  if (!r.ok && !opts.allowFail) throw new ExperimentError(`git ${args.join(' ')} failed: ${r.stderr.trim()}`, 'experiments need a git repository with at least one commit', 'git');
  return r.ok ? r.stdout : '';
}

export function gitTop(cwd: string): string {
  const top = git(cwd, ['rev-parse', '--show-toplevel'], { allowFail: true }).trim();
  if (!top) throw new ExperimentError('experiments need a git repository', 'run `git init` and commit your pipeline first', 'no-scm');
  return top;
}

export function headSha(cwd: string): string {
  const sha = git(cwd, ['rev-parse', '--verify', '-q', 'HEAD'], { allowFail: true }).trim();
  if (!sha) throw new ExperimentError('the git repository has no commits', 'commit your dvc.yaml and params first (`git add -A && git commit`)', 'no-commits');
  return sha;
}

export function expRef(baseline: string, name: string): string {
  return `${EXPS_NAMESPACE}/${baseline.slice(0, 2)}/${baseline.slice(2)}/${name}`;
}

/** Parses one `-S` override: `[file:]key=value`, value in YAML flow syntax (`256`, `[1, 2]`, `{a: 1}`). */
export function parseOverride(s: string): { file: string; key: string; value: unknown; add: boolean } {
  const eq = s.indexOf('=');
  if (eq <= 0) throw new UsageError(`invalid --set-param '${s}'`, { hint: 'write key=value, e.g. -S tile_size=256 or -S train.json:lr=0.01' });
  let lhs = s.slice(0, eq).trim();
  const raw = s.slice(eq + 1);
  let add = false;
  if (lhs.startsWith('+')) { add = true; lhs = lhs.slice(1); }
  let file = DEFAULT_PARAMS_FILE;
  const colon = lhs.lastIndexOf(':');
  if (colon > 0) { file = lhs.slice(0, colon); lhs = lhs.slice(colon + 1); }
  if (!lhs) throw new UsageError(`invalid --set-param '${s}'`, { hint: 'the key is empty' });
  let value: unknown;
  try { value = raw === '' ? '' : loadYaml(raw, '--set-param'); } catch { value = raw; }
  return { file, key: lhs, value, add };
}

function toJsonValue(v: unknown): unknown {
  if (v instanceof PyFloat) return v.value;
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJsonValue(x)]));
  return v;
}

/** Applies overrides to the params files under `dir`, keeping YAML comments and key order. */
export function applyOverrides(dir: string, overrides: string[]): { file: string; key: string; value: unknown }[] {
  const applied: { file: string; key: string; value: unknown }[] = [];
  const byFile = new Map<string, ReturnType<typeof parseOverride>[]>();
  for (const o of overrides.map(parseOverride)) byFile.set(o.file, [...(byFile.get(o.file) ?? []), o]);
  for (const [file, list] of byFile) {
    const abs = resolve(dir, file);
    const text = existsSync(abs) ? readFileSync(abs, 'utf8') : '';
    const tree = parseParamsText(text, file);
    for (const o of list) {
      if (!o.add && !hasDotted(tree, o.key)) {
        throw new UsageError(`param '${o.key}' is not in '${file}'`, { hint: `check the name, or write -S '+${o.key}=...' to add a new param` });
      }
    }
    const ext = extname(file).toLowerCase();
    let out: string;
    if (ext === '.yaml' || ext === '.yml' || ext === '') {
      const doc = parseDocument(text || '{}');
      for (const o of list) {
        const path = o.key.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
        const existing = doc.getIn(path, true);
        const isScalarValue = o.value === null || typeof o.value !== 'object' || o.value instanceof PyFloat;
        if (isScalar(existing) && isScalarValue) {
          // in place: keeps the comment on the line and the quoting style
          existing.value = toJsonValue(o.value);
          if (o.value instanceof PyFloat) existing.minFractionDigits = 1;
          continue;
        }
        const node = doc.createNode(toJsonValue(o.value)) as Node;
        if (o.value instanceof PyFloat && isScalar(node)) node.minFractionDigits = 1;
        if (isCollection(existing) && isCollection(node)) {
          node.flow = existing.flow;
          node.comment = existing.comment;
          node.commentBefore = existing.commentBefore;
        }
        doc.setIn(path, node);
      }
      out = String(doc);
    } else {
      for (const o of list) setDotted(tree, o.key, o.value);
      if (ext === '.json') out = JSON.stringify(toJsonValue(tree), null, 2) + '\n';
      else if (ext === '.toml') out = tomlStringify(toJsonValue(tree) as Record<string, unknown>) + '\n';
      else throw new UsageError(`cannot set params in '${file}'`, { hint: 'use -S with a .yaml, .json or .toml params file' });
    }
    writeFileAtomicSync(abs, out);
    for (const o of list) applied.push({ file, key: o.key, value: o.value });
  }
  return applied;
}

/**
 * Commits the work tree at `cwd` (git-tracked and new non-ignored files) without touching the index or HEAD.
 * With `opts.untracked` (exp save), new files are left out except those listed (`-I`); `opts.leftOut` gets the rest.
 */
export function commitWorkspace(cwd: string, baseline: string, message: string, opts: { untracked?: string[]; leftOut?: string[] } = {}): string {
  const top = gitTop(cwd);
  const index = resolve(top, git(top, ['rev-parse', '--git-path', `geodvc-exp-index-${process.pid}-${randomBytes(3).toString('hex')}`]).trim());
  const env = { GIT_INDEX_FILE: index };
  try {
    git(top, ['read-tree', baseline], { env });
    if (opts.untracked) {
      git(top, ['add', '-u', '--', '.'], { env });
      const inc = opts.untracked.map((f) => relative(top, resolve(cwd, f)) || '.');
      if (inc.length) git(top, ['add', '-f', '--', ...inc], { env });
      opts.leftOut?.push(...git(top, ['ls-files', '-z', '--others', '--exclude-standard'], { env }).split('\0').filter(Boolean));
    } else git(top, ['add', '-A', '--', '.'], { env });
    const tree = git(top, ['write-tree'], { env }).trim();
    return git(top, ['commit-tree', tree, '-p', baseline, '-m', message], {
      env: { GIT_AUTHOR_NAME: process.env.GIT_AUTHOR_NAME ?? gitConfig(top, 'user.name') ?? 'geodvc', GIT_AUTHOR_EMAIL: process.env.GIT_AUTHOR_EMAIL ?? gitConfig(top, 'user.email') ?? 'geodvc@localhost', GIT_COMMITTER_NAME: process.env.GIT_COMMITTER_NAME ?? gitConfig(top, 'user.name') ?? 'geodvc', GIT_COMMITTER_EMAIL: process.env.GIT_COMMITTER_EMAIL ?? gitConfig(top, 'user.email') ?? 'geodvc@localhost' },
    }).trim();
  } finally { rmSync(index, { force: true }); }
}

/** Fails with a hint when experiment `name` already exists on `baseline` (unless `force`); returns its ref. */
export function checkExpName(cwd: string, baseline: string, name: string, force?: boolean): string {
  validateName(name);
  const ref = expRef(baseline, name);
  if (git(cwd, ['rev-parse', '--verify', '-q', ref], { allowFail: true }).trim() && !force) {
    throw new ExperimentError(`experiment '${name}' already exists`, 'pick another --name, or pass --force to replace it', 'exp-exists');
  }
  return ref;
}

/** Records the work tree as experiment `name` of `baseline`: one commit, referenced by its refs/exps ref (used by `exp run` and `exp save`). */
export function recordExperiment(cwd: string, baseline: string, name: string, opts: { message?: string; untracked?: string[]; leftOut?: string[] } = {}): { ref: string; rev: string } {
  const ref = expRef(baseline, name);
  const rev = commitWorkspace(cwd, baseline, opts.message ?? `geodvc: commit experiment ${name}`, opts);
  git(cwd, ['update-ref', ref, rev]);
  return { ref, rev };
}

/**
 * What `commit -f` does to pipeline stages before `exp save`: each stage whose deps and outs all
 * exist gets its dvc.lock entry from the workspace as it is (deps, params, outs hashed; cached
 * outs stored in the cache), without running anything. Returns the stages whose entry changed and
 * the stages skipped because something they name is missing.
 */
export async function commitStages(cwd: string, opts: OpContext = {}): Promise<{ changed: string[]; skipped: string[] }> {
  const repo = openPipelineRepo(cwd);
  return withRepoLock(repo, { write: true, signal: opts.signal, cmd: 'geodvc exp save' }, async () => {
    const p = loadPipeline(repo);
    const state = stateFor(repo);
    const sc = new StatusContext(repo, state, cwd);
    const changed: string[] = [];
    const skipped: string[] = [];
    const locks = new Map<string, LockFile>();
    for (const s of p.stages) {
      const addr = stageAddress(s);
      const lockPath = lockPathOf(repo, s);
      if (!locks.has(lockPath)) locks.set(lockPath, readLock(lockPath, relative(repo.root, lockPath)));
      const lock = locks.get(lockPath)!;
      const missing = [...s.deps.map((d) => d.path), ...s.outs.map((o) => o.path)].filter((x) => !existsSync(resolve(s.wdir, x)));
      if (missing.length) { skipped.push(addr); opts.logger?.warn(`stage '${addr}' not committed: ${missing.map((m) => `'${m}'`).join(', ')} missing`); continue; }
      const deps: LockEntry[] = [];
      for (const d of s.deps) {
        const h = await hashPath(resolve(s.wdir, d.path), state);
        if (h) deps.push({ path: d.path, hash: 'md5', md5: h.md5, size: h.size, ...(h.isDir ? { nfiles: h.nfiles } : {}) });
      }
      const params = currentParams(sc, s, true);
      const outs: LockEntry[] = [];
      for (const o of s.outs) {
        const abs = resolve(s.wdir, o.path);
        const h = o.cache ? await commitToCache(repo.cacheDir, abs, state, pipelineLinkOf(repo)) : await hashPath(abs, state);
        if (!h) continue;
        if (o.cache) gitignoreOutput(repo, abs);
        outs.push({ path: o.path, hash: 'md5', md5: h.md5, size: h.size, ...(h.isDir ? { nfiles: h.nfiles } : {}) });
      }
      const entry: LockStage = { cmd: s.cmd };
      if (deps.length) entry.deps = deps;
      if (Object.keys(params).length) entry.params = params;
      if (outs.length) entry.outs = outs;
      const before = lock.stages.get(s.name);
      if (before && JSON.stringify(before) === JSON.stringify(entry)) continue;
      lock.stages.set(s.name, entry);
      writeLock(lockPath, lock);
      changed.push(addr);
    }
    return { changed, skipped };
  });
}

function gitConfig(cwd: string, key: string): string | undefined {
  return git(cwd, ['config', '--get', key], { allowFail: true }).trim() || undefined;
}

export interface ExpRefInfo { name: string; ref: string; rev: string; baseline: string }

export function listExpRefs(cwd: string, baseline?: string): ExpRefInfo[] {
  const prefix = baseline ? `${EXPS_NAMESPACE}/${baseline.slice(0, 2)}/${baseline.slice(2)}/` : `${EXPS_NAMESPACE}/`;
  const out = git(cwd, ['for-each-ref', '--sort=creatordate', '--format=%(refname) %(objectname)', prefix], { allowFail: true });
  const refs: ExpRefInfo[] = [];
  for (const line of out.split('\n')) {
    const [ref, rev] = line.trim().split(' ');
    if (!ref || rev === undefined) continue;
    const m = /^refs\/exps\/([0-9a-f]{2})\/([0-9a-f]{38})\/(.+)$/.exec(ref);
    if (!m) continue; // exec/, stash, celery/ ...
    // the pattern requires all three groups
    refs.push({ name: m[3]!, ref, rev, baseline: m[1]! + m[2]! });
  }
  return refs;
}

/** Finds an experiment by name (any baseline) or by a rev prefix. */
export function resolveExp(cwd: string, nameOrRev: string): ExpRefInfo {
  const all = listExpRefs(cwd);
  const byName = all.filter((e) => e.name === nameOrRev);
  const [onlyByName] = byName;
  if (onlyByName && byName.length === 1) return onlyByName;
  if (byName.length > 1) {
    const head = headSha(cwd);
    const here = byName.find((e) => e.baseline === head);
    if (here) return here;
    throw new ExperimentError(`experiment name '${nameOrRev}' is ambiguous`, 'give the full ref (refs/exps/...) or the commit sha');
  }
  const byRev = all.filter((e) => e.rev.startsWith(nameOrRev) || e.ref === nameOrRev);
  const [onlyByRev] = byRev;
  if (onlyByRev && byRev.length === 1) return onlyByRev;
  throw new ExperimentError(`experiment '${nameOrRev}' not found`, 'list experiments with `geodvc exp list` or `geodvc exp show`', 'exp-not-found');
}

export function autoName(seed: string): string {
  return 'exp-' + createHash('sha256').update(seed + Date.now() + randomBytes(4).toString('hex')).digest('hex').slice(0, 5);
}

export function validateName(name: string): void {
  const r = gitTry(process.cwd(), ['check-ref-format', `refs/exps/xx/${name}`]);
  if (!r.ok || name.includes('/')) throw new UsageError(`invalid experiment name '${name}'`, { hint: 'use letters, digits, - and _ only' });
}


/** Splits a Hydra choice sweep `key=a,b,c` (commas outside brackets/quotes) into single overrides. */
export function expandSweep(override: string): string[] {
  const eq = override.indexOf('=');
  if (eq <= 0) return [override];
  const lhs = override.slice(0, eq + 1);
  const rhs = override.slice(eq + 1);
  const parts: string[] = [];
  let depth = 0, quote = '', cur = '';
  for (const ch of rhs) {
    if (quote) { if (ch === quote) quote = ''; cur += ch; continue; }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[' || ch === '{' || ch === '(') depth++;
    else if (ch === ']' || ch === '}' || ch === ')') depth--;
    if (ch === ',' && depth === 0) { parts.push(cur); cur = ''; continue; }
    cur += ch;
  }
  parts.push(cur);
  return parts.length > 1 ? parts.map((p) => lhs + p.trim()) : [override];
}

/** The cartesian product of the sweeps in `overrides` (one list of overrides per experiment). */
export function sweepCombinations(overrides: string[]): string[][] {
  let combos: string[][] = [[]];
  for (const o of overrides) {
    const choices = expandSweep(o);
    combos = combos.flatMap((c) => choices.map((x) => [...c, x]));
  }
  return combos;
}
