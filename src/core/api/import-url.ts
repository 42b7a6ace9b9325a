/**
 * `import-url URL [OUT] [--no-exec] [--no-download] [-f]` and `get-url URL [OUT]`: a file or
 * directory from a local path or any URL a storage backend reads (s3://, azure://, gs://, ssh://,
 * http(s)://, webdav(s)://) — like DVC 3.64's. `import-url` tracks it: the data goes to the cache
 * and the workspace, `OUT.dvc` gets `frozen: true` and a dependency recording the source and its
 * hash (`deps: [{md5, size, nfiles, hash, path}]`), so `update` can re-hash the source later.
 */
import { copyFileSync, cpSync, createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { withDataRepo, repoRelPath, type DataRepo } from './data-repo.js';
import { storeModeFor } from './add.js';
import { checkImportOut } from './import.js';
import { dvcFileFor } from '../dvcfile/dvcfile.js';
import { serializeImportDvcFile, type UrlDep } from '../dvcfile/imports.js';
import { buildOutput } from '../workspace/build.js';
import { toPosixRel } from '../workspace/collect.js';
import { ignoreOutput } from '../scm/gitignore.js';
import type { HashName } from '../odb/hash.js';
import { openBackend, schemeOf } from '../../storage/registry.js';
import { PathError, UsageError, InterruptedError } from '../../lib/errors.js';
import { tmpPathFor, writeFileAtomicSync } from '../../lib/atomic.js';
import type { OpContext } from '../../lib/progress.js';

export interface ImportUrlOptions extends OpContext {
  cwd: string;
  url: string;
  out?: string;
  noExec?: boolean;
  noDownload?: boolean;
  force?: boolean;
}

export interface ImportUrlResult {
  dvcfile: string;
  out: string;
  url: string;
  hash?: HashName;
  oid?: string;
  size?: number;
  nfiles?: number;
  /** Bytes copied or downloaded. */
  fetched: number;
  checkedOut: boolean;
  gitignore?: string;
}

/** True for local paths (and file:// URLs). */
export function isLocalUrl(url: string): boolean {
  return schemeOf(url) === 'local';
}

function localPathOf(url: string, base: string): string {
  const p = url.startsWith('file://') ? fileURLToPath(url) : url;
  return isAbsolute(p) ? p : resolve(base, p);
}

/** The default output name of a URL: its last path segment. */
export function urlBasename(url: string): string {
  const u = url.replace(/[?#].*$/, '').replace(/\/+$/, '');
  const b = u.slice(u.lastIndexOf('/') + 1);
  if (!b || /^[a-z][a-z0-9+.-]*:$/i.test(b)) throw new UsageError(`cannot name an output after '${url}'`, { hint: 'give the output path explicitly (OUT)' });
  return b;
}

/**
 * Copies or downloads the file or directory at `url` to `dest` (which must not exist). Returns the
 * number of bytes written.
 */
export async function downloadUrl(url: string, base: string, dest: string, ctx: OpContext = {}): Promise<number> {
  if (isLocalUrl(url)) {
    const src = localPathOf(url, base);
    let st;
    try { st = statSync(src); } catch { throw new PathError('not-found', `'${url}' does not exist`, { hint: 'check the path (relative paths are resolved from the current directory)' }); }
    if (st.isDirectory()) {
      cpSync(src, dest, { recursive: true, dereference: true, errorOnExist: true });
      let n = 0;
      const walk = (d: string) => { for (const e of readdirSync(d, { withFileTypes: true })) { const p = join(d, e.name); if (e.isDirectory()) walk(p); else n += statSync(p).size; } };
      walk(dest);
      return n;
    }
    if (!st.isFile()) throw new PathError('bad-target', `'${url}' is not a regular file or directory`, { hint: 'import files or directories' });
    copyFileSync(src, dest);
    return st.size;
  }
  const clean = url.replace(/\/+$/, '');
  const cut = clean.lastIndexOf('/');
  const parent = clean.slice(0, cut);
  const key = clean.slice(cut + 1);
  const b = await openBackend(parent || clean, {});
  try {
    let bytes = 0;
    const getTo = async (k: string, file: string) => {
      if (ctx.signal?.aborted) throw new InterruptedError();
      mkdirSync(dirname(file), { recursive: true });
      const s = await b.get(k, { signal: ctx.signal });
      await pipeline(s, createWriteStream(file, { flags: 'wx' }));
      bytes += statSync(file).size;
      ctx.onProgress?.({ phase: 'downloading', bytesDone: bytes, item: k });
    };
    const st = await b.stat(key);
    if (st) { await getTo(key, dest); return bytes; }
    if (!b.canList) throw new PathError('not-found', `'${url}' does not exist`, { hint: 'check the URL (directories need a backend that can list)' });
    let any = false;
    for await (const k of b.list(key + '/', ctx.signal)) {
      any = true;
      const rel = k.slice(key.length + 1);
      if (!rel || rel.split('/').some((s) => s === '..' || s === '.' || s === '')) continue;
      await getTo(k, join(dest, rel));
    }
    if (!any) throw new PathError('not-found', `'${url}' does not exist`, { hint: 'check the URL' });
    return bytes;
  } finally {
    await b.close();
  }
}

export interface UrlImportSpec {
  /** Where to read (a path resolved against `base`, or a URL). */
  url: string;
  /** What the dependency records. */
  recorded: string;
  base: string;
  outAbs: string;
  noDownload?: boolean;
  hashName?: HashName;
  previous?: string;
}

/** Downloads, hashes, stores and writes one import-url `.dvc`; shared by `import-url` and `update`. */
export async function writeUrlImport(d: DataRepo, spec: UrlImportSpec, ctx: OpContext): Promise<ImportUrlResult> {
  const hashName = spec.hashName && spec.hashName !== 'md5-dos2unix' ? spec.hashName : d.hashName;
  const repoRel = repoRelPath(d.repo, spec.outAbs);
  mkdirSync(dirname(spec.outAbs), { recursive: true });
  const tmp = tmpPathFor(spec.outAbs);
  let fetched = 0;
  let built;
  try {
    fetched = await downloadUrl(spec.url, spec.base, tmp, ctx);
    const env = { odb: d.odb, state: d.state, repoRel };
    built = await buildOutput(env, tmp, hashName, spec.noDownload ? 'none' : storeModeFor(d), ctx);
    if (!built) throw new PathError('not-found', `'${spec.url}' does not exist`, { hint: 'check the path or URL' });
    if (!spec.noDownload) {
      rmSync(spec.outAbs, { recursive: true, force: true });
      renameSync(tmp, spec.outAbs);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const isDir = built.kind === 'dir';
  const dep: UrlDep = { path: spec.recorded, hashName, oid: built.oid, size: built.size, nfiles: built.kind === 'dir' ? built.nfiles : undefined };
  const dvcPath = dvcFileFor(spec.outAbs);
  writeFileAtomicSync(dvcPath, serializeImportDvcFile({ dep: { kind: 'url', dep }, out: { path: basename(spec.outAbs), hashName, oid: built.oid, size: built.size, nfiles: dep.nfiles } }), { fsync: false });
  const gi = ignoreOutput(d.repo, spec.outAbs);
  return {
    dvcfile: toPosixRel(d.repo.root, dvcPath), out: toPosixRel(d.repo.root, spec.outAbs), url: spec.recorded, hash: hashName, oid: built.oid, size: built.size,
    nfiles: dep.nfiles, fetched, checkedOut: !spec.noDownload, gitignore: gi ? toPosixRel(d.repo.root, gi) : undefined,
  };
}

/** The dependency path DVC records: URLs and absolute paths as given; relative paths from the `.dvc`'s directory. */
export function recordedUrl(url: string, cwd: string, dvcDir: string): string {
  if (!isLocalUrl(url) || url.startsWith('file://') || isAbsolute(url)) return url;
  return relative(dvcDir, resolve(cwd, url)).split('\\').join('/');
}

export async function importUrl(opts: ImportUrlOptions): Promise<ImportUrlResult> {
  if (!opts.url) throw new UsageError('import-url needs a URL', { hint: 'geodvc import-url URL [OUT]' });
  if (opts.noExec && opts.noDownload) throw new UsageError('--no-exec and --no-download cannot be combined', { hint: 'use one of them' });
  schemeOf(opts.url);
  return withDataRepo(opts.cwd, true, 'geodvc import-url', async (d) => {
    const outAbs = resolve(opts.cwd, opts.out ?? urlBasename(opts.url));
    checkImportOut(d, outAbs, opts.force);
    const recorded = recordedUrl(opts.url, opts.cwd, dirname(outAbs));
    if (opts.noExec) {
      const dvcPath = dvcFileFor(outAbs);
      const hashName = d.hashName;
      writeFileAtomicSync(dvcPath, serializeImportDvcFile({ dep: { kind: 'url', dep: { path: recorded, hashName } }, out: { path: basename(outAbs), hashName }, withMd5: false }), { fsync: false });
      const gi = ignoreOutput(d.repo, outAbs);
      return { dvcfile: toPosixRel(d.repo.root, dvcPath), out: toPosixRel(d.repo.root, outAbs), url: recorded, fetched: 0, checkedOut: false, gitignore: gi ? toPosixRel(d.repo.root, gi) : undefined };
    }
    if (isLocalUrl(opts.url) && !existsSync(localPathOf(opts.url, opts.cwd))) {
      throw new PathError('not-found', `'${opts.url}' does not exist`, { hint: 'check the path (relative paths are resolved from the current directory)' });
    }
    return writeUrlImport(d, { url: opts.url, recorded, base: opts.cwd, outAbs, noDownload: opts.noDownload }, opts);
  }, opts.signal);
}

export interface GetUrlOptions extends OpContext { cwd: string; url: string; out?: string; force?: boolean }
export interface GetUrlResult { url: string; out: string; bytes: number }

/** `get-url URL [OUT]`: downloads a file or directory, no repository needed, nothing tracked. */
export async function getUrl(opts: GetUrlOptions): Promise<GetUrlResult> {
  schemeOf(opts.url);
  const outAbs = resolve(opts.cwd, opts.out ?? urlBasename(opts.url));
  let dest = outAbs;
  if (existsSync(outAbs) && statSync(outAbs).isDirectory() && opts.out) dest = join(outAbs, urlBasename(opts.url));
  if (existsSync(dest)) {
    if (!opts.force) throw new PathError('exists', `'${relative(opts.cwd, dest) || dest}' already exists`, { hint: 'use -f/--force to overwrite it, or give another OUT' });
  }
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = tmpPathFor(dest);
  try {
    const bytes = await downloadUrl(opts.url, opts.cwd, tmp, opts);
    rmSync(dest, { recursive: true, force: true });
    renameSync(tmp, dest);
    return { url: opts.url, out: dest, bytes };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
