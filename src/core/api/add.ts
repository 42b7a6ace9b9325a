/**
 * `add TARGETS...`: track files and directories. Hashes (state DB, then worker threads), stores
 * the objects in the cache with the configured link type, writes the `.dir` manifest, the `.dvc`
 * file (new: byte-identical to DVC; existing: edited in place) and the `.gitignore` entry.
 *
 * Order of writes (crash safety): cache objects first (temp + rename, read-only), then the
 * manifest, then the `.dvc` (atomic), then `.gitignore`. A kill at any point leaves either the
 * old `.dvc` or the new one, and never a half-written object taken for data.
 */
import { cpSync, existsSync, lstatSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { DataRepo } from './data-repo.js';
import { repoRelPath, withDataRepo } from './data-repo.js';
import { buildOutput, type Built, type StoreMode } from '../workspace/build.js';
import { dvcFileFor, isDvcFileName, loadDvcFile, saveDvcFile, type DvcFile, type OutEntry } from '../dvcfile/dvcfile.js';
import { loadWorkspaceDvcFiles, toPosixRel } from '../workspace/collect.js';
import { ignoreOutput } from '../scm/gitignore.js';
import { Git } from '../scm/git.js';
import type { HashName } from '../odb/hash.js';
import type { LinkType } from '../odb/odb.js';
import { PathError, UsageError } from '../../lib/errors.js';
import { tmpPathFor } from '../../lib/atomic.js';
import { assertNotReserved, resolveInsideSync } from '../../lib/safepath.js';
import type { OpContext } from '../../lib/progress.js';
import { globTargets } from './glob.js';
import { extractMetaHook, rasterCheckHook, type RasterWarning } from './meta-hook.js';
import { chunkListsAtAdd } from '../chunk/settings.js';
import { listRemoteNames } from '../repo/config.js';

export interface AddOptions extends OpContext {
  cwd: string;
  targets: string[];
  noCommit?: boolean;
  /** `-o/--out`: copy the (single) target to this path inside the repo and track it there. */
  out?: string;
  glob?: boolean;
}

export interface AddedOutput {
  path: string;
  dvcfile: string;
  hash: HashName;
  oid: string;
  size: number;
  nfiles?: number;
  isDir: boolean;
  linkType?: LinkType | 'none';
  changed: boolean;
  gitignore?: string;
}

export interface AddResult {
  outputs: AddedOutput[];
  gitignores: string[];
  /**
   * Issue 20: truncated or non-georeferenced rasters among what was added (the data is added all
   * the same). `file` is repo-relative.
   */
  warnings: RasterWarning[];
  /** Rasters whose header was checked, and (when the cap was hit) how many were not. */
  rasterCheck: { checked: number; skipped?: number; cap: number };
}

/** At most this many rasters are header-checked per `add` (env GEODVC_ADD_CHECK_CAP overrides). */
export const ADD_RASTER_CHECK_CAP = 1000;

/** The first configured link type that can be used to store data (reflink probed once). */
export function storeModeFor(d: DataRepo): StoreMode {
  for (const t of d.linkTypes) {
    if (t === 'copy') return 'copy';
    if (t === 'hardlink') return 'hardlink';
    if (t === 'symlink') return 'symlink';
    if (t === 'reflink') continue; // no FICLONE on this kind of filesystem: the next type copies
  }
  return 'copy';
}

export async function add(opts: AddOptions): Promise<AddResult> {
  if (!opts.targets.length) throw new UsageError('add needs at least one target', { hint: 'geodvc add PATH...' });
  return withDataRepo(opts.cwd, true, 'geodvc add', (d) => addLocked(d, opts), opts.signal);
}

function isInside(parent: string, child: string): boolean {
  const r = relative(parent, child);
  return r === '' || (!r.startsWith('..') && !r.startsWith('/'));
}

async function addLocked(d: DataRepo, opts: AddOptions): Promise<AddResult> {
  const { repo } = d;
  let targets = opts.targets.map((t) => resolve(opts.cwd, t));
  if (opts.glob) targets = globTargets(opts.cwd, opts.targets);
  if (opts.out) {
    if (targets.length !== 1) throw new UsageError('-o/--out needs exactly one target', { hint: 'geodvc add SRC -o DEST' });
    const dest = resolve(opts.cwd, opts.out);
    // issue 17: -o never writes into .git/.dvc, nor through a symlink leaving the repo or entering them
    resolveInsideSync(repo.root, repoRelPath(repo, dest) + '.dvc', { what: '-o/--out target' });
    if (existsSync(dest)) throw new PathError('exists', `'${dest}' already exists`, { hint: 'choose another --out path or remove it first' });
    const src = targets[0]!;
    if (!existsSync(src)) throw new PathError('not-found', `'${src}' does not exist`, { hint: 'check the path' });
    const tmp = tmpPathFor(dest);
    try {
      cpSync(src, tmp, { recursive: true, dereference: true, errorOnExist: true });
      (await import('node:fs')).renameSync(tmp, dest);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    targets = [dest];
  }
  const existing = loadWorkspaceDvcFiles(repo.root, d.ignore);
  const git = repo.noScm ? null : Git.open(repo.root);
  // Validate every target before writing anything. git is asked once for all targets (which
  // files it tracks, which paths it ignores), not once or twice per target.
  const rels = git ? targets.map((t) => git.rel(t)) : [];
  const tracked = git?.trackedUnder(rels);
  for (const t of targets) checkTarget(d, t, existing, git, tracked);
  const ignored = git?.ignoredAmong(rels);
  const mode: StoreMode = opts.noCommit ? 'none' : storeModeFor(d);
  const outputs: AddedOutput[] = [];
  const gitignores = new Set<string>();
  const cap = Number(process.env.GEODVC_ADD_CHECK_CAP) > 0 ? Math.floor(Number(process.env.GEODVC_ADD_CHECK_CAP)) : ADD_RASTER_CHECK_CAP;
  const warnings: RasterWarning[] = [];
  const rasterCheck: AddResult['rasterCheck'] = { checked: 0, cap };
  for (const [i, t] of targets.entries()) {
    const o = await saveOutput(d, t, dvcFileFor(t), mode, opts, true, ignored && { ignored: ignored.has(rels[i]!) });
    if (o.gitignore) gitignores.add(join(repo.root, o.gitignore));
    outputs.push(o);
    // the cheap raster check (header + block table only); never refuses the data
    const left = cap - rasterCheck.checked;
    const files = o.isDir ? listFiles(d, t) : [t];
    if (left <= 0) {
      const n = o.isDir ? files.filter((f) => /\.(tiff?|gtiff?)$/i.test(f)).length : 1;
      if (n) rasterCheck.skipped = (rasterCheck.skipped ?? 0) + n;
      continue;
    }
    const r = await rasterCheckHook(files, { single: !o.isDir, cap: left, label: (f) => toPosixRel(repo.root, f), signal: opts.signal });
    warnings.push(...r.warnings);
    rasterCheck.checked += r.checked;
    if (r.skipped) rasterCheck.skipped = (rasterCheck.skipped ?? 0) + r.skipped;
  }
  return { outputs, gitignores: [...gitignores].map((g) => toPosixRel(repo.root, g)), warnings, rasterCheck };
}

/** The files of a directory output, minus what .dvcignore ignores (absolute paths). */
function listFiles(d: DataRepo, dir: string): string[] {
  const out: string[] = [];
  const stack = [dir];
  while (stack.length) {
    const cur = stack.pop()!;
    let ents;
    try { ents = readdirSync(cur, { withFileTypes: true }); } catch { continue; }
    for (const e of ents) {
      const p = join(cur, e.name);
      const isDir = e.isDirectory();
      if (isDir && (e.name === '.git' || e.name === '.dvc')) continue;
      if (d.ignore.ignores(repoRelPath(d.repo, p), isDir)) continue;
      if (isDir) stack.push(p);
      else if (e.isFile()) out.push(p);
    }
  }
  return out.sort();
}

/**
 * Hashes (and with `mode` stores) one output and writes its `.dvc` when something changed.
 * Shared by add and commit. Legacy md5-dos2unix entries stay legacy while unchanged.
 */
export async function saveOutput(d: DataRepo, t: string, dvcPath: string, mode: StoreMode, opts: OpContext, isAdd: boolean, gitKnown?: { ignored: boolean }): Promise<AddedOutput> {
  const { repo } = d;
  guardOutput(d, t);
  let prev: DvcFile | undefined;
  if (existsSync(dvcPath)) prev = loadDvcFile(dvcPath);
  const prevOut = prev?.outs.find((o) => o.absPath === t);
  const repoRel = repoRelPath(repo, t);
  const env = { odb: d.odb, state: d.state, ignore: d.ignore, repoRel, chunkLists: mode === 'none' ? undefined : chunkListsAtAdd(repo.root, listRemoteNames(repo.config), repo.config.core?.remote) };
  let name: HashName = prevOut?.oid ? prevOut.hashName : d.hashName;
  let built: Built | undefined;
  if (name === 'md5-dos2unix') {
    built = await buildOutput(env, t, name, 'none', opts);
    if (built && built.oid === prevOut!.oid) {
      if (mode !== 'none') built = await buildOutput(env, t, name, mode, opts);
    } else {
      name = d.hashName;
      built = undefined;
    }
  }
  built ??= await buildOutput(env, t, name, mode, opts);
  if (!built) throw new PathError('not-found', `'${toPosixRel(repo.root, t)}' does not exist`, { hint: isAdd ? 'check the path' : 'restore it with `geodvc checkout`, or remove the .dvc file with `geodvc remove`' });
  const entry: OutEntry = {
    path: prevOut?.path ?? basename(t), hashName: name, oid: built.oid, size: built.size,
    nfiles: built.kind === 'dir' ? built.nfiles : undefined,
    isexec: built.kind === 'file' && built.isexec ? true : undefined,
  };
  // New outputs get `meta`; so do changed data whose `meta` was geodvc's geo metadata (it describes
  // the old bytes otherwise). A user-written `meta` (no geo `kind`) is left alone.
  // (A VRT's meta also holds its sources' hashes, which change without the VRT's bytes changing.)
  const isVrt = /\.vrt$/i.test(t);
  const prevGeoMeta = !!prevOut && (prevOut.oid !== built.oid || isVrt) && isGeneratedGeoMeta(prevOut.meta);
  if (!prev || prevGeoMeta) {
    const meta = await extractMetaHook(t, built.kind === 'dir');
    if (meta !== undefined) entry.meta = meta;
    // a VRT records the hashes of the sources it references, so `status` can report it stale
    if (meta && typeof meta === 'object' && isVrt) {
      try { (meta as Record<string, unknown>).vrt_sources = await (await import('./open-vrt.js')).vrtSourceHashes(t); } catch { /* annotation only */ }
    }
  }
  const changed = !prevOut || prevOut.oid !== built.oid || prevOut.hashName !== name || prevOut.size !== built.size;
  const metaChanged = prevGeoMeta && entry.meta !== undefined && stableJson(entry.meta) !== stableJson(prevOut!.meta);
  if (changed || !prev || metaChanged) saveDvcFile(dvcPath, prev && prev.outs.length > 1 ? mergeOuts(prev, entry) : [entry], prev);
  const gi = prevOut?.cache === false ? undefined : ignoreOutput(repo, t, gitKnown);
  return {
    path: toPosixRel(repo.root, t), dvcfile: toPosixRel(repo.root, dvcPath), hash: name, oid: built.oid, size: built.size,
    nfiles: built.kind === 'dir' ? built.nfiles : undefined, isDir: built.kind === 'dir', linkType: mode === 'none' ? 'none' : mode,
    changed, gitignore: gi ? toPosixRel(repo.root, gi) : undefined,
  };
}

function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]])) : x));
}

