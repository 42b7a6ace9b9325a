/**
 * DVC's configuration: four levels (system, global, repo `.dvc/config`, local `.dvc/config.local`)
 * in configobj INI, merged later-wins. Path-valued options (cache.dir, a remote url that is a local
 * path, credentialpath, keyfile, ...) are stored relative to the directory of the config file that
 * holds them and resolved against it when read, as DVC does (dvc/config.py `_load_paths`,
 * `_save_paths`).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ConfigError } from '../../lib/errors.js';
import { writeFileAtomicSync } from '../../lib/atomic.js';
import { parseIni, stringifyIni, normalizeSectionName, type IniData } from './ini.js';

export type ConfigData = IniData;
export type ConfigLevel = 'system' | 'global' | 'repo' | 'local';
export const CONFIG_LEVELS: readonly ConfigLevel[] = ['system', 'global', 'repo', 'local'];

/** Anything with a repository root: a Repo, or just `{ root }`. */
export interface RepoLike { root: string; config?: ConfigData; levels?: Record<ConfigLevel, ConfigData>; }

/** Directory of the global config (`GEODVC_GLOBAL_CONFIG_DIR`, `DVC_GLOBAL_CONFIG_DIR`, XDG). */
export function globalConfigDir(): string {
  return process.env.GEODVC_GLOBAL_CONFIG_DIR || process.env.DVC_GLOBAL_CONFIG_DIR
    || join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'dvc');
}
/** Directory of the system config (`GEODVC_SYSTEM_CONFIG_DIR`, `DVC_SYSTEM_CONFIG_DIR`, /etc/xdg/dvc). */
export function systemConfigDir(): string {
  if (process.env.GEODVC_SYSTEM_CONFIG_DIR || process.env.DVC_SYSTEM_CONFIG_DIR) return (process.env.GEODVC_SYSTEM_CONFIG_DIR || process.env.DVC_SYSTEM_CONFIG_DIR)!;
  const first = (process.env.XDG_CONFIG_DIRS || '/etc/xdg').split(':')[0] || '/etc/xdg';
  return join(first, 'dvc');
}

/** The file behind a level. `root` is needed for repo/local. */
export function configFilePath(level: ConfigLevel, root?: string): string {
  switch (level) {
    case 'system': return join(systemConfigDir(), 'config');
    case 'global': return join(globalConfigDir(), 'config');
    case 'repo':
    case 'local':
      if (!root) throw new ConfigError(`the ${level} config level needs a repository`, { hint: 'run inside a geodvc/DVC repository, or use --global/--system' });
      return join(root, '.dvc', level === 'repo' ? 'config' : 'config.local');
  }
}

/** Reads one level's file as written (raw, unresolved values). A missing file is empty. */
export function readConfigLevel(level: ConfigLevel, root?: string): ConfigData {
  if ((level === 'repo' || level === 'local') && !root) return {};
  const file = configFilePath(level, root);
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return {};
    throw new ConfigError(`cannot read config file '${file}': ${(e as Error).message}`, { cause: e, hint: 'check the file permissions' });
  }
  try { return parseIni(text, file); } catch (e) {
    throw new ConfigError(`config file '${file}' is invalid: ${(e as Error).message}`, { cause: e, hint: `fix or remove '${file}'` });
  }
}

/** Writes one level's data atomically (empty sections dropped). */
export function writeConfigLevel(level: ConfigLevel, root: string | undefined, data: ConfigData): void {
  const file = configFilePath(level, root);
  writeFileAtomicSync(file, stringifyIni(data));
}

/** Keys whose values are paths (resolved relative to the config file), by section kind. */
const PATH_KEYS: Record<string, Set<string>> = {
  cache: new Set(['dir']),
  remote: new Set(['url', 'credentialpath', 'configpath', 'keyfile', 'cert_path', 'key_path', 'gdrive_user_credentials_file', 'gdrive_service_account_json_file_path']),
  machine: new Set(['startup_script', 'setup_script']),
};

function sectionKind(section: string): string {
  const m = /^(remote|machine|db) "/.exec(section);
  return m ? m[1]! : section;
}

export function isPathKey(section: string, key: string): boolean {
  return PATH_KEYS[sectionKind(section)]?.has(key) ?? false;
}

const URL_RE = /^\w+:\/\//;

/** Resolves a stored path value against the config file's directory (DVC `_load_paths`). */
export function resolveConfigPath(confDir: string, value: string): string {
  if (value === '' || isAbsolute(value) || URL_RE.test(value) || value.startsWith('~')) return value;
  return resolve(confDir, value);
}

