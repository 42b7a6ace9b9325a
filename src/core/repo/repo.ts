/**
 * A geodvc/DVC repository: the directory holding `.dvc/`, its merged configuration and the paths
 * every module needs (cache, tmp). `openRepo` walks up from `cwd`.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { NotARepoError } from '../../lib/errors.js';
import { configBool, loadConfig, type ConfigData, type ConfigLevel } from './config.js';

export type { ConfigData, ConfigLevel } from './config.js';

export interface Repo {
  /** Absolute path of the directory that holds `.dvc/`. */
  root: string;
  /** `<root>/.dvc` */
  dvcDir: string;
  /** `<root>/.dvc/tmp` (locks, temp files; never versioned). */
  tmpDir: string;
  /** The cache: `cache.dir` from the config (resolved against its config file) or `<root>/.dvc/cache`. */
  cacheDir: string;
  /** True when `core.no_scm` is set or the repository is not inside a git work tree. */
  noScm: boolean;
  /** Merged config (system < global < repo < local), path values absolute. */
  config: ConfigData;
  /** Raw per-level data as written in each file. */
  levels: Record<ConfigLevel, ConfigData>;
}

function isDir(p: string): boolean {
  try { return statSync(p).isDirectory(); } catch { return false; }
}

/** The nearest ancestor of `cwd` (itself included) that holds a `.dvc/` directory. */
export function findRepoRoot(cwd: string): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    if (isDir(join(dir, '.dvc'))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** The nearest ancestor holding `.git` (a directory or a worktree file), or undefined. */
export function findGitRoot(cwd: string): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    if (existsSync(join(dir, '.git'))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

function computeRepo(root: string): Repo {
  const { merged, levels } = loadConfig(root);
  const dvcDir = join(root, '.dvc');
  const cacheDir = merged.cache?.dir ? resolve(root, merged.cache.dir) : join(dvcDir, 'cache');
  const noScm = configBool(merged.core?.no_scm) || findGitRoot(root) === undefined;
  return { root, dvcDir, tmpDir: join(dvcDir, 'tmp'), cacheDir, noScm, config: merged, levels };
}

/** Opens the repository containing `cwd`; NotARepoError when there is none. */
export async function openRepo(cwd: string): Promise<Repo> {
  return openRepoSync(cwd);
}

/** Synchronous `openRepo`. */
export function openRepoSync(cwd: string): Repo {
  const root = findRepoRoot(cwd);
  if (!root) throw new NotARepoError(`you are not inside of a DVC repository (checked '${resolve(cwd)}' and its parents)`);
  return computeRepo(root);
}

/** Re-reads every config level into `repo` (after another process or module changed it). */
export function reloadConfig(repo: Repo): Repo {
  const fresh = computeRepo(repo.root);
  repo.config = fresh.config;
  repo.levels = fresh.levels;
  repo.cacheDir = fresh.cacheDir;
  repo.noScm = fresh.noScm;
  return repo;
}
