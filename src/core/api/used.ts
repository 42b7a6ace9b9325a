
import { join, relative, resolve } from 'node:path';
import type { Repo } from '../repo/repo.js';
import type { DvcOut } from '../dvcfile/dvcfile.js';
import { toPosixRel } from '../workspace/collect.js';
import { trackedOuts } from '../workspace/tracked.js';
import { ObjectDB } from '../odb/odb.js';
import type { HashName } from '../odb/hash.js';
import { isDirOid } from '../odb/layout.js';
import type { Tree } from '../odb/tree.js';

export interface UsedObject {
  hashName: HashName;
  oid: string;
  isDir: boolean;
  /** Size in bytes when known (files: from the .dvc/.dir; dirs: the total). */
  size?: number;
  /** Repo-relative posix paths that use it (`data/imagery`, `data/imagery/sub/a.tif`). */
  paths: string[];
  /** The revisions it was found in ('workspace' for the working tree). */
  revs: string[];
  /** False when every use has `push: false`. */
  push: boolean;
  /** Per-output `remote:` override, when every use names the same one. */
  remote?: string;
  /** For a member of a directory: the `.dir` oid it belongs to. */
  parentDir?: string;
  /** A directory whose manifest is not in the local cache (not expanded). */
  manifestMissing?: boolean;
}

export interface CollectUsedOptions {
  /** Paths (files, directories or `.dvc` files), relative to `cwd` or absolute. Default: all. */
  targets?: string[];
  cwd?: string;
  /** Git revisions to read `.dvc`/`dvc.lock` files from; 'workspace' (default when omitted) = working tree. */
  revs?: string[];
  /** Include the members of directories (default true). */
  expandDirs?: boolean;
}

export interface OutRef { out: DvcOut; dvcfile: string; rev: string }

/**
 * The outputs (with the absolute path of their .dvc file or dvc.lock) of the workspace or a
 * revision: every `.dvc` file and every dvc.lock, stage subdirectories included (core/workspace/tracked.ts).
 */
export function collectOuts(repo: Repo, rev = 'workspace'): OutRef[] {
  return trackedOuts(repo, rev).map((t) => ({ out: t.out, dvcfile: join(repo.root, t.trackedBy), rev }));
}

/** True when `absPath` is, or is inside, one of the absolute `targets`. */
export function matchesTargets(absPath: string, dvcfile: string, targets: string[] | undefined): boolean {
  if (!targets || targets.length === 0) return true;
  return targets.some((t) => {
    if (t === dvcfile) return true;
    const r = relative(t, absPath);
    if (r === '') return true;
    if (!r.startsWith('..') && !r.startsWith('/')) return true; // output inside target dir
    const r2 = relative(absPath, t);
    return !r2.startsWith('..') && !r2.startsWith('/'); // target inside output (a file in a dir)
  });
}

export function collectUsedObjects(repo: Repo, opts: CollectUsedOptions = {}): UsedObject[] {
  const cwd = opts.cwd ?? repo.root;
  const targets = opts.targets?.map((t) => resolve(cwd, t));
  const revs = opts.revs && opts.revs.length ? opts.revs : ['workspace'];
  const expand = opts.expandDirs !== false;
  const odb = new ObjectDB(repo.cacheDir);
  const map = new Map<string, UsedObject>();
  const treeCache = new Map<string, Tree | null>();
  const add = (hashName: HashName, oid: string, isDir: boolean, size: number | undefined, path: string, rev: string, out: DvcOut, parentDir?: string): UsedObject => {
    const key = `${hashName}:${oid}`;
    let u = map.get(key);
    if (!u) {
      // arrays of exactly one element (an empty array grown by push reserves 17 slots): with
      // 100,000 files this is tens of MiB less to hold through a push
      u = { hashName, oid, isDir, size, paths: [path], revs: [rev], push: out.push, remote: out.remote };
      if (parentDir) u.parentDir = parentDir;
      map.set(key, u);
      return u;
    }
    u.push ||= out.push;
    if (u.remote !== out.remote) u.remote = undefined;
    if (!u.paths.includes(path)) u.paths.push(path);
    if (!u.revs.includes(rev)) u.revs.push(rev);
    return u;
  };
  for (const rev of revs) {
    for (const { out, dvcfile } of collectOuts(repo, rev)) {
      if (!out.cache || !out.oid) continue;
      if (!matchesTargets(out.absPath, dvcfile, targets)) continue;
      const rel = toPosixRel(repo.root, out.absPath);
      const isDir = isDirOid(out.oid);
      const u = add(out.hashName, out.oid, isDir, out.size, rel, rev, out);
      if (!isDir || !expand) continue;
      const tkey = `${out.hashName}:${out.oid}`;
      let tree = treeCache.get(tkey);
      if (tree === undefined) {
        try { tree = odb.readTree(out.hashName, out.oid); } catch { tree = null; }
        treeCache.set(tkey, tree);
      }
      if (!tree) { u.manifestMissing = true; continue; }
      for (const e of tree.entries) {
        const abs = `${out.absPath}/${e.relpath}`;
        if (targets && !matchesTargets(abs, dvcfile, targets)) continue;
        add(out.hashName, e.oid, false, e.size, `${rel}/${e.relpath}`, rev, out, out.oid);
      }
    }
  }
  return [...map.values()];
}
