/**
 * Tracked rasters as inputs of `geo chip` / `geo reproject` at any revision, without pulling:
 * `openTrackedInputs(path, {rev, remote})` resolves PATH (a tracked file, a file inside a tracked
 * directory, a tracked directory or a folder inside one; `.dvc` files and `dvc.lock` outs, read at
 * `rev` through git) to its objects, and opens each one either as a local file (the cache has it and
 * no remote was asked for) or as a remote object read by byte ranges through a `RangeSource` (block
 * cache, adjacent blocks merged, `concurrency` GETs in flight).
 *
 * `chipTracked` cuts chips from those objects in place; `reprojectTracked` fetches each remote
 * object to a temp file (md5-verified, not into the cache: gdal3.js needs a file) and reprojects it.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, linkSync, mkdirSync, copyFileSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { relative, resolve, sep, join, basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { AppError, NotARepoError, PathError, UsageError } from '../../lib/errors.js';
import { throttledProgress } from '../../lib/progress.js';
import { findRepoRoot, openRepoSync, type Repo } from '../repo/repo.js';
import { Git } from '../scm/git.js';
import { findTracked, trackedOuts, type TrackedOut } from '../workspace/tracked.js';
import { objectPath, objectRelPath, isDirOid } from '../odb/layout.js';
import type { HashName } from '../odb/hash.js';
import { parseTree } from '../odb/tree.js';
import { getBuffer, type Backend } from '../../storage/backend.js';
import { openRemote, type RemoteHandle } from '../transfer/remote.js';
import { RangeSource, backendReader, type RangeSourceOptions, type RangeStats } from './open-source.js';
import type { TrackedObject } from './open.js';
import type { AsyncByteReader } from '../../geo/raster/tiff.js';
import type { ChipInput, ChipOptions, ChipResult } from '../../geo/ops/chip.js';
import type { ReprojectOptions, ReprojectResult } from '../../geo/ops/reproject.js';

export interface TrackedInputOptions extends RangeSourceOptions {
  /** Git revision of the `.dvc` files / `dvc.lock` (default: the workspace). */
  rev?: string;
  /** Read from this remote even when the cache has the object. Default: cache, else the output's / default remote. */
  remote?: string;
  cwd?: string;
  signal?: AbortSignal;
}

export interface TrackedInput extends TrackedObject {
  /** File name (`scene.tif`). */
  name: string;
  size: number;
  /** `cache` or `remote:<name>`. */
  from: string;
  /** The cache file, when the bytes are read locally. */
  file?: string;
  /** The remote object by byte ranges, when read from a remote. */
  reader?: AsyncByteReader & { source: RangeSource };
  /** The remote the object is on (set with `reader`). */
  remoteHandle?: RemoteHandle;
}

export interface TrackedInputs {
  root: string;
  inputs: TrackedInput[];
  /** Bytes and GETs of all range sources together. */
  stats(): RangeStats;
  close(): Promise<void>;
}

/** What `geo chip`/`geo reproject` list in a local directory (geo/ops/info.ts `listInputs`). */
export const isOpsRaster = (name: string): boolean => /\.(tiff?|vrt|img|jp2|nc)$/i.test(name);

type FetchManifest = (hashName: HashName, oid: string, remote?: string) => Promise<Uint8Array>;

/**
 * The output (of a `.dvc` file or a `dvc.lock`, stage subdirectories included) at `rev` whose path
 * is `outRel` exactly. `outs`: the tracked outputs at `rev` when the caller has them already.
 */
export function outputAt(repo: Repo, outRel: string, rev: string | undefined, git: Git | null, outs: readonly TrackedOut[] = trackedOuts(repo, rev ?? 'workspace', git)): { oid: string; hashName: HashName; size?: number; remote?: string } | undefined {
  const t = outs.find((x) => x.rel === outRel && x.out.oid);
  if (!t?.out.oid) return undefined;
  return { oid: t.out.oid, hashName: t.out.hashName, size: t.out.size, remote: t.out.remote };
}

/**
 * The tracked objects PATH (repository-relative posix) names at `rev`: a file output, a file inside a
 * tracked directory, the raster files directly inside a tracked directory (or a folder of one),
 * like the local input listing, or the raster file outputs of a plain folder of `.dvc` files.
 * Undefined when nothing tracked covers PATH.
 */
