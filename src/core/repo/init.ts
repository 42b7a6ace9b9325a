/**
 * `init`: creates `.dvc/config` (empty), `.dvc/.gitignore`, `.dvcignore` exactly as DVC 3.x does,
 * and `git add`s them. `--no-scm` records `core.no_scm = True`; `--subdir` allows a repository in a
 * subdirectory of a git work tree; `--force` re-creates an existing `.dvc/`.
 */
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { AppError } from '../../lib/errors.js';
import { Git } from '../scm/git.js';
import { ignoreOutput } from '../scm/gitignore.js';
import { writeConfigLevel } from './config.js';

export const DVCIGNORE_HEADER = '# Add patterns of files dvc should ignore, which could improve\n# the performance. Learn more at\n# https://dvc.org/doc/user-guide/dvcignore\n';

export interface InitOptions { noScm?: boolean; force?: boolean; subdir?: boolean; }
export interface InitResult { root: string; noScm: boolean; files: string[]; gitAdded: boolean; }

export class InitError extends AppError {
  constructor(message: string, hint: string) { super('init', message, 1, { hint }); }
}

export function initRepo(dir: string, opts: InitOptions = {}): InitResult {
  const root = resolve(dir);
  const dvcDir = join(root, '.dvc');
  let git: Git | null = null;
  if (!opts.noScm) {
    git = Git.open(root);
    if (!git || (!opts.subdir && resolve(git.root) !== root)) {
      throw new InitError(
        `'${root}' is not tracked by any supported SCM tool (e.g. Git)`,
        git ? 'use `--subdir` to initialize inside a subdirectory of a git repository' : 'run `git init` first, or use `--no-scm` if you do not want to use git',
      );
    }
  }
  let exists = false;
  try { exists = statSync(dvcDir).isDirectory(); } catch { /* none */ }
  if (exists) {
    if (!opts.force) throw new InitError(`'${relative(process.cwd(), dvcDir) || '.dvc'}' exists`, 'use `-f/--force` to re-initialize it (the cache and config in .dvc/ are deleted)');
    rmSync(dvcDir, { recursive: true, force: true });
  } else if (existsSync(dvcDir)) {
    throw new InitError(`'${dvcDir}' exists and is not a directory`, 'move it away and run init again');
  }
  mkdirSync(dvcDir, { recursive: true });
  const configFile = join(dvcDir, 'config');
  if (opts.noScm) writeConfigLevel('repo', root, { core: { no_scm: 'True' } });
  else writeFileSync(configFile, '');
  const dvcignore = join(root, '.dvcignore');
  if (!existsSync(dvcignore)) writeFileSync(dvcignore, DVCIGNORE_HEADER);
  const files = [configFile, dvcignore];
  let gitAdded = false;
  if (git) {
    const scm = { root: git.root, noScm: false };
    for (const p of [join(dvcDir, 'config.local'), join(dvcDir, 'tmp'), join(dvcDir, 'cache')]) ignoreOutput(scm, p);
    const gi = join(dvcDir, '.gitignore');
    if (existsSync(gi)) files.push(gi);
    git.add(files);
    gitAdded = true;
  }
  return { root, noScm: !!opts.noScm, files, gitAdded };
}
