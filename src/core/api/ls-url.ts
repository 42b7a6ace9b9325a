/**
 * `ls-url URL [-R]`: lists a file or directory at a local path or at any URL a storage backend
 * reads (s3://, azure://, gs://, ssh://, http(s)://, webdav(s)://), like DVC 3.64's `dvc ls-url`:
 * entries `{path, isdir, size}` relative to URL (a file lists itself).
 */
import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openBackend, schemeOf } from '../../storage/registry.js';
import { compareCodePoints } from '../../lib/pyjson.js';
import { PathError } from '../../lib/errors.js';
import type { OpContext } from '../../lib/progress.js';

export interface LsUrlOptions extends OpContext { cwd: string; url: string; recursive?: boolean }
export interface LsUrlEntry { path: string; isdir: boolean; size: number | null }

const missing = (url: string) => new PathError('not-found', `'${url}' does not exist`, { hint: 'check the path or URL (and the credentials of its storage)' });

export async function lsUrl(opts: LsUrlOptions): Promise<LsUrlEntry[]> {
  const res = schemeOf(opts.url) === 'local' ? listLocal(opts) : await listRemote(opts);
  return res.sort((a, b) => compareCodePoints(a.path, b.path));
}

function listLocal(opts: LsUrlOptions): LsUrlEntry[] {
  const raw = opts.url.startsWith('file://') ? fileURLToPath(opts.url) : opts.url;
  const abs = isAbsolute(raw) ? raw : resolve(opts.cwd, raw);
  let st;
  try { st = statSync(abs); } catch { throw missing(opts.url); }
  if (!st.isDirectory()) return [{ path: opts.url, isdir: false, size: st.size }];
  const out: LsUrlEntry[] = [];
  const walk = (dir: string, rel: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      let s;
      try { s = statSync(p); } catch { continue; }
      if (s.isDirectory()) {
        if (opts.recursive) walk(p, r);
        else out.push({ path: r, isdir: true, size: null });
      } else out.push({ path: r, isdir: false, size: s.size });
    }
  };
  walk(abs, '');
  return out;
}

async function listRemote(opts: LsUrlOptions): Promise<LsUrlEntry[]> {
  const clean = opts.url.replace(/\/+$/, '');
  const cut = clean.lastIndexOf('/');
  const b = await openBackend(clean.slice(0, cut), {});
  const key = clean.slice(cut + 1);
  try {
    const st = await b.stat(key);
    if (st) return [{ path: opts.url, isdir: false, size: st.size }];
    if (!b.canList) throw missing(opts.url);
    const out = new Map<string, LsUrlEntry>();
    const det = b.listDetailed?.bind(b);
    const items: { key: string; size: number | null }[] = [];
    if (det) for await (const x of det(key + '/', opts.signal)) items.push({ key: x.key, size: x.size });
    else for await (const k of b.list(key + '/', opts.signal)) items.push({ key: k, size: null });
    for (const it of items) {
      const rel = it.key.slice(key.length + 1);
      if (!rel) continue;
      const first = rel.split('/')[0]!;
      if (!opts.recursive && first !== rel) out.set(first, { path: first, isdir: true, size: null });
      else out.set(rel, { path: rel, isdir: false, size: it.size ?? (await b.stat(it.key))?.size ?? null });
    }
    if (!out.size) throw missing(opts.url);
    return [...out.values()];
  } finally {
    await b.close();
  }
}
