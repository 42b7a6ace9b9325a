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
        CREATE TABLE IF NOT EXISTS dir_index (
        path TEXT NOT NULL, hash_name TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (path, hash_name)) WITHOUT ROWID`);
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
  loadDirIndex(dir: string, name: HashName): Map<string, DirIndexEntry> {
    const out = new Map<string, DirIndexEntry>();
    const db = this.open();
    if (!db) return out;
    let row: { data: string } | undefined;
    try { row = db.prepare('SELECT data FROM dir_index WHERE path = ? AND hash_name = ?').get(dir, name) as { data: string } | undefined; } catch { return out; }
    if (!row) return out;
    try {
      const arr = JSON.parse(row.data) as [string, number, number, number, string][];
      for (const [rel, ino, mtime, size, oid] of arr) out.set(rel, { ino, mtime, size, oid });
    } catch { /* corrupt entry: re-hash */ }
    return out;
  }

  saveDirIndex(dir: string, name: HashName, index: Map<string, DirIndexEntry>): void {
    const db = this.open();
    if (!db) return;
    const arr: [string, number, number, number, string][] = [];
    for (const [rel, e] of index) arr.push([rel, e.ino, e.mtime, e.size, e.oid]);
    try {
      db.prepare('INSERT OR REPLACE INTO dir_index (path, hash_name, data) VALUES (?, ?, ?)').run(dir, name, JSON.stringify(arr));
    } catch { /* a cache: losing it only costs re-hashing */ }
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
