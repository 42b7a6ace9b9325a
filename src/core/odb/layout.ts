/**
 * Object layout inside a cache root or a remote (dvc-formats.md §3, §8):
 *   DVC 3 objects:      files/<algo>/<oid[0:2]>/<oid[2:]>        (`.dir` suffix stays in the name)
 *   legacy DVC 2 objects (md5-dos2unix): <oid[0:2]>/<oid[2:]> at the root.
 */
import type { HashName } from './hash.js';
import { InvalidFileError } from '../../lib/errors.js';


/** True when `oid` looks like a hex digest (optionally with `.dir`) of this algorithm. */
export function isValidOid(name: HashName, oid: string): boolean {
  if (typeof oid !== 'string') return false;
  const want = name === 'sha256' ? 64 : 32;
  const hexLen = oid.length === want + 4 && oid.endsWith('.dir') ? want : oid.length;
  if (hexLen !== want) return false;
  for (let i = 0; i < want; i++) {
    const c = oid.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

export function assertValidOid(name: HashName, oid: string): void {
  if (!isValidOid(name, oid)) {
    throw new InvalidFileError(`invalid ${name} object id '${oid}'`, { hint: 'the .dvc/.dir entry is corrupted; restore it from git (`git checkout -- <file>.dvc`)' });
  }
}

/** Directory under the cache root for an algorithm ('' for legacy md5-dos2unix). */
export function algoDir(name: HashName): string {
  return name === 'md5-dos2unix' ? '' : `files/${name}`;
}

/** Relative (posix) path of an object: `files/md5/ab/cdef…` or `ab/cdef…` for legacy. */
export function objectRelPath(name: HashName, oid: string): string {
  assertValidOid(name, oid);
  const base = algoDir(name);
  const rel = `${oid.slice(0, 2)}/${oid.slice(2)}`;
  return base ? `${base}/${rel}` : rel;
}

export function objectPath(cacheRoot: string, name: HashName, oid: string): string {
  return (cacheRoot.endsWith('/') ? cacheRoot : cacheRoot + '/') + objectRelPath(name, oid);
}

export function isDirOid(oid: string): boolean {
  return oid.endsWith('.dir');
}