export async function resolveTrackedFiles(repo: Repo, rel: string, rev: string | undefined, git: Git | null, fetchManifest: FetchManifest, accept: (name: string) => boolean = isOpsRaster): Promise<TrackedObject[] | undefined> {
  const tracked = trackedOuts(repo, rev ?? 'workspace', git);
  const hit = findTracked(tracked, rel.split('/').filter(Boolean).join('/'));
  if (hit) {
    const { out, rel: outRel } = hit.tracked;
    const { inner } = hit;
    if (!isDirOid(out.oid)) return inner ? undefined : [{ path: rel, oid: out.oid, hashName: out.hashName, size: out.size, remote: out.remote }];
    const tree = parseTree(await fetchManifest(out.hashName, out.oid, out.remote), out.hashName);
    const exact = inner ? tree.entries.find((x) => x.relpath === inner) : undefined;
    if (exact) return [{ path: rel, oid: exact.oid, hashName: out.hashName, size: exact.size, remote: out.remote }];
    const prefix = inner ? `${inner}/` : '';
    const children = tree.entries.filter((x) => x.relpath.startsWith(prefix) && !x.relpath.slice(prefix.length).includes('/') && accept(x.relpath.slice(prefix.length)));
    if (!children.length && !tree.entries.some((x) => x.relpath.startsWith(prefix))) return undefined;
    return children
      .sort((a, b) => (a.relpath < b.relpath ? -1 : a.relpath > b.relpath ? 1 : 0))
      .map((x) => ({ path: `${outRel}/${x.relpath}`, oid: x.oid, hashName: out.hashName, size: x.size, remote: out.remote }));
  }
  // a plain folder holding file outputs (`a.tif.dvc`, `b.tif.dvc`, ...): its raster outputs
  const dvcFiles = rev
    ? (git?.listFiles(rev, `${rel}/`) ?? []).filter((f) => f.startsWith(`${rel}/`) && !f.slice(rel.length + 1).includes('/'))
    : (() => { try { return readdirSync(resolve(repo.root, rel)).map((n) => `${rel}/${n}`); } catch { return []; } })();
  const outs = dvcFiles.filter((f) => f.endsWith('.dvc') && !f.endsWith('/.dvc')).map((f) => f.slice(0, -4)).sort();
  if (!outs.length) return undefined;
  const found: TrackedObject[] = [];
  for (const outRel of outs) {
    if (!accept(basename(outRel))) continue;
    const out = outputAt(repo, outRel, rev, git, tracked);
    if (out && !isDirOid(out.oid)) found.push({ path: outRel, oid: out.oid, hashName: out.hashName, size: out.size, remote: out.remote });
  }
  return found;
}

/**
 * An object on a backend as an async positional reader (what `chip` takes as a remote input):
 * reads go through a `RangeSource` (block cache, same-turn merging of adjacent blocks, at most
 * `concurrency` GETs in flight); `source.stats` counts the bytes and GETs.
 */
export function remoteObjectReader(backend: Backend, key: string, size: number, o: Omit<RangeSourceOptions, 'size'> = {}, describe = `${backend.url}/${key}`): AsyncByteReader & { source: RangeSource } {
  const source = new RangeSource(backendReader(backend, key), { ...o, size });
  return {
    size, source, describe,
    async read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
      const [ab] = await source.fetch([{ offset, length }], signal);
      return new Uint8Array(ab!);
    },
  };
}

