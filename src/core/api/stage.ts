/**
 * `stage add`: writes a stage into dvc.yaml in DVC's format (key order desc, cmd, wdir, deps,
 * params, outs, metrics, plots, frozen, always_changed; deps/outs sorted; params.yaml keys first).
 * An existing dvc.yaml keeps its text, comments and order: the new stage's text is inserted after
 * the last stage. The result is validated (schema, duplicate outputs, cycles) before it is kept.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseDocument, isMap } from 'yaml';
import { UsageError, PathError } from '../../lib/errors.js';
import { writeFileAtomicSync } from '../../lib/atomic.js';
import { dumpRuamelYaml, comparePyStr } from '../dvcfile/lock.js';
import { DEFAULT_PARAMS_FILE, stageAddress } from '../dvcfile/dvcyaml.js';
import { loadPipeline } from '../pipeline/graph.js';
import { openPipelineRepo } from '../pipeline/repro.js';

export interface StageAddOptions {
  cwd: string;
  name: string;
  cmd: string;
  deps?: string[];
  outs?: string[];
  outsNoCache?: string[];
  outsPersist?: string[];
  outsPersistNoCache?: string[];
  params?: string[];
  metrics?: string[];
  metricsNoCache?: string[];
  plots?: string[];
  plotsNoCache?: string[];
  wdir?: string;
  desc?: string;
  alwaysChanged?: boolean;
  force?: boolean;
}

/** Parses DVC's `-p` values: `a,b` (params.yaml), `file.yaml:a,b`, `file.yaml:` (whole file). */
export function parseParamArgs(values: string[]): unknown[] {
  const defaults = new Set<string>();
  const files = new Map<string, Set<string> | null>();
  for (const v of values) {
    const colon = v.lastIndexOf(':');
    if (colon > 0 && /\.(ya?ml|json|toml|py)$/.test(v.slice(0, colon))) {
      const file = v.slice(0, colon);
      const keys = v.slice(colon + 1).split(',').map((k) => k.trim()).filter(Boolean);
      if (!keys.length) files.set(file, null);
      else if (files.get(file) !== null) files.set(file, new Set([...(files.get(file) ?? []), ...keys]));
    } else for (const k of v.split(',').map((x) => x.trim()).filter(Boolean)) defaults.add(k);
  }
  const out: unknown[] = [...defaults].sort(comparePyStr);
  for (const f of [...files.keys()].sort(comparePyStr)) {
    if (f === DEFAULT_PARAMS_FILE) { const ks = files.get(f); if (ks) out.push(...[...ks].sort(comparePyStr).filter((k) => !defaults.has(k))); continue; }
    const ks = files.get(f);
    out.push({ [f]: ks ? [...ks].sort(comparePyStr) : null });
  }
  return out;
}

export function stageDefinition(o: StageAddOptions): Record<string, unknown> {
  const def: Record<string, unknown> = {};
  if (o.desc) def.desc = o.desc;
  def.cmd = o.cmd;
  if (o.wdir && o.wdir !== '.') def.wdir = o.wdir;
  if (o.deps?.length) def.deps = [...new Set(o.deps)].sort(comparePyStr);
  if (o.params?.length) def.params = parseParamArgs(o.params);
  const outs: [string, Record<string, unknown> | null][] = [
    ...(o.outs ?? []).map((p) => [p, null] as [string, null]),
    ...(o.outsNoCache ?? []).map((p) => [p, { cache: false }] as [string, Record<string, unknown>]),
    ...(o.outsPersist ?? []).map((p) => [p, { persist: true }] as [string, Record<string, unknown>]),
    ...(o.outsPersistNoCache ?? []).map((p) => [p, { cache: false, persist: true }] as [string, Record<string, unknown>]),
  ];
  const entries = (list: [string, Record<string, unknown> | null][]) => list.sort((a, b) => comparePyStr(a[0], b[0])).map(([p, f]) => (f ? { [p]: f } : p));
  if (outs.length) def.outs = entries(outs);
  const metrics: [string, Record<string, unknown> | null][] = [...(o.metrics ?? []).map((p) => [p, null] as [string, null]), ...(o.metricsNoCache ?? []).map((p) => [p, { cache: false }] as [string, Record<string, unknown>])];
  if (metrics.length) def.metrics = entries(metrics);
  const plots: [string, Record<string, unknown> | null][] = [...(o.plots ?? []).map((p) => [p, null] as [string, null]), ...(o.plotsNoCache ?? []).map((p) => [p, { cache: false }] as [string, Record<string, unknown>])];
  if (plots.length) def.plots = entries(plots);
  if (o.alwaysChanged) def.always_changed = true;
  return def;
}

