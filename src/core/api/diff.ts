/**
 * `diff [A_REV [B_REV]]`: tracked data changes between two git revisions, or a revision and the
 * workspace (default: HEAD vs workspace). Older `.dvc` files are read through git; directory
 * manifests come from the local cache (a missing one reduces that directory to one entry).
 * JSON shape as DVC's `diff --json`: `{"added": [{"path"}], "deleted", "modified", "renamed":
 * [{"path": {"old", "new"}}]}`, directories with a trailing `/`. Against the workspace (no
 * B_REV) DVC adds `"not in cache"`: unchanged files whose object is missing from the local cache.
 */
import { relative } from 'node:path';
import { withDataRepo, type DataRepo } from './data-repo.js';
import { collectOuts, matchesTargets } from './used.js';
import { buildOutput } from '../workspace/build.js';
import { toPosixRel } from '../workspace/collect.js';
import { isDirOid } from '../odb/layout.js';
import type { HashName } from '../odb/hash.js';
import type { Tree } from '../odb/tree.js';
import type { OpContext } from '../../lib/progress.js';
import { compareCodePoints } from '../../lib/pyjson.js';
import { resolve } from 'node:path';

export interface DiffOptions extends OpContext {
  cwd: string;
  a?: string;
  b?: string;
  targets?: string[];
  showHash?: boolean;
}

export interface DiffEntry { path: string; hash?: string | { old: string; new: string } }
export interface RenamedEntry { path: { old: string; new: string }; hash?: string }
export interface DiffResult { added: DiffEntry[]; deleted: DiffEntry[]; modified: DiffEntry[]; renamed: RenamedEntry[]; 'not in cache'?: DiffEntry[] }

type Side = Map<string, { oid: string; isDir: boolean; hashName: HashName }>;

export async function diff(opts: DiffOptions): Promise<DiffResult> {
  return withDataRepo(opts.cwd, false, 'geodvc diff', (d) => diffLocked(d, opts), opts.signal);
}

async function sideOf(d: DataRepo, rev: string | undefined, targets: string[] | undefined, cwd: string, ctx: OpContext): Promise<Side> {
  const side: Side = new Map();
  const rel = (abs: string) => relative(cwd, abs) || toPosixRel(d.repo.root, abs);
  const addTree = (base: string, tree: Tree, hashName: HashName) => {
    for (const e of tree.entries) side.set(rel(`${base}/${e.relpath}`), { oid: e.oid, isDir: false, hashName });
  };
  const refs = collectOuts(d.repo, rev ?? 'workspace');
  for (const { out, dvcfile } of refs) {
    if (!matchesTargets(out.absPath, dvcfile, targets)) continue;
    if (rev === undefined) {
      const env = { odb: d.odb, state: d.state, ignore: d.ignore, repoRel: toPosixRel(d.repo.root, out.absPath) };
      const built = await buildOutput(env, out.absPath, out.hashName, 'none', ctx);
      if (!built) continue;
      if (built.kind === 'dir') {
        side.set(rel(out.absPath) + '/', { oid: built.oid, isDir: true, hashName: out.hashName });
        addTree(out.absPath, built.tree, out.hashName);
      } else side.set(rel(out.absPath), { oid: built.oid, isDir: false, hashName: out.hashName });
      continue;
    }
    if (!out.oid) continue;
    if (isDirOid(out.oid)) {
      side.set(rel(out.absPath) + '/', { oid: out.oid, isDir: true, hashName: out.hashName });
      try { addTree(out.absPath, d.odb.readTree(out.hashName, out.oid), out.hashName); } catch { /* manifest not in cache */ }
    } else side.set(rel(out.absPath), { oid: out.oid, isDir: false, hashName: out.hashName });
  }
  return side;
}

export async function diffLocked(d: DataRepo, opts: DiffOptions): Promise<DiffResult> {
  const targets = opts.targets?.length ? opts.targets.map((t) => resolve(opts.cwd, t).replace(/\/$/, '')) : undefined;
  const aRev = opts.a ?? 'HEAD';
  const a = await sideOf(d, aRev, targets, opts.cwd, opts);
  const b = await sideOf(d, opts.b, targets, opts.cwd, opts);
  const res: DiffResult = { added: [], deleted: [], modified: [], renamed: [] };
  const notInCache: DiffEntry[] = [];
  // Presence in the cache: one stat per object for small diffs, one readdir per prefix for big ones.
  const listed = new Map<HashName, Set<string>>();
  const inCache = (h: HashName, oid: string): boolean => {
    if (b.size < 2000) return d.odb.exists(h, oid);
    let set = listed.get(h);
    if (!set) { set = d.odb.listOids(h); listed.set(h, set); }
    return set.has(oid);
  };
  const added: [string, string][] = [];
  const deleted: [string, string][] = [];
  for (const [p, v] of b) {
    const old = a.get(p);
    if (!old) added.push([p, v.oid]);
    else if (old.oid !== v.oid) res.modified.push(opts.showHash ? { path: p, hash: { old: old.oid, new: v.oid } } : { path: p });
    else if (opts.b === undefined && !v.isDir && !inCache(v.hashName, v.oid)) notInCache.push(opts.showHash ? { path: p, hash: v.oid } : { path: p });
  }
  for (const [p, v] of a) if (!b.has(p)) deleted.push([p, v.oid]);
  // Renames: a file deleted and another added with the same content.
  const delByOid = new Map<string, string[]>();
  for (const [p, oid] of deleted) if (!p.endsWith('/')) (delByOid.get(oid) ?? delByOid.set(oid, []).get(oid)!).push(p);
  const renamedOld = new Set<string>();
  for (const [p, oid] of added) {
    const cands = p.endsWith('/') ? undefined : delByOid.get(oid);
    const old = cands?.shift();
    if (old !== undefined) {
      renamedOld.add(old);
      res.renamed.push(opts.showHash ? { path: { old, new: p }, hash: oid } : { path: { old, new: p } });
    } else res.added.push(opts.showHash ? { path: p, hash: oid } : { path: p });
  }
  for (const [p, oid] of deleted) if (!renamedOld.has(p)) res.deleted.push(opts.showHash ? { path: p, hash: oid } : { path: p });
  const byPath = (x: DiffEntry, y: DiffEntry) => compareCodePoints(x.path, y.path);
  res.added.sort(byPath);
  res.deleted.sort(byPath);
  res.modified.sort(byPath);
  res.renamed.sort((x, y) => compareCodePoints(x.path.new, y.path.new));
  if (opts.b === undefined) res['not in cache'] = notInCache.sort(byPath);
  return res;
}