/** Resolves PATH at `rev` and opens every raster object it names (see the module comment). */
export async function openTrackedInputs(path: string, o: TrackedInputOptions = {}, accept: (name: string) => boolean = isOpsRaster): Promise<TrackedInputs> {
  const cwd = o.cwd ?? process.cwd();
  const abs = resolve(cwd, path);
  const root = findRepoRoot(cwd);
  if (!root) throw new NotARepoError('--rev/--remote need a geodvc/DVC repository');
  const repo = openRepoSync(root);
  const git = Git.open(root);
  if (o.rev && !git) throw new UsageError('--rev needs a git repository', { hint: 'initialise git, or omit --rev' });
  if (o.rev && !git!.revParse(o.rev)) throw new UsageError(`unknown revision '${o.rev}'`, { hint: 'check it with `git log`' });
  const rel = relative(root, abs).split(sep).join('/');
  if (!rel || rel.startsWith('..')) throw new UsageError(`${path} is outside the repository's tracked data`, { hint: 'pass a tracked file or directory inside the repository' });
  const remotes = new Map<string, RemoteHandle>();
  const remoteFor = async (name: string | undefined) => {
    const k = name ?? '';
    if (!remotes.has(k)) remotes.set(k, await openRemote(repo, name));
    return remotes.get(k)!;
  };
  const sources: RangeSource[] = [];
  const close = async () => {
    for (const s of sources) await s.close().catch(() => {});
    for (const r of remotes.values()) await r.backend.close().catch(() => {});
  };
  try {
    const fetchManifest: FetchManifest = async (hashName, oid, outRemote) => {
      const local = objectPath(repo.cacheDir, hashName, oid);
      if (existsSync(local)) return readFileSync(local);
      const r = await remoteFor(o.remote ?? outRemote);
      return getBuffer(r.backend, objectRelPath(hashName, oid), { signal: o.signal });
    };
    const objs = await resolveTrackedFiles(repo, rel, o.rev, git, fetchManifest, accept);
    if (!objs) throw new PathError('not-tracked', `${path} is not tracked${o.rev ? ` at revision ${o.rev}` : ''}`, { hint: 'pass a tracked file or directory (check it with `git log -- PATH.dvc`), or drop --rev/--remote for a local file' });
    if (!objs.length) throw new PathError('no-inputs', `no raster files in ${path}${o.rev ? ` at revision ${o.rev}` : ''}`, { hint: 'the tracked directory has no .tif/.tiff files at its top level' });
    const inputs: TrackedInput[] = [];
    for (const obj of objs) {
      const name = basename(obj.path);
      const local = objectPath(repo.cacheDir, obj.hashName, obj.oid);
      if (!o.remote && existsSync(local)) { inputs.push({ ...obj, name, size: statSync(local).size, from: 'cache', file: local }); continue; }
      const r = await remoteFor(o.remote ?? obj.remote);
      const key = objectRelPath(obj.hashName, obj.oid);
      const size = obj.size ?? (await r.backend.stat(key))?.size;
      if (size === undefined) throw new PathError('missing-remote', `${obj.path}: object ${obj.oid} is not on remote '${r.name}'`, { hint: 'push it first (`geodvc push`), or pick another remote with -r' });
      const reader = remoteObjectReader(r.backend, key, size, { concurrency: o.concurrency ?? r.downloadConcurrency * 2, blockSize: o.blockSize, cacheBlocks: o.cacheBlocks }, `remote:${r.name}`);
      sources.push(reader.source);
      inputs.push({ ...obj, name, size, from: `remote:${r.name}`, reader, remoteHandle: r });
    }
    const names = new Set<string>();
    for (const i of inputs) {
      if (names.has(i.name)) throw new UsageError(`two inputs are named ${i.name}`, { hint: 'chip/reproject name their outputs after the file name; pass one of them' });
      names.add(i.name);
    }
    return {
      root, inputs, close,
      stats: () => sources.reduce((a, s) => ({ bytes: a.bytes + s.stats.bytes, requests: a.requests + s.stats.requests, cacheHits: a.cacheHits + s.stats.cacheHits }), { bytes: 0, requests: 0, cacheHits: 0 }),
    };
  } catch (e) { await close(); throw e; }
}

export interface ChipTrackedOptions extends Omit<ChipOptions, 'inputs'>, Pick<TrackedInputOptions, 'rev' | 'remote' | 'cwd' | 'concurrency' | 'blockSize' | 'cacheBlocks'> {}
export interface ChipTrackedResult extends ChipResult {
  /** Per input: where the bytes came from and the object hash. */
  sources: { path: string; oid: string; size: number; from: string }[];
  /** Bytes received from remotes and ranged GETs made (0 when every object was in the cache). */
  bytesRead: number;
  requests: number;
}

/** `geo chip` over tracked rasters at `rev`: remote objects are chipped in place (byte ranges, no pull). */
export async function chipTracked(o: ChipTrackedOptions): Promise<ChipTrackedResult> {
  const { chip } = await import('../../geo/ops/chip.js');
  const ti = await openTrackedInputs(o.input, { rev: o.rev, remote: o.remote, cwd: o.cwd, concurrency: o.concurrency, blockSize: o.blockSize, cacheBlocks: o.cacheBlocks ?? 64, signal: o.signal }, (n) => isOpsRaster(n) && !/\.vrt$/i.test(n));
  try {
    const inputs: ChipInput[] = ti.inputs.map((i) => ({ name: i.name, file: i.file, remote: i.reader, md5: i.oid }));
    const cwd = o.cwd ?? process.cwd();
    const r = await chip({ ...o, output: resolve(cwd, o.output), aoi: o.aoi ? resolve(cwd, o.aoi) : undefined, inputs });
    const st = ti.stats();
    return { ...r, sources: ti.inputs.map((i) => ({ path: i.path, oid: i.oid, size: i.size, from: i.from })), bytesRead: st.bytes, requests: st.requests };
  } finally { await ti.close(); }
}

