/**
 * `metrics show` / `metrics diff`: metrics files are the stages' `metrics:` outputs and the
 * top-level `metrics:` list (JSON, YAML or TOML), read from the workspace or a git revision.
 * JSON shapes as DVC 3: `show` is `{REV: {data: {FILE: {data: {...}}}}}` where REV is `""` for
 * the plain workspace and `workspace` plus revisions otherwise; `diff` is
 * `{FILE: {KEY: {old, new, diff?}}}` with `diff` for numbers (see params.ts `diffFlat`).
 */
import { relative, resolve, sep } from 'node:path';
import { flattenParams, parseParamsText, toPlain } from '../dvcfile/params.js';
import { loadPipeline, type PipelineRepo } from '../pipeline/graph.js';
import { openPipelineRepo } from '../pipeline/repro.js';
import { readAtRev, hasCommits, diffFlat, type ParamsDiff, selectRevs, type RevSelection } from './params.js';

export function metricsFiles(repo: PipelineRepo): string[] {
  const p = loadPipeline(repo);
  const files = new Set<string>();
  for (const s of p.stages) for (const o of s.outs) if (o.kind === 'metrics') files.add(relative(repo.root, resolve(s.wdir, o.path)).split(sep).join('/'));
  for (const f of p.files) for (const m of f.metrics) files.add(relative(repo.root, resolve(f.path, '..', m)).split(sep).join('/'));
  return [...files].sort();
}

function parseMetrics(text: string, f: string): unknown {
  return parseParamsText(text, f.endsWith('.json') || f.endsWith('.toml') || /\.ya?ml$/.test(f) ? f : `${f}.yaml`);
}

/** Flattened metrics per file at `rev` (undefined: the workspace), plain JSON values. */
export function metricsAt(repo: PipelineRepo, files: string[], rev?: string): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const f of files) {
    const text = readAtRev(repo, f, rev);
    if (text === undefined) continue;
    try { out[f] = toPlain(flattenParams(parseMetrics(text, f))) as Record<string, unknown>; } catch { /* not a metrics document */ }
  }
  return out;
}

export type MetricsShow = Record<string, { data: Record<string, { data: unknown }> }>;

/**
 * `metrics show`: `{"": …}` for the workspace alone (DVC's brancher yields `""` when no revision
 * is asked for); with revisions (or -a/-T/-A) `workspace` first, then each revision.
 */
export function metricsShow(cwd: string, revs: string[] | RevSelection = []): MetricsShow {
  const repo = openPipelineRepo(cwd);
  const files = metricsFiles(repo);
  const sel: RevSelection = Array.isArray(revs) ? { revs } : revs;
  const keys = selectRevs(repo.root, sel);
  const out: MetricsShow = {};
  for (const rev of keys) {
    const data: Record<string, { data: unknown }> = {};
    for (const f of files) {
      const text = readAtRev(repo, f, rev === '' || rev === 'workspace' ? undefined : rev);
      if (text === undefined) continue;
      try { data[f] = { data: toPlain(parseMetrics(text, f)) }; } catch { /* skip */ }
    }
    out[rev] = { data };
  }
  return out;
}

export type MetricsDiff = ParamsDiff;

export interface MetricsDiffOptions { cwd: string; a?: string; b?: string; all?: boolean; targets?: string[] }

export function metricsDiff(cwdOrOpts: string | MetricsDiffOptions, a?: string, b?: string, all = false): MetricsDiff {
  const o: MetricsDiffOptions = typeof cwdOrOpts === 'string' ? { cwd: cwdOrOpts, a, b, all } : cwdOrOpts;
  const repo = openPipelineRepo(o.cwd);
  let files = metricsFiles(repo);
  if (o.targets?.length) {
    const want = new Set(o.targets.map((t) => relative(repo.root, resolve(o.cwd, t)).split(sep).join('/')));
    files = [...want];
  }
  if (!hasCommits(repo.root)) return {};
  return diffFlat(metricsAt(repo, files, o.a ?? 'HEAD'), metricsAt(repo, files, o.b), !!o.all);
}
