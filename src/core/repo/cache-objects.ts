/**
 * Enumerates the objects stored in a cache root (DVC 3 `files/<algo>/xx/rest`, legacy DVC 2
 * `xx/rest`), and the leftovers of interrupted writes (temp files). Skips the run-cache (`runs/`)
 * and our quarantine.
 */
import { readdirSync, lstatSync, rmSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { TMP_PREFIX } from '../../lib/atomic.js';
import type { HashName } from '../odb/hash.js';

export interface CacheObject {
  hashName: HashName;
  oid: string;
  /** Absolute path of the object file. */
  path: string;
  size: number;
  mode: number;
  mtimeMs: number;
}

export interface CacheListing {
  objects: CacheObject[];
  /** Temp files of interrupted writes (`.geodvc-tmp-*`) with their age. */
  tempFiles: { path: string; mtimeMs: number; size: number }[];
  /** Files that are neither objects nor temp files (left alone, reported). */
  strays: string[];
}

export const QUARANTINE_DIR = 'quarantine';
const HEX2 = /^[0-9a-f]{2}$/;
const REST = /^[0-9a-f]{30}([0-9a-f]{32})?(\.dir)?$/;
const ALGOS: HashName[] = ['md5', 'xxh128', 'sha256'];

function safeReaddir(dir: string): string[] {
  try { return readdirSync(dir); } catch { return []; }
}

function scanPrefixDirs(base: string, hashName: HashName, out: CacheListing): void {
  for (const pre of safeReaddir(base)) {
    const d = join(base, pre);
    if (!HEX2.test(pre)) continue;
    for (const name of safeReaddir(d)) {
      const p = join(d, name);
      let st;
      try { st = lstatSync(p); } catch { continue; }
      if (!st.isFile()) { out.strays.push(p); continue; }
      if (name.startsWith(TMP_PREFIX)) { out.tempFiles.push({ path: p, mtimeMs: st.mtimeMs, size: st.size }); continue; }
      const oid = pre + name;
      const hexLen = name.endsWith('.dir') ? oid.length - 4 : oid.length;
      const wantLen = hashName === 'sha256' ? 64 : 32;
      if (!REST.test(name) || hexLen !== wantLen) { out.strays.push(p); continue; }
      out.objects.push({ hashName, oid, path: p, size: st.size, mode: st.mode & 0o777, mtimeMs: st.mtimeMs });
    }
  }
}

/** Lists every object of the cache at `cacheDir`. */
export function listCacheObjects(cacheDir: string): CacheListing {
  const out: CacheListing = { objects: [], tempFiles: [], strays: [] };
  for (const algo of ALGOS) scanPrefixDirs(join(cacheDir, 'files', algo), algo, out);
  // Legacy DVC 2 objects live in two-hex-digit directories at the cache root.
  scanPrefixDirs(cacheDir, 'md5-dos2unix', out);
  // Temp files written at the cache root (object name unknown until hashed).
  for (const name of safeReaddir(cacheDir)) {
    if (!name.startsWith(TMP_PREFIX)) continue;
    const p = join(cacheDir, name);
    try { const st = lstatSync(p); if (st.isFile()) out.tempFiles.push({ path: p, mtimeMs: st.mtimeMs, size: st.size }); } catch { /* gone */ }
  }
  for (const algo of ALGOS) {
    const d = join(cacheDir, 'files', algo);
    for (const name of safeReaddir(d)) if (name.startsWith(TMP_PREFIX)) {
      const p = join(d, name);
      try { const st = lstatSync(p); out.tempFiles.push({ path: p, mtimeMs: st.mtimeMs, size: st.size }); } catch { /* gone */ }
    }
  }
  return out;
}

/** Removes the temp files of interrupted writes. Call only while holding the repository write lock. */
export function removeTempFiles(listing: CacheListing): number {
  let n = 0;
  for (const t of listing.tempFiles) { try { rmSync(t.path, { force: true }); n++; } catch { /* ignore */ } }
  return n;
}

/** Removes `dir` if it is empty (ignores errors). */
export function removeIfEmpty(dir: string): void {
  try { rmdirSync(dir); } catch { /* not empty or gone */ }
}