export function stageAdd(o: StageAddOptions): { file: string; text: string } {
  if (!/^[^@:/\\#.][^@:/\\#]*$/.test(o.name)) throw new UsageError(`invalid stage name '${o.name}'`, { hint: "stage names cannot contain '@', ':', '/', '\\' or '#'" });
  if (!o.cmd.trim()) throw new UsageError('the stage needs a command', { hint: 'give the command after the options, e.g. `geodvc stage add -n prep -d in -o out ./prep.sh`' });
  const repo = openPipelineRepo(o.cwd);
  const file = join(o.cwd, 'dvc.yaml');
  const old = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  const def = stageDefinition(o);
  let text: string;
  if (old === undefined || !old.trim()) text = dumpRuamelYaml({ stages: { [o.name]: def } });
  else {
    const doc = parseDocument(old);
    const stages = doc.get('stages', true);
    const exists = isMap(stages) && stages.has(o.name);
    if (exists && !o.force) throw new PathError('stage-exists', `stage '${o.name}' already exists in ${relative(repo.root, file) || 'dvc.yaml'}`, { hint: 'use another name, or -f to overwrite it' });
    const block = dumpRuamelYaml({ stages: { [o.name]: def } }).replace(/^stages:\n/, '');
    if (exists) {
      doc.setIn(['stages', o.name], doc.createNode(def));
      text = doc.toString({ indentSeq: false, lineWidth: 0 });
    } else if (!stages) {
      text = old + (old.endsWith('\n') ? '' : '\n') + 'stages:\n' + block;
    } else if (isMap(stages) && stages.items.length && stages.range) {
      const end = stages.range[1];
      const lineEnd = old.indexOf('\n', Math.max(0, end - 1));
      const at = lineEnd === -1 ? old.length : lineEnd + 1;
      const head = old.slice(0, at);
      text = head + (head.endsWith('\n') ? '' : '\n') + block + old.slice(at);
    } else {
      doc.setIn(['stages', o.name], doc.createNode(def));
      text = doc.toString({ indentSeq: false, lineWidth: 0 });
    }
  }
  writeFileAtomicSync(file, text);
  try {
    const p = loadPipeline(repo);
    if (!p.stages.some((s) => s.name === o.name)) throw new UsageError(`stage '${o.name}' was not written`, { hint: 'check dvc.yaml' });
  } catch (e) {
    if (old === undefined) rmSync(file, { force: true });
    else writeFileAtomicSync(file, old);
    throw e;
  }
  return { file: relative(o.cwd, file) || 'dvc.yaml', text };
}


/** One row of `stage list`. */
export interface StageListRow { stage: string; desc: string; cmd: string | string[]; deps: string[]; outs: string[]; frozen: boolean | undefined }

/** The stages of every dvc.yaml under the repository of `cwd` (`geodvc stage list`). */
export function listStages(cwd: string): StageListRow[] {
  return loadPipeline(openPipelineRepo(cwd)).stages.map((s) => ({
    stage: stageAddress(s), desc: s.desc ?? '', cmd: s.cmd, deps: s.deps.map((d) => d.path), outs: s.outs.map((o) => o.path), frozen: s.frozen,
  }));
}
