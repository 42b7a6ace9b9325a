/**
 * The pieces of the object cache the pipeline needs (`.dvc/cache/files/md5/ab/cdef...`, DVC 3
 * layout): commit a stage output, check an object is present, check an output out of the cache,
 * and keep `.gitignore` entries for outputs. Objects are written atomically and made read-only.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

function putFile(cacheDir: string, src: string, md5: string): void {
  const dst = objectPath(cacheDir, md5);
  if (existsSync(dst)) return;
  mkdirSync(dirname(dst), { recursive: true });
  const tmp = tmpPathFor(dst);
  copyFileSync(src, tmp);
  chmodSync(tmp, 0o444);
  renameSync(tmp, dst);
}

/** Copies an output into the cache (entries first, then the `.dir` manifest). */
export async function commitToCache(cacheDir: string, abs: string, state: HashState): Promise<PathHash | undefined> {
  const h = await hashPath(abs, state, true);
  if (!h) return undefined;
  if (!h.isDir) { putFile(cacheDir, abs, h.md5); return h; }
  for (const e of h.entries!) putFile(cacheDir, join(abs, ...e.relpath.split('/')), e.md5);
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
export function checkoutFromCache(cacheDir: string, md5: string, abs: string): void {
  rmSync(abs, { recursive: true, force: true });
  if (!md5.endsWith('.dir')) {
    mkdirSync(dirname(abs), { recursive: true });
    const tmp = tmpPathFor(abs);
    copyFileSync(objectPath(cacheDir, md5), tmp);
    chmodSync(tmp, 0o644);
    renameSync(tmp, abs);
    return;
  }
  const entries = JSON.parse(readFileSync(objectPath(cacheDir, md5), 'utf8')) as { md5: string; relpath: string }[];
  mkdirSync(abs, { recursive: true });
  for (const e of entries) {
    const p = join(abs, ...e.relpath.split('/'));
    mkdirSync(dirname(p), { recursive: true });
    copyFileSync(objectPath(cacheDir, e.md5), p);
    chmodSync(p, 0o644);
  }
}

/** Adds `/name` to the `.gitignore` beside an output, as DVC does (only in git repos). */
export function gitignoreOutput(repo: { root: string; noScm?: boolean }, abs: string): void {
  ignoreOutput(repo, abs);
}

export function isDirectory(abs: string): boolean {
  try { return statSync(abs).isDirectory(); } catch { return false; }
}
