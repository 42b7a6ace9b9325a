/**
 * `unprotect TARGETS`: makes linked (hardlink/symlink) workspace files private, writable copies so
 * they can be edited without touching the cache; copies are just made writable.
 */
import { lstatSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { withDataRepo } from './data-repo.js';
import { walkDir } from '../workspace/walk.js';
import { unprotectFile } from '../odb/odb.js';
import { toPosixRel } from '../workspace/collect.js';
import { PathError, UsageError } from '../../lib/errors.js';
import type { OpContext } from '../../lib/progress.js';

export interface UnprotectOptions extends OpContext { cwd: string; targets: string[] }

export async function unprotect(opts: UnprotectOptions): Promise<{ unprotected: string[] }> {
  if (!opts.targets.length) throw new UsageError('unprotect needs at least one target', { hint: 'geodvc unprotect PATH...' });
  return withDataRepo(opts.cwd, true, 'geodvc unprotect', async (d) => {
    const done: string[] = [];
    for (const t of opts.targets) {
      const abs = resolve(opts.cwd, t).replace(/\/$/, '');
      try { lstatSync(abs); } catch { throw new PathError('not-found', `'${t}' does not exist`, { hint: 'check out the data first (`geodvc checkout`)' }); }
      const files = statSync(abs).isDirectory() ? walkDir(abs, { repoRel: toPosixRel(d.repo.root, abs) }).map((f) => f.abs) : [abs];
      for (const f of files) { unprotectFile(f); done.push(toPosixRel(d.repo.root, f)); }
    }
    return { unprotected: done };
  }, opts.signal);
}
