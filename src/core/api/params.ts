/**
 * `params show` / `params diff`: the params files a pipeline uses (each stage's params files, the
 * top-level `params:` list, and `params.yaml` at the root whenever it exists, as DVC), flattened
 * to dotted keys, compared between a git revision and the workspace (or two revisions). JSON
 * shape as DVC: `{file: {key: {old, new, diff?}}}`: `diff` is `new - old` when both are numbers;
 * lists are compared and shown as Python's `str()` of them (`['r', 'g']`), as DVC does.
 */
import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
export { flattenParams } from '../dvcfile/params.js';
import { flattenParams, paramEqual, parseParamsText, toPlain } from '../dvcfile/params.js';
import { PyFloat } from '../../lib/pyjson.js';
import { gitTry } from '../scm/git.js';
import { pyFloatRepr } from '../dvcfile/lock.js';
import { loadPipeline, type PipelineRepo } from '../pipeline/graph.js';
import { openPipelineRepo } from '../pipeline/repro.js';

/** Params files used by the pipeline, relative to the repo root (`/`). */
export function paramsFiles(repo: PipelineRepo): string[] {
  const p = loadPipeline(repo);
  const files = new Set<string>();
  for (const s of p.stages) for (const ps of s.params) files.add(relative(repo.root, resolve(s.wdir, ps.file)).split(sep).join('/'));
  for (const f of p.files) for (const x of f.params) files.add(relative(repo.root, resolve(f.path, '..', x)).split(sep).join('/'));
  files.add('params.yaml'); // DVC reads the default params file whole whenever it exists
  return [...files].sort();
}

/** Text of a repo file at a git revision (undefined when absent); `rev` undefined = workspace. */
export function readAtRev(repo: PipelineRepo, rel: string, rev?: string): string | undefined {
  if (!rev) {
    const abs = resolve(repo.root, rel);
    return existsSync(abs) ? readFileSync(abs, 'utf8') : undefined;
  }
  const top = gitTry(repo.root, ['rev-parse', '--show-prefix']);
  const prefix = top.ok ? top.stdout.trim() : '';
  const r = gitTry(repo.root, ['show', `${rev}:${prefix}${rel}`]);
  return r.ok ? r.stdout : undefined;
}

export function paramsAt(repo: PipelineRepo, files: string[], rev?: string): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const f of files) {
    const text = readAtRev(repo, f, rev);
    if (text === undefined) continue;
    try { out[f] = flattenParams(parseParamsText(text, f)); } catch { /* unreadable at that revision */ }
  }
  return out;
}

export interface ParamsDiffOptions { cwd: string; a?: string; b?: string; all?: boolean; targets?: string[] }

export type DiffEntry = { old: unknown; new: unknown; diff?: number };
export type ParamsDiff = Record<string, Record<string, DiffEntry>>;

/** Python's `str()` of a parsed value (lists and dicts as Python prints them). */
export function pyStr(v: unknown, inner = false): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v instanceof PyFloat) return pyFloatRepr(v.value);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pyFloatRepr(v);
  if (typeof v === 'string') return inner ? pyStrRepr(v) : v;
  if (Array.isArray(v)) return `[${v.map((x) => pyStr(x, true)).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v as object).map(([k, x]) => `${pyStrRepr(k)}: ${pyStr(x, true)}`).join(', ')}}`;
  return String(v);
}

function pyStrRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  return q + s.replace(/\\/g, '\\\\').replace(new RegExp(q, 'g'), `\\${q}`).replace(/\n/g, '\\n').replace(/\t/g, '\\t') + q;
}

/** A flattened value as DVC's diff holds it: lists become their Python `str()`. */
function diffValue(v: unknown): unknown {
  return Array.isArray(v) ? pyStr(v) : toPlain(v);
}

function numeric(v: unknown): number | undefined {
  if (v instanceof PyFloat) return v.value;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0; // Python: bool is an int
  return undefined;
}

export function diffFlat(oldP: Record<string, Record<string, unknown>>, newP: Record<string, Record<string, unknown>>, all = false): ParamsDiff {
  const out: ParamsDiff = {};
  for (const f of [...new Set([...Object.keys(oldP), ...Object.keys(newP)])].sort()) {
    const o = oldP[f] ?? {}, n = newP[f] ?? {};
    const d: Record<string, DiffEntry> = {};
    for (const k of [...new Set([...Object.keys(o), ...Object.keys(n)])].sort()) {
      const ov = k in o ? diffValue(o[k]) : null, nv = k in n ? diffValue(n[k]) : null;
      if (!all && paramEqual(ov, nv) && (k in o) === (k in n)) continue;
      const e: DiffEntry = { old: ov, new: nv };
      const on = k in o ? numeric(o[k]) : undefined, nn = k in n ? numeric(n[k]) : undefined;
      if (on !== undefined && nn !== undefined) e.diff = nn - on;
      d[k] = e;
    }
    if (Object.keys(d).length) out[f] = d;
  }
  return out;
}

/** Which revisions `show` reads: explicit revs, all branches, all tags, all commits. */
export interface RevSelection { revs?: string[]; allBranches?: boolean; allTags?: boolean; allCommits?: boolean }

/**
 * The keys of a `show` answer, as DVC's brancher names them: `['']` for the workspace alone;
 * otherwise `workspace`, then branch names (-a), tag names (-T), every commit's full sha (-A,
 * experiment refs left out) and the revisions asked for, without duplicates.
 */
export function selectRevs(root: string, sel: RevSelection): string[] {
  const git = (...args: string[]) => {
    const r = gitTry(root, args);
    return r.ok ? r.stdout.split('\n').filter(Boolean) : [];
  };
  if (!sel.revs?.length && !sel.allBranches && !sel.allTags && !sel.allCommits) return [''];
  const keys = ['workspace'];
  if (sel.allBranches) keys.push(...git('for-each-ref', '--format=%(refname:short)', 'refs/heads'));
  if (sel.allTags) keys.push(...git('for-each-ref', '--format=%(refname:short)', 'refs/tags'));
  if (sel.allCommits) keys.push(...git('rev-list', '--exclude=refs/exps/*', '--all'));
  keys.push(...(sel.revs ?? []));
  return [...new Set(keys)];
}

export function paramsDiff(opts: ParamsDiffOptions): ParamsDiff {
  const repo = openPipelineRepo(opts.cwd);
  const files = opts.targets?.length
    ? [...new Set(opts.targets.map((t) => relative(repo.root, resolve(opts.cwd, t)).split(sep).join('/')))]
    : paramsFiles(repo);
  const a = opts.a ?? 'HEAD';
  if (!hasCommits(repo.root)) return {}; // as DVC: nothing to compare against
  return diffFlat(paramsAt(repo, files, a), paramsAt(repo, files, opts.b), opts.all);
}

export function paramsShow(cwd: string, rev?: string): Record<string, Record<string, unknown>> {
  const repo = openPipelineRepo(cwd);
  const vals = paramsAt(repo, paramsFiles(repo), rev);
  return Object.fromEntries(Object.entries(vals).map(([f, v]) => [f, toPlain(v) as Record<string, unknown>]));
}

export function hasCommits(cwd: string): boolean {
  return gitTry(cwd, ['rev-parse', '--verify', '-q', 'HEAD']).ok;
}
