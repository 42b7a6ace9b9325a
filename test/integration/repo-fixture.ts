/**
 * Builds DVC repositories by hand (cache objects, .dvc files, .dir manifests written with our own
 * md5 + Python-json code), independent of geodvc's add, for gc/fsck/history tests.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { git, gitInit, makeTmpDir } from '../helpers/tmp.js';
import { initRepo } from '../../src/core/repo/init.js';

export const md5 = (b: string | Buffer) => createHash('md5').update(b).digest('hex');

function pyStr(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (cp < 0x20 || cp > 0x7e) {
      if (cp > 0xffff) {
        const hi = Math.floor((cp - 0x10000) / 0x400) + 0xd800;
        const lo = ((cp - 0x10000) % 0x400) + 0xdc00;
        out += `\\u${hi.toString(16).padStart(4, '0')}\\u${lo.toString(16).padStart(4, '0')}`;
      } else out += `\\u${cp.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return out + '"';
}

export function objPath(cache: string, oid: string): string {
  return join(cache, 'files', 'md5', oid.slice(0, 2), oid.slice(2));
}

export function storeObject(cache: string, content: string | Buffer, oid = md5(content)): string {
  const p = objPath(cache, oid);
  if (!existsSync(p)) {
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
    chmodSync(p, 0o444);
  }
  return oid;
}

/** Writes a file output: workspace file, cache object, `<name>.dvc`. Returns the oid. */
export function trackFile(root: string, cache: string, rel: string, content: string | Buffer): string {
  const abs = join(root, rel);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, content);
  const oid = storeObject(cache, content);
  const base = rel.split('/').pop()!;
  ignore(abs);
  writeFileSync(`${abs}.dvc`, `outs:\n- md5: ${oid}\n  size: ${Buffer.byteLength(content)}\n  hash: md5\n  path: ${base}\n`);
  return oid;
}

/** Writes a directory output; returns the .dir oid and member oids. */
export function trackDir(root: string, cache: string, rel: string, files: Record<string, string>): { dirOid: string; members: string[] } {
  const abs = join(root, rel);
  const entries = Object.keys(files).sort().map((r) => ({ r, oid: md5(files[r]!) }));
  for (const r of Object.keys(files)) {
    mkdirSync(dirname(join(abs, r)), { recursive: true });
    writeFileSync(join(abs, r), files[r]!);
    storeObject(cache, files[r]!);
  }
  const manifest = '[' + entries.map((e) => `{"md5": ${pyStr(e.oid)}, "relpath": ${pyStr(e.r)}}`).join(', ') + ']';
  const dirOid = md5(manifest) + '.dir';
  storeObject(cache, manifest, dirOid);
  const size = Object.values(files).reduce((a, c) => a + Buffer.byteLength(c), 0);
  const base = rel.split('/').pop()!;
  ignore(abs);
  writeFileSync(`${abs}.dvc`, `outs:\n- md5: ${dirOid}\n  size: ${size}\n  nfiles: ${entries.length}\n  hash: md5\n  path: ${base}\n`);
  return { dirOid, members: entries.map((e) => e.oid) };
}

export function commitAll(root: string, msg: string, date?: string): string {
  git(root, 'add', '-A');
  const env = date ? { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : {};
  execFileSync('git', ['-C', root, 'commit', '-q', '-m', msg], { env: { ...process.env, ...env } });
  return git(root, 'rev-parse', 'HEAD').trim();
}

function ignore(abs: string): void {
  const gi = join(dirname(abs), '.gitignore');
  const line = '/' + abs.split('/').pop() + '\n';
  let text = '';
  try { text = readFileSync(gi, 'utf8'); } catch { /* new */ }
  if (!text.split('\n').includes(line.trim())) writeFileSync(gi, text + line);
}

/** A temp dir holding `repo/`, a git repository with geodvc initialised: the dir, the root and its cache. */
export function gitDvcRepo(prefix: string): { t: ReturnType<typeof makeTmpDir>; root: string; cache: string } {
  const t = makeTmpDir(prefix);
  const root = join(t.dir, 'repo');
  mkdirSync(root);
  gitInit(root);
  initRepo(root);
  return { t, root, cache: join(root, '.dvc', 'cache') };
}
