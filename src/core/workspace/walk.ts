/**
 * Walks a tracked directory: regular files only (empty directories are not represented, as in
 * DVC), `.dvcignore` honoured, `/`-joined relpaths. Symlinks are followed (a symlink into the
 * cache is how `cache.type symlink` checks data out); the caller decides about symlinks that leave
 * the repository. Sync calls: lstat/readdir in sync are 2.5x faster than promises here.
 */
import { lstatSync, readdirSync, rmSync, statSync, type Stats } from 'node:fs';
import type { DvcIgnore } from '../repo/dvcignore.js';
import { InvalidFileError, PathError } from '../../lib/errors.js';
import { reservedSegment } from '../../lib/safepath.js';

export interface WalkedFile {
  rel: string;
  abs: string;
  ino: number;
  mtimeMs: number;
  size: number;
  isexec: boolean;
  isSymlink: boolean;
}

export interface WalkOptions {
  ignore?: DvcIgnore;
  /** The walked directory's path relative to the repo root (for `.dvcignore` matching). */
  repoRel: string;
  /** Refuse a `.dvcignore` inside the tracked directory (DVC does). */
  forbidDvcIgnore?: boolean;
  /** Delete stale `.geodvc-tmp-*` files left by a killed process (callers holding the write lock). */
  removeTemps?: boolean;
}

export function walkDir(absDir: string, opts: WalkOptions): WalkedFile[] {
  const out: WalkedFile[] = [];
  const rec = (dir: string, rel: string) => {
    let names;
    try {
      names = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      throw new PathError('unreadable', `cannot read directory '${dir}': ${(err as Error).message}`, { cause: err, hint: 'check the directory permissions' });
    }
    const dirRepoRel = opts.repoRel ? (rel ? opts.repoRel + '/' + rel : opts.repoRel) : rel;
    const checkFiles = !opts.ignore?.filesMayBeIgnored || opts.ignore.filesMayBeIgnored(dirRepoRel);
    for (const e of names) {
      const r = rel ? rel + '/' + e.name : e.name;
      const abs = dir + '/' + e.name;
      if (e.name.startsWith('.geodvc-tmp-')) {
        if (opts.removeTemps) { try { rmSync(abs, { force: true, recursive: true }); } catch { /* next time */ } }
        continue;
      }
      if (e.name === '.dvcignore' && opts.forbidDvcIgnore) {
        throw new InvalidFileError(`'${abs}' is inside a tracked directory`, { hint: 'a .dvcignore inside a tracked directory is not allowed (as in DVC); move its rules to the parent directory' });
      }
      // .git/.dvc in any spelling (a submodule's `.git` file too) is never data (issue 17)
      if (reservedSegment(e.name)) continue;
      const repoRel = opts.repoRel ? opts.repoRel + '/' + r : r;
      let isDir = e.isDirectory();
      let st: Stats | undefined;
      let isSymlink = false;
      if (e.isSymbolicLink()) {
        isSymlink = true;
        try { st = statSync(abs); } catch { continue; } // dangling: skipped like DVC
        isDir = st.isDirectory();
      }
      if (isDir) {
        if (opts.ignore?.ignores(repoRel, true)) continue;
        rec(abs, r);
        continue;
      }
      if (!e.isFile() && !isSymlink) continue;
      if (checkFiles && opts.ignore?.ignores(repoRel, false)) continue;
      st ??= lstatSync(abs);
      if (!st.isFile()) continue;
      out.push({ rel: r, abs, ino: st.ino, mtimeMs: st.mtimeMs, size: st.size, isexec: (st.mode & 0o100) !== 0, isSymlink });
    }
  };
  rec(absDir, '');
  return out;
}
