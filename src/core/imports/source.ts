/**
 * The source side of `import`/`get`/`update`/`ls URL`: a git+DVC repository given as a local path
 * or a git URL, read at one revision.
 *
 * A local repository is read in place (git objects through `git cat-file`, data from its own cache
 * first, then its default remote). Anything else is cloned with git into a temp directory (checked
 * out at the revision, so its `.dvc/config` — remotes — is the revision's) and removed afterwards.
 * Data objects are fetched through the transfer engine, hashed before they enter a cache.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { Git, GitError, gitTry } from '../scm/git.js';
import { openRepoSync, type Repo } from '../repo/repo.js';
import { ConfigError, PathError } from '../../lib/errors.js';
import type { DvcOut } from '../dvcfile/dvcfile.js';
import { toPosixRel } from '../workspace/collect.js';
import { trackedOuts } from '../workspace/tracked.js';
import { openBackend } from '../../storage/registry.js';
import { openRemote, type RemoteHandle } from '../transfer/remote.js';

export interface SourceRepo {
  /** The URL as the user gave it (recorded in `.dvc` files). */
  url: string;
  /** The local directory holding the repository (the path itself, or a temp clone). */
  root: string;
  git: Git;
  /** The DVC repository at `root` (config, cache dir). */
  repo: Repo;
  /** True when read in place (a local path), false for a temp clone. */
  local: boolean;
  /** Removes the temp clone (no-op for a local repository). */
  close(): void;
}

/** True when `url` names a remote git repository rather than a local path. */
export function isGitUrl(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[\w.-]+@[\w.-]+:/.test(url);
}

/** A local directory path of `url` (resolved against `base`), or undefined for remote URLs. */
export function localRepoPath(url: string, base: string): string | undefined {
  if (isGitUrl(url)) return url.startsWith('file://') ? new URL(url).pathname : undefined;
  return isAbsolute(url) ? url : resolve(base, url);
}

function gitRun(cwd: string, args: string[]): { ok: boolean; out: string; err: string } {
  const r = gitTry(cwd, args);
  if (r.error) throw new GitError(`cannot run git: ${r.error.message}`, { cause: r.error, hint: 'install git and make sure it is on PATH' });
  return { ok: r.ok, out: r.stdout, err: r.stderr.trim() };
}

/**
 * Opens the source repository. `base` resolves relative paths (the caller's cwd). For a remote
 * URL the repository is cloned and, when `rev` is given, checked out at it.
 */
