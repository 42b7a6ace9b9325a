/**
 * `status`: workspace vs `.dvc` files (and pipeline stages when a dvc.yaml exists).
 * `json` is DVC's `status --json` shape (`{"data/imagery.dvc": [{"changed outs": {"data/imagery": "modified"}}]}`,
 * `{}` when up to date); `outputs` carries the per-file details inside directories.
 * `cloud: true` compares the cache with a remote (wired by the transfer module, `cloudStatus`).
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { withDataRepo, type DataRepo } from './data-repo.js';
import { collectOuts, matchesTargets } from './used.js';
import { compareOut, type DirChanges, type OutState } from '../workspace/compare.js';
import { toPosixRel } from '../workspace/collect.js';
import type { OpContext } from '../../lib/progress.js';
import type { HashName } from '../odb/hash.js';

export interface StatusOptions extends OpContext {
  cwd: string;
  targets?: string[];
  cloud?: boolean;
  remote?: string;
  jobs?: number;
}

export interface OutputStatus {
  dvcfile: string;
  path: string;
  hash: HashName;
  state: OutState;
  /** For directories: files added/deleted/modified (relative to the directory). */
  changes?: DirChanges;
}

export interface StatusResult {
  /** DVC's `status --json` document. */
  json: Record<string, unknown[]>;
  outputs: OutputStatus[];
  clean: boolean;
}

export async function status(opts: StatusOptions): Promise<StatusResult | unknown> {
  if (opts.cloud || opts.remote) return cloudStatusHook(opts);
  return withDataRepo(opts.cwd, false, 'geodvc status', (d) => workspaceStatus(d, opts), opts.signal);
}

async function cloudStatusHook(opts: StatusOptions): Promise<unknown> {
  const mod = await import('./cloud-status.js');
  return mod.cloudStatus(opts);
}

export async function workspaceStatus(d: DataRepo, opts: StatusOptions): Promise<StatusResult> {
  const { repo } = d;
  const targets = opts.targets?.length ? opts.targets.map((t) => join(opts.cwd, t).replace(/\/$/, '')) : undefined;
  const json: Record<string, unknown[]> = {};
  const outputs: OutputStatus[] = [];
  const refs = collectOuts(repo, 'workspace').filter((r) => !r.dvcfile.endsWith('/dvc.lock'));
  for (const ref of refs) {
    if (!matchesTargets(ref.out.absPath, ref.dvcfile, targets)) continue;
    const repoRel = toPosixRel(repo.root, ref.out.absPath);
    const cmp = await compareOut({ odb: d.odb, state: d.state, ignore: d.ignore, repoRel }, ref.out, opts);
    if (!cmp.state) continue;
    const dvcRel = toPosixRel(repo.root, ref.dvcfile);
    const key = relative(opts.cwd, ref.dvcfile) || dvcRel;
    const pathKey = relative(opts.cwd, ref.out.absPath) || repoRel;
    const list = (json[key] ??= []);
    let entry = list.find((x) => (x as Record<string, unknown>)['changed outs']) as Record<string, Record<string, string>> | undefined;
    if (!entry) { entry = { 'changed outs': {} }; list.push(entry); }
    entry['changed outs']![pathKey] = cmp.state;
    outputs.push({ dvcfile: dvcRel, path: repoRel, hash: ref.out.hashName, state: cmp.state, changes: cmp.changes });
  }
  // Imports (`import`/`import-url` .dvc files): update available, checksum (core/imports/status.ts).
  const { addImportStatus } = await import('../imports/status.js');
  addImportStatus(repo, json, opts.cwd, targets, [...new Set(refs.map((r) => r.dvcfile))]);
  // Pipeline stages (dvc.yaml), provided by the pipeline module.
  if (existsSync(join(repo.root, 'dvc.yaml'))) {
    const { pipelineStatus } = await import('./stage-status.js');
    const ps = await pipelineStatus(undefined, opts.targets ?? [], opts.cwd);
    for (const [k, v] of Object.entries(ps)) json[k] = v as unknown[];
  }
  return { json, outputs, clean: Object.keys(json).length === 0 };
}
