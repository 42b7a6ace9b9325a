/**
 * `ls [URL] [PATH] [--rev REV] [-R] [--dvc-only]`: lists a directory of this repository or of
 * another git+DVC repository (local path or git URL), with tracked data marked as outputs —
 * including outputs that are not checked out and the contents of tracked directories (from their
 * `.dir` manifests, fetched from the source's remote when its cache lacks them).
 *
 * Entries are DVC 3.64's `ls --json` ones: `{isout, isdir, isexec, size, md5, path}`. Without
 * `--rev` a local repository is listed from its workspace (sizes as the filesystem reports them,
 * 4096 for a directory on ext4); with `--rev` (or a remote URL) from the git tree at that commit.
 * `size`/`md5` of data come from the `.dvc` file and the manifest (null where DVC records none);
 * `--dvc-only` uses only those.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { openRepo } from '../repo/repo.js';
import { loadDvcIgnore } from '../repo/dvcignore.js';
import { Git } from '../scm/git.js';
import { ObjectDB } from '../odb/odb.js';
import { isDirOid } from '../odb/layout.js';
import type { Tree } from '../odb/tree.js';
import type { DvcOut } from '../dvcfile/dvcfile.js';
import { toPosixRel } from '../workspace/collect.js';
import { openSource, outsAt, resolveRev, sourceRemotes, treeFiles, type SourceRepo } from '../imports/source.js';
import { fetchObjects } from '../transfer/engine.js';
import { closeRemotes } from '../transfer/remote.js';
import { compareCodePoints } from '../../lib/pyjson.js';
import { PathError } from '../../lib/errors.js';
import type { OpContext } from '../../lib/progress.js';

export interface LsOptions extends OpContext {
  cwd: string;
  /** Another repository (local path or git URL); default: the one holding `cwd`. */
  url?: string;
  /** Directory or file to list: inside `url` (relative to its root), else relative to `cwd`. */
  path?: string;
  rev?: string;
  recursive?: boolean;
  dvcOnly?: boolean;
}

export interface LsEntry {
  path: string;
  isout: boolean;
  isdir: boolean;
  isexec: boolean;
  size: number | null;
  /** md5 (or legacy md5-dos2unix) hash of tracked data, as DVC names it. */
  md5: string | null;
  /** The hash of data tracked with another algorithm (xxh128, sha256). */
  hash?: string;
}

interface Info { isdir: boolean; isexec: boolean; size: number | null }
interface DvcInfo extends Info { isout: boolean; md5: string | null; hash?: string }

export async function ls(opts: LsOptions): Promise<LsEntry[]> {
  let src: SourceRepo | undefined;
  let root: string;
  let git: Git | null;
  let cacheDir: string;
  let base: string;
  try {
    if (opts.url) {
      src = openSource(opts.url, opts.cwd, opts.rev);
      root = src.root;
      git = src.git;
      cacheDir = src.repo.cacheDir;
      base = cleanRel(opts.path ?? '');
    } else {
      const repo = await openRepo(opts.cwd);
      root = repo.root;
      git = repo.noScm ? null : Git.open(root);
      cacheDir = repo.cacheDir;
      base = toPosixRel(root, resolve(opts.cwd, opts.path ?? '.'));
      if (base.startsWith('..')) throw new PathError('path-outside-repo', `'${opts.path}' is outside of the repository`, { hint: 'list a path inside the repository, or give the repository as URL' });
    }
    const sha = opts.rev || (src && !src.local) ? resolveRev(git!, opts.rev) : 'workspace';
    const outs = outsAt({ root, git: git! }, sha);
    const fsInfo = sha === 'workspace' ? walkWorkspace(root) : gitInfo(git!, root, sha);
    const dvc = await dvcInfo(root, outs, cacheDir, src, opts);
    return list(fsInfo, dvc, base, opts);
  } finally {
    src?.close();
  }
}

function cleanRel(p: string): string {
  const s = p.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  return s === '.' ? '' : s;
}

/** Every file and directory of the workspace (minus .git, the root .dvc and .dvcignore'd paths). */
function walkWorkspace(root: string): Map<string, Info> {
  const ignore = loadDvcIgnore(root);
  const m = new Map<string, Info>();
  const walk = (abs: string, rel: string) => {
    let ents;
    try { ents = readdirSync(abs, { withFileTypes: true }); } catch { return; }
    for (const e of ents) {
      if (e.name === '.git' || (e.name === '.dvc' && rel === '') || e.name.startsWith('.geodvc-tmp-')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      const p = join(abs, e.name);
      let st;
      try { st = statSync(p); } catch { continue; }
      const isdir = st.isDirectory();
      if (ignore.ignores(r, isdir)) continue;
      m.set(r, { isdir, isexec: !isdir && (st.mode & 0o100) !== 0, size: st.size });
      if (isdir) walk(p, r);
    }
  };
  walk(root, '');
  return m;
}

/** Files of the git tree at `sha` (blob sizes) and the directories they imply (size null). */
function gitInfo(git: Git, root: string, sha: string): Map<string, Info> {
  const m = new Map<string, Info>();
  for (const f of treeFiles(git, root, sha)) {
    if (f.path.startsWith('.dvc/')) continue; // DVC's own directory is not listed (as in the workspace)
    m.set(f.path, { isdir: false, isexec: f.isexec, size: f.size });
    const parts = f.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!m.has(d)) m.set(d, { isdir: true, isexec: false, size: null });
    }
  }
  return m;
}

