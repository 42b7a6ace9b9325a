/**
 * DVC's `.gitignore` upkeep: each cached output gets `/<basename>` appended to the `.gitignore` in
 * its parent directory (scmrepo `Git.ignore`), unless git already ignores it; `unignoreOutput`
 * removes that line again (and the file when it becomes empty).
 */
import { existsSync, readFileSync, writeFileSync, unlinkSync, appendFileSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { PathError } from '../../lib/errors.js';
import { Git } from './git.js';

export interface ScmRepoLike { root: string; noScm?: boolean; }

/** Escapes gitwildmatch meta characters the way pathspec's `GitWildMatchPattern.escape` does. */
export function escapeGitignoreEntry(entry: string): string {
  return entry.replace(/[[\]!*#?]/g, (c) => `\\${c}`);
}

function resolveScm(repo: ScmRepoLike | string): { root: string; git: Git | null } {
  const root = typeof repo === 'string' ? repo : repo.root;
  if (typeof repo !== 'string' && repo.noScm) return { root, git: null };
  return { root, git: Git.open(root) };
}

function entryFor(root: string, absOutPath: string): { entry: string; gitignore: string } {
  const out = resolve(absOutPath);
  const parent = dirname(out);
  const gitignore = join(parent, '.gitignore');
  if (!(parent === root || parent.startsWith(root.endsWith(sep) ? root : root + sep))) {
    throw new PathError('path-outside-repo', `'${out}' is outside of the repository '${root}'`, { hint: 'outputs must be inside the repository' });
  }
  return { entry: '/' + basename(out), gitignore };
}

/**
 * Appends `/<basename>` to `<parent>/.gitignore` unless git already ignores the output (`known`,
 * when the caller asked git for many outputs at once). Returns the
 * `.gitignore` path that was changed, or undefined (no-op: no git, noScm, or already ignored).
 */
export function ignoreOutput(repo: ScmRepoLike | string, absOutPath: string, known?: { ignored: boolean }): string | undefined {
  const { root, git } = resolveScm(repo);
  if (!git) return undefined;
  const { entry, gitignore } = entryFor(resolve(root), absOutPath);
  // `known`: what one `git check-ignore --stdin` for all outputs of a command answered (an output
  // ignored then stays ignored: this only appends entries)
  if (known ? known.ignored : git.isIgnored(git.rel(absOutPath))) return undefined;
  const line = escapeGitignoreEntry(entry);
  let prefix = '';
  if (existsSync(gitignore)) {
    const text = readFileSync(gitignore, 'utf8');
    const lines = new Set(text.split('\n'));
    if (lines.has(line)) return undefined;
    if (text.length > 0 && !text.endsWith('\n')) prefix = '\n';
  }
  appendFileSync(gitignore, `${prefix}${line}\n`, 'utf8');
  return gitignore;
}

/**
 * Removes the output's line from `<parent>/.gitignore` (deleting the file when nothing is left).
 * Returns the `.gitignore` path when it changed.
 */
export function unignoreOutput(repo: ScmRepoLike | string, absOutPath: string): string | undefined {
  const { root, git } = resolveScm(repo);
  if (!git) return undefined;
  const { entry, gitignore } = entryFor(resolve(root), absOutPath);
  if (!existsSync(gitignore)) return undefined;
  const escaped = escapeGitignoreEntry(entry);
  const lines = readFileSync(gitignore, 'utf8').split(/(?<=\n)/);
  const kept = lines.filter((l) => l.trim() !== entry.trim() && l.trim() !== escaped.trim());
  if (kept.length === lines.length) return undefined;
  if (kept.length === 0) unlinkSync(gitignore);
  else writeFileSync(gitignore, kept.join(''), 'utf8');
  return gitignore;
}
