/**
 * `import URL PATH [-o OUT] [--rev REV] [--no-exec] [--no-download] [-f]`: brings data tracked in
 * another git+DVC repository (a data registry) into this one, like DVC 3.64's `dvc import`:
 * resolves the revision to a commit (`rev_lock`), reads the `.dvc`/`dvc.lock` there, fetches the
 * objects from the source's cache (local path) or default remote (verified, into our cache),
 * checks the data out, writes `OUT.dvc` (`frozen: true`, `deps: [{path, repo: {url, rev, rev_lock}}]`,
 * stage `md5`) and adds OUT to `.gitignore`.
 */
import { existsSync } from 'node:fs';
import { basename, relative, resolve } from 'node:path';
import { resolveInsideSync } from '../../lib/safepath.js';
import { withDataRepo, repoRelPath, type DataRepo } from './data-repo.js';
import { checkoutLocked } from './checkout.js';
import { dvcFileFor, isDvcFileName } from '../dvcfile/dvcfile.js';
import { serializeImportDvcFile, type RepoDep } from '../dvcfile/imports.js';
import { loadWorkspaceDvcFiles, toPosixRel } from '../workspace/collect.js';
import { ignoreOutput } from '../scm/gitignore.js';
import { findTarget, openSource, outsAt, resolveRev, type SourceRepo } from '../imports/source.js';
import { fetchTarget } from '../imports/fetch-target.js';
import { PathError, UsageError } from '../../lib/errors.js';
import { writeFileAtomicSync } from '../../lib/atomic.js';
import type { OpContext } from '../../lib/progress.js';

export interface ImportOptions extends OpContext {
  cwd: string;
  url: string;
  path: string;
  out?: string;
  rev?: string;
  noExec?: boolean;
  noDownload?: boolean;
  force?: boolean;
  jobs?: number;
}

export interface ImportResult {
  /** Repo-relative paths. */
  dvcfile: string;
  out: string;
  url: string;
  path: string;
  rev?: string;
  revLock?: string;
  hash?: string;
  oid?: string;
  size?: number;
  nfiles?: number;
  fetched: number;
  bytes: number;
  /** Whether the data was placed in the workspace. */
  checkedOut: boolean;
  gitignore?: string;
}

export async function importData(opts: ImportOptions): Promise<ImportResult> {
  if (!opts.url || !opts.path) throw new UsageError('import needs a repository URL and a path', { hint: 'geodvc import URL PATH [-o OUT] [--rev REV]' });
  if (opts.noExec && opts.noDownload) throw new UsageError('--no-exec and --no-download cannot be combined', { hint: 'use one of them' });
  return withDataRepo(opts.cwd, true, 'geodvc import', (d) => importLocked(d, opts), opts.signal);
}

/** Normalises the source path (posix, no leading `./` or trailing `/`). */
export function sourcePath(p: string): string {
  const s = p.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  if (!s || s === '.' || s.startsWith('/') || s.split('/').includes('..')) {
    throw new UsageError(`invalid source path '${p}'`, { hint: 'give a path inside the source repository, e.g. data/imagery' });
  }
  return s;
}

/** Refuses an output path that exists, is tracked elsewhere, or overlaps another output. */
export function checkImportOut(d: DataRepo, outAbs: string, force: boolean | undefined): string {
  const rel = repoRelPath(d.repo, outAbs);
  if (rel === '' || rel === '.dvc' || rel.startsWith('.dvc/') || rel === '.git' || rel.startsWith('.git/')) {
    throw new PathError('bad-target', `cannot import into '${rel || '.'}'`, { hint: 'choose an output path inside the workspace with -o OUT' });
  }
  if (isDvcFileName(outAbs)) throw new PathError('bad-target', `'${rel}' is a .dvc file name`, { hint: 'choose another output with -o OUT' });
  // issue 17: no .git/.dvc in any case or depth, no symlink on the way leaving the repo or entering them
  resolveInsideSync(d.repo.root, rel + '.dvc', { what: '-o/--out target' });
  const dvcPath = dvcFileFor(outAbs);
  if (!force && (existsSync(outAbs) || existsSync(dvcPath))) {
    throw new PathError('exists', `'${existsSync(outAbs) ? rel : toPosixRel(d.repo.root, dvcPath)}' already exists`, { hint: 'use -f/--force to overwrite it, or choose another output with -o OUT' });
  }
  for (const f of loadWorkspaceDvcFiles(d.repo.root, d.ignore)) {
    if (f.path === dvcPath) continue;
    for (const o of f.outs) {
      const a = relative(o.absPath, outAbs);
      const b = relative(outAbs, o.absPath);
      if (a === '' || (!a.startsWith('..') && !a.startsWith('/')) || (!b.startsWith('..') && !b.startsWith('/'))) {
        throw new PathError('already-tracked', `'${rel}' overlaps '${toPosixRel(d.repo.root, o.absPath)}', tracked by '${toPosixRel(d.repo.root, f.path)}'`, { hint: 'choose another output with -o OUT, or remove that .dvc file first (`geodvc remove`)' });
      }
    }
  }
  return rel;
}

