/**
 * `destroy`: removes every trace of geodvc/DVC from a repository, as `dvc destroy` does. Each
 * tracked output (of `.dvc` files and of `dvc.yaml` stages) is first unprotected (a link into the
 * cache becomes a private copy), then `dvc.yaml`, `dvc.lock`, the `.dvc` files, `.dvcignore` and
 * the `.dvc/` directory (cache included, unless the cache lives elsewhere) are deleted. `.gitignore`
 * entries are left as they are (DVC leaves them too).
 */
import { existsSync, lstatSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { openRepo } from '../repo/repo.js';
import { findDvcFiles } from '../pipeline/graph.js';
import { loadDvcYaml } from '../dvcfile/dvcyaml.js';
import { loadDvcFile } from '../dvcfile/dvcfile.js';
import { unprotectFile } from '../odb/odb.js';
import { withRepoLock } from '../repo/lock.js';
import type { OpContext } from '../../lib/progress.js';

export interface DestroyOptions extends OpContext { cwd: string }
export interface DestroyResult {
  root: string;
  /** Outputs turned into plain files (repo-relative). */
  unprotected: string[];
  /** Removed pipeline and `.dvc` files, `.dvcignore` and `.dvc` (repo-relative). */
  removed: string[];
}

function unprotectTree(abs: string, done: string[], root: string): void {
  let l;
  try { l = lstatSync(abs); } catch { return; }
  if (l.isDirectory()) {
    for (const e of readdirSync(abs)) unprotectTree(join(abs, e), done, root);
    return;
  }
  if (l.isSymbolicLink()) {
    let target;
    try { target = statSync(abs); } catch { return; }
    if (target.isDirectory()) return;
  }
  unprotectFile(abs);
  done.push(relative(root, abs));
}

export async function destroy(opts: DestroyOptions): Promise<DestroyResult> {
  const repo = await openRepo(opts.cwd);
  const root = repo.root;
  const unprotected: string[] = [];
  const removed: string[] = [];
  await withRepoLock(repo, { write: true, signal: opts.signal }, async () => {
    const { yamls, dotDvc } = findDvcFiles(root);
    const outs: string[] = [];
    for (const y of yamls) {
      for (const s of loadDvcYaml(y, root).stages) for (const o of s.outs) if (o.cache) outs.push(resolve(s.wdir, o.path));
    }
    for (const f of dotDvc) {
      for (const o of loadDvcFile(f).outs) outs.push(resolve(f, '..', o.path));
    }
    for (const o of outs) { opts.signal?.throwIfAborted(); unprotectTree(o, unprotected, root); }
    const files = [...yamls, ...yamls.map((y) => join(y, '..', 'dvc.lock')).filter((p) => existsSync(p)), ...dotDvc];
    for (const f of files) { rmSync(f, { force: true }); removed.push(relative(root, f)); }
  });
  for (const p of ['.dvcignore', '.dvc']) {
    const abs = join(root, p);
    if (!existsSync(abs)) continue;
    rmSync(abs, { recursive: true, force: true });
    removed.push(p);
  }
  return { root, unprotected, removed };
}
