/**
 * Hashes of stage deps/outs (DVC 3: md5 of raw bytes; directories as `<md5>.dir` of the
 * Python-json manifest) with a small state file so unchanged files are not re-read: a file's
 * entry is reused while its (inode, mtime, size) match; a directory's while the fingerprint of all
 * its entries' stats matches.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { sep } from 'node:path';
import { pyJsonDumps, compareCodePoints } from '../../lib/pyjson.js';
import { writeFileAtomicSync } from '../../lib/atomic.js';

export interface PathHash {
  md5: string;
  size: number;
  /** Directories only. */
  nfiles?: number;
  isDir: boolean;
  /** Directories only: sorted manifest entries. */
  entries?: { relpath: string; md5: string; size: number }[];
}

interface FileEntry { i: number; m: number; s: number; h: string }
interface DirEntry { f: string; h: string; s: number; n: number }

const STATE_VERSION = 1;

/**
 * A per-repo hash memo in `.dvc/tmp/pipeline-hashes.{dirs,files}.json`. The directory memo is small
 * and read first; the per-file memo (one entry per file) is only read when a directory changed or a
 * single file dep is looked up, so a no-op `repro` over many files never parses it.
 */
export class HashState {
  private files: Map<string, FileEntry> | undefined;
  private dirs = new Map<string, DirEntry>();
  private top = new Map<string, FileEntry>();
  private dirtyFiles = false;
  private dirtyDirs = false;
  constructor(private readonly file?: string) {
    if (!file) { this.files = new Map(); return; }
    try {
      const raw = JSON.parse(readFileSync(`${file}.dirs.json`, 'utf8'));
      if (raw.v === STATE_VERSION) {
        for (const [k, v] of Object.entries(raw.dirs ?? {})) this.dirs.set(k, v as DirEntry);
        for (const [k, v] of Object.entries(raw.top ?? {})) this.top.set(k, v as FileEntry);
      }
    } catch { /* missing or corrupt: start empty */ }
  }
  private fileMap(): Map<string, FileEntry> {
    if (this.files) return this.files;
    this.files = new Map();
    if (this.file) {
      try {
        const raw = JSON.parse(readFileSync(`${this.file}.files.json`, 'utf8'));
        if (raw.v === STATE_VERSION) for (const [k, v] of Object.entries(raw.files ?? {})) this.files.set(k, v as FileEntry);
      } catch { /* start empty */ }
    }
    return this.files;
  }
  /** `inner`: a file inside a directory dep/out (kept in the big, lazily read memo). */
  getFile(abs: string, st: Stats, inner = true): string | undefined {
    const e = (inner ? this.fileMap() : this.top).get(abs);
    return e && e.i === st.ino && e.m === st.mtimeMs && e.s === st.size ? e.h : undefined;
  }
  setFile(abs: string, st: Stats, md5: string, inner = true): void {
    (inner ? this.fileMap() : this.top).set(abs, { i: st.ino, m: st.mtimeMs, s: st.size, h: md5 });
    if (inner) this.dirtyFiles = true; else this.dirtyDirs = true;
  }
  getDir(abs: string, fp: string): DirEntry | undefined {
    const e = this.dirs.get(abs);
    return e && e.f === fp ? e : undefined;
  }
  setDir(abs: string, e: DirEntry): void { this.dirs.set(abs, e); this.dirtyDirs = true; }
  save(): void {
    if (!this.file) return;
    try {
      if (this.dirtyFiles && this.files) {
        writeFileAtomicSync(`${this.file}.files.json`, JSON.stringify({ v: STATE_VERSION, files: Object.fromEntries(this.files) }), { fsync: false });
        this.dirtyFiles = false;
      }
      if (this.dirtyDirs) {
        writeFileAtomicSync(`${this.file}.dirs.json`, JSON.stringify({ v: STATE_VERSION, dirs: Object.fromEntries(this.dirs), top: Object.fromEntries(this.top) }), { fsync: false });
        this.dirtyDirs = false;
      }
    } catch { /* the memo is an optimisation only */ }
  }
}

