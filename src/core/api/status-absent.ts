/** For `status`: which deleted files of a tracked directory have no object in the cache (partial pulls). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function notInCacheSet(cwd: string, dvcfile: string, outPath: string, deleted: string[]): Set<string> {
  // any failure (no manifest, unreadable .dvc) means "unknown": the files stay reported as deleted
  try { return compute(cwd, dvcfile, outPath, deleted); } catch { return new Set(); }
}

let mods: { repo: typeof import('../repo/repo.js'); dvc: typeof import('../dvcfile/dvcfile.js'); layout: typeof import('../odb/layout.js'); tree: typeof import('../odb/tree.js') } | undefined;
export async function loadStatusMods(): Promise<void> {
  mods ??= { repo: await import('../repo/repo.js'), dvc: await import('../dvcfile/dvcfile.js'), layout: await import('../odb/layout.js'), tree: await import('../odb/tree.js') };
}

function compute(cwd: string, dvcfile: string, outPath: string, deleted: string[]): Set<string> {
  const res = new Set<string>();
  if (!mods) return res;
  const root = mods.repo.findRepoRoot(cwd);
  if (!root) return res;
  const repo = mods.repo.openRepoSync(root);
  const df = mods.dvc.parseDvcFile(readFileSync(join(root, dvcfile), 'utf8'), join(root, dvcfile));
  const out = df.outs.find((o) => o.absPath === join(root, outPath)) ?? df.outs[0];
  if (!out?.oid || !mods.layout.isDirOid(out.oid)) return res;
  const manifest = mods.layout.objectPath(repo.cacheDir, out.hashName, out.oid);
  if (!existsSync(manifest)) return res;
  const tree = mods.tree.parseTree(readFileSync(manifest), out.hashName);
  const want = new Set(deleted);
  for (const e of tree.entries) if (want.has(e.relpath) && !existsSync(mods.layout.objectPath(repo.cacheDir, out.hashName, e.oid))) res.add(e.relpath);
  return res;
}
