/**
 * `geo diff`: semantic diff of annotation files between two versions of the repository.
 * A version is a git revision (files committed to git, or tracked by `.dvc` files and read from
 * the DVC cache) or the workspace. Each annotation file present in either version is compared
 * with `compareLayers` (src/geo/annotations/diff.ts).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve, sep } from 'node:path';
import { AppError, UsageError, throwIfAborted } from '../../lib/errors.js';
import { writeFileAtomic } from '../../lib/atomic.js';
import type { OpContext } from '../../lib/progress.js';
import { Git } from '../scm/git.js';
import { findRepoRoot } from '../repo/repo.js';
import { openRepoSync } from '../repo/repo.js';
import { trackedOuts } from '../workspace/tracked.js';
import { toPosixRel } from '../workspace/collect.js';
import { parseTree } from '../odb/tree.js';
import { objectPath } from '../odb/layout.js';
import { compareLayers, serialisableDiff, type LayerDiff } from '../../geo/annotations/diff.js';
import { readAnnotationFile } from '../../geo/annotations/load.js';
import { geoTolerance, parseTolerance, pixelTolerance, type Tolerance } from '../../geo/annotations/tolerance.js';
import { sniffPixelBytes } from '../../geo/annotations/pixel.js';
import { parsePixelBytes } from '../../geo/annotations/pixel-load.js';
import { comparePixelDatasets } from '../../geo/annotations/pixel-diff.js';
import { parseCrs } from '../../geo/annotations/crs-bridge.js';
import { changesToGeoJson } from '../../geo/annotations/changes-geojson.js';
import type { NamedLayer } from '../../geo/annotations/fingerprint.js';
import type { HashName } from '../odb/hash.js';

const VECTOR_EXT = /\.(geojson|json|shp|gpkg|fgb|xml)$/i;
const SIDECAR_EXT = ['.shx', '.dbf', '.prj', '.cpg', '.qix'];

/** A version of the repository files: paths are relative to the root, `/`-separated. */
export interface VersionSource {
  label: string;
  list(): string[];
  read(rel: string): Buffer | undefined;
  /** DVC-tracked directories whose `.dir` manifest is not in the local cache. */
  missingDirs?: string[];
}

function walkFiles(root: string, dir: string, out: string[]): void {
  let entries;
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const e of entries) {
    if (e.name === '.git' || e.name === '.dvc' || e.name === 'node_modules') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walkFiles(root, p, out);
    else if (e.isFile()) out.push(relative(root, p).split(sep).join('/'));
  }
}

export function workspaceSource(root: string): VersionSource {
  return {
    label: 'workspace',
    list() { const out: string[] = []; walkFiles(root, root, out); return out; },
    read(rel) { try { return readFileSync(join(root, rel)); } catch { return undefined; } },
  };
}

/**
 * Files of a git revision, plus the outputs tracked there (`.dvc` files and the `dvc.lock` of every
 * stage directory, from the one index in core/workspace/tracked.ts), read from the cache. `dvcRoot`
 * is the DVC repository inside the git work tree (default: its top); paths are git-root-relative.
 */
export function revisionSource(git: Git, rev: string, cacheDir: string | undefined, dvcRoot = git.root): VersionSource {
  const sha = git.revParse(rev);
  if (!sha) throw new UsageError(`unknown revision '${rev}'`, { hint: 'give a commit, branch or tag (`git log --oneline`)' });
  const files = git.listFiles(sha);
  const gitSet = new Set(files);
  const dvcObjects = new Map<string, { name: HashName; oid: string }>();
  const missingDirs: string[] = [];
  const prefix = toPosixRel(git.root, dvcRoot);
  for (const t of trackedOuts({ root: dvcRoot }, sha, git, { skipInvalid: true })) {
    const o = t.out;
    // an output kept out of the cache (`cache: false`) has no object to read
    if (!o.oid || !o.cache) continue;
    const outRel = prefix ? `${prefix}/${t.rel}` : t.rel;
    if (gitSet.has(outRel)) continue;
    if (o.oid.endsWith('.dir')) {
      if (!cacheDir) { missingDirs.push(outRel); continue; }
      let tree;
      try { tree = parseTree(readFileSync(objectPath(cacheDir, o.hashName, o.oid)), o.hashName, `${outRel} (.dir)`); } catch { missingDirs.push(outRel); continue; }
      for (const e of tree.entries) dvcObjects.set(`${outRel}/${e.relpath}`, { name: o.hashName, oid: e.oid });
    } else dvcObjects.set(outRel, { name: o.hashName, oid: o.oid });
  }
  return {
    label: rev,
    missingDirs,
    list: () => [...files, ...[...dvcObjects.keys()].filter((k) => !gitSet.has(k))],
    read(rel) {
      if (gitSet.has(rel)) return git.showFile(sha, rel);
      const o = dvcObjects.get(rel);
      if (!o) return undefined;
      if (!cacheDir) return undefined;
      try { return readFileSync(objectPath(cacheDir, o.name, o.oid)); } catch {
        throw new AppError('missing-cache', `${rel} at ${rev} is tracked by DVC but its object ${o.oid} is not in the cache`, 1, {
          hint: 'fetch it first (`geodvc fetch` / `dvc fetch` for that revision), then run the diff again',
        });
      }
    },
  };
}

