/**
 * `remove TARGETS [--outs]`: stop tracking: deletes the `.dvc` file and the output's `.gitignore`
 * entry. The data stays in the workspace (and the cache) unless `--outs`.
 */
import { existsSync, rmSync } from 'node:fs';
import { resolveInsideSync } from '../../lib/safepath.js';
import { resolve } from 'node:path';
import { withDataRepo } from './data-repo.js';
import { loadWorkspaceDvcFiles, toPosixRel } from '../workspace/collect.js';
import { unignoreOutput } from '../scm/gitignore.js';
import { PathError, UsageError } from '../../lib/errors.js';
import type { OpContext } from '../../lib/progress.js';

export interface RemoveOptions extends OpContext { cwd: string; targets: string[]; outs?: boolean }
export interface RemoveResult { removed: { dvcfile: string; outputs: string[]; outsDeleted: boolean }[] }

export async function remove(opts: RemoveOptions): Promise<RemoveResult> {
  if (!opts.targets.length) throw new UsageError('remove needs at least one target', { hint: 'geodvc remove FILE.dvc...' });
  return withDataRepo(opts.cwd, true, 'geodvc remove', async (d) => {
    const files = loadWorkspaceDvcFiles(d.repo.root, d.ignore);
    const picked = opts.targets.map((t) => {
      const abs = resolve(opts.cwd, t).replace(/\/$/, '');
      const f = files.find((x) => x.path === abs || x.path === abs + '.dvc' || x.outs.some((o) => o.absPath === abs));
      if (!f) {
        if (/dvc\.yaml$|:/.test(t)) throw new UsageError(`'${t}' is a pipeline stage`, { hint: 'remove stages with `geodvc stage remove` or edit dvc.yaml' });
        throw new PathError('not-tracked', `'${t}' is not a .dvc file or a tracked output`, { hint: 'use `geodvc ls` to see tracked data' });
      }
      return f;
    });
    const removed: RemoveResult['removed'] = [];
    for (const f of new Set(picked)) {
      for (const o of f.outs) {
        if (o.cache) unignoreOutput(d.repo, o.absPath);
        // issue 17: never delete through a symlink leaving the repo or entering .git/.dvc (the output itself may be a link: rm removes the link)
        if (opts.outs && existsSync(o.absPath)) rmSync(resolveInsideSync(d.repo.root, toPosixRel(d.repo.root, o.absPath), { what: 'output to delete', allowFinalSymlink: true }), { recursive: true, force: true });
      }
      rmSync(f.path, { force: true });
      removed.push({ dvcfile: toPosixRel(d.repo.root, f.path), outputs: f.outs.map((o) => toPosixRel(d.repo.root, o.absPath)), outsDeleted: !!opts.outs });
    }
    return { removed };
  }, opts.signal);
}
