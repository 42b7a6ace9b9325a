/**
 * Hashes workspace outputs (files or directories) into what a `.dvc` records, optionally storing
 * the objects in the cache on the way (add/commit). Unchanged files come from the state DB;
 * the rest go to the worker pool on all cores.
 */
import { chmodSync, mkdirSync, renameSync, rmSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import type { HashName } from '../odb/hash.js';
import type { ObjectDB } from '../odb/odb.js';
import { StateDB, type DirIndex, type DirIndexEntry } from '../odb/state.js';
import { HashPool, poolError, sameSource, type PoolItem, type PoolOp, type PoolResult } from '../odb/pool.js';
import { buildTree, type TreeEntry, type Tree } from '../odb/tree.js';
import { CHUNK_LIST_VERSION, chunkHashFor, saveLocalList } from '../chunk/list.js';
import type { DvcIgnore } from '../repo/dvcignore.js';
import { walkDir, type WalkedFile } from './walk.js';
import { AppError, InterruptedError, toAppError } from '../../lib/errors.js';
import { throttledProgress, type OpContext } from '../../lib/progress.js';

export type StoreMode = 'none' | 'copy' | 'hardlink' | 'symlink';

export interface BuildEnv {
  odb: ObjectDB;
  state: StateDB;
  pool?: HashPool;
  ignore?: DvcIgnore;
  /** Repo-relative path of the output, for `.dvcignore` matching. */
  repoRel: string;
  /** The repository root: when set, `applyPlan` checks every path against it before writing (issue 17). */
  root?: string;
  /**
   * Cut big files stored now into the chunks a chunked remote keeps, on another worker beside
   * their hash, and remember the lists in the cache (push then finds them instead of cutting).
   */
  chunkLists?: ChunkListsAtAdd;
}

/** Which files `hashFiles` cuts while storing (see BuildEnv.chunkLists and docs/chunking.md). */
export interface ChunkListsAtAdd { mode: 'tiles' | 'cdc'; minBytes: number }

export interface BuiltFile { kind: 'file'; oid: string; size: number; isexec: boolean }
/**
 * A built directory. `tree` and `bytes` (the manifest) are computed on first use: when every walked
 * file matched the state index, the `.dir` oid is known without serialising and hashing 100k
 * entries. `oids[i]` is the object of `files[i]`.
 */
export interface BuiltDir { kind: 'dir'; oid: string; size: number; nfiles: number; readonly tree: Tree; readonly bytes: Buffer; files: WalkedFile[]; oids: string[] }
export type Built = BuiltFile | BuiltDir;

function opFor(mode: StoreMode): PoolOp {
  return mode === 'none' ? 'hash' : (`store-${mode}` as PoolOp);
}

/**
 * Hashes `files` (state DB first), storing them with `mode`. Returns one oid per file.
 * Throws the first per-file error as an AppError (with all failures in details).
 */
export async function hashFiles(env: BuildEnv, files: WalkedFile[], name: HashName, mode: StoreMode, ctx: OpContext & { phase?: string } = {}, dirKey?: string, dirState?: DirHashState): Promise<string[]> {
  const oids = new Array<string>(files.length);
  const todo: number[] = [];
  // A whole tracked directory keeps one index document; single files use per-path rows.
  const index: DirIndex | undefined = dirKey !== undefined ? env.state.loadDirIndex(dirKey, name) : undefined;
  if (dirState) dirState.index = index;
  const checkCache = mode !== 'none';
  for (let i = 0; i < files.length; i++) {
    const f = files[i]!;
    let hit: string | undefined;
    if (index) {
      hit = index.lookup(i, f.rel, f.ino, f.mtimeMs, f.size);
    } else {
      hit = env.state.get(f.abs, name, { ino: f.ino, mtimeMs: f.mtimeMs, size: f.size });
    }
    if (hit !== undefined && (!checkCache || env.odb.has(name, hit, f.size))) {
      oids[i] = hit;
      if (mode === 'hardlink' && !sameInode(env.odb.path(name, hit), f.ino)) todo.push(i); // relink into the cache
      else if (mode === 'symlink' && !f.isSymlink) todo.push(i);
      continue;
    }
    todo.push(i);
  }
  if (todo.length === 0) {
    if (dirState) {
      // every file matched its remembered entry: the remembered tree oid holds iff no entry is extra
      dirState.allHit = index!.size === files.length;
      dirState.dirty = !dirState.allHit;
    } else if (index && index.size !== files.length) saveIndex(env, dirKey!, name, files, oids);
    return oids;
  }
  const pool = env.pool ?? HashPool.shared();
  const total = todo.length;
  const bytesTotal = todo.reduce((s, i) => s + files[i]!.size, 0);
  const progress = throttledProgress(ctx.onProgress);
  const phase = ctx.phase ?? (mode === 'none' ? 'hashing' : 'adding');
  progress({ phase, done: 0, total, bytesDone: 0, bytesTotal });
  // A big file stored by copy is hashed on one worker while another copies it into the cache in
  // the kernel (copy_file_range): the copy overlaps the hash instead of following it.
  const split = mode === 'copy' && pool.size >= 2;
  const items: PoolItem[] = [];
  const copyOf = new Map<number, number>(); // todo position -> index of its copy-tmp item
  const mainOf: number[] = [];
  for (let k = 0; k < todo.length; k++) {
    const f = files[todo[k]!]!;
    mainOf.push(items.length);
    if (split && f.size >= SPLIT_COPY_BYTES) {
      items.push({ path: f.abs, size: f.size, op: 'hash' });
      copyOf.set(k, items.length);
      items.push({ path: f.abs, size: f.size, op: 'copy-tmp' });
    } else items.push({ path: f.abs, size: f.size });
  }
  // the chunk lists a chunked remote will want, cut on a worker of their own beside the hash
  const cutOf = new Map<number, number>(); // todo position -> index of its chunk-list item
  const cl = env.chunkLists;
  if (cl && mode !== 'none' && name !== 'md5-dos2unix' && pool.size >= 2) {
    for (let k = 0; k < todo.length; k++) {
      const f = files[todo[k]!]!;
      if (f.size < Math.max(cl.minBytes, 1)) continue;
      cutOf.set(k, items.length);
      items.push({ path: f.abs, size: f.size, op: 'chunk-list', chunkMode: cl.mode });
    }
  }
  const poolBytes = bytesTotal + [...copyOf.keys(), ...cutOf.keys()].reduce((s, k) => s + files[todo[k]!]!.size, 0);
  let raw: PoolResult[];
  try {
    raw = await pool.run({
      op: opFor(mode), name, cache: env.odb.root, items, signal: ctx.signal,
      onProgress: (_done, bytesDone) => progress({ phase, done: Math.min(total, _done), total, bytesDone: Math.round(bytesDone * bytesTotal / (poolBytes || 1)), bytesTotal }),
    });
  } catch (err) {
    // (a finished copy-tmp of an aborted job stays as a `.geodvc-tmp-` file in the cache: `gc` removes it)
    if (ctx.signal?.aborted) throw new InterruptedError();
    throw toAppError(err);
  }
  const results: PoolResult[] = mainOf.map((mi, k) => {
    const r = raw[mi]!;
    const ci = copyOf.get(k);
    return ci === undefined ? r : settleCopy(env, name, r, raw[ci]!, files[todo[k]!]!.abs);
  });
  for (const [k, ci] of cutOf) rememberCut(env, name, results[k]!, raw[ci]!);
  progress({ phase, done: total, total, bytesDone: bytesTotal, bytesTotal, finished: true });
  const failures: { path: string; code?: string; message: string }[] = [];
  for (let k = 0; k < todo.length; k++) {
    const i = todo[k]!;
    const r = results[k]!;
    if (r.error) { failures.push(r.error); continue; }
    oids[i] = r.oid!;
    const f = files[i]!;
    f.ino = r.ino!;
    f.mtimeMs = r.mtimeMs!;
    if (!index) env.state.set(f.abs, name, { ino: r.ino!, mtimeMs: r.mtimeMs!, size: r.size! }, r.oid!);
  }
  if (index && failures.length === 0) {
    if (dirState) dirState.dirty = true;
    else saveIndex(env, dirKey!, name, files, oids);
  }
  env.state.flush();
  if (failures.length) {
    const first = failures[0]!;
    const errno = poolError(first);
    const base = toAppError(errno);
    if (first.code === 'ECHANGED') throw new AppError('changed-while-hashing', first.message, 1, { hint: 'stop writing to the data and run the command again', details: { failures } });
    throw new AppError(base.code, `${failures.length} file(s) could not be processed; first: ${first.path}: ${first.message}`, 1, { cause: errno, hint: base.hint ?? 'check the files and permissions, then run the command again', details: { failures: failures.slice(0, 100) } });
  }
  return oids;
}

/** Files at least this big are hashed and copied into the cache in parallel (two workers). */
const SPLIT_COPY_BYTES = 32 << 20;

/**
 * Joins a big file's hash and its kernel copy: the copy becomes the object when both saw the same
 * (ino, mtime, size) of the file; otherwise the file changed underneath and nothing is stored.
 */
function settleCopy(env: BuildEnv, name: HashName, h: PoolResult, c: PoolResult, path: string): PoolResult {
  const drop = () => { if (c.tmp) rmSync(c.tmp, { force: true }); };
  if (h.error) { drop(); return h; }
  if (c.error) return c;
  if (!sameSource(h, c)) {
    drop();
    return { error: { code: 'ECHANGED', message: `'${path}' changed while it was being hashed`, path } };
  }
  try {
    if (env.odb.has(name, h.oid!, h.size)) drop();
    else {
      const final = env.odb.path(name, h.oid!);
      mkdirSync(dirname(final), { recursive: true });
      chmodSync(c.tmp!, 0o444);
      renameSync(c.tmp!, final);
    }
  } catch (err) {
    drop();
    const e = err as NodeJS.ErrnoException;
    return { error: { code: e.code, message: e.message, path } };
  }
  return h;
}

/**
 * Saves the chunk list cut beside a file's hash when both saw the same file; a failed or
 * mismatched cut is dropped silently (the list is derived data: push cuts the file itself then).
 */
function rememberCut(env: BuildEnv, name: HashName, h: PoolResult, c: PoolResult): void {
  if (h.error || c.error || !c.chunks || !c.chunkMode || !sameSource(h, c)) return;
  saveLocalList(env.odb.root, { version: CHUNK_LIST_VERSION, hash: name, oid: h.oid!, size: h.size!, chunkHash: chunkHashFor(name), mode: c.chunkMode, chunks: c.chunks });
}

/** What hashFiles learnt about a directory's state index (buildOutput saves it with the tree oid). */
export interface DirHashState { index?: DirIndex; allHit?: boolean; dirty?: boolean }

function saveIndex(env: BuildEnv, dirKey: string, name: HashName, files: WalkedFile[], oids: string[], treeOid?: string): void {
  const idx: [string, DirIndexEntry][] = [];
  let complete = true;
  for (let i = 0; i < files.length; i++) {
    const f = files[i]!;
    if (oids[i] !== undefined) idx.push([f.rel, { ino: f.ino, mtime: f.mtimeMs, size: f.size, oid: oids[i]! }]);
    else complete = false;
  }
  env.state.saveDirIndex(dirKey, name, idx, complete ? treeOid : undefined);
}

function sameInode(p: string, ino: number): boolean {
  try { return statSync(p).ino === ino; } catch { return false; }
}

export function statFile(abs: string): WalkedFile | undefined {
  let st: Stats;
  try { st = statSync(abs); } catch { return undefined; }
  if (!st.isFile()) return undefined;
  return { rel: '', abs, ino: st.ino, mtimeMs: st.mtimeMs, size: st.size, isexec: (st.mode & 0o100) !== 0, isSymlink: false };
}

/** Builds (and with `mode` != none, stores) a file or directory output. */
export async function buildOutput(env: BuildEnv, absPath: string, name: HashName, mode: StoreMode, ctx: OpContext = {}): Promise<Built | undefined> {
  let st: Stats;
  try { st = statSync(absPath); } catch { return undefined; }
  if (st.isDirectory()) {
    const files = walkDir(absPath, { ignore: env.ignore, repoRel: env.repoRel, forbidDvcIgnore: true });
    const ds: DirHashState = {};
    const oids = await hashFiles(env, files, name, mode, ctx, absPath, ds);
    let manifest: { tree: Tree; bytes: Buffer; oid: string } | undefined;
    const make = () => (manifest ??= buildTree(name, files.map((f, i): TreeEntry => ({ relpath: f.rel, oid: oids[i]! })), { trusted: true }));
    const known = ds.allHit && ds.index?.treeOid ? ds.index.treeOid : undefined;
    const oid = known ?? make().oid;
    if (mode !== 'none' && !env.odb.has(name, oid)) env.odb.addBytes(make().bytes, name, oid);
    if (ds.dirty || !known) saveIndex(env, absPath, name, files, oids, oid);
    let size = 0;
    for (const f of files) size += f.size;
    return {
      kind: 'dir', oid, size, nfiles: files.length, files, oids,
      get tree() { return make().tree; },
      get bytes() { return make().bytes; },
    };
  }
  if (!st.isFile()) throw new AppError('bad-target', `'${absPath}' is not a regular file or directory`, 1, { hint: 'only files and directories can be tracked' });
  const f = statFile(absPath)!;
  const [oid] = await hashFiles(env, [f], name, mode, ctx);
  return { kind: 'file', oid: oid!, size: f.size, isexec: f.isexec };
}