export async function md5File(abs: string): Promise<string> {
  const h = createHash('md5');
  await new Promise<void>((res, rej) => {
    createReadStream(abs, { highWaterMark: 1 << 20 }).on('data', (d) => h.update(d)).on('end', res).on('error', rej);
  });
  return h.digest('hex');
}

async function hashOneFile(abs: string, st: Stats, state: HashState, inner = true): Promise<string> {
  const known = state.getFile(abs, st, inner);
  if (known) return known;
  // small files: one read is much cheaper than a stream
  const md5 = st.size <= (8 << 20) ? createHash('md5').update(readFileSync(abs)).digest('hex') : await md5File(abs);
  state.setFile(abs, st, md5, inner);
  return md5;
}

function walkFiles(dir: string, prefix: string, out: { rel: string; abs: string; st: Stats }[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const abs = dir + sep + e.name;
    const rel = prefix ? prefix + '/' + e.name : e.name;
    if (e.isDirectory()) walkFiles(abs, rel, out);
    else if (e.isFile() || e.isSymbolicLink()) {
      const st = statSync(abs);
      if (st.isDirectory()) walkFiles(abs, rel, out);
      else out.push({ rel, abs, st });
    }
  }
}

/** The `.dir` manifest bytes DVC hashes: Python json.dumps of [{md5, relpath}] sorted by relpath. */
export function dirManifest(entries: { relpath: string; md5: string }[]): string {
  return pyJsonDumps(entries.map((e) => ({ md5: e.md5, relpath: e.relpath })));
}

/** Hashes a file or directory; undefined when the path does not exist. */
export async function hashPath(abs: string, state: HashState, withEntries = false): Promise<PathHash | undefined> {
  let st: Stats;
  try { st = statSync(abs); } catch { return undefined; }
  if (!st.isDirectory()) return { md5: await hashOneFile(abs, st, state, false), size: st.size, isDir: false };
  const files: { rel: string; abs: string; st: Stats }[] = [];
  walkFiles(abs, '', files);
  files.sort((a, b) => compareCodePoints(a.rel, b.rel));
  const parts = files.map((f) => `${f.rel}\0${f.st.ino}\0${f.st.mtimeMs}\0${f.st.size}`);
  const fp = createHash('md5').update(parts.join('\n')).digest('hex');
  const known = state.getDir(abs, fp);
  if (known && !withEntries) return { md5: known.h, size: known.s, nfiles: known.n, isDir: true };
  const entries: { relpath: string; md5: string; size: number }[] = [];
  for (const f of files) entries.push({ relpath: f.rel, md5: await hashOneFile(f.abs, f.st, state), size: f.st.size });
  const md5 = createHash('md5').update(dirManifest(entries)).digest('hex') + '.dir';
  const size = entries.reduce((a, e) => a + e.size, 0);
  state.setDir(abs, { f: fp, h: md5, s: size, n: entries.length });
  return { md5, size, nfiles: entries.length, isDir: true, entries };
}

/**
 * The DVC 2 (`md5-dos2unix`) hash of a file or directory, for lock entries written by DVC 2 (no
 * `hash:` field): text chunks have CRLF turned into LF before hashing (the data engineer's
 * `hashFile`), directories hash the same manifest built from those per-file hashes.
 */
export async function legacyHashPath(abs: string): Promise<string | undefined> {
  const { hashFile } = await import('../odb/hash.js');
  let st: Stats;
  try { st = statSync(abs); } catch { return undefined; }
  if (!st.isDirectory()) return (await hashFile(abs, 'md5-dos2unix')).value;
  const files: { rel: string; abs: string; st: Stats }[] = [];
  walkFiles(abs, '', files);
  files.sort((a, b) => compareCodePoints(a.rel, b.rel));
  const entries: { relpath: string; md5: string }[] = [];
  for (const f of files) entries.push({ relpath: f.rel, md5: (await hashFile(f.abs, 'md5-dos2unix')).value });
  return createHash('md5').update(dirManifest(entries)).digest('hex') + '.dir';
}
