/**
 * `.dir` manifests (dvc-formats.md §1.3): a JSON list of `{"<algo>": <oid>, "relpath": <posix path>}`
 * sorted by relpath in code-point order, serialized as Python `json.dumps(sort_keys=True)`, no
 * trailing newline. The tree's oid is hash(bytes) + ".dir" with the same algorithm.
 *
 * Entry key per algorithm: `md5` for md5 and legacy md5-dos2unix (DVC's own), and for the
 * algorithms DVC 3 does not write, the algorithm name itself: `{"relpath": …, "xxh128": …}` and
 * `{"relpath": …, "sha256": …}` (keys sorted as Python would sort them).
 */
import { compareCodePoints, pyJsonDumps } from '../../lib/pyjson.js';
import { InvalidFileError } from '../../lib/errors.js';
import { assertNotReserved } from '../../lib/safepath.js';
import { hashBuffer, type HashName } from './hash.js';

export interface TreeEntry {
  relpath: string;
  oid: string;
  /** Extra per-entry meta DVC accepts when loading (size, isexec); never written. */
  size?: number;
  isexec?: boolean;
}

export interface Tree {
  hashName: HashName;
  entries: TreeEntry[];
}

/** The key of the per-file hash in a manifest entry. */
export function entryKey(name: HashName): string {
  return name === 'md5' || name === 'md5-dos2unix' ? 'md5' : name;
}

/** Validates one relpath; returns an error message or undefined. */
function hasDotSegment(rel: string): boolean {
  if (rel.indexOf('.') < 0) return false;
  return rel === '.' || rel === '..' || rel.startsWith('./') || rel.startsWith('../') || rel.includes('/./') || rel.includes('/../') || rel.endsWith('/.') || rel.endsWith('/..');
}

export function relpathProblem(rel: unknown): string | undefined {
  if (typeof rel !== 'string') return 'relpath is not a string';
  if (rel.length === 0) return 'empty relpath';
  // Fast path: no NUL, backslash, leading slash, drive letter, '//', or dot segments.
  if (rel.indexOf('\0') < 0 && rel.indexOf('\\') < 0 && rel.charCodeAt(0) !== 47 && rel.indexOf('//') < 0 && rel.charCodeAt(rel.length - 1) !== 47
    && rel.charCodeAt(1) !== 58 /* no drive letter "C:" (hardening, issue 10; found by fuzzing) */
    && !hasDotSegment(rel)) return undefined;
  if (rel.includes('\0')) return 'relpath contains a NUL byte';
  if (rel.includes('\\')) return 'relpath contains a backslash';
  if (rel.startsWith('/') || /^[A-Za-z]:/.test(rel)) return 'relpath is absolute';
  for (const seg of rel.split('/')) {
    if (seg === '') return 'relpath has an empty segment';
    if (seg === '..') return "relpath contains '..'";
    if (seg === '.') return "relpath contains '.'";
  }
  return undefined;
}

function sortEntries(entries: TreeEntry[]): TreeEntry[] {
  return [...entries].sort((a, b) => compareCodePoints(a.relpath, b.relpath));
}

