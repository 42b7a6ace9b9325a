/**
 * SHA-256 manifests of annotation files in `sha256sum` format (`<hex>  <path>`, two spaces,
 * text mode), so `sha256sum -c MANIFEST` verifies them from the manifest's directory.
 * Paths are relative to the manifest's directory, `/`-separated, sorted by code point. Names
 * with a backslash or newline use sha256sum's escaped form (a leading `\`).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { InvalidFileError, PathError } from '../../lib/errors.js';
import { throwIfAborted } from '../../lib/errors.js';
import { throttledProgress, type OpContext } from '../../lib/progress.js';
import { parsePixelBytes, sniffPixelFile } from './pixel-load.js';

/** Extensions counted as annotation files (vector formats and their sidecars, COCO JSON); `.xml` files count when they are Pascal VOC. */
export const ANNOTATION_EXTENSIONS = ['.geojson', '.json', '.geojsonl', '.ndjson', '.gpkg', '.fgb', '.shp', '.shx', '.dbf', '.prj', '.cpg', '.qix', '.kml', '.gml', '.csv'];

export interface ManifestEntry { path: string; sha256: string; size: number }

export async function sha256File(abs: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  const s = createReadStream(abs, { highWaterMark: 1 << 20, signal });
  for await (const chunk of s) h.update(chunk as Buffer);
  return h.digest('hex');
}

function isAnnotation(name: string, exts: readonly string[]): boolean {
  const lower = name.toLowerCase();
  if (exts === ANNOTATION_EXTENSIONS && lower.endsWith('.xml')) return sniffPixelFile(name) === 'voc';
  return exts.some((e) => lower.endsWith(e));
}

async function walk(dir: string, out: string[], skip: Set<string>): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    if (e.name === '.git' || e.name === '.dvc') continue;
    const p = join(dir, e.name);
    if (skip.has(p)) continue;
    if (e.isDirectory()) await walk(p, out, skip);
    else if (e.isFile()) out.push(p);
  }
}

export interface BuildManifestOptions extends OpContext {
  /** Where the manifest will be written (excluded from itself; paths are relative to its dir). */
  output?: string;
  /** Extensions to include (default ANNOTATION_EXTENSIONS); `all` includes every file. */
  extensions?: readonly string[] | 'all';
}

function escapeName(rel: string): { name: string; escaped: boolean } {
  if (!/[\\\n\r]/.test(rel)) return { name: rel, escaped: false };
  return { name: rel.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r'), escaped: true };
}

/** Hashes every annotation file under `dir`. Paths are relative to `baseDir` (default: dir). */
export async function buildManifest(dir: string, opts: BuildManifestOptions & { baseDir?: string } = {}): Promise<ManifestEntry[]> {
  const root = resolve(dir);
  const st = await stat(root).catch(() => null);
  if (!st || !st.isDirectory()) throw new PathError('not-a-directory', `${dir} is not a directory`, { hint: 'give the directory holding the annotation files' });
  const base = resolve(opts.baseDir ?? (opts.output ? dirname(resolve(opts.output)) : root));
  const files: string[] = [];
  await walk(root, files, new Set(opts.output ? [resolve(opts.output)] : []));
  const exts = opts.extensions ?? ANNOTATION_EXTENSIONS;
  const chosen = files.filter((f) => exts === 'all' || isAnnotation(f, exts));
  const progress = throttledProgress(opts.onProgress);
  const out: ManifestEntry[] = [];
  let done = 0;
  for (const f of chosen) {
    throwIfAborted(opts.signal);
    const rel = relative(base, f).split(sep).join('/');
    const size = (await stat(f)).size;
    // COCO / VOC files are read before they are listed: a truncated or malformed one stops the
    // manifest with its position instead of being sealed as good
    const kind = sniffPixelFile(f);
    if (kind) parsePixelBytes(await readFile(f), rel, kind);
    out.push({ path: rel, sha256: await sha256File(f, opts.signal), size });
    progress({ phase: 'hashing', done: ++done, total: chosen.length, item: rel });
  }
  opts.onProgress?.({ phase: 'hashing', done, total: chosen.length, finished: true });
  out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return out;
}

/** The manifest text (`sha256sum` format). */
export function formatManifest(entries: ManifestEntry[]): string {
  return entries.map((e) => { const n = escapeName(e.path); return `${n.escaped ? '\\' : ''}${e.sha256}  ${n.name}\n`; }).join('');
}

export interface ParsedLine { path: string; sha256: string; line: number }

/** Parses `sha256sum` output (text `  ` or binary ` *` mode, escaped names). */
export function parseManifest(text: string, name = 'manifest'): ParsedLine[] {
  const out: ParsedLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let l = lines[i]!.replace(/\r$/, '');
    if (!l.trim() || l.startsWith('#')) continue;
    let escaped = false;
    if (l.startsWith('\\')) { escaped = true; l = l.slice(1); }
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(l);
    if (!m) throw new InvalidFileError(`${name}:${i + 1}: not a sha256sum line`, { hint: 'a manifest line is `<64 hex digits>  <path>`; regenerate it with `geodvc geo manifest DIR -o FILE`' });
    let p = m[2]!;
    if (escaped) p = p.replace(/\\(\\|n|r)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'));
    out.push({ path: p, sha256: m[1]!.toLowerCase(), line: i + 1 });
  }
  return out;
}

export interface CheckResult {
  ok: boolean;
  checked: number;
  mismatched: string[];
  missing: string[];
  /** Annotation files present under the manifest's directory but not listed (informational). */
  unlisted: string[];
}

/** Verifies every entry of the manifest file, relative to the manifest's directory. */
export async function checkManifest(manifestPath: string, opts: OpContext & { findUnlisted?: boolean } = {}): Promise<CheckResult> {
  const text = await readFile(manifestPath, 'utf8').catch((err) => {
    throw new PathError('not-found', `cannot read manifest ${manifestPath}`, { cause: err, hint: 'create one with `geodvc geo manifest DIR -o FILE`' });
  });
  const entries = parseManifest(text, manifestPath);
  const base = dirname(resolve(manifestPath));
  const res: CheckResult = { ok: true, checked: 0, mismatched: [], missing: [], unlisted: [] };
  const progress = throttledProgress(opts.onProgress);
  for (const e of entries) {
    throwIfAborted(opts.signal);
    const abs = resolve(base, e.path);
    let digest: string | undefined;
    try { digest = await sha256File(abs, opts.signal); } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EISDIR') { res.missing.push(e.path); continue; }
      throw err;
    }
    res.checked++;
    if (digest !== e.sha256) res.mismatched.push(e.path);
    progress({ phase: 'verifying', done: res.checked, total: entries.length, item: e.path });
  }
  if (opts.findUnlisted) {
    const listed = new Set(entries.map((e) => e.path));
    const files: string[] = [];
    await walk(base, files, new Set([resolve(manifestPath)]));
    res.unlisted = files.filter((f) => isAnnotation(f, ANNOTATION_EXTENSIONS)).map((f) => relative(base, f).split(sep).join('/')).filter((p) => !listed.has(p)).sort();
  }
  res.ok = !res.mismatched.length && !res.missing.length;
  return res;
}
