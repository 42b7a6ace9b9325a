/**
 * `ls [PATH]`: lists a directory of the repository with tracked data marked as outputs, including
 * outputs not checked out and the contents of tracked directories (from their manifests).
 * JSON entries as DVC's `ls --json`: `{isout, isdir, isexec, path}` (+ `size`, `hash`).
 */
import { readdirSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { withDataRepo } from './data-repo.js';
import { collectOuts } from './used.js';
import { toPosixRel } from '../workspace/collect.js';
import { isDirOid } from '../odb/layout.js';
import { compareCodePoints } from '../../lib/pyjson.js';
import type { OpContext } from '../../lib/progress.js';

export interface LsOptions extends OpContext { cwd: string; path?: string; recursive?: boolean; dvcOnly?: boolean }
export interface LsEntry { path: string; isout: boolean; isdir: boolean; isexec: boolean; size?: number; hash?: string }

export async function ls(opts: LsOptions): Promise<LsEntry[]> {
  return withDataRepo(opts.cwd, false, 'geodvc ls', async (d) => {
    const base = resolve(opts.cwd, opts.path ?? '.').replace(/\/$/, '');
    const baseRel = toPosixRel(d.repo.root, base);
    // All known paths: repo-relative → entry.
    const all = new Map<string, LsEntry>();
    const put = (rel: string, e: Omit<LsEntry, 'path'>) => { if (!all.has(rel) || e.isout) all.set(rel, { path: rel, ...e }); };
    for (const { out } of collectOuts(d.repo, 'workspace')) {
      if (!out.oid) continue;
      const rel = toPosixRel(d.repo.root, out.absPath);
      const isdir = isDirOid(out.oid);
      put(rel, { isout: true, isdir, isexec: !!out.isexec, size: out.size, hash: out.oid });
      const parts = rel.split('/');
      for (let i = 1; i < parts.length; i++) put(parts.slice(0, i).join('/'), { isout: false, isdir: true, isexec: false });
      if (isdir) {
        try {
          const tree = d.odb.readTree(out.hashName, out.oid);
          for (const e of tree.entries) {
            const segs = e.relpath.split('/');
            for (let i = 1; i < segs.length; i++) put(`${rel}/${segs.slice(0, i).join('/')}`, { isout: false, isdir: true, isexec: false });
            put(`${rel}/${e.relpath}`, { isout: false, isdir: false, isexec: !!e.isexec, size: e.size, hash: e.oid });
          }
        } catch { /* manifest not in cache: the directory is listed without contents */ }
      }
    }
    const outRoots = [...all.values()].filter((e) => e.isout).map((e) => e.path);
    const insideOut = (rel: string) => outRoots.some((o) => rel === o || rel.startsWith(o + '/'));
    if (!opts.dvcOnly) {
      const walk = (abs: string, rel: string, deep: boolean) => {
        let ents;
        try { ents = readdirSync(abs, { withFileTypes: true }); } catch { return; }
        for (const e of ents) {
          if (e.name === '.git' || (e.name === '.dvc' && rel === '') || e.name.startsWith('.geodvc-tmp-')) continue;
          const r = rel ? `${rel}/${e.name}` : e.name;
          if (insideOut(r)) continue;
          const isdir = e.isDirectory();
          let isexec = false;
          if (!isdir) { try { isexec = (statSync(`${abs}/${e.name}`).mode & 0o100) !== 0; } catch { /* dangling */ } }
          put(r, { isout: false, isdir, isexec });
          if (isdir && deep) walk(`${abs}/${e.name}`, r, deep);
        }
      };
      walk(base, baseRel, !!opts.recursive);
    }
    const prefix = baseRel ? baseRel + '/' : '';
    const res: LsEntry[] = [];
    for (const e of all.values()) {
      if (e.path === baseRel && !e.isdir) { res.push({ ...e, path: relative(base, resolve(d.repo.root, e.path)) || e.path.split('/').pop()! }); continue; }
      if (!e.path.startsWith(prefix) || e.path === baseRel) continue;
      const sub = e.path.slice(prefix.length);
      if (opts.recursive) { if (e.isdir && !e.isout) continue; if (e.isdir && e.isout) continue; }
      else if (sub.includes('/')) continue;
      if (opts.dvcOnly && !e.isout && !insideOut(e.path) && !(e.isdir && outRoots.some((o) => o.startsWith(e.path + '/')))) continue;
      res.push({ ...e, path: sub });
    }
    return res.sort((x, y) => compareCodePoints(x.path, y.path));
  }, opts.signal);
}
