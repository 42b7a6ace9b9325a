/**
 * The object database over a cache root (`.dvc/cache` or `cache.dir`), DVC 3 layout
 * (`files/<algo>/ab/cdef…`, legacy md5-dos2unix objects at `ab/cdef…`).
 *
 * Crash safety: objects are written under a temp name in their final directory and renamed into
 * place, then made read-only (0o444). An object is trusted without re-hashing only when it is
 * 0o444 (and, when the caller knows it, of the right size); anything else is re-hashed and removed
 * when corrupt, as DVC does (`check`, dvc-data db/local.py).
 */
import {
  chmodSync, closeSync, constants as fsc, copyFileSync, existsSync, linkSync, lstatSync, mkdirSync,
  openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeSync, type Stats,
} from 'node:fs';
import { dirname } from 'node:path';
import { createHasher, hashFile, hashBuffer, hashFileWith, hashFileSync as hashFileSyncRaw, type HashName } from './hash.js';
import { algoDir, objectPath, isDirOid } from './layout.js';
import { parseTree, type Tree } from './tree.js';
import { tmpPathFor } from '../../lib/atomic.js';
import { AppError, InvalidFileError, ConfigError } from '../../lib/errors.js';

export type LinkType = 'reflink' | 'hardlink' | 'symlink' | 'copy';
export const LINK_TYPES: readonly LinkType[] = ['reflink', 'hardlink', 'symlink', 'copy'];
/** DVC's default `cache.type`. */
export const DEFAULT_LINK_TYPES: readonly LinkType[] = ['reflink', 'copy'];

export const CACHE_MODE = 0o444;

/** Parses `cache.type` ("reflink,copy", a list, or undefined → DVC's default). */
export function parseLinkTypes(v: unknown): LinkType[] {
  if (v === undefined || v === null || v === '') return [...DEFAULT_LINK_TYPES];
  const parts = (Array.isArray(v) ? v.map(String) : String(v).split(',')).map((s) => s.trim().toLowerCase()).filter(Boolean);
  for (const p of parts) {
    if (!(LINK_TYPES as readonly string[]).includes(p)) {
      throw new ConfigError(`invalid cache.type '${p}'`, { hint: 'use a comma list of reflink, hardlink, symlink, copy (e.g. `geodvc config cache.type hardlink,copy`)' });
    }
  }
  return parts.length ? (parts as LinkType[]) : [...DEFAULT_LINK_TYPES];
}

/** Link errors that mean "this link type does not work here, try the next one". */
const FALLBACK_CODES = new Set(['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EPERM', 'EMLINK', 'ENOSYS', 'EINVAL', 'ENOTTY']);

/** Process-wide memory of link types that failed for a cache root → workspace device. */
const brokenLinks = new Map<string, Set<LinkType>>();

export interface AddResult { oid: string; size: number; added: boolean }

export class ObjectDB {
  constructor(readonly root: string) {}

  path(name: HashName, oid: string): string {
    return objectPath(this.root, name, oid);
  }

  /** True when the object exists and is trusted (0o444, right size when given) or verifies. */
  has(name: HashName, oid: string, size?: number): boolean {
    const p = this.path(name, oid);
    let st: Stats;
    try { st = statSync(p); } catch { return false; }
    if (!st.isFile()) return false;
    if (size !== undefined && !isDirOid(oid) && st.size !== size) {
      rmSync(p, { force: true });
      return false;
    }
    if ((st.mode & 0o777) === CACHE_MODE) return true;
    return this.verifyAndProtect(name, oid, p);
  }

  /** The directory holding an algorithm's two-hex-digit prefix directories. */
  algoRoot(name: HashName): string {
    const dir = algoDir(name);
    return dir ? `${this.root}/${dir}` : this.root;
  }

  /**
   * Every object id present for an algorithm (one readdir per prefix directory): cheaper than one
   * stat per object when checking 100k objects. Existence only (no verification).
   */
  listOids(name: HashName): Set<string> {
    const base = this.algoRoot(name);
    const out = new Set<string>();
    let prefixes: string[];
    try { prefixes = readdirSync(base); } catch { return out; }
    for (const pre of prefixes) {
      if (pre.length !== 2) continue;
      let names: string[];
      try { names = readdirSync(`${base}/${pre}`); } catch { continue; }
      for (const n of names) if (!n.startsWith('.geodvc-tmp-')) out.add(pre + n);
    }
    return out;
  }

  /** Exists at all (no verification), e.g. for listings. */
  exists(name: HashName, oid: string): boolean {
    return existsSync(this.path(name, oid));
  }