function isGeneratedGeoMeta(m: unknown): boolean {
  const k = m && typeof m === 'object' ? (m as Record<string, unknown>).kind : undefined;
  return k === 'raster' || k === 'vector';
}

function mergeOuts(prev: DvcFile, entry: OutEntry): OutEntry[] {
  return prev.outs.map((o) => (o.path === entry.path ? entry : { path: o.path, hashName: o.hashName, oid: o.oid, size: o.size, nfiles: o.nfiles, isexec: o.isexec }));
}

/** Refuses targets DVC refuses, with a hint, before anything is written. */
export function checkTarget(d: DataRepo, t: string, existing: DvcFile[], git: Git | null, trackedOf?: Map<string, string[]>): void {
  const { repo } = d;
  const rel = repoRelPath(repo, t);
  if (rel === '') throw new PathError('bad-target', 'cannot track the repository root itself', { hint: 'add a file or a subdirectory' });
  if (rel === '.dvc' || rel.startsWith('.dvc/') || rel === '.git' || rel.startsWith('.git/')) {
    throw new PathError('bad-target', `'${rel}' is inside the .dvc or .git directory`, { hint: 'track data outside .dvc/ and .git/' });
  }
  // issue 17: any case, any depth, and no symlink on the way into .git/.dvc (the .dvc file is written beside t)
  assertNotReserved(rel, 'add target', 'track data outside .git and .dvc directories (in any letter case, at any depth)');
  resolveInsideSync(repo.root, rel + '.dvc', { what: 'add target' });
  let lst;
  try { lst = lstatSync(t); } catch { throw new PathError('not-found', `'${rel}' does not exist`, { hint: 'check the path (relative paths are resolved from the current directory)' }); }
  if (isDvcFileName(t)) throw new PathError('bad-target', `'${rel}' is a .dvc file`, { hint: `add the data it describes instead, e.g. \`geodvc add ${rel.slice(0, -4)}\`` });
  // Parent directories or the target itself must not be symlinks leaving the repository.
  const real = realpathSync(t);
  const realRoot = realpathSync(repo.root);
  if (!isInside(realRoot, real)) {
    throw new PathError('symlink-outside-repo', `'${rel}' is a symlink pointing outside of the repository (to '${real}')`, { hint: 'copy the data into the repository (e.g. `geodvc add SRC -o PATH`) instead of linking to it' });
  }
  assertNotReserved(relative(realRoot, real).split(sep).join('/'), `add target '${rel}' (a symlink to '${real}')`, 'track data outside .git and .dvc; remove the symlink');
  if (lst.isSymbolicLink() && !isInside(realpathSync(d.odb.root), real) && !statSync(t).isFile() && !statSync(t).isDirectory()) {
    throw new PathError('bad-target', `'${rel}' is not a regular file or directory`, { hint: 'only files and directories can be tracked' });
  }
  if (d.ignore.ignores(rel, statSync(t).isDirectory())) {
    throw new PathError('ignored', `'${rel}' is ignored by .dvcignore`, { hint: 'remove the matching pattern from .dvcignore to track it' });
  }
  if (statSync(t).isDirectory()) {
    // symlinks inside pointing out of the repo
    checkInnerSymlinks(t, realRoot, d.odb.root, rel);
  }
  for (const f of existing) {
    for (const o of f.outs) {
      if (o.absPath === t) {
        if (f.path !== dvcFileFor(t)) throw new PathError('already-tracked', `'${rel}' is already tracked by '${toPosixRel(repo.root, f.path)}'`, { hint: `update it with \`geodvc commit ${toPosixRel(repo.root, f.path)}\`, or remove that file first (\`geodvc remove ${toPosixRel(repo.root, f.path)}\`)` });
        continue;
      }
      if (isInside(o.absPath, t)) throw new PathError('already-tracked', `'${rel}' is inside '${toPosixRel(repo.root, o.absPath)}', which is tracked by '${toPosixRel(repo.root, f.path)}'`, { hint: `track the whole directory: \`geodvc add ${toPosixRel(repo.root, o.absPath)}\`` });
      if (isInside(t, o.absPath)) throw new PathError('already-tracked', `'${rel}' contains '${toPosixRel(repo.root, o.absPath)}', which is tracked by '${toPosixRel(repo.root, f.path)}'`, { hint: `remove it first (\`geodvc remove ${toPosixRel(repo.root, f.path)}\`), then add the directory` });
    }
  }
  if (git) {
    const gr = git.rel(t);
    const tracked = (trackedOf ?? git.trackedUnder([gr])).get(gr) ?? [];
    if (tracked.length) {
      throw new PathError('tracked-by-git', `'${rel}' is tracked by git${tracked.length > 1 ? ` (${tracked.length} files)` : ''}`, { hint: `stop tracking it in git first: \`git rm -r --cached ${rel}\`, then add it again` });
    }
  }
}

