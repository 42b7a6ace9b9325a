/**
 * Finds the `.dvc` files of a workspace (or of a git revision) and their outputs.
 *
 * The walk skips `.git`, `.dvc`, `.dvcignore`d paths, and directories that are outputs of a
 * `.dvc` file found beside them (a tracked `data/` with 100k files is never listed here).
 */
import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { loadDvcFile, parseDvcFile, type DvcFile, isDvcFileName } from '../dvcfile/dvcfile.js';
import type { DvcIgnore } from '../repo/dvcignore.js';
import { reservedSegment } from '../../lib/safepath.js';

export function toPosixRel(root: string, abs: string): string {
  const r = relative(root, abs);
  return sep === '/' ? r : r.split(sep).join('/');
}

/** Absolute paths of every `.dvc` file under `root`, sorted. */
export function findDvcFiles(root: string, ignore?: DvcIgnore): string[] {
  return findTrackingFiles(root, ignore).dvcFiles;
}

/**
 * Absolute paths of every `.dvc` file and every `dvc.lock` (the root's and those of stage
 * subdirectories, as DVC collects every dvc.yaml) under `root`, each list sorted.
 */
export function findTrackingFiles(root: string, ignore?: DvcIgnore): { dvcFiles: string[]; lockFiles: string[] } {
  const found: string[] = [];
  const locks: string[] = [];
  const walk = (dir: string, rel: string): void => {
    let entries;
    try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
    const outputsHere = new Set<string>();
    const dvcHere: string[] = [];
    for (const e of entries) {
      if (e.name === 'dvc.lock' && !e.isDirectory() && !ignore?.ignores(rel ? `${rel}/${e.name}` : e.name, false)) locks.push(join(dir, e.name));
      if (!e.isDirectory() && isDvcFileName(e.name)) {
        const relp = rel ? `${rel}/${e.name}` : e.name;
        if (ignore?.ignores(relp, false)) continue;
        const abs = join(dir, e.name);
        dvcHere.push(abs);
        try {
          for (const o of loadDvcFile(abs).outs) {
            const top = o.path.split('/')[0]!;
            if (top && top !== '.') outputsHere.add(top);
          }
        } catch { /* reported by whoever loads it */ }
      }
    }
    found.push(...dvcHere);
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      if (reservedSegment(e.name) || e.name === 'node_modules' && rel === '') continue;
      if (outputsHere.has(e.name)) continue;
      const relp = rel ? `${rel}/${e.name}` : e.name;
      if (ignore?.ignores(relp, true)) continue;
      walk(join(dir, e.name), relp);
    }
  };
  walk(root, '');
  return { dvcFiles: found.sort(), lockFiles: locks.sort() };
}

/** Loads every `.dvc` file of the workspace (InvalidFileError on a corrupted one). */
export function loadWorkspaceDvcFiles(root: string, ignore?: DvcIgnore): DvcFile[] {
  return findDvcFiles(root, ignore).map((p) => loadDvcFile(p));
}

/** Parses the `.dvc` files of a git revision, with `root`-based absolute paths. */
export function parseRevDvcFiles(root: string, files: { relpath: string; text: string }[]): DvcFile[] {
  return files.map((f) => parseDvcFile(f.text, join(root, f.relpath)));
}
