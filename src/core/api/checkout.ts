/**
 * `checkout [TARGETS] [--force] [--relink]`: makes the workspace match the `.dvc` files (and
 * dvc.lock outputs): whole repo, one output, or a single file/subdirectory inside a tracked
 * directory. Refuses to overwrite or delete workspace data that is not in the cache unless
 * `--force`; objects missing from the cache are reported (exit 1) and left alone.
 */
import { resolve, relative } from 'node:path';
import { withDataRepo, type DataRepo } from './data-repo.js';
import { collectOuts } from './used.js';
import { applyPlan, guardPlans, planOutput, type ApplyResult, type OutPlan } from '../workspace/checkout.js';
import { toPosixRel } from '../workspace/collect.js';
import { ignoreOutput } from '../scm/gitignore.js';
import { AppError, isWriteFailureCode, PathError, writeFailureError } from '../../lib/errors.js';
import { insideResolver } from '../../lib/safepath.js';
import type { OpContext } from '../../lib/progress.js';

export interface CheckoutOptions extends OpContext {
  cwd: string;
  targets?: string[];
  force?: boolean;
  relink?: boolean;
  /** Read `.dvc` files from this already-open DataRepo (used by pull). */
  dataRepo?: DataRepo;
}

export interface CheckoutResult {
  added: string[];
  modified: string[];
  deleted: string[];
  /** Paths whose objects are missing from the cache. */
  failed: string[];
  unchanged: number;
  linkTypes: string[];
}

export async function checkout(opts: CheckoutOptions): Promise<CheckoutResult> {
  if (opts.dataRepo) return checkoutLocked(opts.dataRepo, opts);
  return withDataRepo(opts.cwd, true, 'geodvc checkout', (d) => checkoutLocked(d, opts), opts.signal);
}

function isIn(parent: string, child: string): boolean {
  const r = relative(parent, child);
  return r === '' || (!r.startsWith('..') && !r.startsWith('/'));
}

export async function checkoutLocked(d: DataRepo, opts: CheckoutOptions): Promise<CheckoutResult> {
  const { repo } = d;
  const targets = opts.targets?.length ? opts.targets.map((t) => resolve(opts.cwd, t).replace(/\/$/, '')) : undefined;
  const refs = collectOuts(repo, 'workspace').filter((r) => r.out.cache && r.out.oid);
  const plans: OutPlan[] = [];
  const inside = insideResolver(repo.root);
  const matchedTargets = new Set<string>();
  for (const ref of refs) {
    let only: string[] | undefined;
    if (targets) {
      const sel: string[] = [];
      let whole = false;
      for (const t of targets) {
        if (t === ref.dvcfile || isIn(t, ref.out.absPath)) { whole = true; matchedTargets.add(t); }
        else if (isIn(ref.out.absPath, t)) { sel.push(t); matchedTargets.add(t); }
      }
      if (!whole && !sel.length) continue;
      if (!whole) only = sel;
    }
    const env = { odb: d.odb, state: d.state, ignore: d.ignore, repoRel: toPosixRel(repo.root, ref.out.absPath) };
    // issue 17: before planning (which walks the output and clears stale temp files in it), the
    // output must not lead out of the repo or into .git/.dvc; a directory output is a parent of
    // what will be written, so a symlink there is followed and checked too
    if (ref.out.oid!.endsWith('.dir')) inside(`${env.repoRel ? `${env.repoRel}/` : ''}.geodvc-probe`, { what: 'checkout output' });
    else if (env.repoRel) inside(env.repoRel, { what: 'checkout output', allowFinalSymlink: true });
    plans.push(await planOutput(env, ref.out, { relink: opts.relink, force: opts.force, only }, opts));
  }
  if (targets) {
    const unknown = targets.filter((t) => !matchedTargets.has(t));
    if (unknown.length) throw new PathError('not-tracked', `${unknown.map((t) => `'${toPosixRel(repo.root, t)}'`).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not tracked`, { hint: 'use `geodvc ls` to see tracked data, or `geodvc add` to track it' });
  }
  // hardening (issues 10, 17): never write or delete through a path or symlink that leaves the repo
  // or enters .git/.dvc; checked for every plan before anything is written, --force or not
  guardPlans(repo.root, plans);
  const unsaved = plans.flatMap((p) => p.unsaved);
  if (unsaved.length && !opts.force) {
    const list = unsaved.slice(0, 20).map((p) => toPosixRel(repo.root, p));
    throw new AppError('unsaved-changes', `Can't remove the following unsaved files without confirmation:\n${list.map((p) => `  ${p}`).join('\n')}${unsaved.length > 20 ? `\n  … and ${unsaved.length - 20} more` : ''}`, 1, {
      hint: 'save them first (`geodvc commit` or `geodvc add`), or discard them with `geodvc checkout --force`',
      details: { unsaved: unsaved.map((p) => toPosixRel(repo.root, p)) },
    });
  }
  const result: CheckoutResult = { added: [], modified: [], deleted: [], failed: [], unchanged: 0, linkTypes: [] };
  for (let pi = 0; pi < plans.length; pi++) {
    const plan = plans[pi]!;
    const env = { odb: d.odb, state: d.state, ignore: d.ignore, repoRel: toPosixRel(repo.root, plan.out.absPath), root: repo.root };
    let r: ApplyResult;
    try {
      r = await applyPlan(env, plan, d.linkTypes, opts);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException)?.code;
      if (!isWriteFailureCode(code)) throw err;
      const path = (err as NodeJS.ErrnoException).path ?? plan.out.absPath;
      throw writeFailureError(err, { path: toPosixRel(repo.root, path), action: 'checkout', written: [...result.added, ...result.modified], notWritten: plans.slice(pi).flatMap((p) => p.link.map((l) => toPosixRel(repo.root, l.dest))), cachedData: true });
    }
    // out of space, read-only or not permitted: say so (the objects ARE in the cache), stop here
    const io = r.failures.find((f) => isWriteFailureCode(f.code));
    if (io) {
      const failed = new Set(r.failures.map((f) => f.path));
      const written = [...result.added, ...result.modified, ...plan.link.filter((l) => !failed.has(l.dest)).map((l) => toPosixRel(repo.root, l.dest))];
      const notWritten = [...plan.link.filter((l) => failed.has(l.dest)).map((l) => toPosixRel(repo.root, l.dest)), ...plans.slice(pi + 1).flatMap((p) => p.link.map((l) => toPosixRel(repo.root, l.dest)))];
      throw writeFailureError(Object.assign(new Error(io.message), { code: io.code, path: io.path }), { path: toPosixRel(repo.root, io.path), action: 'checkout', written, notWritten, cachedData: true });
    }
    result.unchanged += plan.unchanged;
    if (r.linkType && !result.linkTypes.includes(r.linkType)) result.linkTypes.push(r.linkType);
    const failed = new Set(r.failures.map((f) => f.path));
    for (const l of plan.link) {
      if (failed.has(l.dest)) continue;
      (l.exists ? result.modified : result.added).push(toPosixRel(repo.root, l.dest));
    }
    for (const p of plan.remove) if (!failed.has(p)) result.deleted.push(toPosixRel(repo.root, p));
    result.failed.push(...plan.missing.map((p) => toPosixRel(repo.root, p)), ...r.failures.map((f) => toPosixRel(repo.root, f.path)));
    if (plan.link.length || plan.unchanged) ignoreOutput(repo, plan.out.absPath);
  }
  return result;
}