/** Resolves, fetches and writes one repository import; shared by `import` and `update`. */
export async function writeRepoImport(d: DataRepo, src: SourceRepo, spec: { outAbs: string; path: string; url: string; rev?: string; sha: string; noDownload?: boolean; force?: boolean; jobs?: number }, ctx: OpContext): Promise<ImportResult> {
  const outs = outsAt(src, spec.sha);
  const target = findTarget(src, outs, spec.sha, spec.path);
  if (!target) throw new PathError('not-found', `'${spec.path}' does not exist in '${spec.url}' at ${spec.rev ?? 'HEAD'} (${spec.sha.slice(0, 7)})`, { hint: `list what is there with \`geodvc ls ${spec.url}${spec.rev ? ` --rev ${spec.rev}` : ''}\`` });
  if (target.kind === 'git') {
    throw new UsageError(`'${spec.path}' is tracked by git in '${spec.url}', not by DVC`, { hint: `copy it with \`geodvc get ${spec.url} ${spec.path}\` (imports follow DVC-tracked data)` });
  }
  const data = await fetchTarget(src, target, spec.path, d.repo.cacheDir, { download: !spec.noDownload, jobs: spec.jobs, ...ctx });
  const dvcPath = dvcFileFor(spec.outAbs);
  const dep: RepoDep = { path: spec.path, url: spec.url, rev: spec.rev, revLock: spec.sha };
  const outEntry = { path: basename(spec.outAbs), hashName: data.hashName, oid: data.oid, size: data.size, nfiles: data.isDir ? data.nfiles : undefined };
  writeFileAtomicSync(dvcPath, serializeImportDvcFile({ dep: { kind: 'repo', dep }, out: outEntry }), { fsync: false });
  // before the checkout (which also ignores the output) so the changed .gitignore is reported
  const gitignore = ignoreOutput(d.repo, spec.outAbs);
  let checkedOut = false;
  if (!spec.noDownload) {
    const r = await checkoutLocked(d, { cwd: d.repo.root, targets: [spec.outAbs], force: true, ...ctx });
    if (r.failed.length) throw new PathError('checkout-failed', `cannot check out '${toPosixRel(d.repo.root, spec.outAbs)}': ${r.failed.length} file(s) missing from the cache`, { hint: 'run `geodvc update` again' });
    checkedOut = true;
  }
  return {
    dvcfile: toPosixRel(d.repo.root, dvcPath), out: toPosixRel(d.repo.root, spec.outAbs), url: spec.url, path: spec.path, rev: spec.rev, revLock: spec.sha,
    hash: data.hashName, oid: data.oid, size: data.size, nfiles: outEntry.nfiles, fetched: data.fetched, bytes: data.bytes, checkedOut,
    gitignore: gitignore ? toPosixRel(d.repo.root, gitignore) : undefined,
  };
}

async function importLocked(d: DataRepo, opts: ImportOptions): Promise<ImportResult> {
  const path = sourcePath(opts.path);
  const outAbs = resolve(opts.cwd, opts.out ?? basename(path));
  checkImportOut(d, outAbs, opts.force);
  const src = openSource(opts.url, opts.cwd, opts.rev);
  try {
    const sha = resolveRev(src.git, opts.rev);
    if (opts.noExec) {
      const dvcPath = dvcFileFor(outAbs);
      const dep: RepoDep = { path, url: opts.url, rev: opts.rev };
      writeFileAtomicSync(dvcPath, serializeImportDvcFile({ dep: { kind: 'repo', dep }, out: { path: basename(outAbs), hashName: d.hashName }, withMd5: false }), { fsync: false });
      const gi = ignoreOutput(d.repo, outAbs);
      return { dvcfile: toPosixRel(d.repo.root, dvcPath), out: toPosixRel(d.repo.root, outAbs), url: opts.url, path, rev: opts.rev, fetched: 0, bytes: 0, checkedOut: false, gitignore: gi ? toPosixRel(d.repo.root, gi) : undefined };
    }
    return await writeRepoImport(d, src, { outAbs, path, url: opts.url, rev: opts.rev, sha, noDownload: opts.noDownload, jobs: opts.jobs }, opts);
  } finally {
    src.close();
  }
}