/** Throws InvalidFileError on unsafe, duplicate or conflicting paths. */
function isHexOid(oid: string, len: number): boolean {
  if (typeof oid !== 'string' || oid.length !== len) return false;
  for (let i = 0; i < len; i++) {
    const c = oid.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

export function validateEntries(entries: TreeEntry[], name: HashName, what = '.dir manifest'): void {
  const hexLen = name === 'sha256' ? 64 : 32;
  const seen = new Set<string>();
  for (const e of entries) {
    const p = relpathProblem(e.relpath);
    if (p) throw new InvalidFileError(`${what}: ${p}: ${JSON.stringify(e.relpath)}`, { hint: 'the manifest is corrupted or was crafted; restore it (`geodvc checkout`/`pull`) or re-add the directory' });
    // issue 17: an entry inside .git/.dvc (any segment, any case) is crafted: refused, no override
    assertNotReserved(e.relpath, `entry of ${what}`, 'the manifest was crafted to write into git\'s or geodvc\'s own directory; remove the .dvc file that references it and review where it came from; this rule has no override');
    if (!isHexOid(e.oid, hexLen)) throw new InvalidFileError(`${what}: invalid ${name} hash for '${e.relpath}': ${JSON.stringify(e.oid)}`, { hint: 'the manifest is corrupted; re-add the directory or fetch it again' });
    if (seen.has(e.relpath)) throw new InvalidFileError(`${what}: duplicate relpath '${e.relpath}'`, { hint: 'the manifest is corrupted; re-add the directory or fetch it again' });
    seen.add(e.relpath);
  }
  // A path that is both a file and a directory (`a` and `a/b`).
  const dirsChecked = new Set<string>();
  for (const e of entries) {
    let i = e.relpath.lastIndexOf('/');
    while (i > 0) {
      const parent = e.relpath.slice(0, i);
      if (dirsChecked.has(parent)) break;
      dirsChecked.add(parent);
      if (seen.has(parent)) throw new InvalidFileError(`${what}: '${parent}' is both a file and a directory`, { hint: 'the manifest is corrupted; re-add the directory' });
      i = parent.lastIndexOf('/');
    }
  }
}

/** The exact manifest bytes DVC writes for these entries. */
export function serializeTree(tree: Tree): Buffer {
  const key = entryKey(tree.hashName);
  const sorted = sortEntries(tree.entries);
  // Hand-rolled for speed on 100k entries; equal to pyJsonDumps([{key: oid, relpath}], sort_keys).
  const parts: string[] = new Array(sorted.length);
  const keyFirst = compareCodePoints(key, 'relpath') < 0;
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i]!;
    const rp = pyJsonDumps(e.relpath);
    parts[i] = keyFirst ? `{"${key}": "${e.oid}", "relpath": ${rp}}` : `{"relpath": ${rp}, "${key}": "${e.oid}"}`;
  }
  return Buffer.from('[' + parts.join(', ') + ']', 'utf8');
}

/**
 * Builds a tree (sorted) and its bytes and oid. `trusted`: the entries come from a directory walk
 * and our own hashing, so path validation is skipped (100k entries).
 */
export function buildTree(hashName: HashName, entries: TreeEntry[], opts: { trusted?: boolean } = {}): { tree: Tree; bytes: Buffer; oid: string } {
  const tree: Tree = { hashName, entries: sortEntries(entries) };
  if (!opts.trusted) validateEntries(tree.entries, hashName);
  const bytes = serializeTree(tree);
  return { tree, bytes, oid: treeOid(hashName, bytes) };
}

export function treeOid(hashName: HashName, bytes: Uint8Array): string {
  return hashBuffer(bytes, hashName) + '.dir';
}

/** Parses and validates manifest bytes. `source` names the file in errors. */
export function parseTree(bytes: Uint8Array | string, hashName: HashName, source = '.dir manifest'): Tree {
  let data: unknown;
  try {
    data = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new InvalidFileError(`${source} is not valid JSON`, { cause: err, hint: 'the cached manifest is corrupted; delete it and fetch it again (`geodvc fetch`) or re-add the directory' });
  }
  if (!Array.isArray(data)) throw new InvalidFileError(`${source} is not a JSON list`, { hint: 'the cached manifest is corrupted; delete it and fetch it again or re-add the directory' });
  const key = entryKey(hashName);
  const entries: TreeEntry[] = [];
  for (const item of data) {
    if (!item || typeof item !== 'object' || Array.isArray(item)) throw new InvalidFileError(`${source}: entry is not an object`, { hint: 'the cached manifest is corrupted' });
    const o = item as Record<string, unknown>;
    const oid = o[key];
    if (typeof oid !== 'string') throw new InvalidFileError(`${source}: entry without '${key}' hash: ${JSON.stringify(item).slice(0, 200)}`, { hint: 'the cached manifest is corrupted or uses another hash algorithm' });
    const e: TreeEntry = { relpath: o.relpath as string, oid };
    if (typeof o.size === 'number') e.size = o.size;
    if (o.isexec === true) e.isexec = true;
    entries.push(e);
  }
  validateEntries(entries, hashName, source);
  return { hashName, entries: sortEntries(entries) };
}
