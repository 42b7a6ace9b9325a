/**
 * Run-cache (`dvc/stage/cache.py`): key = sha256 of Python json.dumps(lock entry with outs reduced
 * to their paths), value = sha256 of the full entry, both without `size`/`nfiles`. Entries are the
 * YAML lock entry at `<cache>/runs/<key[:2]>/<key>/<value>`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pyJsonDumps } from '../../lib/pyjson.js';
import { writeFileAtomicSync } from '../../lib/atomic.js';
import { dumpRuamelYaml, lockStageToObject, type LockStage } from '../dvcfile/lock.js';
import { loadYaml } from '../dvcfile/params.js';
import type { StageDef } from '../dvcfile/dvcyaml.js';
import { objectComplete } from './cache.js';

function filtered(v: unknown, exclude: Set<string>): unknown {
  if (Array.isArray(v)) return v.map((x) => filtered(x, exclude));
  if (v && typeof v === 'object' && v.constructor === Object) {
    return Object.fromEntries(Object.entries(v).filter(([k]) => !exclude.has(k)).map(([k, x]) => [k, filtered(x, exclude)]));
  }
  return v;
}

const EXCLUDE = new Set(['size', 'nfiles']);

function sha256(v: unknown): string {
  return createHash('sha256').update(pyJsonDumps(filtered(v, EXCLUDE))).digest('hex');
}

export function runCacheKey(entry: LockStage): string {
  const o = lockStageToObject(entry);
  if (Array.isArray(o.outs)) o.outs = (o.outs as { path: string }[]).map((x) => x.path);
  return sha256(o);
}

export function runCacheValue(entry: LockStage): string {
  return sha256(lockStageToObject(entry));
}

/** Stages DVC caches runs for: a command, deps and outs, all outs cached, no persist, not always_changed. */
export function runCacheEligible(s: StageDef): boolean {
  return typeof s.cmd !== 'undefined' && s.deps.length > 0 && s.outs.length > 0 && !s.alwaysChanged &&
    s.outs.every((o) => o.cache && !o.persist);
}

export function runsDir(cacheDir: string): string { return join(cacheDir, 'runs'); }

export function saveRun(cacheDir: string, entry: LockStage): string {
  const key = runCacheKey(entry);
  const value = runCacheValue(entry);
  const p = join(runsDir(cacheDir), key.slice(0, 2), key, value);
  if (!existsSync(p)) writeFileAtomicSync(p, dumpRuamelYaml(lockStageToObject(entry)));
  return p;
}

/** Earlier runs for this key whose outputs are all in the cache. */
export function findRuns(cacheDir: string, keyEntry: LockStage): LockStage[] {
  const key = runCacheKey(keyEntry);
  const dir = join(runsDir(cacheDir), key.slice(0, 2), key);
  let names: string[];
  try { names = readdirSync(dir); } catch { return []; }
  const out: LockStage[] = [];
  for (const n of names) {
    if (n.startsWith('.')) continue;
    try {
      const e = loadYaml(readFileSync(join(dir, n), 'utf8'), n) as LockStage;
      if ((e.outs ?? []).every((o) => typeof o.md5 === 'string' && objectComplete(cacheDir, o.md5))) out.push(e);
    } catch { /* a broken entry is skipped */ }
  }
  return out;
}

/**
 * Files of the run-cache, relative to the cache dir (`runs/<k[:2]>/<key>/<value>`), for
 * `push/pull --run-cache`: copy these paths to/from the remote's `runs/` as plain files.
 */
export function runCacheObjects(repoOrCacheDir: string | { cacheDir: string }): string[] {
  const cacheDir = typeof repoOrCacheDir === 'string' ? repoOrCacheDir : repoOrCacheDir.cacheDir;
  const root = runsDir(cacheDir);
  const out: string[] = [];
  const walk = (d: string) => {
    let es;
    try { es = readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of es) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p); else out.push(relative(cacheDir, p).split('\\').join('/'));
    }
  };
  walk(root);
  return out.sort();
}