/**
 * Issue 17: storing an output may replace its files in place (hardlink/symlink modes, 0444), so
 * neither a parent directory (nor the output itself when it is a directory) may be a symlink
 * leaving the repo or entering .git/.dvc, and a file output that is a symlink must not lead into
 * .git/.dvc or out of the repo (links into the cache, `cache.type symlink`, are fine).
 */
function guardOutput(d: DataRepo, t: string): void {
  const rel = repoRelPath(d.repo, t);
  if (rel === '') return;
  let isDir = false;
  try { isDir = statSync(t).isDirectory(); } catch { return; /* missing: reported by the caller */ }
  resolveInsideSync(d.repo.root, isDir ? `${rel}/.geodvc-probe` : rel, { what: 'output', allowFinalSymlink: true });
  let real: string;
  let realRoot: string;
  try { real = realpathSync(t); realRoot = realpathSync(d.repo.root); } catch { return; }
  try { if (isInside(realpathSync(d.odb.root), real)) return; } catch { /* no cache yet */ }
  if (!isInside(realRoot, real)) {
    throw new PathError('symlink-outside-repo', `'${rel}' is a symlink pointing outside of the repository (to '${real}')`, { hint: 'replace the link by a copy of the data, or remove it' });
  }
  assertNotReserved(relative(realRoot, real).split(sep).join('/'), `output '${rel}' (a symlink to '${real}')`, 'an output may not lead into .git or .dvc; remove the symlink');
}

function checkInnerSymlinks(dir: string, realRoot: string, cacheRoot: string, rel: string): void {
  const stack = [dir];
  let realCache: string | undefined;
  try { realCache = realpathSync(cacheRoot); } catch { realCache = undefined; }
  while (stack.length) {
    const cur = stack.pop()!;
    for (const e of readdirSync(cur, { withFileTypes: true })) {
      const p = join(cur, e.name);
      if (e.isSymbolicLink()) {
        let real: string;
        try { real = realpathSync(p); } catch { continue; }
        if (!isInside(realRoot, real) || (realCache && isInside(realCache, real) && false)) {
          throw new PathError('symlink-outside-repo', `'${rel}/${relative(dir, p)}' is a symlink pointing outside of the repository`, { hint: 'replace the link by a copy of the data, or remove it' });
        }
      } else if (e.isDirectory() && e.name !== '.git') stack.push(p);
    }
  }
}

void dirname;
