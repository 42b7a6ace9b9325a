/**
 * `freeze` / `unfreeze TARGETS`: sets or clears `frozen: true` on pipeline stages (in `dvc.yaml`)
 * and on `.dvc` files, as DVC does. A frozen stage is not reproduced and `status` does not check
 * its dependencies (see pipeline/status.ts and pipeline/repro.ts). Edits keep the rest of the
 * file (comments, order, formatting): `frozen: true` is appended to the stage's mapping (after
 * `md5:` in a `.dvc` file) and removed again by unfreeze.
 */
import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { isMap, Pair, Scalar, type YAMLMap } from 'yaml';
import { openPipelineRepo } from '../pipeline/repro.js';
import { loadPipeline, resolveTargets } from '../pipeline/graph.js';
import { parseYamlDocument, documentToString } from '../dvcfile/yaml.js';
import { writeFileAtomicSync } from '../../lib/atomic.js';
import { PathError, UsageError } from '../../lib/errors.js';
import { withRepoLock } from '../repo/lock.js';
import type { OpContext } from '../../lib/progress.js';

export interface FreezeOptions extends OpContext { cwd: string; targets: string[]; frozen: boolean }
export interface FreezeResult {
  /** Stage addresses (`dvc.yaml` stages) and `.dvc` files whose flag changed or was confirmed. */
  stages: string[];
  /** Files rewritten (repo-relative). */
  files: string[];
}

function setFrozen(map: YAMLMap, frozen: boolean, afterKey?: string): boolean {
  const had = map.get('frozen') === true;
  if (frozen === had) return false;
  if (!frozen) { map.delete('frozen'); return true; }
  if (map.has('frozen')) { map.set('frozen', true); return true; }
  const pair = new Pair(new Scalar('frozen'), new Scalar(true));
  const at = afterKey ? map.items.findIndex((p) => (p.key as Scalar | undefined)?.value === afterKey) : -1;
  if (at >= 0) map.items.splice(at + 1, 0, pair); else if (afterKey) map.items.unshift(pair); else map.items.push(pair);
  return true;
}

export async function freeze(opts: FreezeOptions): Promise<FreezeResult> {
  if (!opts.targets.length) throw new UsageError(`${opts.frozen ? 'freeze' : 'unfreeze'} needs at least one stage or .dvc file`, { hint: `geodvc ${opts.frozen ? 'freeze' : 'unfreeze'} STAGE...` });
  const repo = openPipelineRepo(opts.cwd);
  return withRepoLock(repo, { write: true, signal: opts.signal, cmd: `geodvc ${opts.frozen ? 'freeze' : 'unfreeze'}` }, () => {
    const res: FreezeResult = { stages: [], files: [] };
    const edits = new Map<string, { doc: ReturnType<typeof parseYamlDocument>; changed: boolean }>();
    const docOf = (abs: string) => {
      let e = edits.get(abs);
      if (!e) { e = { doc: parseYamlDocument(readFileSync(abs, 'utf8'), relative(repo.root, abs)), changed: false }; edits.set(abs, e); }
      return e;
    };
    const stageTargets: string[] = [];
    for (const t of opts.targets) {
      const abs = resolve(opts.cwd, t);
      if (t.endsWith('.dvc') && existsSync(abs)) {
        const e = docOf(abs);
        if (!isMap(e.doc.contents)) throw new PathError('invalid-dvcfile', `'${t}' is not a .dvc file`, { hint: 'check its contents' });
        if (setFrozen(e.doc.contents, opts.frozen, 'md5')) e.changed = true;
        res.stages.push(relative(repo.root, abs).split(sep).join('/'));
      } else stageTargets.push(t);
    }
    if (stageTargets.length) {
      const p = loadPipeline(repo);
      for (const addr of resolveTargets(p, stageTargets, opts.cwd)) {
        const s = p.byAddress.get(addr)!;
        const e = docOf(resolve(repo.root, s.dvcfile));
        const node = e.doc.getIn(['stages', s.name], true);
        if (!isMap(node)) {
          throw new UsageError(`stage '${addr}' is generated (foreach/matrix) and cannot be frozen on its own`, { hint: `add \`frozen: true\` to its \`do:\` block in ${s.dvcfile}` });
        }
        if (setFrozen(node, opts.frozen)) e.changed = true;
        res.stages.push(addr);
      }
    }
    for (const [abs, e] of edits) {
      if (!e.changed) continue;
      writeFileAtomicSync(abs, documentToString(e.doc));
      res.files.push(relative(repo.root, abs).split(sep).join('/'));
    }
    return res;
  });
}
