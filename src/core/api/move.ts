/**
 * `move SRC DST`: renames a tracked output in the workspace, its `.dvc` file (to `DST.dvc`, with
 * the path inside updated and the user's other keys kept) and the `.gitignore` entries.
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { resolveInsideSync } from '../../lib/safepath.js';
import { isMap, isSeq } from 'yaml';
import { repoRelPath, withDataRepo } from './data-repo.js';
import { loadWorkspaceDvcFiles, toPosixRel } from '../workspace/collect.js';
import { ignoreOutput, unignoreOutput } from '../scm/gitignore.js';
import { documentToString } from '../dvcfile/yaml.js';
import { writeFileAtomicSync } from '../../lib/atomic.js';
import { PathError } from '../../lib/errors.js';
import type { OpContext } from '../../lib/progress.js';

export interface MoveOptions extends OpContext { cwd: string; src: string; dst: string }
export interface MoveResult { from: string; to: string; dvcfile: string }

export async function move(opts: MoveOptions): Promise<MoveResult> {
  return withDataRepo(opts.cwd, true, 'geodvc move', async (d) => {
    const src = resolve(opts.cwd, opts.src).replace(/\/$/, '');
    let dst = resolve(opts.cwd, opts.dst).replace(/\/$/, '');
    repoRelPath(d.repo, dst);
    const f = loadWorkspaceDvcFiles(d.repo.root, d.ignore).find((x) => x.outs.some((o) => o.absPath === src));
    if (!f) throw new PathError('not-tracked', `'${opts.src}' is not a tracked output`, { hint: 'move untracked files with mv; see tracked data with `geodvc ls`' });
    if (f.outs.length !== 1) throw new PathError('multi-output', `'${toPosixRel(d.repo.root, f.path)}' has several outputs`, { hint: 'move the outputs by editing the .dvc file' });
    if (existsSync(dst) && statSync(dst).isDirectory()) dst = join(dst, basename(src));
    // issue 17: the destination (and its .dvc) must not enter .git/.dvc, lexically or through a symlink
    resolveInsideSync(d.repo.root, toPosixRel(d.repo.root, dst) + '.dvc', { what: 'move destination' });
    resolveInsideSync(d.repo.root, toPosixRel(d.repo.root, src), { what: 'move source', allowFinalSymlink: true });
    if (existsSync(dst)) throw new PathError('exists', `'${toPosixRel(d.repo.root, dst)}' already exists`, { hint: 'choose another destination or remove it first' });
    const newDvc = dst + '.dvc';
    if (existsSync(newDvc)) throw new PathError('exists', `'${toPosixRel(d.repo.root, newDvc)}' already exists`, { hint: 'choose another destination' });
    const doc = f.doc!;
    const outs = doc.get('outs', true);
    if (isSeq(outs) && isMap(outs.items[0])) outs.items[0].set('path', relative(dirname(newDvc), dst).split('\\').join('/'));
    mkdirSync(dirname(dst), { recursive: true });
    if (existsSync(src)) renameSync(src, dst);
    writeFileAtomicSync(newDvc, documentToString(doc), { fsync: false });
    if (newDvc !== f.path) rmSync(f.path, { force: true });
    unignoreOutput(d.repo, src);
    ignoreOutput(d.repo, dst);
    return { from: toPosixRel(d.repo.root, src), to: toPosixRel(d.repo.root, dst), dvcfile: toPosixRel(d.repo.root, newDvc) };
  }, opts.signal);
}
