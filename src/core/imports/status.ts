/**
 * What `status` adds for import `.dvc` files, as DVC 3.64 reports them: a repository import whose
 * source has moved on shows `{"changed deps": {"PATH (URL)": "update available"}}` (checked even
 * though imports are frozen: DVC's `status` checks for updates), an output with no recorded hash
 * and no data is `deleted`, and a stage hash that does not match (`--no-exec` files have none)
 * adds `"changed checksum"`. Entries keep DVC's order: deps, outs, checksum.
 */
import { relative } from 'node:path';
import type { Repo } from '../repo/repo.js';
import { loadDvcIgnore } from '../repo/dvcignore.js';
import { findDvcFiles, toPosixRel } from '../workspace/collect.js';
import { parseDvcFile } from '../dvcfile/dvcfile.js';
import { importChecksumChanged, readImport } from '../dvcfile/imports.js';
import { latestRev, sourceBaseFor } from './source.js';
import { existsSync, readFileSync } from 'node:fs';

function inside(parent: string, child: string): boolean {
  const r = relative(parent, child);
  return r === '' || (!r.startsWith('..') && !r.startsWith('/'));
}

/** Edits DVC's `status --json` document `json` in place for the import `.dvc` files. */
export function addImportStatus(repo: Repo, json: Record<string, unknown[]>, cwd: string, targets?: string[], dvcFiles?: string[]): void {
  for (const path of dvcFiles ?? findDvcFiles(repo.root, loadDvcIgnore(repo.root))) {
    if (!path.endsWith('.dvc')) continue;
    let file;
    let info;
    try {
      const text = readFileSync(path, 'utf8');
      if (!/^deps:/m.test(text)) continue; // not an import: skip the YAML parse
      file = parseDvcFile(text, path);
      info = readImport(file);
    } catch { continue; }
    if (!info) continue;
    if (targets && !targets.some((t) => t === path || file!.outs.some((o) => inside(t, o.absPath) || inside(o.absPath, t)))) continue;
    const key = relative(cwd, path) || toPosixRel(repo.root, path);
    const prev = json[key] ?? [];
    const outsEntry = prev.find((x) => x && typeof x === 'object' && 'changed outs' in (x as object)) as Record<string, Record<string, string>> | undefined;
    if (outsEntry) {
      for (const o of file.outs) {
        const k = relative(cwd, o.absPath) || toPosixRel(repo.root, o.absPath);
        if (!o.oid && outsEntry['changed outs']![k] === 'new' && !existsSync(o.absPath)) outsEntry['changed outs']![k] = 'deleted';
      }
    }
    const list: unknown[] = [];
    if (info.dep.kind === 'repo') {
      const dep = info.dep.dep;
      const latest = latestRev(dep.url, sourceBaseFor(repo.root, dep.url, cwd), dep.rev);
      if (latest && dep.revLock && latest !== dep.revLock) list.push({ 'changed deps': { [`${dep.path} (${dep.url})`]: 'update available' } });
    }
    list.push(...prev);
    if (importChecksumChanged(file)) list.push('changed checksum');
    if (list.length) json[key] = list;
    else delete json[key];
  }
}
