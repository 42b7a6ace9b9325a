/**
 * `update TARGETS [--rev REV] [--no-download]`: re-resolves imports. A repository import follows
 * its `rev` (or `--rev`, which is then recorded) to the latest commit, fetches the data and rewrites
 * the `.dvc` (new `rev_lock` and hashes); an `import-url` re-hashes its source and re-imports it
 * when it changed. Data is replaced in the workspace (the previous version stays in the cache).
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { withDataRepo, type DataRepo } from './data-repo.js';
import { writeRepoImport } from './import.js';
import { writeUrlImport } from './import-url.js';
import { dvcFileFor, isDvcFileName, loadDvcFile } from '../dvcfile/dvcfile.js';
import { readImport } from '../dvcfile/imports.js';
import { toPosixRel } from '../workspace/collect.js';
import { openSource, resolveRev, localRepoPath, isGitUrl } from '../imports/source.js';
import { PathError, UsageError } from '../../lib/errors.js';
import type { OpContext } from '../../lib/progress.js';

export interface UpdateOptions extends OpContext {
  cwd: string;
  targets: string[];
  rev?: string;
  noDownload?: boolean;
  jobs?: number;
}

export interface UpdatedImport {
  dvcfile: string;
  out: string;
  kind: 'repo' | 'url';
  /** False when the source had nothing new. */
  changed: boolean;
  revLock?: string;
  previousRevLock?: string;
  oid?: string;
  previousOid?: string;
  fetched: number;
}

export interface UpdateResult { updated: UpdatedImport[] }

export async function update(opts: UpdateOptions): Promise<UpdateResult> {
  if (!opts.targets.length) throw new UsageError('update needs at least one target', { hint: 'geodvc update OUT.dvc...' });
  return withDataRepo(opts.cwd, true, 'geodvc update', async (d) => {
    const updated: UpdatedImport[] = [];
    for (const t of opts.targets) updated.push(await updateOne(d, t, opts));
    return { updated };
  }, opts.signal);
}

/** The directory a recorded relative source URL is resolved against: the repo root, else cwd. */
export function sourceBase(d: DataRepo, url: string, cwd: string): string {
  if (isGitUrl(url)) return cwd;
  const p = localRepoPath(url, d.repo.root);
  return p && existsSync(p) ? d.repo.root : cwd;
}

async function updateOne(d: DataRepo, target: string, opts: UpdateOptions): Promise<UpdatedImport> {
  const abs = resolve(opts.cwd, target).replace(/\/$/, '');
  const dvcPath = isDvcFileName(abs) ? abs : dvcFileFor(abs);
  const rel = toPosixRel(d.repo.root, dvcPath);
  if (!existsSync(dvcPath)) throw new PathError('not-found', `'${rel}' does not exist`, { hint: 'give the .dvc file of an import (`geodvc update data.dvc`)' });
  const file = loadDvcFile(dvcPath);
  const info = readImport(file);
  if (!info) throw new UsageError(`'${rel}' is not an import`, { hint: 'only files written by `import`/`import-url` can be updated; re-add other data with `geodvc add`' });
  const out = file.outs[0];
  if (!out) throw new UsageError(`'${rel}' has no output`, { hint: 'import the data again' });
  const ctx: OpContext = { signal: opts.signal, onProgress: opts.onProgress, logger: opts.logger };
  if (info.dep.kind === 'url') {
    if (opts.rev) throw new UsageError('--rev applies to repository imports only', { hint: `'${rel}' was written by import-url` });
    const r = await writeUrlImport(d, { url: info.dep.dep.path, recorded: info.dep.dep.path, base: dirname(dvcPath), outAbs: out.absPath, noDownload: opts.noDownload, previous: out.oid, hashName: out.hashName }, ctx);
    return { dvcfile: rel, out: r.out, kind: 'url', changed: r.oid !== out.oid, oid: r.oid, previousOid: out.oid, fetched: r.fetched };
  }
  const dep = info.dep.dep;
  const rev = opts.rev ?? dep.rev;
  const src = openSource(dep.url, sourceBase(d, dep.url, opts.cwd), rev);
  try {
    const sha = resolveRev(src.git, rev);
    const r = await writeRepoImport(d, src, { outAbs: out.absPath, path: dep.path, url: dep.url, rev, sha, noDownload: opts.noDownload, jobs: opts.jobs }, ctx);
    return { dvcfile: rel, out: r.out, kind: 'repo', changed: sha !== dep.revLock || r.oid !== out.oid, revLock: sha, previousRevLock: dep.revLock, oid: r.oid, previousOid: out.oid, fetched: r.fetched };
  } finally {
    src.close();
  }
}
