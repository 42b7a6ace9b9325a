/**
 * The state database: remembers the hash of each workspace file keyed by (inode, mtime, size), so
 * unchanged files are never re-hashed (dvc-formats.md §11; our own SQLite file in `.dvc/tmp`,
 * deleting it only costs re-hashing). Lookups for a whole directory are one range query loaded
 * into a Map; writes are batched in one transaction.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { HashName } from './hash.js';

export interface StatKey { ino: number; mtimeMs: number; size: number }
interface Row { path: string; ino: number; mtime: number; size: number; oid: string }

export interface DirIndexEntry { ino: number; mtime: number; size: number; oid: string }

/**
 * A tracked directory's remembered entries (relpath -> ino, mtime, size, oid) and the `.dir` oid
 * they make, when known. Stored column-wise (relpaths joined by NUL, a Float64Array blob, oids
 * concatenated) in the order of the walk that saved it: the next walk of an unchanged directory
 * meets its files in the same order, so `matchAt` compares position by position without building
 * a map of 100k entries; any other access materialises the map.
 */
export class DirIndex {
  treeOid?: string;
  private map?: Map<string, DirIndexEntry>;
  private pos?: Map<string, number>;

  constructor(private rels: string[] = [], private nums: Float64Array = new Float64Array(0), private oids = '', private oidLen = 32, entries?: Iterable<[string, DirIndexEntry]>) {
    if (entries) this.map = new Map(entries);
  }

  get size(): number { return this.map ? this.map.size : this.rels.length; }

  /** The oid remembered for `rel` when its stat still matches (position `i` first, then by name). */
  lookup(i: number, rel: string, ino: number, mtime: number, size: number): string | undefined {
    if (!this.map && i < this.rels.length && this.rels[i] === rel) {
      const n = this.nums;
      const k = i * 3;
      return n[k] === ino && n[k + 1] === mtime && n[k + 2] === size ? this.oids.substr(i * this.oidLen, this.oidLen) : undefined;
    }
    const e = this.get(rel);
    return e && e.ino === ino && e.mtime === mtime && e.size === size ? e.oid : undefined;
  }

  get(rel: string): DirIndexEntry | undefined {
    if (this.map) return this.map.get(rel);
    if (!this.pos) { this.pos = new Map(); for (let i = 0; i < this.rels.length; i++) this.pos.set(this.rels[i]!, i); }
    const i = this.pos.get(rel);
    return i === undefined ? undefined : this.at(i);
  }

  private at(i: number): DirIndexEntry {
    const k = i * 3;
    return { ino: this.nums[k]!, mtime: this.nums[k + 1]!, size: this.nums[k + 2]!, oid: this.oids.substr(i * this.oidLen, this.oidLen) };
  }

  private materialise(): Map<string, DirIndexEntry> {
    if (!this.map) {
      const m = new Map<string, DirIndexEntry>();
      for (let i = 0; i < this.rels.length; i++) m.set(this.rels[i]!, this.at(i));
      this.map = m;
      this.rels = []; this.nums = new Float64Array(0); this.oids = ''; this.pos = undefined;
    }
    return this.map;
  }

  set(rel: string, e: DirIndexEntry): void { this.materialise().set(rel, e); this.treeOid = undefined; }
  delete(rel: string): boolean { this.treeOid = undefined; return this.materialise().delete(rel); }
  clear(): void { this.map = new Map(); this.rels = []; this.nums = new Float64Array(0); this.oids = ''; this.pos = undefined; this.treeOid = undefined; }

  *entries(): IterableIterator<[string, DirIndexEntry]> {
    if (this.map) { yield* this.map.entries(); return; }
    for (let i = 0; i < this.rels.length; i++) yield [this.rels[i]!, this.at(i)];
  }

  [Symbol.iterator](): IterableIterator<[string, DirIndexEntry]> { return this.entries(); }
}

export const STATE_FILE = 'geodvc-state.db';

export class StateDB {
  private db: Database.Database | undefined;
  private pending: { path: string; name: HashName; st: StatKey; oid: string }[] = [];

  constructor(readonly file: string) {}

  static forRepo(tmpDir: string): StateDB {
    return new StateDB(join(tmpDir, STATE_FILE));
  }

