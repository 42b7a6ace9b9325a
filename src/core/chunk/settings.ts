/**
 * geodvc-only remote options (`chunking`, `dvc_compatible`, `chunk_threshold`) live in
 * `.dvc/geodvc.json`, not in `.dvc/config`: DVC 3 validates its config strictly and refuses to run
 * with an option it does not know in a `['remote "NAME"']` section. The file is committed with the
 * repository like `.dvc/config` (it is part of how the team's remote is laid out); DVC never reads it.
 *
 *   {"remote": {"storage": {"chunking": "tiles", "dvc_compatible": "true"}}}
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../../lib/atomic.js';
import { ConfigError } from '../../lib/errors.js';
import { GEODVC_REMOTE_OPTIONS, parseByteSize, validateGeodvcRemoteOption } from '../repo/remote-options.js';

export const SETTINGS_FILE = 'geodvc.json';

/** Files below this go whole even to a chunked remote (one chunk would gain nothing). */
export const DEFAULT_CHUNK_THRESHOLD = 4 << 20;

type Settings = { remote?: Record<string, Record<string, string>> };

function settingsPath(root: string): string { return join(root, '.dvc', SETTINGS_FILE); }

function read(root: string): Settings {
  const p = settingsPath(root);
  if (!existsSync(p)) return {};
  try {
    const j = JSON.parse(readFileSync(p, 'utf8')) as Settings;
    if (!j || typeof j !== 'object') throw new Error('not an object');
    return j;
  } catch (e) {
    throw new ConfigError(`.dvc/${SETTINGS_FILE} is not valid JSON: ${(e as Error).message}`, { hint: `fix or remove .dvc/${SETTINGS_FILE} (it holds geodvc-only remote options such as chunking)` });
  }
}

/** The geodvc-only options of remote `name` (empty when none). */
export function geodvcRemoteOptions(root: string, name: string): Record<string, string> {
  const r = read(root).remote?.[name];
  return r && typeof r === 'object' ? { ...r } : {};
}

/** Sets (or with `value` undefined unsets) one geodvc-only option of remote `name`. */
export function setGeodvcRemoteOption(root: string, name: string, key: string, value: string | undefined): void {
  const k = key.toLowerCase();
  if (!(k in GEODVC_REMOTE_OPTIONS)) throw new ConfigError(`'${key}' is not a geodvc remote option`, { hint: `geodvc options: ${Object.keys(GEODVC_REMOTE_OPTIONS).join(', ')}` });
  if (value !== undefined) validateGeodvcRemoteOption(k, value);
  const s = read(root);
  const remotes = (s.remote ??= {});
  if (value === undefined) {
    if (!remotes[name] || !(k in remotes[name]!)) throw new ConfigError(`option '${k}' of remote '${name}' is not set`, { hint: `see .dvc/${SETTINGS_FILE}` });
    delete remotes[name]![k];
    if (!Object.keys(remotes[name]!).length) delete remotes[name];
  } else {
    (remotes[name] ??= {})[k] = k === 'chunking' ? value.toLowerCase() : value;
  }
  writeFileAtomicSync(settingsPath(root), `${JSON.stringify(s, null, 2)}\n`);
}

/**
 * Renames or removes a remote's entry (remote rename/remove). A rename also drops whatever entry
 * the new name had (left by a remote of that name removed earlier): the options are the old name's.
 */
export function moveGeodvcRemote(root: string, from: string, to: string | undefined): void {
  if (!existsSync(settingsPath(root))) return;
  const s = read(root);
  const remotes = s.remote;
  if (!remotes || (!remotes[from] && (!to || !remotes[to]))) return;
  if (to) {
    if (remotes[from]) remotes[to] = remotes[from]!;
    else delete remotes[to];
  }
  delete remotes[from];
  if (!Object.keys(remotes).length) delete s.remote;
  writeFileAtomicSync(settingsPath(root), `${JSON.stringify(s, null, 2)}\n`);
}

/**
 * Whether `add`/`commit` should cut big files into chunks while hashing them, and how: the
 * repository's default remote when it is chunked, else the first chunked remote defined in
 * `.dvc/config` (`remoteNames`, in order). A push to that remote then finds each new file's chunk
 * list in the cache instead of cutting the file itself (docs/chunking.md, "Chunk lists at add").
 * `GEODVC_CHUNK_AT_ADD=0` turns it off. Undefined when no remote is chunked (the common case costs
 * one `existsSync`).
 */
export function chunkListsAtAdd(root: string, remoteNames: string[], defaultRemote: string | undefined): { mode: 'tiles' | 'cdc'; minBytes: number } | undefined {
  if (process.env.GEODVC_CHUNK_AT_ADD === '0' || !existsSync(settingsPath(root))) return undefined;
  let remotes: Record<string, Record<string, string>> | undefined;
  try { remotes = read(root).remote; } catch { return undefined; } // a broken file is reported by the commands that use it
  if (!remotes) return undefined;
  const order = defaultRemote && remoteNames.includes(defaultRemote) ? [defaultRemote, ...remoteNames.filter((n) => n !== defaultRemote)] : remoteNames;
  for (const n of order) {
    const o = remotes[n];
    const mode = o?.chunking?.toLowerCase();
    if (mode !== 'tiles' && mode !== 'cdc') continue;
    const min = o!.chunk_threshold !== undefined ? parseByteSize(o!.chunk_threshold) : undefined;
    return { mode, minBytes: min ?? DEFAULT_CHUNK_THRESHOLD };
  }
  return undefined;
}