/**
 * Copies a tracked object to `dest`: a hard link (or copy) of the cache file, or a download from the
 * remote verified against its md5 before it is renamed into place (never into the cache).
 */
async function materialize(i: TrackedInput, dest: string, signal?: AbortSignal, onBytes?: (n: number) => void): Promise<void> {
  if (i.file) {
    try { linkSync(i.file, dest); } catch { copyFileSync(i.file, dest); }
    return;
  }
  const r = i.remoteHandle!;
  if (i.hashName !== 'md5' && i.hashName !== 'md5-dos2unix') throw new AppError('unsupported-hash', `${i.path}: cannot verify a ${i.hashName} object`, 1, { hint: 'reproject --rev/--remote verifies md5 objects; pull the data instead' });
  const tmp = `${dest}.part`;
  const h = createHash('md5');
  let n = 0;
  const tap = new Transform({ transform(c: Buffer, _e, cb) { h.update(c); n += c.length; onBytes?.(c.length); cb(null, c); } });
  try {
    await pipeline(await r.backend.get(objectRelPath(i.hashName, i.oid), { signal }), tap, createWriteStream(tmp), { signal });
    const got = h.digest('hex');
    // md5-dos2unix (DVC 2.x) objects of binary files hash their raw bytes, as rasters are
    if (got !== i.oid) throw new AppError('hash-mismatch', `${i.path}: the object from remote '${r.name}' hashes to ${got}, not ${i.oid} (${n} bytes)`, 1, { hint: 'the remote copy is corrupt; push it again from a good cache, or read another remote with --remote' });
    renameSync(tmp, dest);
  } finally { rmSync(tmp, { force: true }); }
}

export interface ReprojectTrackedOptions extends ReprojectOptions, Pick<TrackedInputOptions, 'rev' | 'remote' | 'cwd'> {}
export interface ReprojectTrackedResult extends ReprojectResult {
  sources: { path: string; oid: string; size: number; from: string }[];
  /** Bytes downloaded from remotes into temp files. */
  bytesFetched: number;
}

/**
 * `geo reproject` over tracked rasters at `rev`. gdal3.js reads files, so every remote object is
 * fetched whole into a temp folder under `.dvc/tmp` (md5-verified, not into the cache; removed
 * afterwards); cached objects are hard-linked there. The idempotency key of each output uses the
 * object hash, so a second run with the same inputs and options keeps the outputs.
 */
export async function reprojectTracked(o: ReprojectTrackedOptions): Promise<ReprojectTrackedResult> {
  const { reproject } = await import('../../geo/ops/reproject.js');
  // VRTs are left out: their relative sources would not resolve from the temp folder
  const ti = await openTrackedInputs(o.input, { rev: o.rev, remote: o.remote, cwd: o.cwd, signal: o.signal }, (n) => isOpsRaster(n) && !/\.vrt$/i.test(n));
  const tmpDir = join(ti.root, '.dvc', 'tmp', `reproject-${process.pid}-${Date.now().toString(36)}`);
  let fetched = 0;
  const progress = throttledProgress(o.onProgress);
  try {
    mkdirSync(tmpDir, { recursive: true });
    const total = ti.inputs.reduce((s, i) => s + (i.file ? 0 : i.size), 0);
    const keys: Record<string, string> = {};
    for (const i of ti.inputs) {
      o.signal?.throwIfAborted();
      const dest = join(tmpDir, i.name);
      await materialize(i, dest, o.signal, (n) => { fetched += n; progress({ phase: 'fetching', bytesDone: fetched, bytesTotal: total, item: i.path }); });
      keys[dest] = `${i.hashName}:${i.oid}`;
    }
    if (total) progress({ phase: 'fetching', bytesDone: fetched, bytesTotal: total, finished: true });
    const cwd = o.cwd ?? process.cwd();
    const r = await reproject({ ...o, input: tmpDir, output: resolve(cwd, o.output), inputKeys: keys });
    const byTmp = new Map(ti.inputs.map((i) => [join(tmpDir, i.name), i.path]));
    return {
      ...r,
      files: r.files.map((f) => ({ ...f, input: byTmp.get(f.input) ?? f.input })),
      sources: ti.inputs.map((i) => ({ path: i.path, oid: i.oid, size: i.size, from: i.from })),
      bytesFetched: fetched,
    };
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
    await ti.close();
  }
}
