/**
 * `open(path, {rev, remote, cwd})`: a tracked raster at any git revision, read by byte range straight
 * from a remote (or from the local cache / workspace when the bytes are there and no remote is
 * asked for), as a geotiff.js GeoTIFF over a `RangeSource`. Nothing is downloaded whole.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { AppError, PathError, UsageError, NotARepoError } from '../../lib/errors.js';
import { findRepoRoot, openRepoSync, type Repo } from '../repo/repo.js';
import { Git } from '../scm/git.js';
import { findTracked, trackedOuts } from '../workspace/tracked.js';
import { objectPath, objectRelPath, isDirOid } from '../odb/layout.js';
import type { HashName } from '../odb/hash.js';
import { parseTree } from '../odb/tree.js';
import { getBuffer } from '../../storage/backend.js';
import { openRemote, type RemoteHandle } from '../transfer/remote.js';
import { RangeSource, backendReader, fileReader, type RangeSourceOptions } from './open-source.js';

export interface OpenOptions extends RangeSourceOptions {
  /** Git revision of the `.dvc` files (default: the workspace). */
  rev?: string;
  /** Remote name: read from it even when the cache has the object. Default: cache, else the default remote. */
  remote?: string;
  cwd?: string;
  signal?: AbortSignal;
}

export interface TrackedObject {
  /** Repository-relative posix path. */
  path: string;
  oid: string;
  hashName: HashName;
  size?: number;
  /** The output's `remote:` from its `.dvc` file. */
  remote?: string;
}

/**
 * The object of a tracked file (itself an output, or inside a tracked directory) at `rev`; outputs
 * come from `.dvc` files and from `dvc.lock` outs (pipeline stages).
 */
export async function resolveTracked(repo: Repo, rel: string, rev: string | undefined, git: Git | null, fetchManifest: (hashName: HashName, oid: string, remote?: string) => Promise<Uint8Array>): Promise<TrackedObject | undefined> {
  const hit = findTracked(trackedOuts(repo, rev ?? 'workspace', git), rel);
  if (!hit) return undefined;
  const { out } = hit.tracked;
  const { inner } = hit;
  if (!isDirOid(out.oid)) return inner ? undefined : { path: rel, oid: out.oid, hashName: out.hashName, size: out.size, remote: out.remote };
  if (!inner) throw new UsageError(`${rel} is a tracked directory`, { hint: 'open a file inside it' });
  const tree = parseTree(await fetchManifest(out.hashName, out.oid, out.remote), out.hashName);
  const e = tree.entries.find((x) => x.relpath === inner);
  return e ? { path: rel, oid: e.oid, hashName: out.hashName, size: e.size, remote: out.remote } : undefined;
}

export interface OpenedRaster {
  /** geotiff.js GeoTIFF (`getImage()`, `readRasters({window})`). */
  tiff: any;
  source: RangeSource;
  /** Where the bytes come from: `remote:<name>`, `cache` or `workspace`. */
  from: string;
  object?: TrackedObject;
  size?: number;
  close(): Promise<void>;
}

let geotiffLib: Promise<any> | undefined;
function geotiff(): Promise<any> {
  return (geotiffLib ??= import('geotiff'));
}

export async function openRaster(path: string, o: OpenOptions = {}): Promise<OpenedRaster> {
  const cwd = o.cwd ?? process.cwd();
  const abs = resolve(cwd, path);
  const root = findRepoRoot(cwd);
  if (!root) {
    if (o.rev || o.remote) throw new NotARepoError('--rev/--remote need a geodvc/DVC repository');
    return fromReader(fileReader(abs), 'workspace', o, statSync(abs).size);
  }
  const repo = openRepoSync(root);
  const git = Git.open(root);
  if (o.rev && !git) throw new UsageError('--rev needs a git repository', { hint: 'initialise git, or omit --rev' });
  if (o.rev && !git!.revParse(o.rev)) throw new UsageError(`unknown revision '${o.rev}'`, { hint: 'check it with `git log`' });
  const rel = relative(root, abs).split(sep).join('/');
  if (rel.startsWith('..')) throw new UsageError(`${path} is outside the repository`, { hint: 'pass a path inside the repository' });
  const remotes = new Map<string, RemoteHandle>();
  const remoteFor = async (name: string | undefined) => {
    const k = name ?? '';
    if (!remotes.has(k)) remotes.set(k, await openRemote(repo, name));
    return remotes.get(k)!;
  };
  const closeAll = async () => { for (const r of remotes.values()) await r.backend.close().catch(() => {}); };
  try {
    const fetchManifest = async (hashName: HashName, oid: string, outRemote?: string) => {
      const local = objectPath(repo.cacheDir, hashName, oid);
      if (existsSync(local)) return readFileSync(local);
      const r = await remoteFor(o.remote ?? outRemote);
      return getBuffer(r.backend, objectRelPath(hashName, oid), { signal: o.signal });
    };
    const obj = await resolveTracked(repo, rel, o.rev, git, fetchManifest);
    if (!obj) {
      if (!o.rev && !o.remote && existsSync(abs)) return fromReader(fileReader(abs), 'workspace', o, statSync(abs).size);
      throw new PathError('not-tracked', `${path} is not tracked${o.rev ? ` at revision ${o.rev}` : ''}`, { hint: 'check the path and the revision (`git log -- PATH.dvc`)' });
    }
    const local = objectPath(repo.cacheDir, obj.hashName, obj.oid);
    if (!o.remote && existsSync(local)) { await closeAll(); return fromReader(fileReader(local), 'cache', o, statSync(local).size, obj); }
    const r = await remoteFor(o.remote ?? obj.remote);
    const key = objectRelPath(obj.hashName, obj.oid);
    const st = obj.size === undefined ? await r.backend.stat(key) : { size: obj.size };
    if (!st) throw new PathError('missing-remote', `${path}: object ${obj.oid} is not on remote '${r.name}'`, { hint: 'push it first (`geodvc push`), or pick another remote with -r' });
    const opened = await fromReader(backendReader(r.backend, key), `remote:${r.name}`, { concurrency: r.downloadConcurrency * 2, ...o }, st.size, obj);
    const close0 = opened.close;
    return { ...opened, close: async () => { await close0(); await closeAll(); } };
  } catch (e) { await closeAll(); throw e; }
}

async function fromReader(reader: import('./open-source.js').RangeReader, from: string, o: OpenOptions, size: number | undefined, obj?: TrackedObject): Promise<OpenedRaster> {
  const source = new RangeSource(reader, { ...o, size });
  const g = await geotiff();
  let tiff;
  try { tiff = await g.GeoTIFF.fromSource(source, {}, o.signal); } catch (e) {
    await source.close();
    if (e instanceof AppError) throw e; // storage errors (object missing, unreachable) as they are
    throw new PathError('not-a-tiff', `${obj?.path ?? reader.describe}: not a (Geo)TIFF (${(e as Error).message})`, { hint: 'geodvc open/geo read reads GeoTIFF/COG files' });
  }
  return { tiff, source, from, object: obj, size, close: () => source.close() };
}
