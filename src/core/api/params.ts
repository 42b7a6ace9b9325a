/**
 * `params show` / `params diff`: the params files a pipeline uses (each stage's params files and
 * the top-level `params:` list), flattened to dotted keys, compared between a git revision and the
 * workspace (or two revisions). JSON shape as DVC: `{file: {key: {old, new}}}`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { spawnSync } from 'node:child_process';
import { flattenParams, paramEqual, parseParamsText, toPlain } from '../dvcfile/params.js';
import { loadPipeline, type PipelineRepo } from '../pipeline/graph.js';
import { openPipelineRepo } from '../pipeline/repro.js';

/** Params files used by the pipeline, relative to the repo root (`/`). */
export function paramsFiles(repo: PipelineRepo): string[] {
  const p = loadPipeline(repo);
  const files = new Set<string>();
  for (const s of p.stages) for (const ps of s.params) files.add(relative(repo.root, resolve(s.wdir, ps.file)).split(sep).join('/'));
  for (const f of p.files) for (const x of f.params) files.add(relative(repo.root, resolve(f.path, '..', x)).split(sep).join('/'));
  return [...files].sort();
}

/** Text of a repo file at a git revision (undefined when absent); `rev` undefined = workspace. */
export function readAtRev(repo: PipelineRepo, rel: string, rev?: string): string | undefined {
  if (!rev) {
    const abs = resolve(repo.root, rel);
    return existsSync(abs) ? readFileSync(abs, 'utf8') : undefined;
  }
  const top = spawnSync('git', ['rev-parse', '--show-prefix'], { cwd: repo.root, encoding: 'utf8' });
  const prefix = top.status === 0 ? top.stdout.trim() : '';
  const r = spawnSync('git', ['show', `${rev}:${prefix}${rel}`], { cwd: repo.root, encoding: 'utf8', maxBuffer: 64 << 20 });
  return r.status === 0 ? r.stdout : undefined;
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

export interface ParamsDiffOptions { cwd: string; a?: string; b?: string; all?: boolean }

export type ParamsDiff = Record<string, Record<string, { old: unknown; new: unknown }>>;

export function diffFlat(oldP: Record<string, Record<string, unknown>>, newP: Record<string, Record<string, unknown>>, all = false): ParamsDiff {
  const out: ParamsDiff = {};
  for (const f of [...new Set([...Object.keys(oldP), ...Object.keys(newP)])].sort()) {
    const o = oldP[f] ?? {}, n = newP[f] ?? {};
    const d: Record<string, { old: unknown; new: unknown }> = {};
    for (const k of [...new Set([...Object.keys(o), ...Object.keys(n)])].sort()) {
      const ov = k in o ? o[k] : null, nv = k in n ? n[k] : null;
      if (all || !paramEqual(ov, nv) || (k in o) !== (k in n)) d[k] = { old: toPlain(ov), new: toPlain(nv) };
    }
    if (Object.keys(d).length) out[f] = d;
  }
  return out;
}

export function paramsDiff(opts: ParamsDiffOptions): ParamsDiff {
  const repo = openPipelineRepo(opts.cwd);
  const files = paramsFiles(repo);
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
  return spawnSync('git', ['rev-parse', '--verify', '-q', 'HEAD'], { cwd, encoding: 'utf8' }).status === 0;
}
