/**
 * git through its command-line tool (execFile, never a shell). Synchronous on purpose: every call
 * is short, and callers stay simple. Paths given to and returned by these methods are relative
 * to the git work tree root, `/`-separated.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { AppError } from '../../lib/errors.js';

const MAX_BUFFER = 1 << 30;

const toplevels = new Map<string, string>();

export class GitError extends AppError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super('git', message, 1, { ...opts, hint: opts.hint ?? 'run the git command yourself (e.g. `git status`) to see what git needs, then run this command again' });
  }
}

export interface CommitInfo { sha: string; date: string; author: string; subject: string; }

export class Git {
  /** The work tree root (absolute). */
  readonly root: string;

  private constructor(root: string) { this.root = root; }

  /** The git work tree containing `dir`, or null when `dir` is not inside one (or git is missing). */
  static open(dir: string): Git | null {
    let d = resolve(dir);
    for (;;) {
      if (existsSync(join(d, '.git'))) break;
      const up = dirname(d);
      if (up === d) return null;
      d = up;
    }
    // one `git rev-parse` per directory holding `.git` per process (add asks twice, per target)
    let top = toplevels.get(d);
    if (top === undefined) {
      const r = spawnSync('git', ['-C', d, 'rev-parse', '--show-toplevel'], { encoding: 'utf8' });
      if (r.status !== 0 || !r.stdout) return null;
      top = r.stdout.trim();
      toplevels.set(d, top);
    }
    return new Git(top);
  }

  /** Runs git with `args` in the work tree; returns stdout as text. Throws GitError on failure. */
  run(args: string[], opts: { input?: string | Buffer; allowFail?: boolean } = {}): string {
    const r = spawnSync('git', args, { cwd: this.root, input: opts.input, maxBuffer: MAX_BUFFER, encoding: 'utf8' });
    if (r.error) throw new GitError(`cannot run git: ${r.error.message}`, { cause: r.error, hint: 'install git and make sure it is on PATH' });
    if (r.status !== 0 && !opts.allowFail) {
      throw new GitError(`git ${args.join(' ')} failed: ${(r.stderr || '').trim()}`, { hint: 'check the git repository state' });
    }
    return r.stdout;
  }

  private runBuf(args: string[]): { status: number | null; stdout: Buffer } {
    const r = spawnSync('git', args, { cwd: this.root, maxBuffer: MAX_BUFFER });
    if (r.error) throw new GitError(`cannot run git: ${r.error.message}`, { cause: r.error });
    return { status: r.status, stdout: r.stdout };
  }

  /** Work-tree-relative posix path of an absolute or cwd-relative path. */
  rel(path: string): string {
    return relative(this.root, resolve(path)).split(sep).join('/');
  }

  /** True when the path is in the index (tracked by git). */
  isTracked(relpath: string): boolean {
    const out = this.run(['ls-files', '-z', '--', relpath]);
    return out.length > 0;
  }

  /**
   * For each of `relpaths`, the tracked files at or under it, from one `git ls-files` per 500 paths
   * (instead of one per path). Paths are literal (no pathspec globbing: `data[1].tif` is that file).
   */
  trackedUnder(relpaths: string[]): Map<string, string[]> {
    const out = new Map<string, string[]>(relpaths.map((r) => [r, []]));
    const want = [...new Set(relpaths)];
    for (let i = 0; i < want.length; i += 500) {
      const batch = want.slice(i, i + 500);
      const files = this.run(['--literal-pathspecs', 'ls-files', '-z', '--', ...batch], { allowFail: true }).split('\0').filter(Boolean);
      for (const f of files) {
        // every requested path that is the file or a directory above it
        for (let p = f; ; p = p.slice(0, p.lastIndexOf('/'))) {
          out.get(p)?.push(f);
          if (!p.includes('/')) break;
        }
      }
    }
    return out;
  }

  /**
   * Which of `relpaths` git ignores, from one `git check-ignore --stdin` (the answer of
   * `isIgnored` for each); undefined when git cannot answer (callers then ask path by path).
   */
  ignoredAmong(relpaths: string[]): Set<string> | undefined {
    if (!relpaths.length) return new Set();
    const r = spawnSync('git', ['check-ignore', '--no-index', '-z', '--stdin'], { cwd: this.root, input: `${relpaths.join('\0')}\0`, maxBuffer: MAX_BUFFER, encoding: 'utf8' });
    if (r.error || (r.status !== 0 && r.status !== 1)) return undefined;
    return new Set(r.stdout.split('\0').filter(Boolean));
  }

  /** True when git ignores the path (`git check-ignore`). */
  isIgnored(relpath: string): boolean {
    const r = spawnSync('git', ['check-ignore', '-q', '--no-index', '--', relpath], { cwd: this.root });
    return r.status === 0;
  }

  /** The bytes of `relpath` at `rev` (a commit-ish), or undefined when it does not exist there. */
  showFile(rev: string, relpath: string): Buffer | undefined {
    const r = this.runBuf(['cat-file', 'blob', `${rev}:${relpath}`]);
    return r.status === 0 ? r.stdout : undefined;
  }

  /**
   * Reads many blobs in one `git cat-file --batch` process: `specs` are `rev:path`. Missing ones
   * are undefined. Much faster than `showFile` in a loop (gc over all commits).
   */
  showFiles(specs: string[]): (Buffer | undefined)[] {
    if (!specs.length) return [];
    const r = spawnSync('git', ['cat-file', '--batch'], { cwd: this.root, input: specs.join('\n') + '\n', maxBuffer: MAX_BUFFER });
    if (r.status !== 0) throw new GitError(`git cat-file --batch failed: ${r.stderr?.toString().trim()}`);
    const out = r.stdout;
    const res: (Buffer | undefined)[] = [];
    let pos = 0;
    for (let i = 0; i < specs.length; i++) {
      const nl = out.indexOf(10, pos);
      const header = out.subarray(pos, nl).toString('utf8');
      pos = nl + 1;
      if (header.endsWith(' missing') || header.endsWith(' ambiguous')) { res.push(undefined); continue; }
      const parts = header.split(' ');
      const size = Number(parts[2]);
      const type = parts[1];
      const body = out.subarray(pos, pos + size);
      pos += size + 1;
      res.push(type === 'blob' ? Buffer.from(body) : undefined);
    }
    return res;
  }

  /** Files (blobs) in the tree of `rev`, optionally under `pathPrefix`, work-tree-relative. */
  listFiles(rev: string, pathPrefix?: string): string[] {
    const args = ['ls-tree', '-r', '-z', '--name-only', '--full-tree', rev];
    if (pathPrefix) args.push('--', pathPrefix);
    const r = this.runBuf(args);
    if (r.status !== 0) throw new GitError(`cannot list files of revision '${rev}'`, { hint: 'check that the revision exists (`git log`)' });
    return r.stdout.toString('utf8').split('\0').filter(Boolean);
  }

  /** Full sha of `rev`, or undefined when it does not resolve to a commit. */
  revParse(rev: string): string | undefined {
    const out = this.run(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { allowFail: true }).trim();
    return out || undefined;
  }

  /** The checked-out branch name, or undefined on a detached HEAD. */
  currentBranch(): string | undefined {
    const out = this.run(['symbolic-ref', '--quiet', '--short', 'HEAD'], { allowFail: true }).trim();
    return out || undefined;
  }

  /** True when HEAD points to a commit (false in a fresh repo). */
  hasCommits(): boolean { return this.revParse('HEAD') !== undefined; }

  /** Local branch names. */
  branches(): string[] {
    return this.run(['for-each-ref', '--format=%(refname:short)', 'refs/heads']).split('\n').filter(Boolean);
  }

  /** Tag names. */
  tags(): string[] {
    return this.run(['for-each-ref', '--format=%(refname:short)', 'refs/tags']).split('\n').filter(Boolean);
  }

  /** Refs under a prefix, e.g. `refs/exps` (experiments), as full ref names with their shas. */
  refs(prefix: string): { ref: string; sha: string }[] {
    return this.run(['for-each-ref', '--format=%(objectname) %(refname)', prefix]).split('\n').filter(Boolean)
      .map((l) => { const i = l.indexOf(' '); return { sha: l.slice(0, i), ref: l.slice(i + 1) }; });
  }

  /** Every commit reachable from any ref (branches, tags, experiments, HEAD). */
  allCommits(): string[] {
    if (!this.hasCommits() && this.refs('refs').length === 0) return [];
    return this.run(['rev-list', '--all', ...(this.hasCommits() ? ['HEAD'] : [])]).split('\n').filter(Boolean);
  }

  /** `rev` and its `n - 1` first-parent ancestors (DVC's `--rev R -n N`). */
  revAndAncestors(rev: string, n: number): string[] {
    return this.run(['rev-list', '--first-parent', `--max-count=${Math.max(1, n)}`, rev]).split('\n').filter(Boolean);
  }

  /** Commits touching `relpath` (newest first) with date (ISO 8601), author and subject. */
  log(relpath?: string, opts: { maxCount?: number; rev?: string } = {}): CommitInfo[] {
    const args = ['log', '--format=%H%x1f%cI%x1f%an%x1f%s%x1e'];
    if (opts.maxCount) args.push(`--max-count=${opts.maxCount}`);
    args.push(opts.rev ?? 'HEAD');
    if (relpath) args.push('--', relpath);
    if (!this.hasCommits()) return [];
    return this.run(args).split('\x1e').map((s) => s.trim()).filter(Boolean).map((rec) => {
      const [sha, date, author, subject] = rec.split('\x1f');
      return { sha: sha!, date: date!, author: author!, subject: subject ?? '' };
    });
  }

  /** `git add` (paths relative to the work tree or absolute). */
  add(paths: string[]): void {
    if (!paths.length) return;
    this.run(['add', '--', ...paths.map((p) => this.rel(resolve(this.root, p)))]);
  }

  /** `git commit -m msg`; returns the new sha. */
  commit(message: string, opts: { allowEmpty?: boolean } = {}): string {
    this.run(['commit', '-q', '-m', message, ...(opts.allowEmpty ? ['--allow-empty'] : [])]);
    return this.revParse('HEAD')!;
  }
}