export function openSource(url: string, base: string, rev?: string): SourceRepo {
  const local = localRepoPath(url, base);
  if (local !== undefined && !url.startsWith('file://')) {
    if (!existsSync(local) || !statSync(local).isDirectory()) {
      throw new PathError('not-found', `repository '${url}' does not exist (looked at '${local}')`, { hint: 'give the path of a git repository with DVC data, or a git URL' });
    }
    const git = Git.open(local);
    if (!git) throw new PathError('not-a-repo', `'${url}' is not a git repository`, { hint: 'the source of an import must be a git repository (with DVC data)' });
    if (!existsSync(join(local, '.dvc'))) {
      throw new PathError('not-a-repo', `'${url}' is not a DVC repository (no .dvc directory)`, { hint: 'import from a repository initialised with `dvc init`/`geodvc init`; for plain files use `import-url`' });
    }
    return { url, root: local, git, repo: openRepoSync(local), local: true, close() {} };
  }
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-import-'));
  try {
    const c = gitRun(tmpdir(), ['clone', '-q', '--no-checkout', url, dir]);
    if (!c.ok) throw new GitError(`cannot clone '${url}': ${c.err}`, { hint: 'check the URL and your git credentials (`git clone URL` must work)' });
    const git = Git.open(dir);
    if (!git) throw new GitError(`cannot open the clone of '${url}'`, { hint: 'check that the URL is a git repository (`git clone URL` must work)' });
    const sha = resolveRev(git, rev);
    const co = gitRun(dir, ['checkout', '-q', '--detach', sha]);
    if (!co.ok) throw new GitError(`cannot check out '${rev ?? 'HEAD'}' of '${url}': ${co.err}`, { hint: 'check the revision' });
    if (!existsSync(join(dir, '.dvc'))) {
      throw new PathError('not-a-repo', `'${url}' is not a DVC repository (no .dvc directory at ${rev ?? 'HEAD'})`, { hint: 'import from a repository initialised with `dvc init`; for plain files use `import-url`' });
    }
    return { url, root: dir, git, repo: openRepoSync(dir), local: false, close() { rmSync(dir, { recursive: true, force: true }); } };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** The commit `rev` (default: HEAD, the default branch) names in the source repository. */
export function resolveRev(git: Git, rev?: string): string {
  const r = rev ?? 'HEAD';
  const sha = git.revParse(r) ?? (rev ? git.revParse(`origin/${rev}`) : undefined);
  if (!sha) throw new GitError(`unknown revision '${r}' in the source repository`, { hint: 'check the branches and tags of the source (`git ls-remote URL`)' });
  return sha;
}

/** The latest commit of `rev` (or the default branch) of a repository URL, without cloning. */
export function latestRev(url: string, base: string, rev?: string): string | undefined {
  const local = localRepoPath(url, base);
  if (local !== undefined && !url.startsWith('file://')) {
    const git = existsSync(local) ? Git.open(local) : null;
    return git ? git.revParse(rev ?? 'HEAD') : undefined;
  }
  const r = gitRun(tmpdir(), ['ls-remote', url, rev ?? 'HEAD']);
  if (!r.ok) return undefined;
  const lines = r.out.split('\n').filter(Boolean).map((l) => l.split('\t'));
  const pick = lines.find((l) => l[1] === (rev ?? 'HEAD') || l[1] === `refs/heads/${rev}` || l[1] === `refs/tags/${rev}^{}`) ?? lines.find((l) => l[1] === `refs/tags/${rev}`) ?? lines[0];
  if (pick) return pick[0];
  return rev && /^[0-9a-f]{40}$/.test(rev) ? rev : undefined;
}

/**
 * The outputs recorded at `sha` (`.dvc` files and every dvc.lock, stage subdirectories included),
 * absolute paths under `src.root`: the tracked index of core/workspace/tracked.ts.
 */
export function outsAt(src: Pick<SourceRepo, 'root' | 'git'>, sha: string | 'workspace'): DvcOut[] {
  return trackedOuts(src, sha, src.git).map((t) => t.out);
}

/** What a path of the source names at a revision. */
export type SourceTarget =
  | { kind: 'out'; out: DvcOut }
  | { kind: 'in-out'; out: DvcOut; sub: string }
  | { kind: 'git' };

/** Finds `path` (posix, relative to the source root) among the outputs, else in git. */
export function findTarget(src: SourceRepo, outs: DvcOut[], sha: string, path: string): SourceTarget | undefined {
  const abs = join(src.root, path);
  for (const o of outs) {
    if (o.absPath === abs) return { kind: 'out', out: o };
    const r = relative(o.absPath, abs);
    if (r && !r.startsWith('..') && !isAbsolute(r)) return { kind: 'in-out', out: o, sub: r.split('\\').join('/') };
  }
  const prefix = toPosixRel(src.git.root, src.root);
  const full = prefix ? `${prefix}/${path}` : path;
  if (src.git.listFiles(sha, full).length) return { kind: 'git' };
  return undefined;
}

/**
 * Where the source's objects can be read from, in order: the source's own cache (local
 * repositories), then its default remote. Closed with `closeRemotes`.
 */
export async function sourceRemotes(src: SourceRepo, jobs?: number): Promise<RemoteHandle[]> {
  const out: RemoteHandle[] = [];
  const handle = (name: string, url: string, backend: RemoteHandle['backend']): RemoteHandle => ({
    name, url, backend, jobs: jobs ?? 8, uploadConcurrency: 4, downloadConcurrency: 4, partSize: 16 << 20, readOnly: true,
  });
  if (src.local && existsSync(src.repo.cacheDir)) {
    out.push(handle('source cache', src.repo.cacheDir, await openBackend(src.repo.cacheDir, {}, { raw: true })));
  }
  if (src.repo.config.core?.remote) {
    try {
      const r = await openRemote(src.repo, undefined, { jobs });
      out.push({ ...r, name: `source remote '${r.name}'` });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
    }
  }
  if (!out.length) {
    throw new ConfigError(`the source repository '${src.url}' has no default remote to read its data from`, {
      hint: "ask its owners to set one (`dvc remote add -d NAME URL` in the source repo), or import from a local clone that has the data in its cache",
    });
  }
  return out;
}

/** The directory a recorded relative source URL is resolved against: the repo root, else cwd. */
export function sourceBaseFor(repoRoot: string, url: string, cwd: string): string {
  if (isGitUrl(url)) return cwd;
  const p = localRepoPath(url, repoRoot);
  return p && existsSync(p) ? repoRoot : cwd;
}

export interface GitTreeFile { path: string; size: number; isexec: boolean }

/** Files of `sha` under the repository root `root` (paths relative to it) with blob sizes and exec bits. */
export function treeFiles(git: Git, root: string, sha: string): GitTreeFile[] {
  const prefix = toPosixRel(git.root, root);
  const out: GitTreeFile[] = [];
  for (const rec of git.run(['ls-tree', '-r', '-l', '-z', '--full-tree', sha]).split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [mode, type, , size] = rec.slice(0, tab).split(/ +/);
    if (type !== 'blob') continue;
    const p = rec.slice(tab + 1);
    if (prefix && !p.startsWith(prefix + '/')) continue;
    out.push({ path: prefix ? p.slice(prefix.length + 1) : p, size: Number(size), isexec: mode === '100755' });
  }
  return out;
}