/** Turns a user-given path (relative to `cwd`) into what is stored in a config file in `confDir`. */
export function toConfigRelPath(confDir: string, value: string, cwd: string): string {
  if (value === '' || URL_RE.test(value) || value.startsWith('~') || isAbsolute(value)) return value;
  const rel = relative(confDir, resolve(cwd, value));
  return (rel === '' ? '.' : rel).split(sep).join('/');
}

/** Returns a copy of `data` with path values resolved against `confDir`. */
export function resolveLevelPaths(data: ConfigData, confDir: string): ConfigData {
  const out: ConfigData = {};
  for (const [section, kv] of Object.entries(data)) {
    out[section] = {};
    for (const [k, v] of Object.entries(kv)) out[section]![k] = isPathKey(section, k) ? resolveConfigPath(confDir, v) : v;
  }
  return out;
}

/** Reads all levels; `merged` has path values resolved to absolute paths. */
export function loadConfig(root?: string): { merged: ConfigData; levels: Record<ConfigLevel, ConfigData> } {
  const levels = {} as Record<ConfigLevel, ConfigData>;
  const merged: ConfigData = {};
  for (const level of CONFIG_LEVELS) {
    const raw = readConfigLevel(level, root);
    levels[level] = raw;
    if ((level === 'repo' || level === 'local') && !root) continue;
    const resolved = resolveLevelPaths(raw, dirname(configFilePath(level, root)));
    for (const [section, kv] of Object.entries(resolved)) Object.assign(merged[section] ??= {}, kv);
  }
  return { merged, levels };
}

/** Splits `core.remote` / `remote.NAME.url` into the section as written and the key. */
export function parseConfigName(name: string): { section: string; key: string } {
  const parts = name.split('.');
  if (parts.length >= 3 && ['remote', 'machine', 'db'].includes(parts[0]!.toLowerCase())) {
    const key = parts[parts.length - 1]!;
    const sub = parts.slice(1, -1).join('.');
    return { section: `${parts[0]!.toLowerCase()} "${sub.toLowerCase()}"`, key: key.toLowerCase() };
  }
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new ConfigError(`option name '${name}' is not of the form 'section.option' (or 'remote.NAME.option')`, { hint: 'for example `geodvc config core.remote myremote` or `geodvc config remote.myremote.url s3://bucket/path`' });
  }
  return { section: parts[0].toLowerCase(), key: parts[1].toLowerCase() };
}

/** The display name of a section/key pair: `core.remote`, `remote.NAME.url`. */
export function formatConfigName(section: string, key: string): string {
  const m = /^(remote|machine|db) "(.*)"$/.exec(section);
  return m ? `${m[1]}.${m[2]}.${key}` : `${section}.${key}`;
}

function getRoot(repoOrRoot: RepoLike | string | undefined): string | undefined {
  if (repoOrRoot === undefined) return undefined;
  return typeof repoOrRoot === 'string' ? repoOrRoot : repoOrRoot.root;
}

/** A merged config value (`'core.remote'`, `'remote.NAME.url'`), path values resolved. */
export function getConfig(repo: RepoLike | string, name: string): string | undefined {
  const { section, key } = parseConfigName(name);
  const merged = typeof repo !== 'string' && repo.config ? repo.config : loadConfig(getRoot(repo)).merged;
  return merged[section]?.[key];
}

export interface SetConfigOptions {
  /** Directory relative paths given by the user are relative to (default: process.cwd()). */
  cwd?: string;
}

/**
 * Sets `section.key` (or `remote.NAME.key`) at one level and writes the file. A path value that is
 * relative is taken relative to `opts.cwd` and stored relative to the config file, as DVC does.
 */
export function setConfigValue(repoOrRoot: RepoLike | string | undefined, level: ConfigLevel, name: string, value: string, opts: SetConfigOptions = {}): void {
  const root = getRoot(repoOrRoot);
  const { section, key } = parseConfigName(name);
  const data = readConfigLevel(level, root);
  const stored = isPathKey(section, key) ? toConfigRelPath(dirname(configFilePath(level, root)), value, opts.cwd ?? process.cwd()) : value;
  (data[section] ??= {})[key] = stored;
  writeConfigLevel(level, root, data);
  refresh(repoOrRoot);
}

