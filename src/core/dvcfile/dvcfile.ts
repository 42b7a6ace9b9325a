/**
 * `.dvc` files (dvc-formats.md §2): reading (DVC 3 and legacy DVC 2 entries), validation, and
 * writing byte-identical to DVC 3 for new files, or as a minimal edit that keeps the user's
 * comments and extra keys for existing ones.
 *
 * Hash algorithms: an entry's hash value lives under the key named after the algorithm
 * (`md5: …` — DVC's own; `xxh128: …` / `sha256: …` for the algorithms DVC 3 does not write), and
 * `hash: <name>` follows the meta keys. An in-repo entry with `md5` and no `hash` key is legacy
 * DVC 2 (`md5-dos2unix`), kept as such while the data is unchanged.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { isMap, isSeq, type Document, type YAMLMap } from 'yaml';
import { InvalidFileError } from '../../lib/errors.js';
import { writeFileAtomicSync } from '../../lib/atomic.js';
import { assertNotReserved } from '../../lib/safepath.js';
import { parseHashName, type HashName } from '../odb/hash.js';
import { isValidOid } from '../odb/layout.js';
import { applyMapDiff, documentToString, dumpYaml, parseYamlDocument } from './yaml.js';

export const DVC_FILE_SUFFIX = '.dvc';

export interface DvcOut {
  /** As written: posix, relative to the `.dvc` file's directory. */
  path: string;
  /** Absolute workspace path of the output. */
  absPath: string;
  hashName: HashName;
  /** Hash value (`….dir` for directories); undefined when the entry has none yet. */
  oid?: string;
  size?: number;
  nfiles?: number;
  isexec?: boolean;
  /** `cache: false` outputs are tracked by hash only. */
  cache: boolean;
  push: boolean;
  remote?: string;
  /** Geo metadata / user meta (`meta:` annotation), passed through. */
  meta?: unknown;
  /** The whole entry as parsed (extra keys kept on rewrite). */
  raw: Record<string, unknown>;
}

export interface DvcFile {
  /** Absolute path of the `.dvc` file. */
  path: string;
  outs: DvcOut[];
  /** Other top-level keys (deps for imports, md5, frozen, desc, meta …). */
  raw: Record<string, unknown>;
  /** The parsed document, for round-trip rewrites. */
  doc?: Document;
}

const HASH_VALUE_KEYS = ['md5', 'xxh128', 'sha256'] as const;
/** Keys we manage in an output entry; others are the user's. */
const MANAGED_OUT_KEYS = ['md5', 'xxh128', 'sha256', 'size', 'nfiles', 'isexec', 'hash', 'path'];

function invalid(file: string, why: string): InvalidFileError {
  return new InvalidFileError(`'${file}' is not a valid .dvc file: ${why}`, {
    hint: `restore it from git (\`git checkout -- ${file}\`) or remove it and add the data again`,
    details: { file },
  });
}

