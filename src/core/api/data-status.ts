/**
 * `data status`: DVC 3's summary of tracked data in three layers, as `dvc data status --json`:
 * - `committed`: what the `.dvc` files / `dvc.lock` record now versus git `HEAD` (changes made
 *   with `add`/`commit` that git has not committed yet);
 * - `uncommitted`: the workspace data versus what the `.dvc` files / `dvc.lock` record;
 * - `not_in_cache`: recorded outputs whose object is missing from the cache;
 * - with options: `unchanged`, `not_in_remote` (recorded objects the remote lacks),
 *   `untracked` (git's untracked files).
 * Without `granular` a directory is one entry (`d/`); with it its files are listed too. Empty
 * categories are left out.
 */
import { relative, sep } from 'node:path';
import { withDataRepo, type DataRepo } from './data-repo.js';
import { collectOuts } from './used.js';
import { buildOutput } from '../workspace/build.js';
import { toPosixRel } from '../workspace/collect.js';
import { isDirOid } from '../odb/layout.js';
import type { HashName } from '../odb/hash.js';
import { Git } from '../scm/git.js';
import type { OpContext } from '../../lib/progress.js';

export interface DataStatusOptions extends OpContext {
  cwd: string;
  granular?: boolean;
  unchanged?: boolean;
  /** `all` lists every untracked file, `normal` as `git status` (folders collapsed), `no` none. */
  untrackedFiles?: 'all' | 'normal' | 'no';
  notInRemote?: boolean;
  remote?: string;
}

export interface ChangeLists { added?: string[]; modified?: string[]; deleted?: string[]; renamed?: { old: string; new: string }[]; unknown?: string[] }
export interface DataStatusResult {
  not_in_cache?: string[];
  not_in_remote?: string[];
  committed?: ChangeLists;
  uncommitted?: ChangeLists;
  unchanged?: string[];
  untracked?: string[];
}

interface Entry { oid: string; hashName: HashName; isDir: boolean; top: string }
type Side = Map<string, Entry>;

function addDir(d: DataRepo, side: Side, rel: string, hashName: HashName, oid: string, granular: boolean, tree?: { entries: { relpath: string; oid: string }[] }): void {
  side.set(rel + '/', { oid, hashName, isDir: true, top: rel + '/' });
  if (!granular) return;
  let t = tree;
  if (!t) { try { t = d.odb.readTree(hashName, oid); } catch { return; } }
  for (const e of t.entries) side.set(`${rel}/${e.relpath}`, { oid: e.oid, hashName, isDir: false, top: rel + '/' });
}

function recordedSide(d: DataRepo, rev: string, granular: boolean): Side {
  const side: Side = new Map();
  for (const { out } of collectOuts(d.repo, rev)) {
    if (!out.oid) continue;
    const rel = toPosixRel(d.repo.root, out.absPath);
    if (isDirOid(out.oid)) addDir(d, side, rel, out.hashName, out.oid, granular);
    else side.set(rel, { oid: out.oid, hashName: out.hashName, isDir: false, top: rel });
  }
  return side;
}

async function workspaceSide(d: DataRepo, granular: boolean, ctx: OpContext): Promise<Side> {
  const side: Side = new Map();
  for (const { out } of collectOuts(d.repo, 'workspace')) {
    const rel = toPosixRel(d.repo.root, out.absPath);
    const env = { odb: d.odb, state: d.state, ignore: d.ignore, repoRel: rel };
    const built = await buildOutput(env, out.absPath, out.hashName, 'none', ctx);
    if (!built) continue;
    if (built.kind === 'dir') addDir(d, side, rel, out.hashName, built.oid, granular, built.tree);
    else side.set(rel, { oid: built.oid, hashName: out.hashName, isDir: false, top: rel });
  }
  return side;
}