/** Runs git synchronously outside a Git object (e.g. `git init`). */
export function gitExec(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', maxBuffer: MAX_BUFFER });
}

/** The outcome of a git run as data: `ok` when it exited 0; `error` when git could not be started. */
export interface GitOutcome { ok: boolean; stdout: string; stderr: string; status: number | null; error?: Error }

/**
 * Runs git synchronously without throwing, for callers that read a failing git as an answer
 * ("not at that revision", "no commits yet"). `env` adds to the process environment.
 */
export function gitTry(cwd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): GitOutcome {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: MAX_BUFFER, input: opts.input, env: opts.env ? { ...process.env, ...opts.env } : undefined, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  return { ok: r.status === 0, stdout: r.stdout ?? '', stderr: r.stderr ?? '', status: r.status, error: r.error };
}

/** Runs git without blocking the event loop; resolves with stdout, rejects with the git error's stderr (or, with `allowFail`, resolves with what it printed). */
export function gitAsync(cwd: string, args: string[], opts: { allowFail?: boolean; input?: string; failure?: (stderr: string) => Error } = {}): Promise<string> {
  const fail = (msg: string) => (opts.failure ? opts.failure(msg) : new GitError(`git ${args.join(' ')} failed: ${msg}`));
  return execAsync('git', args, cwd, opts.allowFail ? undefined : fail, opts.input);
}