/** Removes `section.key` at one level; returns false when it was not set there. */
export function unsetConfigValue(repoOrRoot: RepoLike | string | undefined, level: ConfigLevel, name: string): boolean {
  const root = getRoot(repoOrRoot);
  const { section, key } = parseConfigName(name);
  const data = readConfigLevel(level, root);
  if (!data[section] || !(key in data[section]!)) return false;
  delete data[section]![key];
  writeConfigLevel(level, root, data);
  refresh(repoOrRoot);
  return true;
}

/** Applies `edit` to one level's raw data and writes it back (for multi-key edits). */
export function editConfigLevel<T>(repoOrRoot: RepoLike | string | undefined, level: ConfigLevel, edit: (data: ConfigData) => T): T {
  const root = getRoot(repoOrRoot);
  const data = readConfigLevel(level, root);
  const result = edit(data);
  writeConfigLevel(level, root, data);
  refresh(repoOrRoot);
  return result;
}

function refresh(repoOrRoot: RepoLike | string | undefined): void {
  if (repoOrRoot && typeof repoOrRoot !== 'string' && repoOrRoot.config) {
    const { merged, levels } = loadConfig(repoOrRoot.root);
    repoOrRoot.config = merged;
    if (repoOrRoot.levels) Object.assign(repoOrRoot.levels, levels);
  }
}

export interface RemoteConfig {
  name: string;
  /** Resolved url: a local remote's path is absolute; other schemes as written. */
  url: string;
  /** Every other option of the remote section (merged over levels, paths resolved). */
  options: Record<string, string>;
}

/** Names of the remotes defined at any level, in order of appearance. */
export function listRemoteNames(config: ConfigData): string[] {
  return Object.keys(config).filter((s) => s.startsWith('remote "')).map((s) => s.slice(8, -1));
}

/**
 * The remote called `name`, or the default remote (`core.remote`). ConfigError with a hint when
 * there is no default, or the name is unknown.
 */
export function getRemote(repo: RepoLike | string, name?: string): RemoteConfig {
  const config = typeof repo !== 'string' && repo.config ? repo.config : loadConfig(getRoot(repo)).merged;
  let wanted = name;
  if (!wanted) {
    wanted = config.core?.remote;
    if (!wanted) {
      throw new ConfigError('no remote specified and no default remote is set', {
        hint: 'add one with `geodvc remote add -d NAME URL`, pick one with `geodvc remote default NAME`, or pass `-r NAME`',
      });
    }
  }
  const section = normalizeSectionName(`remote "${wanted}"`);
  const data = config[section];
  if (!data) {
    const known = listRemoteNames(config);
    throw new ConfigError(`remote '${wanted}' doesn't exist`, {
      hint: known.length ? `known remotes: ${known.join(', ')}; add it with \`geodvc remote add ${wanted} URL\`` : `add it with \`geodvc remote add ${wanted} URL\``,
    });
  }
  if (!data.url) throw new ConfigError(`remote '${wanted}' has no url`, { hint: `set it with \`geodvc remote modify ${wanted} url URL\`` });
  const { url, ...options } = data;
  return { name: section.slice(8, -1), url: url!, options };
}

/** True for a config value DVC reads as true (`true`, `1`, `yes`, `on`). */
export function configBool(value: string | undefined, dflt = false): boolean {
  if (value === undefined || value === '') return dflt;
  return /^(true|1|yes|on)$/i.test(value.trim());
}


/** One `config -l` row. */
export interface ConfigListRow { name: string; value: string; level: ConfigLevel; file: string }

/**
 * The options set at one level, as `dvc config -l` lists them: path values resolved against the
 * config file's directory, named sections (`remote`, `machine`, `db`) first, then the other
 * sections in file order (DVC's `_parse_named` puts the named groups first).
 */
export function listConfigLevel(level: ConfigLevel, root?: string): ConfigListRow[] {
  if ((level === 'repo' || level === 'local') && !root) return [];
  const file = configFilePath(level, root);
  const data = resolveLevelPaths(readConfigLevel(level, root), dirname(file));
  const rows: ConfigListRow[] = [];
  const sections = Object.keys(data);
  const groups = ['remote', 'machine', 'db'].map((g) => sections.filter((s) => sectionKind(s) === g));
  const others = sections.filter((s) => !['remote', 'machine', 'db'].includes(sectionKind(s)));
  for (const s of [...groups.flat(), ...others]) {
    for (const [k, v] of Object.entries(data[s]!)) rows.push({ name: formatConfigName(s, k), value: v, level, file });
  }
  return rows;
}
