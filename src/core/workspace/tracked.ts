/**
 * What is tracked, in the workspace or at a git revision: the outputs of every `.dvc` file and of
 * every `dvc.lock` (the root's and those of stage subdirectories, as DVC collects every dvc.yaml),
 * each with its repository-relative path and the file that tracks it. The one answer to "what is
 * tracked at R" for used objects (push, pull, fetch, gc, fsck), status, checkout, diff, geo diff,
 * geo info --rev and the remote readers (open, readWindow, bbox). Directory outputs stay `.dir`
 * oids: callers expand a manifest only when they need its files.
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
}

/** The outputs tracked in the workspace (`rev` omitted or 'workspace') or at git revision `rev`. */
export function trackedOuts(repo: { root: string }, rev = 'workspace', git?: Git | null): TrackedOut[] {
  const root = repo.root;
  let files: DvcFile[];
  let locks: { base: string; read: (name: string) => string | undefined }[];
  if (rev === 'workspace') {
    const found = findTrackingFiles(root, loadDvcIgnore(root));
    files = found.dvcFiles.map((p) => loadDvcFile(p));
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
    files = parseRevDvcFiles(root, dvcPaths.map((p, i) => ({ relpath: rel(p), text: (texts[i] ?? Buffer.alloc(0)).toString('utf8') })));
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
  for (const f of files) {
    const trackedBy = toPosixRel(root, f.path);
    for (const out of f.outs) outs.push({ rel: toPosixRel(root, out.absPath), out, trackedBy });
  }
  for (const l of locks) {
    const trackedBy = l.base ? `${l.base}/dvc.lock` : 'dvc.lock';
    for (const out of loadLockOuts(join(root, l.base), l.read)) {
      outs.push({ rel: posix.normalize(l.base ? `${l.base}/${out.path}` : out.path).replace(/\/$/, ''), out, trackedBy });
    }
  }
  return outs;
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

function hasOid(t: TrackedOut): t is TrackedOut & { out: { oid: string } } {
  return Boolean(t.out.oid);
}

function readText(p: string): string | undefined {
  try { return readFileSync(p, 'utf8'); } catch { return undefined; }
}
