/**
 * Compares a workspace output with what its `.dvc` records: clean, modified (with per-file
 * details inside directories), deleted, not in cache, new (no hash recorded yet).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { HashName } from '../odb/hash.js';
import type { DvcOut } from '../dvcfile/dvcfile.js';
import { buildOutput, type Built } from './build.js';
import type { BuildEnv } from './build.js';
import type { Tree } from '../odb/tree.js';
import { isDirOid } from '../odb/layout.js';
import type { OpContext } from '../../lib/progress.js';

export type OutState = 'modified' | 'deleted' | 'not in cache' | 'new';

export interface DirChanges { added: string[]; deleted: string[]; modified: string[] }

export interface OutComparison {
  state?: OutState;
  built?: Built;
  /** Recorded tree (when a directory and its manifest is in the cache). */
  recordedTree?: Tree;
  changes?: DirChanges;
  /** Objects of the recorded version missing from the cache. */
  missingObjects?: number;
}

export function diffTrees(a: Tree | undefined, b: Tree | undefined): DirChanges {
  const am = new Map((a?.entries ?? []).map((e) => [e.relpath, e.oid]));
  const bm = new Map((b?.entries ?? []).map((e) => [e.relpath, e.oid]));
  const added: string[] = [];
  const deleted: string[] = [];
  const modified: string[] = [];
  for (const [p, oid] of bm) {
    const old = am.get(p);
    if (old === undefined) added.push(p);
    else if (old !== oid) modified.push(p);
  }
  for (const p of am.keys()) if (!bm.has(p)) deleted.push(p);
  return { added: added.sort(), deleted: deleted.sort(), modified: modified.sort() };
}

export async function compareOut(env: BuildEnv, out: DvcOut, ctx: OpContext = {}): Promise<OutComparison> {
  const built = await buildOutput(env, out.absPath, out.hashName, 'none', ctx);
  if (!built) return { state: out.oid ? 'deleted' : 'new' };
  if (!out.oid) return { state: 'new', built };
  const recordedIsDir = isDirOid(out.oid);
  const readRecorded = (): Tree | undefined => {
    try { return env.odb.readTree(out.hashName, out.oid!); } catch { return undefined; }
  };
  if (built.oid !== out.oid) {
    const recordedTree = recordedIsDir ? readRecorded() : undefined;
    const res: OutComparison = { state: 'modified', built, recordedTree };
    if (built.kind === 'dir' && recordedIsDir) res.changes = diffTrees(recordedTree, built.tree);
    return res;
  }
  if (out.cache) {
    let missing = 0;
    const manifestPresent = env.odb.has(out.hashName, out.oid);
    if (!manifestPresent) missing++;
    // Same oid: the recorded entries are exactly the workspace's, whose objects we know already
    // (no need to parse the manifest). Without the manifest, nothing says what else is missing.
    const oids = built.kind === 'dir' && recordedIsDir ? built.oids : [];
    if (oids.length > 2000) missing += countMissingMemo(env, out.hashName, out.oid, oids);
    else {
      for (const o of oids) if (!existsSync(env.odb.path(out.hashName, o))) missing++;
    }
    if (missing) return { state: 'not in cache', built, recordedTree: manifestPresent && recordedIsDir ? readRecorded() : undefined, missingObjects: missing };
  }
  return { built };
}

/**
 * Objects of `oids` missing from the cache, for a big directory: one readdir per cache prefix
 * directory, skipped entirely when a previous check found them all and no prefix directory changed
 * since (state DB presence memo; see StateDB.getPresence).
 */
function countMissingMemo(env: BuildEnv, name: HashName, treeOid: string, oids: string[]): number {
  const cacheBase = env.odb.algoRoot(name);
  const prefixes = new Set<string>();
  for (const o of oids) prefixes.add(o.slice(0, 2));
  const mtimes: Record<string, number> = {};
  let missingDir = false;
  for (const p of prefixes) {
    try { mtimes[p] = statSync(join(cacheBase, p)).mtimeMs; } catch { missingDir = true; }
  }
  const key = `${cacheBase}\0${treeOid}`;
  if (!missingDir) {
    const memo = env.state.getPresence(key);
    if (memo && [...prefixes].every((p) => memo[p] === mtimes[p])) return 0;
  }
  const present = env.odb.listOids(name);
  let missing = 0;
  for (const o of oids) if (!present.has(o)) missing++;
  env.state.setPresence(key, missing === 0 && !missingDir ? mtimes : undefined);
  return missing;
}
