/**
 * What every data command needs, opened once: the repo, its object database, state DB, the hash
 * algorithm and link types from the config, `.dvcignore`, and the repo lock.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { openRepo, type Repo } from '../repo/repo.js';
import { getRemote } from '../repo/config.js';
import { loadDvcIgnore, type DvcIgnore } from '../repo/dvcignore.js';
import { withRepoLock } from '../repo/lock.js';
import { ObjectDB, parseLinkTypes, type LinkType } from '../odb/odb.js';
import { StateDB } from '../odb/state.js';
import { initHashers, parseHashName, type HashName } from '../odb/hash.js';
import { ConfigError, PathError } from '../../lib/errors.js';

export interface DataRepo {
  repo: Repo;
  odb: ObjectDB;
  state: StateDB;
  ignore: DvcIgnore;
  /** Algorithm for new outputs: `core.checksum`, else the default remote's `checksum`, else md5. */
  hashName: HashName;
  linkTypes: LinkType[];
}

/** The hash algorithm the config selects for new outputs. */
export function configuredHashName(repo: Repo): HashName {
  const core = repo.config.core?.checksum;
  if (core) {
    const h = parseHashName(core);
    if (!h || h === 'md5-dos2unix') throw new ConfigError(`unknown core.checksum '${core}'`, { hint: 'use md5 (default), xxh128 (alias xxhash) or sha256' });
    return h;
  }
  if (repo.config.core?.remote) {
    try {
      const r = getRemote(repo);
      const c = r.options.checksum;
      if (c) {
        const h = parseHashName(c);
        if (!h || h === 'md5-dos2unix') throw new ConfigError(`unknown checksum '${c}' on remote '${r.name}'`, { hint: 'use md5, xxh128 (alias xxhash) or sha256' });
        return h;
      }
    } catch (err) {
      if (err instanceof ConfigError && /checksum/.test(err.message)) throw err;
    }
  }
  return 'md5';
}

export async function openDataRepo(cwd: string): Promise<DataRepo> {
  const repo = await openRepo(cwd);
  await initHashers();
  return {
    repo,
    odb: new ObjectDB(repo.cacheDir),
    state: StateDB.forRepo(repo.tmpDir),
    ignore: loadDvcIgnore(repo.root),
    hashName: configuredHashName(repo),
    linkTypes: parseLinkTypes(repo.config.cache?.type),
  };
}

/** Runs fn under the repo lock and closes the state DB afterwards. */
export async function withDataRepo<T>(cwd: string, write: boolean, cmd: string, fn: (d: DataRepo) => Promise<T>, signal?: AbortSignal): Promise<T> {
  const d = await openDataRepo(cwd);
  try {
    return await withRepoLock(d.repo, { write, cmd, signal }, () => fn(d));
  } finally {
    d.state.close();
  }
}

/** Repo-relative posix path, or PathError when `abs` is outside the repository. */
export function repoRelPath(repo: Repo, abs: string): string {
  const r = relative(repo.root, abs);
  if (r === '' ) return '';
  if (r.startsWith('..') || isAbsolute(r)) {
    throw new PathError('path-outside-repo', `'${abs}' is outside of the repository '${repo.root}'`, { hint: 'move the data into the repository first (or use `add -o PATH` to copy it in)' });
  }
  return sep === '/' ? r : r.split(sep).join('/');
}

export function resolveTarget(cwd: string, t: string): string {
  return resolve(cwd, t);
}
