/**
 * Checkout planning and applying (dvc-formats.md §10). `planOutput` compares the workspace with
 * the recorded version of one output and returns what to link, replace and delete, which workspace
 * files hold unsaved data (not in the cache), and which objects are missing from the cache.
 * `applyPlan` links via the worker pool (temp + rename for replacements, so a killed checkout
 * never leaves a half-written file under a data name) and records the new files in the state DB.
 */
import { constants as fsc, copyFileSync, mkdirSync, readdirSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { DvcOut } from '../dvcfile/dvcfile.js';
import type { BuildEnv } from './build.js';
import { hashFiles, statFile } from './build.js';
import { walkDir, type WalkedFile } from './walk.js';
import type { HashName } from '../odb/hash.js';
import { HashPool, type PoolItem } from '../odb/pool.js';
import type { LinkType } from '../odb/odb.js';
import { isDirOid } from '../odb/layout.js';
import type { Tree } from '../odb/tree.js';
import { AppError } from '../../lib/errors.js';
import { assertNotReserved, insideResolver } from '../../lib/safepath.js';
import { throttledProgress, type OpContext } from '../../lib/progress.js';

export interface LinkItem {
  dest: string; oid: string; isexec?: boolean; exists: boolean;
  /** Bytes to expect (for progress and batching; may be the workspace file's size). */
  size?: number;
  /** The object's recorded size, when known (checked before linking). */
  objSize?: number;
  rel: string;
}

export interface OutPlan {
  out: DvcOut;
  hashName: HashName;
  /** Files to create or replace. */
  link: LinkItem[];
  /** Workspace files to delete (not in the recorded version). */
  remove: string[];
  /** Workspace files whose content is not in the cache (blocks without --force). */
  unsaved: string[];
  /** Recorded objects missing from the cache. */
  missing: string[];
  /** A directory output whose path is a file now (or the reverse): remove it first. */
  replaceKind?: boolean;
  unchanged: number;
}

export interface PlanOptions {
  relink?: boolean;
  force?: boolean;
  /** Only these absolute paths inside the output (a file or subdirectory of a tracked dir). */
  only?: string[];
}

function within(p: string, only: string[] | undefined): boolean {
  if (!only) return true;
  return only.some((o) => p === o || p.startsWith(o + '/'));
}

export async function planOutput(env: BuildEnv, out: DvcOut, opts: PlanOptions, ctx: OpContext = {}): Promise<OutPlan> {
  const name = out.hashName;
  const plan: OutPlan = { out, hashName: name, link: [], remove: [], unsaved: [], missing: [], unchanged: 0 };
  if (!out.oid) return plan;
  const odb = env.odb;
  let wsKind: 'file' | 'dir' | 'none' = 'none';
  try {
    const st = statSync(out.absPath);
    wsKind = st.isDirectory() ? 'dir' : 'file';
  } catch { wsKind = 'none'; }
  if (!isDirOid(out.oid)) {
    if (!odb.has(name, out.oid, out.size)) { plan.missing.push(out.absPath); return plan; }
    if (wsKind === 'dir') {
      const files = walkDir(out.absPath, { repoRel: env.repoRel });
      await classifyUnsaved(env, files, name, plan);
      plan.replaceKind = true;
      plan.link.push({ dest: out.absPath, oid: out.oid, isexec: out.isexec, exists: false, size: out.size, rel: '' });
      return plan;
    }
    const f = wsKind === 'file' ? statFile(out.absPath) : undefined;
    if (!f) {
      plan.link.push({ dest: out.absPath, oid: out.oid, isexec: out.isexec, exists: wsKind !== 'none', size: out.size, rel: '' });
      return plan;
    }
    const [cur] = await hashFiles(env, [f], name, 'none', ctx);
    if (cur === out.oid && !opts.relink) { plan.unchanged++; return plan; }
    if (cur !== out.oid && !odb.has(name, cur!)) plan.unsaved.push(out.absPath);
    plan.link.push({ dest: out.absPath, oid: out.oid, isexec: out.isexec, exists: true, size: out.size, rel: '' });
    return plan;
  }
  let tree: Tree;
  try {
    if (!odb.has(name, out.oid)) throw new Error('missing');
    tree = odb.readTree(name, out.oid);
  } catch (err) {
    // a corrupt or crafted manifest (issue 17: entries into .git/.dvc) is an error, not "missing"
    if (err instanceof AppError && err.code !== 'object-missing') throw err;
    plan.missing.push(out.absPath + '/');
    return plan;
  }
  if (wsKind === 'file') {
    const f = statFile(out.absPath)!;
    await classifyUnsaved(env, [f], name, plan);
    plan.replaceKind = true;
    wsKind = 'none';
  }
  const ws = wsKind === 'dir' ? walkDir(out.absPath, { repoRel: env.repoRel, ignore: env.ignore, removeTemps: true }) : [];
  const wsByRel = new Map(ws.map((f) => [f.rel, f]));
  const onlyWs = ws.filter((f) => within(f.abs, opts.only));
  const wsOids = new Map<string, string>();
  if (onlyWs.length) {
    const oids = await hashFiles(env, onlyWs, name, 'none', ctx, opts.only ? undefined : out.absPath);
    onlyWs.forEach((f, i) => wsOids.set(f.rel, oids[i]!));
  }
  const treeRels = new Set<string>();
  // Big trees: one readdir per cache prefix instead of one stat per object; the workers check
  // each object's protection (0444, size) before linking it (PoolItem.verify).
  const present = tree.entries.length > 2000 ? odb.listOids(name) : undefined;
  for (const e of tree.entries) {
    treeRels.add(e.relpath);
    const dest = join(out.absPath, e.relpath);
    if (!within(dest, opts.only)) continue;
    const cur = wsOids.get(e.relpath);
    if (cur === e.oid && !opts.relink) { plan.unchanged++; continue; }
    if (present ? !present.has(e.oid) : !odb.has(name, e.oid, e.size)) { plan.missing.push(dest); continue; }
    const w = wsByRel.get(e.relpath);
    if (cur !== undefined && cur !== e.oid && !odb.has(name, cur)) plan.unsaved.push(dest);
    plan.link.push({ dest, oid: e.oid, isexec: e.isexec, exists: !!w, size: e.size ?? w?.size, objSize: e.size, rel: e.relpath });
  }
  for (const f of onlyWs) {
    if (treeRels.has(f.rel)) continue;
    const cur = wsOids.get(f.rel)!;
    if (!odb.has(name, cur)) plan.unsaved.push(f.abs);
    plan.remove.push(f.abs);
  }
  return plan;
}

async function classifyUnsaved(env: BuildEnv, files: WalkedFile[], name: HashName, plan: OutPlan): Promise<void> {
  if (!files.length) return;
  const oids = await hashFiles(env, files, name, 'none');
  files.forEach((f, i) => { if (!env.odb.has(name, oids[i]!)) plan.unsaved.push(f.abs); });
}

/** A file that could not be placed or removed; `code` is the errno code (ENOSPC, EROFS, …) when there is one. */
export interface ApplyFailure { path: string; message: string; code?: string }
export interface ApplyResult { linked: number; removed: number; linkType?: LinkType; failures: ApplyFailure[] }

/**
 * The write guard of checkout/pull (issue 17), run before anything is written or deleted: every
 * output path and every file to link, replace or delete must stay inside `root`, must not enter
 * `.git` or `.dvc` (the rule of `src/lib/safepath.ts`, lexically and through any symlink on the
 * way), and no parent directory may be a symlink leaving the workspace or entering `.git`/`.dvc`.
 * The realpath of each distinct parent directory is checked once (100k files live in a few hundred
 * directories); the leaf itself may be a symlink (`cache.type symlink`): it is replaced by a rename,
 * never written through. `--force` does not reach this: it throws.
 */
export function guardPlans(root: string, plans: OutPlan[]): void {
  const inside = insideResolver(root);
  const prefix = root.endsWith(sep) ? root : root + sep;
  const parents = new Set<string>();
  const relOf = (abs: string) => {
    const r = abs.startsWith(prefix) ? abs.slice(prefix.length) : relative(root, abs);
    return sep === '/' ? r : r.split(sep).join('/');
  };
  for (const p of plans) {
    inside(relOf(p.out.absPath), { what: 'checkout output', allowFinalSymlink: true });
    parents.add(dirname(p.out.absPath));
    for (const list of [p.link.map((l) => l.dest), p.remove, p.unsaved]) {
      for (const x of list) {
        assertNotReserved(relOf(x), 'checkout target');
        parents.add(dirname(x));
      }
    }
  }
  for (const dir of parents) if (dir !== root) inside(relOf(dir), { what: 'checkout target' });
}

/** The link type to use: the first of `types` that works here (probed once, cheaply). */
export function resolveLinkType(env: BuildEnv, hashName: HashName, oid: string, probeDir: string, types: readonly LinkType[]): LinkType {
  for (const t of types) {
    if (t === 'copy') return 'copy';
    const probe = join(probeDir, `.geodvc-tmp-linkprobe-${process.pid}`);
    try {
      if (t === 'reflink') {
        // Probe with a tiny file, not the (maybe huge) object.
        const src = join(env.odb.root, `.geodvc-tmp-reflinkprobe-${process.pid}`);
        writeFileSync(src, 'x');
        try { copyFileSync(src, probe, fsc.COPYFILE_FICLONE_FORCE); } finally { rmSync(src, { force: true }); }
        return 'reflink';
      }
      env.odb.link(hashName, oid, probe, [t]);
      return t;
    } catch {
      continue;
    } finally {
      rmSync(probe, { force: true });
    }
  }
  throw new AppError('link-failed', `none of the link types ${types.join(',')} works here`, 1, { hint: 'add copy to cache.type, e.g. `geodvc config cache.type hardlink,copy`' });
}

export async function applyPlan(env: BuildEnv, plan: OutPlan, types: readonly LinkType[], ctx: OpContext = {}): Promise<ApplyResult> {
  const res: ApplyResult = { linked: 0, removed: 0, failures: [] };
  const out = plan.out;
  // issue 17: checked again right before the first write, whoever calls (a planned path may not be trusted)
  if (env.root) guardPlans(env.root, [plan]);
  if (plan.replaceKind) rmSync(out.absPath, { recursive: true, force: true });
  for (const p of plan.remove) {
    try { rmSync(p, { force: true }); res.removed++; } catch (err) { res.failures.push({ path: p, message: (err as Error).message, code: (err as NodeJS.ErrnoException).code }); }
  }
  if (plan.remove.length) pruneEmptyDirs(out.absPath, plan.remove);
  if (!plan.link.length) return res;
  const first = plan.link[0]!;
  mkdirSync(dirname(first.dest), { recursive: true });
  let type = resolveLinkType(env, plan.hashName, first.oid, dirname(first.dest), types);
  if (type === 'reflink') type = 'copy'; // reflink-capable filesystems: the pool copies (copy_file_range)
  res.linkType = type;
  const progress = throttledProgress(ctx.onProgress);
  // (a destination the walk did not see but that exists is replaced too: the worker handles EEXIST)
  const items: PoolItem[] = plan.link.map((l) => ({ path: l.dest, oid: l.oid, isexec: l.isexec, exists: l.exists, size: l.size, objSize: l.rel === '' ? l.size : l.objSize, verify: true }));
  const total = items.length;
  progress({ phase: 'checkout', done: 0, total });
  const pool = env.pool ?? HashPool.shared();
  const job = { op: `link-${type}` as 'link-copy', name: plan.hashName, cache: env.odb.root, signal: ctx.signal };
  const results = await pool.run({ ...job, items, onProgress: (done) => progress({ phase: 'checkout', done, total }) });
  // Objects the workers did not trust (not read-only, or of the wrong size): verify them here
  // (re-hash; a corrupt copy is removed) and link the good ones.
  const retry: number[] = [];
  results.forEach((r, i) => { if (r.error?.code === 'EUNTRUSTED' && env.odb.has(plan.hashName, items[i]!.oid!, items[i]!.objSize)) retry.push(i); });
  if (retry.length) {
    const again = await pool.run({ ...job, items: retry.map((i) => ({ ...items[i]!, verify: false })) });
    retry.forEach((i, k) => { results[i] = again[k]!; });
  }
  results.forEach((r) => { if (r.error?.code === 'EUNTRUSTED') r.error.message = `${r.error.message}: the cached object is missing or corrupted (fetch it again with \`geodvc fetch\`)`; });
  progress({ phase: 'checkout', done: total, total, finished: true });
  const isDir = !!out.oid && out.oid.endsWith('.dir');
  const index = isDir ? env.state.loadDirIndex(out.absPath, plan.hashName) : undefined;
  if (index) for (const p of plan.remove) index.delete(p.slice(out.absPath.length + 1));
  results.forEach((r, i) => {
    const l = plan.link[i]!;
    if (r.error) { res.failures.push({ path: l.dest, message: r.error.message, code: r.error.code }); return; }
    res.linked++;
    if (index) index.set(l.rel, { ino: r.ino!, mtime: r.mtimeMs!, size: r.size!, oid: l.oid });
    else env.state.set(l.dest, plan.hashName, { ino: r.ino!, mtimeMs: r.mtimeMs!, size: r.size! }, l.oid);
  });
  if (index) env.state.saveDirIndex(out.absPath, plan.hashName, index);
  env.state.flush();
  return res;
}

function pruneEmptyDirs(root: string, removed: string[]): void {
  const dirs = new Set<string>();
  for (const p of removed) {
    let d = dirname(p);
    while (d.length > root.length && d.startsWith(root)) { dirs.add(d); d = dirname(d); }
  }
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) {
    try { if (readdirSync(d).length === 0) rmdirSync(d); } catch { /* not empty or gone */ }
  }
}
