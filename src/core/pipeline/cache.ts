/**
 * The pieces of the object cache the pipeline needs (`.dvc/cache/files/md5/ab/cdef...`, DVC 3
 * layout): commit a stage output, check an object is present, check an output out of the cache,
 * and keep `.gitignore` entries for outputs. Objects are written atomically and made read-only.
 */
import { chmodSync, constants as fsc, copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { parseLinkTypes } from '../odb/odb.js';
import { basename, dirname, join, relative } from 'node:path';
import { tmpPathFor, writeFileAtomicSync } from '../../lib/atomic.js';
import { ignoreOutput } from '../scm/gitignore.js';
import { dirManifest, hashPath, type HashState, type PathHash } from './hashing.js';

export function objectPath(cacheDir: string, md5: string): string {
  return join(cacheDir, 'files', 'md5', md5.slice(0, 2), md5.slice(2));
}

export function hasObject(cacheDir: string, md5: string): boolean {
  return existsSync(objectPath(cacheDir, md5));
}

/** How outputs are placed (from `cache.type`): reflink is not available here, so it copies. */
export type PipelineLink = 'copy' | 'hardlink' | 'symlink';

/** The first usable link type of a repo's `cache.type` (DVC's default `reflink,copy` copies). */
export function pipelineLinkOf(repo: unknown): PipelineLink {
  const v = (repo as { config?: { cache?: { type?: unknown } } })?.config?.cache?.type;
  for (const t of parseLinkTypes(v)) {
    if (t === 'copy' || t === 'hardlink' || t === 'symlink') return t;
  }
  return 'copy';
}

/** Replaces `dest` atomically by a new entry made by `make(tmp)`. */
function replaceBy(dest: string, make: (tmp: string) => void): void {
  const tmp = tmpPathFor(dest);
  try { make(tmp); renameSync(tmp, dest); } catch (err) { rmSync(tmp, { force: true }); throw err; }
}

function putFile(cacheDir: string, src: string, md5: string, link: PipelineLink = 'copy'): void {
  const dst = objectPath(cacheDir, md5);
  const have = existsSync(dst);
  if (!have) mkdirSync(dirname(dst), { recursive: true });
  if (link === 'hardlink') {
    // the workspace file becomes the object (read-only, as DVC protects linked outputs)
    if (!have) {
      chmodSync(src, 0o444);
      try { linkSync(src, dst); return; } catch (err) { if ((err as NodeJS.ErrnoException).code !== 'EEXIST') { chmodSync(src, 0o644); return putFile(cacheDir, src, md5, 'copy'); } }
    }
    if (statSync(dst).ino !== statSync(src).ino) replaceBy(src, (tmp) => linkSync(dst, tmp));
    return;
  }
  if (link === 'symlink') {
    if (!have) {
      const tmp = tmpPathFor(dst);
      renameSync(src, tmp);
      try { chmodSync(tmp, 0o444); renameSync(tmp, dst); } catch (err) { renameSync(tmp, src); throw err; }
      symlinkSync(dst, src);
      return;
    }
    replaceBy(src, (tmp) => symlinkSync(dst, tmp));
    return;
  }
  if (have) return;
  const tmp = tmpPathFor(dst);
  copyFileSync(src, tmp, fsc.COPYFILE_EXCL);
  chmodSync(tmp, 0o444);
  renameSync(tmp, dst);
}

/**
 * Stores an output in the cache (entries first, then the `.dir` manifest), placing it with `link`
 * as `add` does: copies by default, or the workspace files become hard links / symlinks of the
 * read-only objects.
 */
export async function commitToCache(cacheDir: string, abs: string, state: HashState, link: PipelineLink = 'copy'): Promise<PathHash | undefined> {
  const h = await hashPath(abs, state, true);
  if (!h) return undefined;
  if (!h.isDir) { putFile(cacheDir, abs, h.md5, link); return h; }
  for (const e of h.entries!) putFile(cacheDir, join(abs, ...e.relpath.split('/')), e.md5, link);
  const dst = objectPath(cacheDir, h.md5);
  if (!existsSync(dst)) {
    writeFileAtomicSync(dst, dirManifest(h.entries!));
    chmodSync(dst, 0o444);
  }
  return h;
}

/** DVC 2's cache layout (`<cache>/ab/cdef...`), still read by DVC 3 for legacy entries. */
export function legacyObjectPath(cacheDir: string, md5: string): string {
  return join(cacheDir, md5.slice(0, 2), md5.slice(2));
}

/** True when the object (and for a `.dir`, every entry) is in the cache (DVC 3 or DVC 2 layout). */
export function objectComplete(cacheDir: string, md5: string): boolean {
  let p = objectPath(cacheDir, md5);
  if (!existsSync(p)) {
    p = legacyObjectPath(cacheDir, md5);
    if (!existsSync(p)) return false;
  }
  if (!md5.endsWith('.dir')) return true;
  try {
    const entries = JSON.parse(readFileSync(p, 'utf8')) as { md5: string }[];
    return entries.every((e) => hasObject(cacheDir, e.md5) || existsSync(legacyObjectPath(cacheDir, e.md5)));
  } catch { return false; }
}

/** Writes an output from the cache into the workspace (copies; replaces what is there). */
export function checkoutFromCache(cacheDir: string, md5: string, abs: string, link: PipelineLink = 'copy'): void {
  rmSync(abs, { recursive: true, force: true });
  const place = (obj: string, p: string) => {
    if (link === 'hardlink') linkSync(obj, p);
    else if (link === 'symlink') symlinkSync(obj, p);
    else { copyFileSync(obj, p, fsc.COPYFILE_EXCL); chmodSync(p, 0o644); }
  };
  if (!md5.endsWith('.dir')) {
    mkdirSync(dirname(abs), { recursive: true });
    replaceBy(abs, (tmp) => place(objectPath(cacheDir, md5), tmp));
    return;
  }
  const entries = JSON.parse(readFileSync(objectPath(cacheDir, md5), 'utf8')) as { md5: string; relpath: string }[];
  mkdirSync(abs, { recursive: true });
  for (const e of entries) {
    const p = join(abs, ...e.relpath.split('/'));
    mkdirSync(dirname(p), { recursive: true });
    place(objectPath(cacheDir, e.md5), p);
  }
}

/**
 * Makes a linked output writable again before a stage that keeps it (`persist: true`) runs:
 * hard links and symlinks into the cache are replaced by private copies (as DVC unprotects).
 */
export function unprotectOutput(abs: string): void {
  const one = (p: string) => {
    let st;
    try { st = lstatSync(p); } catch { return; }
    if (st.isDirectory()) { for (const n of readdirSync(p)) one(join(p, n)); return; }
    const linked = st.isSymbolicLink() || (st.isFile() && (st.nlink > 1 || (st.mode & 0o222) === 0));
    if (!linked) return;
    try { if (!statSync(p).isFile()) return; } catch { return; }
    replaceBy(p, (tmp) => { copyFileSync(p, tmp, fsc.COPYFILE_EXCL); chmodSync(tmp, 0o644); });
  };
  one(abs);
}

/** Adds `/name` to the `.gitignore` beside an output, as DVC does (only in git repos). */
export function gitignoreOutput(repo: { root: string; noScm?: boolean }, abs: string): void {
  ignoreOutput(repo, abs);
}

export function isDirectory(abs: string): boolean {
  try { return statSync(abs).isDirectory(); } catch { return false; }
}
