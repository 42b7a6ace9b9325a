/**
 * `get URL PATH [-o OUT] [--rev REV] [-f]`: downloads data (DVC-tracked or git-tracked) from a
 * git+DVC repository without tracking it, like DVC 3.64's `dvc get`. Works outside any repository.
 * Objects go through a temp cache next to OUT (verified on arrival) and are copied out as plain
 * writable files; OUT appears at once (temp name + rename).
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { sourcePath } from './import.js';
import { findTarget, openSource, outsAt, resolveRev, type SourceRepo } from '../imports/source.js';
import { fetchTarget } from '../imports/fetch-target.js';
import { ObjectDB } from '../odb/odb.js';
import { toPosixRel } from '../workspace/collect.js';
import type { DvcOut } from '../dvcfile/dvcfile.js';
import { PathError } from '../../lib/errors.js';
import { TMP_PREFIX } from '../../lib/atomic.js';
import type { OpContext } from '../../lib/progress.js';

export interface GetOptions extends OpContext {
  cwd: string;
  url: string;
  path: string;
  out?: string;
  rev?: string;
  force?: boolean;
  jobs?: number;
}

export interface GetResult { url: string; path: string; out: string; revLock: string; files: number; bytes: number; fetched: number }

export async function get(opts: GetOptions): Promise<GetResult> {
  const path = sourcePath(opts.path);
  let outAbs = resolve(opts.cwd, opts.out ?? basename(path));
  if (opts.out && existsSync(outAbs) && statSync(outAbs).isDirectory() && !opts.force) outAbs = join(outAbs, basename(path));
  if (existsSync(outAbs) && !opts.force) {
    throw new PathError('exists', `'${relative(opts.cwd, outAbs) || outAbs}' already exists`, { hint: 'use -f/--force to overwrite it, or choose another output with -o OUT' });
  }
  const src = openSource(opts.url, opts.cwd, opts.rev);
  mkdirSync(dirname(outAbs), { recursive: true });
  const work = mkdtempSync(join(dirname(outAbs), `${TMP_PREFIX}get-`));
  try {
    const sha = resolveRev(src.git, opts.rev);
    const staged = join(work, 'out');
    const counts = { files: 0, bytes: 0, fetched: 0 };
    await materialize(src, sha, path, staged, join(work, 'cache'), counts, opts);
    rmSync(outAbs, { recursive: true, force: true });
    renameSync(staged, outAbs);
    return { url: opts.url, path, out: outAbs, revLock: sha, ...counts };
  } finally {
    rmSync(work, { recursive: true, force: true });
    src.close();
  }
}

/** Writes what `path` names at `sha` (outputs, files inside them, git files, or a mix) to `dest`. */
async function materialize(src: SourceRepo, sha: string, path: string, dest: string, cacheDir: string, counts: { files: number; bytes: number; fetched: number }, ctx: GetOptions): Promise<void> {
  const outs = outsAt(src, sha);
  const target = findTarget(src, outs, sha, path);
  if (!target) throw new PathError('not-found', `'${path}' does not exist in '${src.url}' at ${ctx.rev ?? 'HEAD'} (${sha.slice(0, 7)})`, { hint: `list what is there with \`geodvc ls ${src.url}\`` });
  const odb = new ObjectDB(cacheDir);
  const place = async (t: { kind: 'out'; out: DvcOut } | { kind: 'in-out'; out: DvcOut; sub: string }, rel: string, to: string) => {
    const data = await fetchTarget(src, t, rel, cacheDir, { jobs: ctx.jobs, signal: ctx.signal, onProgress: ctx.onProgress, logger: ctx.logger });
    counts.fetched += data.fetched;
    const entries = data.isDir ? odb.readTree(data.hashName, data.oid).entries.map((e) => ({ rel: e.relpath, oid: e.oid })) : [{ rel: '', oid: data.oid }];
    for (const e of entries) {
      const p = e.rel ? join(to, e.rel) : to;
      mkdirSync(dirname(p), { recursive: true });
      copyFileSync(odb.path(data.hashName, e.oid), p);
      chmodSync(p, 0o644);
      counts.files++;
      counts.bytes += statSync(p).size;
    }
    if (data.isDir && !entries.length) mkdirSync(to, { recursive: true });
  };
  if (target.kind !== 'git') { await place(target, path, dest); return; }
  // git-tracked: a file, or a directory whose files are in git and whose outputs are DVC's
  const prefix = toPosixRel(src.git.root, src.root);
  const full = prefix ? `${prefix}/${path}` : path;
  const files = src.git.listFiles(sha, full).filter((f) => f === full || f.startsWith(full + '/'));
  const blobs = src.git.showFiles(files.map((f) => `${sha}:${f}`));
  files.forEach((f, i) => {
    const rel = f === full ? '' : f.slice(full.length + 1);
    const p = rel ? join(dest, rel) : dest;
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, blobs[i] ?? Buffer.alloc(0));
    counts.files++;
    counts.bytes += blobs[i]?.length ?? 0;
  });
  const base = join(src.root, path);
  for (const o of outs) {
    const r = relative(base, o.absPath);
    if (!r || r.startsWith('..') || r.startsWith('/')) continue;
    await place({ kind: 'out', out: o }, `${path}/${r}`, join(dest, r));
  }
}
