/**
 * `metrics show` / `metrics diff`: metrics files are the stages' `metrics:` outputs and the
 * top-level `metrics:` list (JSON, YAML or TOML), read from the workspace or a git revision.
 */
import { relative, resolve, sep } from 'node:path';
import { flattenParams, parseParamsText, toPlain } from '../dvcfile/params.js';
import { loadPipeline, type PipelineRepo } from '../pipeline/graph.js';
import { openPipelineRepo } from '../pipeline/repro.js';
import { readAtRev, hasCommits } from './params.js';

export function metricsFiles(repo: PipelineRepo): string[] {
  const p = loadPipeline(repo);
  const files = new Set<string>();
  for (const s of p.stages) for (const o of s.outs) if (o.kind === 'metrics') files.add(relative(repo.root, resolve(s.wdir, o.path)).split(sep).join('/'));
  for (const f of p.files) for (const m of f.metrics) files.add(relative(repo.root, resolve(f.path, '..', m)).split(sep).join('/'));
  return [...files].sort();
}

export function metricsAt(repo: PipelineRepo, files: string[], rev?: string): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const f of files) {
    const text = readAtRev(repo, f, rev);
    if (text === undefined) continue;
    try { out[f] = toPlain(flattenParams(parseParamsText(text, f.endsWith('.json') || f.endsWith('.toml') || /\.ya?ml$/.test(f) ? f : `${f}.yaml`))) as Record<string, unknown>; } catch { /* not a metrics document */ }
  }
  return out;
}

/** `{workspace: {data: {file: {data: {...}}}}}` (nested values, as DVC 3 prints with --json). */
export function metricsShow(cwd: string, revs: string[] = []): Record<string, { data: Record<string, { data: unknown }> }> {
  const repo = openPipelineRepo(cwd);
  const files = metricsFiles(repo);
  const out: Record<string, { data: Record<string, { data: unknown }> }> = {};
  for (const rev of revs.length ? revs : [undefined]) {
    const data: Record<string, { data: unknown }> = {};
    for (const f of files) {
      const text = readAtRev(repo, f, rev);
      if (text === undefined) continue;
      try { data[f] = { data: toPlain(parseParamsText(text, f)) }; } catch { /* skip */ }
    }
    out[rev ?? 'workspace'] = { data };
  }
  return out;
}

export type MetricsDiff = Record<string, Record<string, { old: unknown; new: unknown; diff?: number }>>;

export function metricsDiff(cwd: string, a = 'HEAD', b?: string, all = false): MetricsDiff {
  const repo = openPipelineRepo(cwd);
  const files = metricsFiles(repo);
  if (!hasCommits(repo.root)) return {};
  const o = metricsAt(repo, files, a), n = metricsAt(repo, files, b);
  const out: MetricsDiff = {};
  for (const f of [...new Set([...Object.keys(o), ...Object.keys(n)])].sort()) {
    const d: Record<string, { old: unknown; new: unknown; diff?: number }> = {};
    const of = o[f] ?? {}, nf = n[f] ?? {};
    for (const k of [...new Set([...Object.keys(of), ...Object.keys(nf)])].sort()) {
      const ov = k in of ? of[k] : null, nv = k in nf ? nf[k] : null;
      if (!all && JSON.stringify(ov) === JSON.stringify(nv)) continue;
      const e: { old: unknown; new: unknown; diff?: number } = { old: ov, new: nv };
      if (typeof ov === 'number' && typeof nv === 'number') e.diff = nv - ov;
      d[k] = e;
    }
    if (Object.keys(d).length) out[f] = d;
  }
  return out;
}