  private open(): Database.Database | undefined {
    if (this.db) return this.db;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const db = new Database(this.file);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(`CREATE TABLE IF NOT EXISTS state (
        path TEXT NOT NULL, hash_name TEXT NOT NULL, ino INTEGER NOT NULL, mtime REAL NOT NULL,
        size INTEGER NOT NULL, oid TEXT NOT NULL, PRIMARY KEY (path, hash_name)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS dir_index2 (
        path TEXT NOT NULL, hash_name TEXT NOT NULL, tree TEXT, rels TEXT NOT NULL, nums BLOB NOT NULL,
        oids TEXT NOT NULL, oid_len INTEGER NOT NULL, PRIMARY KEY (path, hash_name)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS presence (
        key TEXT NOT NULL PRIMARY KEY, data TEXT NOT NULL) WITHOUT ROWID`);
      this.db = db;
    } catch {
      // A read-only or broken state file only costs re-hashing.
      this.db = undefined;
    }
    return this.db;
  }

  /** One file's remembered hash, when its stat still matches. */
  get(path: string, name: HashName, st: StatKey): string | undefined {
    const db = this.open();
    if (!db) return undefined;
    const row = db.prepare('SELECT ino, mtime, size, oid FROM state WHERE path = ? AND hash_name = ?').get(path, name) as Row | undefined;
    if (row && row.ino === st.ino && row.mtime === st.mtimeMs && row.size === st.size) return row.oid;
    return undefined;
  }

  /** Every remembered entry under a directory (absolute path prefix), as path → row. */
  loadPrefix(dir: string, name: HashName): Map<string, { ino: number; mtime: number; size: number; oid: string }> {
    const out = new Map<string, { ino: number; mtime: number; size: number; oid: string }>();
    const db = this.open();
    if (!db) return out;
    const lo = dir.endsWith('/') ? dir : dir + '/';
    const hi = lo.slice(0, -1) + '0'; // '/' + 1 = '0'
    const stmt = db.prepare('SELECT path, ino, mtime, size, oid FROM state WHERE hash_name = ? AND path >= ? AND path < ?');
    for (const r of stmt.iterate(name, lo, hi) as Iterable<Row>) out.set(r.path, { ino: r.ino, mtime: r.mtime, size: r.size, oid: r.oid });
    return out;
  }

  /**
   * The index of a tracked directory: relpath → (ino, mtime, size, oid), stored as one JSON
   * document per directory (loading 100k rows one by one costs seconds; one parse costs ~0.1 s).
   */
  loadDirIndex(dir: string, name: HashName): DirIndex {
    const db = this.open();
    if (!db) return new DirIndex();
    let row: { tree: string | null; rels: string; nums: Buffer; oids: string; oid_len: number } | undefined;
    try { row = db.prepare('SELECT tree, rels, nums, oids, oid_len FROM dir_index2 WHERE path = ? AND hash_name = ?').get(dir, name) as typeof row; } catch { return new DirIndex(); }
    if (!row) return new DirIndex();
    const rels = row.rels === '' ? [] : row.rels.split('\0');
    const nums = new Float64Array(row.nums.byteLength / 8);
    new Uint8Array(nums.buffer).set(row.nums);
    if (nums.length !== rels.length * 3 || row.oids.length !== rels.length * row.oid_len) return new DirIndex(); // corrupt: re-hash
    const idx = new DirIndex(rels, nums, row.oids, row.oid_len);
    if (row.tree) idx.treeOid = row.tree;
    return idx;
  }

  /**
   * Saves a directory's index (entries in the order given). `treeOid` is the `.dir` oid of exactly
   * these (relpath, oid) pairs: when a later walk matches every entry, the manifest need not be
   * rebuilt and re-hashed.
   */
  saveDirIndex(dir: string, name: HashName, index: Iterable<[string, DirIndexEntry]>, treeOid?: string): void {
    const db = this.open();
    if (!db) return;
    const rels: string[] = [];
    const oids: string[] = [];
    const numsArr: number[] = [];
    let oidLen = -1;
    for (const [rel, e] of index) {
      if (oidLen === -1) oidLen = e.oid.length;
      if (e.oid.length !== oidLen) return; // mixed lengths cannot be stored column-wise (never happens)
      rels.push(rel); oids.push(e.oid); numsArr.push(e.ino, e.mtime, e.size);
    }
    const nums = Float64Array.from(numsArr);
    try {
      db.prepare('INSERT OR REPLACE INTO dir_index2 (path, hash_name, tree, rels, nums, oids, oid_len) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(dir, name, treeOid ?? null, rels.join('\0'), Buffer.from(nums.buffer, nums.byteOffset, nums.byteLength), oids.join(''), Math.max(oidLen, 0));
    } catch { /* a cache: losing it only costs re-hashing */ }
  }

  /**
   * Memo of "every object of this set was present in the cache": `key` names the set (e.g. a
   * `.dir` oid and the cache directory), `data` the mtimes of the cache's prefix directories seen
   * when it was checked. An object leaves the cache only by unlink/rename, which changes its
   * directory's mtime, so unchanged mtimes mean nothing was removed since.
   */
  getPresence(key: string): Record<string, number> | undefined {
    const db = this.open();
    if (!db) return undefined;
    try {
      const row = db.prepare('SELECT data FROM presence WHERE key = ?').get(key) as { data: string } | undefined;
      return row ? (JSON.parse(row.data) as Record<string, number>) : undefined;
    } catch { return undefined; }
  }

  setPresence(key: string, dirMtimes: Record<string, number> | undefined): void {
    const db = this.open();
    if (!db) return;
    try {
      if (dirMtimes) db.prepare('INSERT OR REPLACE INTO presence (key, data) VALUES (?, ?)').run(key, JSON.stringify(dirMtimes));
      else db.prepare('DELETE FROM presence WHERE key = ?').run(key);
    } catch { /* a cache */ }
  }

  static matches(row: { ino: number; mtime: number; size: number } | undefined, st: StatKey): boolean {
    return !!row && row.ino === st.ino && row.mtime === st.mtimeMs && row.size === st.size;
  }

  /** Queues an entry; written by `flush()`. */
  set(path: string, name: HashName, st: StatKey, oid: string): void {
    this.pending.push({ path, name, st, oid });
    if (this.pending.length >= 50_000) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const db = this.open();
    const rows = this.pending;
    this.pending = [];
    if (!db) return;
    const ins = db.prepare('INSERT OR REPLACE INTO state (path, hash_name, ino, mtime, size, oid) VALUES (?, ?, ?, ?, ?, ?)');
    try {
      db.transaction(() => { for (const r of rows) ins.run(r.path, r.name, r.st.ino, r.st.mtimeMs, r.st.size, r.oid); })();
    } catch { /* state is a cache: losing entries only costs re-hashing */ }
  }

  close(): void {
    this.flush();
    this.db?.close();
    this.db = undefined;
  }
}
