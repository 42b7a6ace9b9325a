/**
 * `commit [TARGETS] [-f]`: records the current workspace state of tracked outputs in their `.dvc`
 * files and stores the data in the cache (what `add` does for outputs already tracked).
 * Outputs of pipeline stages (dvc.lock) are committed by the pipeline module.
 */
import { resolve } from 'node:path';
import { withDataRepo } from './data-repo.js';
import { saveOutput, storeModeFor, type AddedOutput } from './add.js';
import { loadWorkspaceDvcFiles, toPosixRel } from '../workspace/collect.js';
import { matchesTargets } from './used.js';
import { PathError } from '../../lib/errors.js';
import type { OpContext } from '../../lib/progress.js';

export interface CommitOptions extends OpContext {
  cwd: string;
  targets?: string[];
  force?: boolean;
}

export interface CommitResult { outputs: AddedOutput[] }

export async function commit(opts: CommitOptions): Promise<CommitResult> {
  return withDataRepo(opts.cwd, true, 'geodvc commit', async (d) => {
    const targets = opts.targets?.length ? opts.targets.map((t) => resolve(opts.cwd, t).replace(/\/$/, '')) : undefined;
    const files = loadWorkspaceDvcFiles(d.repo.root, d.ignore);
    const outputs: AddedOutput[] = [];
    const mode = storeModeFor(d);
    let matched = 0;
    for (const f of files) {
      for (const out of f.outs) {
        if (!matchesTargets(out.absPath, f.path, targets)) continue;
        matched++;
        outputs.push(await saveOutput(d, out.absPath, f.path, out.cache ? mode : 'none', opts, false));
      }
    }
    if (targets && matched === 0) {
      throw new PathError('not-tracked', `nothing tracked matches ${targets.map((t) => `'${toPosixRel(d.repo.root, t)}'`).join(', ')}`, { hint: 'use `geodvc add` to start tracking data, or `geodvc ls` to see what is tracked' });
    }
    return { outputs };
  }, opts.signal);
}
