/**
 * Pipeline part of `status`: for each stage whose command, deps, params or outs changed, DVC's
 * `status --json` value (`{"chips@256": [{"changed deps": {"params.yaml": {"tile_size": "modified"}}}]}`).
 */
import { readLock } from '../dvcfile/lock.js';
import { stageAddress } from '../dvcfile/dvcyaml.js';
import { loadPipeline, postOrder, resolveTargets, type PipelineRepo } from '../pipeline/graph.js';
import { StatusContext, stageStatus, statusJson, isChanged } from '../pipeline/status.js';
import { lockPathOf, stateFor, openPipelineRepo } from '../pipeline/repro.js';
import { relative } from 'node:path';

export async function pipelineStatus(repo: PipelineRepo | undefined, targets: string[] = [], cwd = process.cwd()): Promise<Record<string, unknown[]>> {
  const r = repo ?? openPipelineRepo(cwd);
  const p = loadPipeline(r);
  // targets that are not stages (e.g. .dvc files given to the combined `status`) are ignored here
  const resolved = targets.flatMap((t) => { try { return resolveTargets(p, [t], cwd); } catch { return []; } });
  if (targets.length && !resolved.length) return {};
  const order = targets.length ? postOrder(p, resolved) : p.stages.map(stageAddress);
  const state = stateFor(r);
  const sc = new StatusContext(r, state, cwd);
  const locks = new Map<string, ReturnType<typeof readLock>>();
  const out: Record<string, unknown[]> = {};
  for (const a of order) {
    const s = p.byAddress.get(a)!;
    const lp = lockPathOf(r, s);
    if (!locks.has(lp)) locks.set(lp, readLock(lp, relative(r.root, lp)));
    const st = await stageStatus(sc, s, locks.get(lp)!.stages.get(s.name));
    if (isChanged(st)) out[a] = statusJson(st);
  }
  state.save();
  return out;
}