/** Validates an output path from a `.dvc`: relative, inside, no `..`, no NUL/backslash. */
function checkOutPath(file: string, p: unknown): string {
  if (typeof p !== 'string' || p.length === 0) throw invalid(file, 'an output has no path');
  if (p.includes('\0')) throw invalid(file, 'output path contains NUL');
  if (p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || /^[a-z][a-z0-9+.-]*:\/\//i.test(p)) throw invalid(file, `output path '${p}' is absolute or external (not supported)`);
  if (p.split(/[\\/]/).some((s) => s === '..')) throw invalid(file, `output path '${p}' points outside the .dvc file's directory`);
  // issue 17: an output inside .git (a hook, the config) or .dvc is refused before anything reads or writes it
  assertNotReserved(p, `output of '${file}'`);
  return p.replace(/\\/g, '/');
}

export function parseDvcFile(text: string, absPath: string): DvcFile {
  const doc = parseYamlDocument(text, absPath);
  const data = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (data === null || data === undefined) throw invalid(absPath, 'the file is empty');
  if (typeof data !== 'object' || Array.isArray(data)) throw invalid(absPath, 'top level is not a mapping');
  const raw = data as Record<string, unknown>;
  const outsRaw = raw.outs;
  if (outsRaw === undefined) throw invalid(absPath, "no 'outs' list");
  if (!Array.isArray(outsRaw)) throw invalid(absPath, "'outs' is not a list");
  const baseDir = dirname(absPath);
  const outs: DvcOut[] = outsRaw.map((o, i) => {
    if (!o || typeof o !== 'object' || Array.isArray(o)) throw invalid(absPath, `outs[${i}] is not a mapping`);
    const e = o as Record<string, unknown>;
    const path = checkOutPath(absPath, e.path);
    let hashName: HashName;
    if (e.hash === undefined || e.hash === null) {
      const present = HASH_VALUE_KEYS.filter((k) => e[k] !== undefined);
      if (present.includes('xxh128')) hashName = 'xxh128';
      else if (present.includes('sha256')) hashName = 'sha256';
      else hashName = 'md5-dos2unix';
    } else {
      const h = parseHashName(String(e.hash));
      if (!h || h === 'md5-dos2unix') throw invalid(absPath, `unknown hash '${String(e.hash)}' in outs[${i}]`);
      hashName = h;
    }
    const key = hashName === 'md5-dos2unix' ? 'md5' : hashName;
    let oid: string | undefined;
    if (e[key] !== undefined && e[key] !== null) {
      oid = String(e[key]);
      if (!isValidOid(hashName, oid)) throw invalid(absPath, `outs[${i}] has an invalid ${key} '${oid}'`);
    }
    const num = (k: string): number | undefined => {
      const v = e[k];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw invalid(absPath, `outs[${i}].${k} is not a non-negative integer`);
      return v;
    };
    const absOut = resolve(baseDir, path);
    if (!(absOut + sep).startsWith(baseDir + sep) && absOut !== baseDir) throw invalid(absPath, `output path '${path}' escapes its directory`);
    return {
      path,
      absPath: absOut,
      hashName,
      oid,
      size: num('size'),
      nfiles: num('nfiles'),
      isexec: e.isexec === true ? true : undefined,
      cache: e.cache !== false,
      push: e.push !== false,
      remote: typeof e.remote === 'string' ? e.remote : undefined,
      meta: e.meta,
      raw: e,
    };
  });
  return { path: absPath, outs, raw, doc };
}

export function loadDvcFile(absPath: string): DvcFile {
  let text: string;
  try {
    text = readFileSync(absPath, 'utf8');
  } catch (err) {
    throw new InvalidFileError(`cannot read '${absPath}': ${(err as Error).message}`, { cause: err, hint: 'check that the .dvc file exists and is readable' });
  }
  return parseDvcFile(text, absPath);
}

/** What we write for one output (key order of DVC's `Output.dumpd`). */
export interface OutEntry {
  path: string;
  hashName: HashName;
  oid?: string;
  size?: number;
  nfiles?: number;
  isexec?: boolean;
  /** The `meta:` annotation (written after `path`, as DVC orders annotations). */
  meta?: unknown;
}

export function outEntryObject(o: OutEntry): Record<string, unknown> {
  const e: Record<string, unknown> = {};
  if (o.oid !== undefined) e[o.hashName === 'md5-dos2unix' ? 'md5' : o.hashName] = o.oid;
  if (o.size !== undefined) e.size = o.size;
  if (o.nfiles !== undefined) e.nfiles = o.nfiles;
  if (o.isexec) e.isexec = true;
  if (o.hashName !== 'md5-dos2unix') e.hash = o.hashName;
  e.path = o.path;
  if (o.meta !== undefined) e.meta = o.meta;
  return e;
}

/** Text of a new `.dvc` file, byte-identical to DVC 3's for the same outputs. */
export function serializeNewDvcFile(outs: OutEntry[]): string {
  return dumpYaml({ outs: outs.map(outEntryObject) });
}

/**
 * The new text of an existing `.dvc` after its outputs changed: entries are matched by path and
 * edited in place (comments, annotations and unknown keys kept; new keys appended, as DVC's
 * ruamel minimal diff does).
 */
export function serializeUpdatedDvcFile(file: DvcFile, outs: OutEntry[]): string {
  const doc = file.doc;
  if (!doc) return serializeNewDvcFile(outs);
  const seq = doc.get('outs', true);
  if (!isSeq(seq)) return serializeNewDvcFile(outs);
  const byPath = new Map<string, YAMLMap>();
  for (const item of seq.items) {
    if (isMap(item)) {
      const p = item.get('path');
      if (typeof p === 'string') byPath.set(p.replace(/\\/g, '/'), item);
    }
  }
  for (const o of outs) {
    const node = byPath.get(o.path);
    const next = outEntryObject(o);
    if (node) {
      // Drop other algorithms' value keys when the algorithm changed (e.g. legacy → md5).
      // `meta` is the user's once written: never removed, only set when we bring one.
      applyMapDiff(doc, node, next, MANAGED_OUT_KEYS.filter((k) => k !== 'path'));
    } else {
      seq.add(doc.createNode(next));
    }
  }
  return documentToString(doc);
}

/** Writes a `.dvc` atomically: new or updated keeping the user's text. */
export function saveDvcFile(absPath: string, outs: OutEntry[], existing?: DvcFile): void {
  const text = existing ? serializeUpdatedDvcFile(existing, outs) : serializeNewDvcFile(outs);
  writeFileAtomicSync(absPath, text, { fsync: false });
}

/** `data/x.tif` → `data/x.tif.dvc` (the `.dvc` sits beside its output). */
export function dvcFileFor(absOutPath: string): string {
  return absOutPath + DVC_FILE_SUFFIX;
}

export function isDvcFileName(name: string): boolean {
  return name.endsWith(DVC_FILE_SUFFIX) && name.length > DVC_FILE_SUFFIX.length;
}

/** Absolute path of an output listed in `file`. */
export function outAbsPath(file: string, outPath: string): string {
  return join(dirname(file), outPath);
}