  /** Re-hashes an untrusted object; protects it when good, removes it when corrupt. */
  private verifyAndProtect(name: HashName, oid: string, p: string): boolean {
    let actual: string;
    try {
      if (isDirOid(oid)) actual = hashBuffer(readFileSync(p), name) + '.dir';
      else actual = hashFileSyncRaw(p, name).value;
    } catch {
      return false;
    }
    if (actual !== oid) {
      rmSync(p, { force: true });
      return false;
    }
    try { chmodSync(p, CACHE_MODE); } catch { /* shared caches may refuse; content is verified */ }
    return true;
  }

  /**
   * Full verification of an object (fsck): hashes it whatever its mode.
   * Returns 'ok', 'missing' or 'corrupt' (a corrupt object is left in place for the caller).
   */
  async verify(name: HashName, oid: string): Promise<'ok' | 'missing' | 'corrupt'> {
    const p = this.path(name, oid);
    if (!existsSync(p)) return 'missing';
    const actual = isDirOid(oid) ? hashBuffer(readFileSync(p), name) + '.dir' : (await hashFile(p, name)).value;
    return actual === oid ? 'ok' : 'corrupt';
  }

  /**
   * Copies `src` into the cache in one pass (hash while writing to a temp file in the object's
   * directory), verifies it against `oid` when given, then protects and renames it into place.
   * With `oid` known and the object already present, nothing is read.
   */
  async addFile(src: string, name: HashName, oid?: string, opts: { size?: number; onBytes?: (n: number) => void; signal?: AbortSignal } = {}): Promise<AddResult> {
    if (oid !== undefined && this.has(name, oid, opts.size)) return { oid, size: opts.size ?? statSync(this.path(name, oid)).size, added: false };
    const hasher = await createHasher(name);
    // The object's name is only known after hashing when oid is not given: write to a temp in the
    // cache root first, rename across directories of the same filesystem afterwards.
    const tmpDir = oid !== undefined ? dirname(this.path(name, oid)) : this.root;
    mkdirSync(tmpDir, { recursive: true });
    const tmp = tmpPathFor(`${tmpDir}/obj`);
    const fd = openSync(tmp, 'wx', 0o644);
    let res: { value: string; size: number };
    try {
      res = hashFileWith(src, hasher, { copyToFd: fd, onBytes: opts.onBytes, signal: opts.signal });
      closeSync(fd);
    } catch (err) {
      try { closeSync(fd); } catch { /* already closed */ }
      rmSync(tmp, { force: true });
      throw err;
    }
    try {
      if (oid !== undefined && res.value !== oid) {
        throw new AppError('hash-mismatch', `'${src}' changed while being added (expected ${oid}, got ${res.value})`, 1, { hint: 'stop writing to the file and run the command again' });
      }
      const final = this.path(name, res.value);
      if (this.has(name, res.value, res.size)) { rmSync(tmp, { force: true }); return { oid: res.value, size: res.size, added: false }; }
      mkdirSync(dirname(final), { recursive: true });
      chmodSync(tmp, CACHE_MODE);
      renameSync(tmp, final);
      return { oid: res.value, size: res.size, added: true };
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
  }

  /** Stores bytes (e.g. a `.dir` manifest) under `oid`, or under their own hash when omitted. */
  addBytes(bytes: Uint8Array, name: HashName, oid?: string): AddResult {
    const id = oid ?? hashBuffer(bytes, name);
    const final = this.path(name, id);
    if (this.has(name, id, isDirOid(id) ? undefined : bytes.length)) return { oid: id, size: bytes.length, added: false };
    mkdirSync(dirname(final), { recursive: true });
    const tmp = tmpPathFor(final);
    try {
      const fd = openSync(tmp, 'wx', CACHE_MODE);
      try {
        let off = 0;
        // writeSync handles short writes
        while (off < bytes.length) off += require_writeSync(fd, bytes, off);
      } finally { closeSync(fd); }
      renameSync(tmp, final);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    return { oid: id, size: bytes.length, added: true };
  }

  /**
   * Moves a workspace file into the cache under `oid` (already hashed), keeping a trusted copy:
   * used by `add` with hardlink/symlink links so no bytes are copied. The source is left in place
   * when `keepSource` (hardlink: the workspace file becomes the cache object's other name).
   */
  adoptByLink(src: string, name: HashName, oid: string): boolean {
    const final = this.path(name, oid);
    if (this.has(name, oid)) return false;
    mkdirSync(dirname(final), { recursive: true });
    const tmp = tmpPathFor(final);
    linkSync(src, tmp);
    try {
      chmodSync(tmp, CACHE_MODE);
      renameSync(tmp, final);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    return true;
  }

  /** Reads and validates a `.dir` manifest from the cache. */
  readTree(name: HashName, oid: string): Tree {
    const p = this.path(name, oid);
    let bytes: Buffer;
    try {
      bytes = readFileSync(p);
    } catch (err) {
      throw new AppError('object-missing', `directory manifest ${oid} is not in the cache`, 1, { cause: err, hint: 'fetch it from a remote (`geodvc fetch`/`pull`) or re-add the directory' });
    }
    const actual = hashBuffer(bytes, name) + '.dir';
    if (actual !== oid) {
      throw new InvalidFileError(`directory manifest ${oid} in the cache is corrupted (its content hashes to ${actual})`, { hint: `delete ${p} and fetch it again (\`geodvc fetch\`), or re-add the directory` });
    }
    return parseTree(bytes, name, `.dir manifest ${oid}`);
  }

  /**
   * Places the object at `dest` with the first link type that works (DVC order semantics), via a
   * temp name + rename so a killed process never leaves a half-written workspace file.
   * Returns the link type used.
   */
  link(name: HashName, oid: string, dest: string, types: readonly LinkType[], opts: { isexec?: boolean } = {}): LinkType {
    const src = this.path(name, oid);
    mkdirSync(dirname(dest), { recursive: true });
    const broken = brokenLinks.get(this.root) ?? new Set<LinkType>();
    let lastErr: unknown;
    for (const t of types) {
      if (broken.has(t)) continue;
      const tmp = tmpPathFor(dest);
      try {
        switch (t) {
          case 'reflink':
            copyFileSync(src, tmp, fsc.COPYFILE_FICLONE_FORCE | fsc.COPYFILE_EXCL);
            chmodSync(tmp, opts.isexec ? 0o755 : 0o644);
            break;
          case 'copy':
            // EXCL (fresh temp): no ftruncate, so ext4 does not flush the file on close
            copyFileSync(src, tmp, fsc.COPYFILE_EXCL);
            chmodSync(tmp, opts.isexec ? 0o755 : 0o644);
            break;
          case 'hardlink':
            linkSync(src, tmp);
            break;
          case 'symlink':
            symlinkSync(src, tmp);
            break;
        }
        renameSync(tmp, dest);
        return t;
      } catch (err) {
        rmSync(tmp, { force: true });
        const code = (err as NodeJS.ErrnoException).code ?? '';
        if (FALLBACK_CODES.has(code)) {
          broken.add(t);
          brokenLinks.set(this.root, broken);
          lastErr = err;
          continue;
        }
        throw err;
      }
    }
    throw new AppError('link-failed', `no link type of ${types.join(',')} works to create '${dest}'`, 1, { cause: lastErr, hint: 'set a link type this filesystem supports, e.g. `geodvc config cache.type copy`' });
  }
}

/** True when the workspace path is a link to (or the same inode as) the cache object. */
export function isLinkedToCache(wsPath: string, objPath: string): boolean {
  try {
    const l = lstatSync(wsPath);
    if (l.isSymbolicLink()) return statSync(wsPath).ino === statSync(objPath).ino;
    return l.nlink > 1 && l.ino === statSync(objPath).ino;
  } catch {
    return false;
  }
}

/**
 * Makes a linked workspace file private and writable (DVC `unprotect`): hardlinks and symlinks
 * into the cache are replaced by a copy (temp + rename), copies are just chmod'ed writable.
 */
export function unprotectFile(path: string): void {
  const l = lstatSync(path);
  if (l.isSymbolicLink() || (l.isFile() && l.nlink > 1)) {
    const tmp = tmpPathFor(path);
    try {
      copyFileSync(path, tmp, fsc.COPYFILE_EXCL);
      chmodSync(tmp, (statSync(path).mode & 0o111 ? 0o755 : 0o644));
      renameSync(tmp, path);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    return;
  }
  chmodSync(path, (l.mode & 0o777) | 0o200);
}

/** Makes a workspace file read-only (DVC protect for linked files). */
export function protectFile(path: string): void {
  try { chmodSync(path, 0o444); } catch { /* not ours to change (symlink target belongs to the cache) */ }
}

function require_writeSync(fd: number, bytes: Uint8Array, off: number): number {
  return writeSync(fd, bytes, off, bytes.length - off);
}
