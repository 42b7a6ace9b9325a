/**
 * Puts the data a source path names (a whole output, or a file or subdirectory inside a tracked
 * directory) into a cache: objects come from the source's cache or remote through the transfer
 * engine (hashed before they enter); a subdirectory gets its own `.dir` manifest built from the
 * parent's entries, as DVC does.
 */
import { statSync } from 'node:fs';
import { AppError, PathError } from '../../lib/errors.js';
import type { OpContext } from '../../lib/progress.js';
import { ObjectDB } from '../odb/odb.js';
import type { HashName } from '../odb/hash.js';
import { isDirOid } from '../odb/layout.js';
import { buildTree, type TreeEntry } from '../odb/tree.js';
import { fetchObjects, type FetchResult, type TransferObject } from '../transfer/engine.js';
import { closeRemotes } from '../transfer/remote.js';
import { sourceRemotes, type SourceRepo, type SourceTarget } from './source.js';

export interface TargetData {
  hashName: HashName;
  oid: string;
  isDir: boolean;
  size?: number;
  nfiles?: number;
  /** Objects downloaded now. */
  fetched: number;
  bytes: number;
}

export interface FetchTargetOptions extends OpContext {
  /** false: only what is needed to know the hash (the parent manifest of a subpath). */
  download?: boolean;
  jobs?: number;
}

function check(res: FetchResult, what: string, url: string): void {
  if (!res.failed.length) return;
  const first = res.failed[0]!;
  throw new AppError('fetch-failed', `cannot get '${what}' from '${url}': ${res.failed.length} object(s) missing or unreadable (first: ${first.paths[0] ?? first.oid}: ${first.message})`, 1, {
    hint: 'the source repository must have pushed this data to its default remote (or hold it in its cache when imported from a local path)',
    details: { failed: res.failed },
  });
}

/** Fetches `target` of `src` into `cacheDir` and returns its hash (and size when known). */
export async function fetchTarget(src: SourceRepo, target: Exclude<SourceTarget, { kind: 'git' }>, path: string, cacheDir: string, o: FetchTargetOptions = {}): Promise<TargetData> {
  const download = o.download !== false;
  const out = target.out;
  if (!out.oid) throw new PathError('no-hash', `'${path}' has no recorded hash in the source repository (it was never committed)`, { hint: 'commit the data in the source repository (`dvc commit`) and push it' });
  const odb = new ObjectDB(cacheDir);
  const base: TransferObject = { hashName: out.hashName, oid: out.oid, isDir: isDirOid(out.oid), size: out.size, paths: [path] };
  const needRemote = target.kind === 'in-out' ? !odb.has(out.hashName, out.oid) || download : download;
  if (!needRemote) return { hashName: out.hashName, oid: out.oid, isDir: base.isDir, size: out.size, nfiles: out.nfiles, fetched: 0, bytes: 0 };
  const remotes = await sourceRemotes(src, o.jobs);
  try {
    const opts = { signal: o.signal, onProgress: o.onProgress, logger: o.logger };
    if (target.kind === 'out') {
      const res = await fetchObjects(cacheDir, remotes, [base], { ...opts, expandDirs: true });
      check(res, path, src.url);
      return { hashName: out.hashName, oid: out.oid, isDir: base.isDir, size: out.size, nfiles: out.nfiles, fetched: res.fetched, bytes: res.bytes };
    }
    if (!base.isDir) throw new PathError('not-found', `'${path}' does not exist in the source repository`, { hint: 'check the path with `geodvc ls URL`' });
    const m = await fetchObjects(cacheDir, remotes, [base], { ...opts, expandDirs: false });
    check(m, path, src.url);
    const tree = odb.readTree(out.hashName, out.oid);
    const file = tree.entries.find((e) => e.relpath === target.sub);
    let objs: TreeEntry[];
    let result: Omit<TargetData, 'fetched' | 'bytes'>;
    if (file) {
      objs = [file];
      result = { hashName: out.hashName, oid: file.oid, isDir: false, size: file.size };
    } else {
      const prefix = target.sub + '/';
      const members = tree.entries.filter((e) => e.relpath.startsWith(prefix)).map((e) => ({ relpath: e.relpath.slice(prefix.length), oid: e.oid }));
      if (!members.length) throw new PathError('not-found', `'${path}' does not exist in the source repository`, { hint: 'check the path with `geodvc ls URL`' });
      const built = buildTree(out.hashName, members);
      odb.addBytes(built.bytes, out.hashName, built.oid);
      objs = members;
      result = { hashName: out.hashName, oid: built.oid, isDir: true, nfiles: members.length };
    }
    if (!download) return { ...result, fetched: m.fetched, bytes: m.bytes };
    const res = await fetchObjects(cacheDir, remotes, objs.map((e) => ({ hashName: out.hashName, oid: e.oid, isDir: false, size: e.size, paths: [`${path}/${e.relpath}`] })), { ...opts, expandDirs: false });
    check(res, path, src.url);
    const sizeOf = (oid: string) => { try { return statSync(odb.path(out.hashName, oid)).size; } catch { return 0; } };
    if (result.isDir) result.size = objs.reduce((s, e) => s + sizeOf(e.oid), 0);
    else result.size ??= sizeOf(result.oid);
    return { ...result, fetched: m.fetched + res.fetched, bytes: m.bytes + res.bytes };
  } finally {
    await closeRemotes(remotes);
  }
}
