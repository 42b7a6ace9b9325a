/**
 * DVC's "To track the changes with git, run: git add …" after commands that write files git
 * should track (dvc.lock, .gitignore). `snapshotTracked` records the candidates before the
 * command, `changedSince` lists the ones it created or changed; `gitHint` prints them
 * relative to the user's directory (the line is meant to be pasted), or stages them itself
 * when `core.autostage` is on, as DVC does.
 */
import { gitTry } from '../../core/api/repo.js';
import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export type Snapshot = { root: string; files: Map<string, string> };

function listCandidates(root: string): string[] | undefined {
  const r = gitTry(root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', ':(glob)**/dvc.lock', ':(glob)**/.gitignore']);
  return r.ok ? [...new Set(r.stdout.split('\0').filter(Boolean))] : undefined;
}

function read(p: string): string | undefined {
  try { return readFileSync(p, 'utf8'); } catch { return undefined; }
}

/** The dvc.lock and .gitignore files under the repository root and their content (undefined outside git). */
export function snapshotTracked(root: string): Snapshot | undefined {
  const list = listCandidates(root);
  if (!list) return undefined;
  const files = new Map<string, string>();
  for (const f of list) { const c = read(join(root, f)); if (c !== undefined) files.set(f, c); }
  return { root, files };
}

/** Files (repository-relative, `/`-separated) created or changed since the snapshot. */
export function changedSince(s: Snapshot): string[] {
  const now = listCandidates(s.root) ?? [];
  return now.filter((f) => { const c = read(join(s.root, f)); return c !== undefined && c !== s.files.get(f); }).sort();
}

/**
 * DVC's closing lines for `files` (repository-relative): the `git add` line with paths relative
 * to `cwd`, or, with core.autostage, nothing printed and the files staged. Returns the text.
 */
export function gitHint(root: string, cwd: string, files: string[], autostage: boolean): string {
  if (!files.length) return '';
  const rel = files.map((f) => relative(cwd, join(root, f)).split(sep).join('/') || '.');
  if (autostage) {
    if (gitTry(root, ['add', '--', ...files]).ok) return ''; // else the hint
  }
  return `\nTo track the changes with git, run:\n\n\tgit add ${rel.join(' ')}\n\nTo enable auto staging, run:\n\n\tgeodvc config core.autostage true\n`;
}

/** core.autostage as DVC reads it (true/yes/1/on). */
export function isTrue(v: string | undefined): boolean {
  return v !== undefined && /^(true|yes|1|on)$/i.test(v.trim());
}

/** The repository facts the hint needs: root, core.autostage, no_scm (undefined outside a repo). */
export async function hintSettings(cwd: string): Promise<{ root: string; autostage: boolean; noScm: boolean } | undefined> {
  const { findRepoRoot, openRepoSync } = await import('../../core/api/repo.js');
  const { getConfig } = await import('../../core/api/repo.js');
  const root = findRepoRoot(cwd);
  if (!root) return undefined;
  try {
    const repo = openRepoSync(root);
    return { root, autostage: isTrue(getConfig(repo, 'core.autostage')), noScm: !!repo.noScm };
  } catch { return { root, autostage: false, noScm: false }; }
}
