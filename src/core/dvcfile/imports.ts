/**
 * The fields of import stages in `.dvc` files (dvc-formats.md §2; DVC's `imp`/`imp_url`):
 * top-level `md5` (the stage hash), `frozen: true`, and one dependency:
 *
 * - `import` (from a git+DVC repository): `deps: [{path, repo: {url, rev?, rev_lock}}]`
 * - `import-url` (a file or directory at a URL or local path): `deps: [{md5, size, nfiles?, hash, path}]`
 *
 * Key order of the file (DVC `stage/utils.py` `to_single_stage_file`): `md5, frozen, deps, outs`.
 * The stage hash is `md5(json.dumps(d, sort_keys=True))` of that document without `md5`, `meta`,
 * `desc` and, at any depth, the keys of `STAGE_MD5_EXCLUDED` (DVC `compute_md5`).
 */
import { createHash } from 'node:crypto';
import { InvalidFileError } from '../../lib/errors.js';
import { pyJsonDumps } from '../../lib/pyjson.js';
import { parseHashName, type HashName } from '../odb/hash.js';
import { isValidOid } from '../odb/layout.js';
import { outEntryObject, type DvcFile, type OutEntry } from './dvcfile.js';
import { dumpYaml } from './yaml.js';

/** Keys dropped at every depth before hashing a stage (annotations, frozen, metric, persist, meta). */
export const STAGE_MD5_EXCLUDED = ['desc', 'type', 'labels', 'meta', 'locked', 'frozen', 'metric', 'persist', 'isexec', 'size', 'nfiles'];

/** `import`: the repository dependency. */
export interface RepoDep {
  /** Path inside the source repository (posix). */
  path: string;
  /** The repository URL as the user gave it. */
  url: string;
  /** The revision the user asked for (`--rev`); absent = the default branch. */
  rev?: string;
  /** The commit the data was taken from. */
  revLock?: string;
}

/** `import-url`: the URL dependency with the hash of what was imported. */
export interface UrlDep {
  /** The URL or local path as recorded (absolute for local paths outside the repository). */
  path: string;
  hashName: HashName;
  oid?: string;
  size?: number;
  nfiles?: number;
}

export type ImportDep = { kind: 'repo'; dep: RepoDep } | { kind: 'url'; dep: UrlDep };

export interface ImportInfo {
  dep: ImportDep;
  frozen: boolean;
  /** The recorded stage hash (`md5:` at the top), when there is one. */
  md5?: string;
}

function invalid(file: string, why: string): InvalidFileError {
  return new InvalidFileError(`'${file}' is not a valid import .dvc file: ${why}`, {
    hint: `restore it from git (\`git checkout -- ${file}\`) or import the data again`,
    details: { file },
  });
}

/** The dependency of an import `.dvc` file, or undefined when the file has no `deps` (plain `add`). */
export function readImport(file: DvcFile): ImportInfo | undefined {
  const deps = file.raw.deps;
  if (deps === undefined || deps === null) return undefined;
  if (!Array.isArray(deps) || deps.length !== 1) throw invalid(file.path, "'deps' must be a list of one dependency");
  const d = deps[0] as Record<string, unknown>;
  if (!d || typeof d !== 'object' || typeof d.path !== 'string' || !d.path) throw invalid(file.path, 'the dependency has no path');
  const frozen = file.raw.frozen === true;
  const md5 = typeof file.raw.md5 === 'string' ? file.raw.md5 : undefined;
  if (d.repo !== undefined) {
    const r = d.repo as Record<string, unknown>;
    if (!r || typeof r !== 'object' || typeof r.url !== 'string' || !r.url) throw invalid(file.path, "'repo' needs a url");
    const str = (k: string): string | undefined => (r[k] === undefined || r[k] === null ? undefined : String(r[k]));
    const revLock = str('rev_lock');
    if (revLock !== undefined && !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(revLock)) throw invalid(file.path, `rev_lock '${revLock}' is not a commit hash`);
    return { dep: { kind: 'repo', dep: { path: d.path, url: r.url, rev: str('rev'), revLock } }, frozen, md5 };
  }
  let hashName: HashName = 'md5';
  if (d.hash !== undefined) {
    const h = parseHashName(String(d.hash));
    if (!h || h === 'md5-dos2unix') throw invalid(file.path, `unknown hash '${String(d.hash)}' in the dependency`);
    hashName = h;
  }
  const raw = d[hashName === 'md5' ? 'md5' : hashName];
  const oid = raw === undefined || raw === null ? undefined : String(raw);
  if (oid !== undefined && !isValidOid(hashName, oid)) throw invalid(file.path, `the dependency has an invalid hash '${oid}'`);
  const num = (k: string): number | undefined => (typeof d[k] === 'number' ? (d[k] as number) : undefined);
  return { dep: { kind: 'url', dep: { path: d.path, hashName, oid, size: num('size'), nfiles: num('nfiles') } }, frozen, md5 };
}

/** The dependency entry as DVC writes it. */
export function depEntryObject(dep: ImportDep): Record<string, unknown> {
  if (dep.kind === 'repo') {
    const repo: Record<string, unknown> = { url: dep.dep.url };
    if (dep.dep.rev !== undefined) repo.rev = dep.dep.rev;
    if (dep.dep.revLock !== undefined) repo.rev_lock = dep.dep.revLock;
    return { path: dep.dep.path, repo };
  }
  const u = dep.dep;
  return outEntryObject({ path: u.path, hashName: u.hashName, oid: u.oid, size: u.size, nfiles: u.nfiles });
}

function dropKeys(v: unknown, excluded: ReadonlySet<string>): unknown {
  if (Array.isArray(v)) return v.map((x) => dropKeys(x, excluded));
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (!excluded.has(k)) o[k] = dropKeys(x, excluded);
    return o;
  }
  return v;
}

/** DVC's stage hash of a `.dvc` document (`compute_md5`). */
export function stageMd5(doc: Record<string, unknown>): string {
  const d: Record<string, unknown> = { ...doc };
  delete d.md5;
  delete d.meta;
  delete d.desc;
  if (d.wdir === '.') delete d.wdir;
  const filtered = dropKeys(d, new Set(STAGE_MD5_EXCLUDED));
  return createHash('md5').update(pyJsonDumps(filtered), 'utf8').digest('hex');
}

export interface ImportFileSpec {
  dep: ImportDep;
  out: OutEntry;
  /** DVC freezes imports (default true). */
  frozen?: boolean;
  /** Write the stage hash (false for `--no-exec`, whose hashes are not known yet). */
  withMd5?: boolean;
}

/** The document of an import `.dvc` file, in DVC's key order. */
export function importDocument(spec: ImportFileSpec): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (spec.frozen !== false) body.frozen = true;
  body.deps = [depEntryObject(spec.dep)];
  body.outs = [outEntryObject(spec.out)];
  if (spec.withMd5 === false) return body;
  return { md5: stageMd5(body), ...body };
}

/** Text of an import `.dvc` file, byte-identical to DVC 3.64's. */
export function serializeImportDvcFile(spec: ImportFileSpec): string {
  return dumpYaml(importDocument(spec));
}

/** True when the recorded stage hash differs from the document's (DVC's "changed checksum"). */
export function importChecksumChanged(file: DvcFile): boolean {
  const recorded = typeof file.raw.md5 === 'string' ? file.raw.md5 : undefined;
  return recorded !== stageMd5(file.raw);
}
