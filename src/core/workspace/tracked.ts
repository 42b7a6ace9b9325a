/**
 * What is tracked, in the workspace or at a git revision: the outputs of every `.dvc` file and of
 * every `dvc.lock` (the root's and those of stage subdirectories, as DVC collects every dvc.yaml),
 * each with its repository-relative path and the file that tracks it. The one answer to "what is
 * tracked at R" for used objects (push, pull, fetch, gc, fsck), status, checkout, diff, history,
 * geo diff, geo info --rev, pull --bbox, the remote readers (open, readWindow, chip --rev) and the
 * sources of import/get/ls URL.
 * Directory outputs stay `.dir` oids: callers expand a manifest only when they need its files.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { AppError } from '../../lib/errors.js';
import type { DvcFile, DvcOut } from '../dvcfile/dvcfile.js';
import { loadDvcIgnore } from '../repo/dvcignore.js';
import { Git } from '../scm/git.js';
import { findTrackingFiles, parseRevDvcFiles, toPosixRel } from './collect.js';
import { loadDvcFile } from '../dvcfile/dvcfile.js';
import { loadLockOuts } from './lockouts.js';

export interface TrackedOut {
  /** The output's path, repository-relative posix (`data/chips`, `sub/out.txt`). */
  rel: string;
  out: DvcOut;
  /** The file that records it, repository-relative posix (`data/chips.dvc`, `sub/dvc.lock`). */
  trackedBy: string;
  /** The `dvc.lock` stage that produces it (absent for `.dvc` files). */
  stage?: string;
}

export interface TrackedOutsOptions {
  /**
   * Skip `.dvc` files and `dvc.lock` files that do not parse instead of failing (readers of old
   * revisions such as geo diff and history, where one broken file must not hide the rest).
   */
  skipInvalid?: boolean;
  /** With `skipInvalid`: told the repository-relative path of each tracking file skipped. */
  onSkip?: (trackedBy: string) => void;
}

/** The outputs tracked in the workspace (`rev` omitted or 'workspace') or at git revision `rev`. */
export function trackedOuts(repo: { root: string }, rev = 'workspace', git?: Git | null, opts: TrackedOutsOptions = {}): TrackedOut[] {
  const root = repo.root;
  let files: DvcFile[];
  let locks: { base: string; read: (name: string) => string | undefined }[];
  if (rev === 'workspace') {
    const found = findTrackingFiles(root, loadDvcIgnore(root));
    files = found.dvcFiles.flatMap((p) => parseOrSkip(() => [loadDvcFile(p)], opts, toPosixRel(root, p)));
    locks = found.lockFiles.map((abs) => {
      const dir = dirname(abs);
      return { base: toPosixRel(root, dir), read: (name) => readText(join(dir, name)) };
    });
  } else {
    const g = git ?? Git.open(root);
    if (!g) throw new AppError('no-scm', `cannot read revision '${rev}': the repository is not in git`, 1, { hint: 'revisions need a git repository; use the workspace instead' });
    if (!g.revParse(rev)) throw new AppError('unknown-rev', `unknown revision '${rev}'`, 1, { hint: 'check `git log` for a valid commit, branch or tag' });
    const prefix = toPosixRel(g.root, root);
    const all = g.listFiles(rev).filter((p) => !prefix || p.startsWith(prefix + '/'));
    const rel = (p: string) => (prefix ? p.slice(prefix.length + 1) : p);
    const dvcPaths = all.filter((p) => p.endsWith('.dvc') && !rel(p).startsWith('.dvc/'));
    const texts = g.showFiles(dvcPaths.map((p) => `${rev}:${p}`));
    files = dvcPaths.flatMap((p, i) => parseOrSkip(() => parseRevDvcFiles(root, [{ relpath: rel(p), text: (texts[i] ?? Buffer.alloc(0)).toString('utf8') }]), opts, rel(p)));
    locks = all
      .filter((p) => p === 'dvc.lock' || p.endsWith('/dvc.lock'))
      .filter((p) => !rel(p).startsWith('.dvc/'))
      .map((p) => {
        const gitDir = p === 'dvc.lock' ? '' : p.slice(0, -'/dvc.lock'.length);
        const base = rel(p) === 'dvc.lock' ? '' : rel(p).slice(0, -'/dvc.lock'.length);
        return { base, read: (name) => g.showFile(rev, gitDir ? `${gitDir}/${name}` : name)?.toString('utf8') };
      });
  }
  const outs: TrackedOut[] = [];
  for (const f of files) outs.push(...dvcFileOuts(root, f));
  for (const l of locks) outs.push(...parseOrSkip(() => lockFileOuts(root, l.base, l.read), opts, l.base ? `${l.base}/dvc.lock` : 'dvc.lock'));
  return outs;
}

function dvcFileOuts(root: string, f: DvcFile): TrackedOut[] {
  const trackedBy = toPosixRel(root, f.path);
  return f.outs.map((out) => ({ rel: toPosixRel(root, out.absPath), out, trackedBy }));
}

function lockFileOuts(root: string, base: string, read: (name: string) => string | undefined): TrackedOut[] {
  const trackedBy = base ? `${base}/dvc.lock` : 'dvc.lock';
  return loadLockOuts(join(root, base), read).map((out) => ({ rel: posix.normalize(base ? `${base}/${out.path}` : out.path).replace(/\/$/, ''), out, trackedBy, stage: out.stage }));
}

/**
 * The outputs recorded in one version of one tracking file (`trackedBy`: `x.dvc`, `dvc.lock` or
 * `sub/dvc.lock`, repository-relative), given its text: what the index lists for that file. For
 * walking one file through its commits (history) without listing every revision's tree. Throws
 * on a file that does not parse.
 */
export function outsOfTrackingFile(root: string, trackedBy: string, text: string): TrackedOut[] {
  if (trackedBy === 'dvc.lock' || trackedBy.endsWith('/dvc.lock')) {
    const base = trackedBy === 'dvc.lock' ? '' : trackedBy.slice(0, -'/dvc.lock'.length);
    return lockFileOuts(root, base, (name) => (name === 'dvc.lock' ? text : undefined));
  }
  return parseRevDvcFiles(root, [{ relpath: trackedBy, text }]).flatMap((f) => dvcFileOuts(root, f));
}

/**
 * The tracked output that is `rel` or contains it (the deepest one recorded with its hash), with
 * the path inside it ('' when `rel` is the output itself).
 */
export function findTracked(outs: readonly TrackedOut[], rel: string): { tracked: TrackedOut & { out: { oid: string } }; inner: string } | undefined {
  let best: { tracked: TrackedOut & { out: { oid: string } }; inner: string } | undefined;
  for (const t of outs) {
    if (!hasOid(t)) continue;
    if (t.rel === rel) return { tracked: t, inner: '' };
    if (rel.startsWith(`${t.rel}/`) && (!best || t.rel.length > best.tracked.rel.length)) best = { tracked: t, inner: rel.slice(t.rel.length + 1) };
  }
  return best;
}

function parseOrSkip<T>(parse: () => T[], opts: TrackedOutsOptions, file: string): T[] {
  if (!opts.skipInvalid) return parse();
  try { return parse(); } catch { opts.onSkip?.(file); return []; }
}

function hasOid(t: TrackedOut): t is TrackedOut & { out: { oid: string } } {
  return Boolean(t.out.oid);
}

function readText(p: string): string | undefined {
  try { return readFileSync(p, 'utf8'); } catch { return undefined; }
}