/** What the `.dvc`/dvc.lock files and manifests say: outputs, their members, their parents. */
async function dvcInfo(root: string, outs: DvcOut[], cacheDir: string, src: SourceRepo | undefined, ctx: OpContext): Promise<Map<string, DvcInfo>> {
  const m = new Map<string, DvcInfo>();
  const odb = new ObjectDB(cacheDir);
  let tmpCache: string | undefined;
  const readTree = async (o: DvcOut): Promise<Tree | undefined> => {
    try { return odb.readTree(o.hashName, o.oid!); } catch { /* fetched below */ }
    if (!src) return undefined;
    try {
      tmpCache ??= mkdtempSync(join(tmpdir(), 'geodvc-ls-'));
      const remotes = await sourceRemotes(src);
      try {
        await fetchObjects(tmpCache, remotes, [{ hashName: o.hashName, oid: o.oid!, isDir: true, paths: [toPosixRel(root, o.absPath)] }], { expandDirs: false, signal: ctx.signal });
      } finally { await closeRemotes(remotes); }
      return new ObjectDB(tmpCache).readTree(o.hashName, o.oid!);
    } catch { return undefined; }
  };
  const hashOf = (name: DvcOut['hashName'], oid: string | undefined): { md5: string | null; hash?: string } =>
    !oid ? { md5: null } : name === 'md5' || name === 'md5-dos2unix' ? { md5: oid } : { md5: null, hash: oid };
  try {
    for (const o of outs) {
      const rel = toPosixRel(root, o.absPath);
      if (!rel || rel.startsWith('..')) continue;
      const isdir = !!o.oid && isDirOid(o.oid);
      const parts = rel.split('/');
      for (let i = 1; i < parts.length; i++) {
        const d = parts.slice(0, i).join('/');
        if (!m.has(d)) m.set(d, { isout: false, isdir: true, isexec: false, size: null, md5: null });
      }
      m.set(rel, { isout: true, isdir, isexec: !!o.isexec, size: o.size ?? null, ...hashOf(o.hashName, o.oid) });
      if (!isdir) continue;
      const tree = await readTree(o);
      for (const e of tree?.entries ?? []) {
        const segs = e.relpath.split('/');
        for (let i = 1; i < segs.length; i++) {
          const d = `${rel}/${segs.slice(0, i).join('/')}`;
          if (!m.has(d)) m.set(d, { isout: true, isdir: true, isexec: false, size: null, md5: null });
        }
        m.set(`${rel}/${e.relpath}`, { isout: true, isdir: false, isexec: !!e.isexec, size: e.size ?? null, ...hashOf(o.hashName, e.oid) });
      }
    }
  } finally {
    if (tmpCache) rmSync(tmpCache, { recursive: true, force: true });
  }
  return m;
}

function list(fs: Map<string, Info>, dvc: Map<string, DvcInfo>, base: string, opts: LsOptions): LsEntry[] {
  const merged = new Map<string, LsEntry>();
  for (const [p, d] of dvc) merged.set(p, { path: p, isout: d.isout, isdir: d.isdir, isexec: d.isexec, size: d.size, md5: d.md5, ...(d.hash ? { hash: d.hash } : {}) });
  if (!opts.dvcOnly) {
    for (const [p, f] of fs) {
      const d = merged.get(p);
      merged.set(p, d ? { ...d, isdir: f.isdir, isexec: f.isexec || d.isexec, size: f.size } : { path: p, isout: false, isdir: f.isdir, isexec: f.isexec, size: f.size, md5: null });
    }
  }
  const hasOutBelow = (p: string) => { for (const k of dvc.keys()) if (k.startsWith(p + '/') && dvc.get(k)!.isout) return true; return false; };
  if (base) {
    const self = merged.get(base) ?? (opts.dvcOnly ? (fs.has(base) ? { path: base, isout: false, isdir: fs.get(base)!.isdir, isexec: false, size: null, md5: null } : undefined) : undefined);
    if (!self) throw new PathError('not-found', `the path '${base}' does not exist in the ${opts.url ? `repository '${opts.url}'` : 'repository'}${opts.rev ? ` at ${opts.rev}` : ''}`, { hint: 'list its parent directory to see what is there' });
    if (!self.isdir) {
      if (opts.dvcOnly && !self.isout) return [];
      return [{ ...self, path: self.path.split('/').pop()! }];
    }
  }
  const prefix = base ? base + '/' : '';
  const res: LsEntry[] = [];
  for (const e of merged.values()) {
    if (!e.path.startsWith(prefix) || e.path === base) continue;
    const sub = e.path.slice(prefix.length);
    if (opts.recursive) { if (e.isdir) continue; }
    else if (sub.includes('/')) continue;
    if (opts.dvcOnly && !e.isout && !(e.isdir && hasOutBelow(e.path))) continue;
    res.push({ ...e, path: sub });
  }
  return res.sort((x, y) => compareCodePoints(x.path, y.path));
}

/** True when `arg` of `ls` names a repository (a git URL, or a directory holding .git or .dvc). */
export function looksLikeRepo(arg: string, cwd: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg) || /^[\w.-]+@[\w.-]+:/.test(arg)) return true;
  const p = resolve(cwd, arg);
  const isDir = (x: string) => { try { return statSync(x).isDirectory(); } catch { return false; } };
  return isDir(p) && (isDir(join(p, '.dvc')) || statSafe(join(p, '.git'))) && relative(p, cwd) !== '';
}

function statSafe(p: string): boolean { try { statSync(p); return true; } catch { return false; } }