function looksLikeGeoJson(buf: Buffer): boolean {
  const head = buf.subarray(0, 4096).toString('utf8');
  return /"type"\s*:\s*"(FeatureCollection|Feature|Polygon|MultiPolygon|Point|MultiPoint|LineString|MultiLineString|GeometryCollection)"/.test(head);
}

function sidecarsOf(rel: string, all: string[]): string[] {
  if (!/\.shp$/i.test(rel)) return [];
  const stem = rel.slice(0, -4);
  return all.filter((p) => p.length === stem.length + 4 && p.startsWith(stem) && SIDECAR_EXT.includes(p.slice(stem.length).toLowerCase()));
}

async function loadVersion(src: VersionSource, rel: string, all: string[], tmpRoot: string, tag: string): Promise<{ layers: NamedLayer[]; bytes: Buffer[] } | null> {
  const main = src.read(rel);
  if (!main) return null;
  const dir = join(tmpRoot, tag);
  mkdirSync(dir, { recursive: true });
  const bytes = [main];
  writeFileSync(join(dir, basename(rel)), main);
  for (const sc of sidecarsOf(rel, all)) {
    const b = src.read(sc);
    if (!b) continue;
    bytes.push(b);
    writeFileSync(join(dir, basename(sc)), b);
  }
  return { layers: await readAnnotationFile(join(dir, basename(rel)), rel), bytes };
}

export interface GeoDiffOptions extends OpContext {
  cwd: string;
  /** Positional arguments: up to two revisions first, then targets (paths). */
  args?: string[];
  tolerance?: string;
  crs?: string;
  idField?: string;
  classFields?: string[];
  ignoreFields?: string[];
  /** Write a GeoJSON FeatureCollection of the changes here. */
  geojsonOut?: string;
  listPrecisionOnly?: boolean;
  /** Compare these two files directly (no revisions). */
  files?: [string, string];
}

export interface GeoDiffSummary { files: Record<string, number>; added: number; removed: number; geometry: number; class: number; attributes: number; precisionOnly: number; issues: number }

export interface GeoDiffResult {
  old: string;
  new: string;
  tolerance: string;
  files: ReturnType<typeof serialisableDiff>[];
  summary: GeoDiffSummary;
  /** True when at least one file changed semantically. */
  semantic: boolean;
  geojson?: string;
}

function summarise(diffs: LayerDiff[]): GeoDiffSummary {
  const s: GeoDiffSummary = { files: {}, added: 0, removed: 0, geometry: 0, class: 0, attributes: 0, precisionOnly: 0, issues: 0 };
  for (const d of diffs) {
    s.files[d.status] = (s.files[d.status] ?? 0) + 1;
    s.added += d.counts.added; s.removed += d.counts.removed; s.geometry += d.counts.geometry;
    s.class += d.counts.class; s.attributes += d.counts.attributes; s.precisionOnly += d.counts.precisionOnly; s.issues += d.issues.length;
  }
  return s;
}

function identicalDiff(path: string, tolerance: string, unit = ''): LayerDiff {
  return {
    path, status: 'byte-identical', tolerance, unit, space: unit === 'px' ? 'native' : 'lonlat', features: [], issues: [],
    counts: { old: 0, new: 0, unchanged: 0, precisionOnly: 0, added: 0, removed: 0, geometry: 0, class: 0, attributes: 0 },
  };
}

/** Splits positional arguments into (up to two) revisions and targets. */
export function splitRevsAndTargets(git: Git | null, args: string[]): { revs: string[]; targets: string[] } {
  const revs: string[] = [];
  let i = 0;
  while (git && i < args.length && revs.length < 2 && git.revParse(args[i]!)) revs.push(args[i++]!);
  return { revs, targets: args.slice(i) };
}

