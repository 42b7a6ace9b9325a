/**
 * Remote management over the config levels, as `dvc remote add/modify/list/remove/rename/default`
 * do it: a remote lives in `['remote "NAME"']` of one level; `core.remote` names the default.
 */
import { ConfigError } from '../../lib/errors.js';
import { redactUrl } from '../../lib/safepath.js';
import {
  CONFIG_LEVELS, configFilePath, editConfigLevel, loadConfig, readConfigLevel, resolveLevelPaths, toConfigRelPath,
  type ConfigData, type ConfigLevel,
} from './config.js';
import { normalizeSectionName } from './ini.js';
import { dirname } from 'node:path';
import { isGeodvcRemoteOption, maskSecret, remoteScheme, validateRemoteOption } from './remote-options.js';
import { moveGeodvcRemote, setGeodvcRemoteOption } from '../chunk/settings.js';

export interface RemoteOpContext { root?: string; cwd?: string; }

function sectionOf(name: string): string { return normalizeSectionName(`remote "${name}"`); }

function checkName(name: string): void {
  if (!name || /["\]\[\n]/.test(name) || name.trim() !== name) {
    throw new ConfigError(`invalid remote name '${name}'`, { hint: 'use letters, digits, -, _ and .' });
  }
}

/** The merged config below and at `level` (what DVC validates against). */
function mergedUpTo(root: string | undefined, level: ConfigLevel): ConfigData {
  const merged: ConfigData = {};
  for (const l of CONFIG_LEVELS) {
    if ((l === 'repo' || l === 'local') && !root) continue;
    const raw = readConfigLevel(l, root);
    for (const [s, kv] of Object.entries(resolveLevelPaths(raw, dirname(configFilePath(l, root))))) Object.assign(merged[s] ??= {}, kv);
    if (l === level) break;
  }
  return merged;
}

function mergedAll(root: string | undefined): ConfigData { return loadConfig(root).merged; }

export interface AddRemoteOptions extends RemoteOpContext { level?: ConfigLevel; default?: boolean; force?: boolean; }

export function addRemote(name: string, url: string, opts: AddRemoteOptions = {}): void {
  checkName(name);
  const level = opts.level ?? 'repo';
  validateRemoteOption(remoteScheme(url), 'url', url, level);
  const section = sectionOf(name);
  editConfigLevel(opts.root, level, (data) => {
    if (data[section] && !opts.force) {
      throw new ConfigError(`remote '${name}' already exists`, { hint: 'use `-f|--force` to overwrite it' });
    }
    const stored = toConfigRelPath(dirname(configFilePath(level, opts.root)), url, opts.cwd ?? process.cwd());
    data[section] = { url: stored };
    if (opts.default) (data.core ??= {}).remote = name;
  });
}

export interface ModifyRemoteOptions extends RemoteOpContext { level?: ConfigLevel; unset?: boolean; }

export function modifyRemote(name: string, key: string, value: string | undefined, opts: ModifyRemoteOptions = {}): void {
  const level = opts.level ?? 'repo';
  const section = sectionOf(name);
  const merged = mergedAll(opts.root);
  const existing = merged[section];
  if (!existing) throw remoteMissing(name, merged);
  const k = key.toLowerCase();
  if (isGeodvcRemoteOption(k)) {
    // geodvc-only (chunking): kept out of .dvc/config, which DVC validates strictly
    if (!opts.root || level === 'global' || level === 'system') throw new ConfigError(`'${k}' is a repository setting of geodvc (kept in .dvc/geodvc.json)`, { hint: 'run it inside the repository, without --global/--system' });
    if (!opts.unset && value === undefined) throw new ConfigError(`no value given for '${key}'`, { hint: `\`geodvc remote modify ${name} ${key} VALUE\`, or --unset` });
    setGeodvcRemoteOption(opts.root, name, k, opts.unset ? undefined : value);
    return;
  }
  const url = k === 'url' && value !== undefined ? value : existing.url ?? '';
  validateRemoteOption(remoteScheme(url), k, opts.unset ? undefined : value, opts.unset ? undefined : level);
  if (!opts.unset && value === undefined) throw new ConfigError(`no value given for '${key}'`, { hint: `\`geodvc remote modify ${name} ${key} VALUE\`, or --unset` });
  editConfigLevel(opts.root, level, (data) => {
    if (opts.unset) {
      if (!data[section] || !(k in data[section]!)) {
        throw new ConfigError(`option '${k}' of remote '${name}' is not set in the ${level} config`, { hint: 'check `geodvc remote list` and the level (--local/--global/--system/--project)' });
      }
      delete data[section]![k];
      return;
    }
    const stored = (k === 'url' || k === 'credentialpath' || k === 'keyfile' || k === 'configpath' || k === 'cert_path' || k === 'key_path')
      ? toConfigRelPath(dirname(configFilePath(level, opts.root)), value!, opts.cwd ?? process.cwd())
      : value!;
    (data[section] ??= {})[k] = stored;
  });
}

function remoteMissing(name: string, merged: ConfigData): ConfigError {
  const known = Object.keys(merged).filter((s) => s.startsWith('remote "')).map((s) => s.slice(8, -1));
  return new ConfigError(`remote '${name}' doesn't exist`, {
    hint: known.length ? `known remotes: ${known.join(', ')}` : `add it with \`geodvc remote add ${name} URL\``,
  });
}

export interface RemoteListEntry { name: string; url: string; default: boolean; options: Record<string, string>; level: ConfigLevel; }

/** Remotes visible at `level` (or merged over all levels), secrets masked, URLs redacted. */
export function listRemotes(opts: RemoteOpContext & { level?: ConfigLevel } = {}): RemoteListEntry[] {
  const conf = opts.level ? resolveLevelPaths(readConfigLevel(opts.level, opts.root), dirname(configFilePath(opts.level, opts.root))) : mergedAll(opts.root);
  const def = (opts.level ? conf : mergedAll(opts.root)).core?.remote;
  const levelOf = (section: string): ConfigLevel => {
    let found: ConfigLevel = 'repo';
    for (const l of CONFIG_LEVELS) if (readConfigLevel(l, opts.root)[section]) found = l;
    return found;
  };
  return Object.keys(conf).filter((s) => s.startsWith('remote "')).map((s) => {
    const { url = '', ...rest } = conf[s]!;
    const options: Record<string, string> = {};
    for (const [k, v] of Object.entries(rest)) options[k] = maskSecret(k, v);
    const name = s.slice(8, -1);
    return { name, url: redactUrl(url), default: name === def, options, level: opts.level ?? levelOf(s) };
  });
}

/** Removes a remote from `level`; also unsets `core.remote` at every level where it names it. */
export function removeRemote(name: string, opts: RemoteOpContext & { level?: ConfigLevel } = {}): void {
  const level = opts.level ?? 'repo';
  const section = sectionOf(name);
  editConfigLevel(opts.root, level, (data) => {
    if (!data[section]) throw remoteMissing(name, data);
    delete data[section];
  });
  for (const l of CONFIG_LEVELS) {
    if ((l === 'repo' || l === 'local') && !opts.root) continue;
    const d = readConfigLevel(l, opts.root);
    if (d.core?.remote && sectionOf(d.core.remote) === section) editConfigLevel(opts.root, l, (data) => { delete data.core!.remote; });
  }
  // its geodvc-only options (.dvc/geodvc.json) go too, once no level defines the remote any more
  if (opts.root && !mergedAll(opts.root)[section]) moveGeodvcRemote(opts.root, name, undefined);
}

/** Renames a remote in `level`, and `core.remote` where it names it. */
export function renameRemote(name: string, newName: string, opts: RemoteOpContext & { level?: ConfigLevel } = {}): void {
  checkName(newName);
  const level = opts.level ?? 'repo';
  const from = sectionOf(name);
  const to = sectionOf(newName);
  const merged = mergedAll(opts.root);
  if (merged[to]) throw new ConfigError(`remote '${newName}' already exists`, { hint: 'choose another name or remove that remote first' });
  editConfigLevel(opts.root, level, (data) => {
    if (!data[from]) throw remoteMissing(name, data);
    // Keep the position of the section.
    const entries = Object.entries(data);
    for (const k of Object.keys(data)) delete data[k];
    for (const [k, v] of entries) data[k === from ? to : k] = v;
  });
  for (const l of CONFIG_LEVELS) {
    if ((l === 'repo' || l === 'local') && !opts.root) continue;
    const d = readConfigLevel(l, opts.root);
    if (d.core?.remote && sectionOf(d.core.remote) === from) editConfigLevel(opts.root, l, (data) => { data.core!.remote = newName; });
  }
  // its geodvc-only options (.dvc/geodvc.json) follow the name, once no level defines the old name
  if (opts.root && !mergedAll(opts.root)[from]) moveGeodvcRemote(opts.root, name, newName);
}

/** Sets (or with `unset` removes) `core.remote` at `level`; returns the default when `name` is omitted. */
export function defaultRemote(name: string | undefined, opts: RemoteOpContext & { level?: ConfigLevel; unset?: boolean } = {}): string | undefined {
  const level = opts.level;
  if (opts.unset) {
    editConfigLevel(opts.root, level ?? 'repo', (data) => { if (data.core) delete data.core.remote; });
    return undefined;
  }
  if (name === undefined) {
    const conf = level ? readConfigLevel(level, opts.root) : mergedAll(opts.root);
    const def = conf.core?.remote;
    if (!def) throw new ConfigError('no default remote is set', { hint: 'set one with `geodvc remote default NAME`' });
    return def;
  }
  const merged = mergedUpTo(opts.root, 'local');
  if (!merged[sectionOf(name)]) throw remoteMissing(name, merged);
  editConfigLevel(opts.root, level ?? 'repo', (data) => { (data.core ??= {}).remote = name; });
  return name;
}
