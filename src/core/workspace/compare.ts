/**
 * Compares a workspace output with what its `.dvc` records: clean, modified (with per-file
 * details inside directories), deleted, not in cache, new (no hash recorded yet).
 */
import { existsSync } from 'node:fs';
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
  let recordedTree: Tree | undefined;
  if (recordedIsDir) {
    try { recordedTree = env.odb.readTree(out.hashName, out.oid); } catch { recordedTree = undefined; }
  }
  if (built.oid !== out.oid) {
    const res: OutComparison = { state: 'modified', built, recordedTree };
    if (built.kind === 'dir' && recordedIsDir) res.changes = diffTrees(recordedTree, built.tree);
    return res;
  }
  if (out.cache) {
    let missing = 0;
    if (!env.odb.has(out.hashName, out.oid)) missing++;
    if (recordedTree) {
      if (recordedTree.entries.length > 2000) {
        const present = env.odb.listOids(out.hashName);
        for (const e of recordedTree.entries) if (!present.has(e.oid)) missing++;
      } else {
        for (const e of recordedTree.entries) if (!existsSync(env.odb.path(out.hashName, e.oid))) missing++;
      }
    }
    if (missing) return { state: 'not in cache', built, recordedTree, missingObjects: missing };
  }
  return { built, recordedTree };
}