/** The tolerance line of a result: the geo one, the pixel one, or both when both kinds were compared. */
function toleranceText(diffs: LayerDiff[], geo: Tolerance, px: Tolerance): string {
  const kinds = new Set(diffs.filter((d) => d.status !== 'byte-identical' || d.unit).map((d) => (d.unit === 'px' ? 'px' : 'geo')));
  if (kinds.size === 2) return `${geo.text}, ${px.text}`;
  return kinds.has('px') ? px.text : geo.text;
}

export async function geoDiff(opts: GeoDiffOptions): Promise<GeoDiffResult> {
  const tolerance = geoTolerance(parseTolerance(opts.tolerance));
  const pxTolerance = pixelTolerance(opts.tolerance);
  const pixelOpts = { tolerance: pxTolerance, listPrecisionOnly: opts.listPrecisionOnly };
  const diffOpts = {
    tolerance, assumeCrs: opts.crs ? parseCrs(opts.crs) : undefined, idField: opts.idField,
    classFields: opts.classFields, ignoreFields: opts.ignoreFields, listPrecisionOnly: opts.listPrecisionOnly,
  };
  const tmpRoot = mkdtempSync(join(tmpdir(), 'geodvc-geodiff-'));
  const diffs: LayerDiff[] = [];
  let oldLabel = '', newLabel = '';
  const finish = async (): Promise<GeoDiffResult> => {
    const result: GeoDiffResult = {
      old: oldLabel, new: newLabel, tolerance: toleranceText(diffs, tolerance, pxTolerance),
      files: diffs.map(serialisableDiff), summary: summarise(diffs),
      semantic: diffs.some((d) => d.status === 'semantic' || d.status === 'added' || d.status === 'removed'),
    };
    if (opts.geojsonOut) {
      const out = resolve(opts.cwd, opts.geojsonOut);
      await writeFileAtomic(out, changesToGeoJson(diffs));
      result.geojson = out;
    }
    return result;
  };
  try {
    if (opts.files) {
      const [fa, fb] = opts.files.map((f) => resolve(opts.cwd, f)) as [string, string];
      for (const f of [fa, fb]) { try { statSync(f); } catch { throw new AppError('not-found', `no such file: ${f}`, 1, { hint: 'give two existing annotation files' }); } }
      oldLabel = opts.files[0]; newLabel = opts.files[1];
      const ba = readFileSync(fa), bb = readFileSync(fb);
      const ka = sniffPixelBytes(ba, fa), kb = sniffPixelBytes(bb, fb);
      if (ka || kb) {
        if (!ka || !kb) {
          throw new UsageError(`${ka ? opts.files[1] : opts.files[0]} is not a COCO or Pascal VOC file while ${ka ? opts.files[0] : opts.files[1]} is`, { hint: 'compare image-space labels (COCO, VOC) with each other, and geographic labels (GeoJSON, GPKG, ...) with each other' });
        }
        const da = parsePixelBytes(ba, opts.files[0], ka), db = parsePixelBytes(bb, opts.files[1], kb);
        diffs.push(comparePixelDatasets(opts.files[1], da, db, pixelOpts, { signal: opts.signal, onProgress: opts.onProgress, bytesEqual: ba.equals(bb) }));
        return finish();
      }
      const la = await readAnnotationFile(fa, opts.files[0]);
      const lb = await readAnnotationFile(fb, opts.files[1]);
      const bytesEqual = readFileSync(fa).equals(readFileSync(fb));
      const n = Math.max(la.length, lb.length);
      for (let k = 0; k < n; k++) {
        const a = la[k] ?? null, b = lb[k] ?? null;
        diffs.push(await compareLayers(b?.path ?? a!.path, a, b, diffOpts, { signal: opts.signal, bytesEqual }));
      }
    } else {
      const git = Git.open(opts.cwd);
      const { revs, targets } = splitRevsAndTargets(git, opts.args ?? []);
      const root = git?.root ?? findRepoRoot(opts.cwd) ?? resolve(opts.cwd);
      if (!git && revs.length === 0 && (opts.args ?? []).length === 0) {
        throw new UsageError('geo diff needs a git repository to compare revisions', { hint: 'run it inside a git repository, or compare two files with --files A B' });
      }
      let cacheDir: string | undefined;
      // the DVC repository may sit in a subdirectory of the git work tree
      const found = findRepoRoot(opts.cwd);
      const dvcRoot = found && !relative(root, found).startsWith('..') ? found : root;
      try { cacheDir = openRepoSync(dvcRoot).cacheDir; } catch { cacheDir = undefined; }
      const srcA = git ? revisionSource(git, revs[0] ?? 'HEAD', cacheDir, dvcRoot) : null;
      if (!srcA) throw new UsageError('geo diff needs a git repository to compare revisions', { hint: 'compare two files with --files A B' });
      const srcB = revs[1] ? revisionSource(git!, revs[1], cacheDir, dvcRoot) : workspaceSource(root);
      oldLabel = srcA.label; newLabel = srcB.label;
      const targetRels = targets.map((t) => relative(root, resolve(opts.cwd, t)).split(sep).join('/'));
      for (const t of targetRels) if (t.startsWith('..')) throw new UsageError(`target '${t}' is outside the repository`, { hint: 'give paths inside the repository' });
      const inTargets = (p: string) => !targetRels.length || targetRels.some((t) => t === '' || p === t || p.startsWith(t.endsWith('/') ? t : `${t}/`));
      for (const src of [srcA, srcB]) {
        const miss = (src.missingDirs ?? []).filter((m) => inTargets(m) || targetRels.some((t) => m.startsWith(`${t}/`) || t.startsWith(`${m}/`) || t === m));
        if (miss.length) {
          throw new AppError('missing-cache', `${miss.join(', ')} at ${src.label} ${miss.length === 1 ? 'is a' : 'are'} DVC-tracked director${miss.length === 1 ? 'y' : 'ies'} whose .dir manifest is not in the cache`, 1, {
            hint: 'fetch that revision\'s data first (`geodvc fetch` / `dvc fetch --rev REV`), then run the diff again',
          });
        }
      }
      const listA = srcA.list(), listB = srcB.list();
      const candidates = [...new Set([...listA, ...listB])].filter((p) => VECTOR_EXT.test(p) && inTargets(p)).sort();
      let done = 0;
      for (const rel of candidates) {
        throwIfAborted(opts.signal);
        opts.onProgress?.({ phase: 'comparing annotations', done: done++, total: candidates.length, item: rel });
        if (/\.(json|xml)$/i.test(rel)) {
          const ra = srcA.read(rel), rb = srcB.read(rel);
          const probe = rb ?? ra;
          const pixelKind = probe ? sniffPixelBytes(probe, rel) ?? (ra ? sniffPixelBytes(ra, rel) : undefined) : undefined;
          if (pixelKind) {
            if (ra && rb && ra.equals(rb)) { diffs.push(identicalDiff(rel, pxTolerance.text, 'px')); continue; }
            const da = ra ? parsePixelBytes(ra, `${rel} (${srcA.label})`, pixelKind) : null;
            const db = rb ? parsePixelBytes(rb, `${rel} (${srcB.label})`, pixelKind) : null;
            diffs.push(comparePixelDatasets(rel, da, db, pixelOpts, { signal: opts.signal }));
            continue;
          }
          if (!probe || !/\.json$/i.test(rel) || !looksLikeGeoJson(probe)) continue;
        }
        const group = (src: VersionSource, all: string[]) => [rel, ...sidecarsOf(rel, all)].map((p) => src.read(p));
        const ga = group(srcA, listA), gb = group(srcB, listB);
        if (ga[0] && gb[0] && ga.length === gb.length && ga.every((b, k) => (b && gb[k] ? b.equals(gb[k]!) : b === gb[k]))) {
          diffs.push(identicalDiff(rel, tolerance.text));
          continue;
        }
        const tag = `v${done}`;
        const va = await loadVersion(srcA, rel, listA, tmpRoot, `${tag}a`);
        const vb = await loadVersion(srcB, rel, listB, tmpRoot, `${tag}b`);
        const bytesEqual = false;
        const la = va?.layers ?? [], lb = vb?.layers ?? [];
        const names = [...new Set([...la.map((l) => l.path), ...lb.map((l) => l.path)])];
        for (const name of names) {
          diffs.push(await compareLayers(name, la.find((l) => l.path === name) ?? null, lb.find((l) => l.path === name) ?? null, diffOpts, { signal: opts.signal, bytesEqual }));
        }
      }
      opts.onProgress?.({ phase: 'comparing annotations', done: candidates.length, total: candidates.length, finished: true });
    }
    return await finish();
  } finally {
    rmSync(tmpRoot, { recursive: true, force: true });
  }
}
