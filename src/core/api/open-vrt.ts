/**
 * VRTs over tracked rasters: the hashes of the sources a VRT references, recorded by `add` in the
 * VRT's `meta.vrt_sources` ({path as written in the VRT: md5}), and the check `status` uses to
 * report a VRT whose sources changed since it was added (a stale VRT).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { parseDvcFile } from '../dvcfile/dvcfile.js';
import { findDvcFiles } from '../workspace/collect.js';
import { loadDvcIgnore } from '../repo/dvcignore.js';

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

/** Source files of a VRT: [path as written, absolute path or undefined for non-file sources]. */
export function vrtSources(vrtAbs: string): [string, string | undefined][] {
  const xml = readFileSync(vrtAbs, 'utf8');
  const out = new Map<string, string | undefined>();
  for (const m of xml.matchAll(/<SourceFilename([^>]*)>([^<]*)<\/SourceFilename>/g)) {
    const p = unescape(m[2]!.trim());
    const rel = /relativeToVRT\s*=\s*["']1["']/.test(m[1]!);
    out.set(p, /^\/vsi|^[a-z]+:\/\//i.test(p) ? undefined : rel ? resolve(dirname(vrtAbs), p) : resolve(p));
  }
  return [...out.entries()];
}

async function md5File(p: string): Promise<string> {
  const h = createHash('md5');
  for await (const c of createReadStream(p)) h.update(c as Buffer);
  return h.digest('hex');
}

/** The md5 of a source: from its own `.dvc` file when it is a tracked file output, else of its bytes. */
async function sourceHash(abs: string | undefined): Promise<string> {
  if (!abs) return 'not-a-file';
  const dvc = `${abs}.dvc`;
  if (existsSync(dvc)) {
    try {
      const df = parseDvcFile(readFileSync(dvc, 'utf8'), dvc);
      const o = df.outs.find((x) => x.absPath === abs);
      if (o?.oid && o.hashName.startsWith('md5')) return o.oid;
    } catch { /* fall back to hashing */ }
  }
  return existsSync(abs) ? md5File(abs) : 'missing';
}

export async function vrtSourceHashes(vrtAbs: string): Promise<Record<string, string>> {
  const res: Record<string, string> = {};
  for (const [p, abs] of vrtSources(vrtAbs).sort((a, b) => (a[0] < b[0] ? -1 : 1))) res[p] = await sourceHash(abs);
  return res;
}

export interface StaleVrt { vrt: string; changed: string[] }

/**
 * Tracked VRTs (workspace `.dvc` files) whose recorded source hashes differ from the sources now.
 * Only `.vrt.dvc` files are read; the search skips tracked directories (a 100k-file output is never
 * walked) and `.dvcignore`d paths.
 */
export async function staleVrts(root: string): Promise<StaleVrt[]> {
  const out: StaleVrt[] = [];
  const vrtDvcs = findDvcFiles(root, loadDvcIgnore(root)).filter((p) => p.toLowerCase().endsWith('.vrt.dvc'));
  for (const p of vrtDvcs) {
    let df;
    try { df = parseDvcFile(readFileSync(p, 'utf8'), p); } catch { continue; }
    for (const o of df.outs) {
      const rec = (o.meta as Record<string, unknown> | undefined)?.vrt_sources as Record<string, string> | undefined;
      if (!rec || !existsSync(o.absPath)) continue;
      const now = await vrtSourceHashes(o.absPath);
      const changed = [...new Set([...Object.keys(rec), ...Object.keys(now)])].filter((k) => rec[k] !== now[k]).sort();
      if (changed.length) out.push({ vrt: relative(root, o.absPath).split(sep).join('/'), changed });
    }
  }
  return out;
}