function compare(a: Side, b: Side): { lists: ChangeLists; unchanged: string[] } {
  const lists: Required<Pick<ChangeLists, 'added' | 'modified' | 'deleted'>> = { added: [], modified: [], deleted: [] };
  const unchanged: string[] = [];
  for (const [p, v] of b) {
    const o = a.get(p);
    if (!o) lists.added.push(p);
    else if (o.oid !== v.oid) lists.modified.push(p);
    else unchanged.push(p);
  }
  for (const p of a.keys()) if (!b.has(p)) lists.deleted.push(p);
  const out: ChangeLists = {};
  for (const k of ['added', 'modified', 'deleted'] as const) if (lists[k].length) out[k] = lists[k].sort();
  return { lists: out, unchanged: unchanged.sort() };
}

export async function dataStatus(opts: DataStatusOptions): Promise<DataStatusResult> {
  return withDataRepo(opts.cwd, false, 'geodvc data status', async (d) => {
    const granular = !!opts.granular;
    const git = d.repo.noScm ? null : Git.open(d.repo.root);
    const head = git?.revParse('HEAD');
    const recorded = recordedSide(d, 'workspace', granular);
    const headSide: Side = head ? recordedSide(d, 'HEAD', granular) : new Map();
    const ws = await workspaceSide(d, granular, opts);
    const res: DataStatusResult = {};

    const notInCache = [...recorded].filter(([, e]) => !d.odb.exists(e.hashName, e.oid)).map(([p]) => p).sort();
    if (notInCache.length) res.not_in_cache = notInCache;

    if (opts.notInRemote) {
      const { cloudStatus } = await import('./cloud-status.js');
      const cs = await cloudStatus({ cwd: d.repo.root, remote: opts.remote, signal: opts.signal });
      const missing = new Set(cs.entries.filter((e) => e.state === 'new' || e.state === 'missing').map((e) => `${e.hashName}:${e.oid}`));
      const tops = new Set<string>();
      const list: string[] = [];
      for (const [p, e] of recorded) {
        if (!missing.has(`${e.hashName}:${e.oid}`)) continue;
        if (granular) list.push(p); else tops.add(e.top);
      }
      // A directory is not in the remote when any of its files is not (non-granular view).
      if (!granular) {
        for (const { out } of collectOuts(d.repo, 'workspace')) {
          if (!out.oid || !isDirOid(out.oid)) continue;
          const rel = toPosixRel(d.repo.root, out.absPath);
          try { if (d.odb.readTree(out.hashName, out.oid).entries.some((e) => missing.has(`${out.hashName}:${e.oid}`))) tops.add(rel + '/'); } catch { /* no manifest: the .dir entry says it */ }
        }
        list.push(...tops);
      }
      if (list.length) res.not_in_remote = [...new Set(list)].sort();
    }

    const committed = compare(headSide, recorded);
    if (Object.keys(committed.lists).length) res.committed = committed.lists;
    const uncommitted = compare(recorded, ws);
    if (Object.keys(uncommitted.lists).length) res.uncommitted = uncommitted.lists;
    // Unchanged: the same in the workspace, the .dvc files and git HEAD.
    const committedPaths = new Set(Object.values(committed.lists).flat().map((x) => (typeof x === 'string' ? x : x.new)));
    const unchanged = uncommitted.unchanged.filter((p) => !committedPaths.has(p));
    if (opts.unchanged && unchanged.length) res.unchanged = unchanged;

    const mode = opts.untrackedFiles ?? 'no';
    if (mode !== 'no' && git) {
      const out = git.run(['status', '--porcelain', '-z', `--untracked-files=${mode}`, '--', '.'], { allowFail: true });
      const prefix = relative(git.root, d.repo.root).split(sep).join('/');
      const untracked = out.split('\0').filter((l) => l.startsWith('?? ')).map((l) => l.slice(3))
        .map((p) => (prefix && p.startsWith(prefix + '/') ? p.slice(prefix.length + 1) : p)).sort();
      if (untracked.length) res.untracked = untracked;
    }
    return res;
  }, opts.signal);
}