/** execFile as a promise: stdout, or `fail(stderr or the error message)`; without `fail` a failure resolves with what was printed. */
function execAsync(file: string, args: string[], cwd: string, fail: ((msg: string) => Error) | undefined, input?: string): Promise<string> {
  return new Promise((res, rej) => {
    const c = execFile(file, args, { cwd, maxBuffer: MAX_BUFFER, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return res(stdout);
      if (!fail) return res(typeof stdout === 'string' ? stdout : '');
      rej(fail((stderr || err.message).trim()));
    });
    if (input !== undefined) c.stdin?.end(input);
  });
}

/**
 * Resets a clone to `commit` in one process (a stage worker does it for every job): fetches `ref`
 * from origin first when `fetch`, then a forced detached checkout and `git clean -ffdx` keeping the
 * `excludes` (`-e PATTERN` pairs).
 */
export async function gitResetClone(cwd: string, o: { commit: string; ref: string; fetch: boolean; excludes: string[]; failure?: (msg: string) => Error }): Promise<void> {
  const script = 'set -e; if [ -n "$3" ]; then git fetch -q origin "+$2:$2"; fi; git checkout -q -f --detach "$1"; shift 3; git clean -q -ffdx "$@"';
  const fail = (msg: string) => {
    const m = `git failed in ${cwd}: ${msg}`;
    return o.failure ? o.failure(m) : new GitError(m);
  };
  await execAsync('/bin/sh', ['-c', script, 'sh', o.commit, o.ref, o.fetch ? 'fetch' : '', ...o.excludes], cwd, fail);
}
