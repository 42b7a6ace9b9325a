/**
 * What the `geodvc ui` page shows, computed from the repository: revisions touching tracking
 * files, footprints (WGS 84) of the rasters and vector features tracked at a revision, a raster
 * preview PNG read from the cache, and helpers for the injected core/api functions (annotation
 * diff, experiments table, per-directory geo index) that this layer must not import itself.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { AppError, PathError, UsageError } from '../../lib/errors.js';
import { Git } from '../../core/scm/git.js';
import { trackedOuts as indexOuts, outsOfTrackingFile, type TrackedOut as IndexOut } from '../../core/workspace/tracked.js';
import { objectPath, isDirOid } from '../../core/odb/layout.js';
import { parseTree } from '../../core/odb/tree.js';
import { extractGeoMeta } from '../../geo/meta.js';
import { bboxToWgs84, rasterBounds, pixelToWorld } from '../../geo/crs/grid.js';
import { crsFromText, transformer, WGS84 } from '../../geo/crs/crs.js';
import { readAnnotationFile, isVectorFile } from '../../geo/annotations/load.js';
import { encodePng } from './png.js';
import { bandsToRgba } from './rgba.js';
import { splitBuffers, type BufferChip, type BufferFeature, type SplitFileInfo } from './split-buffer.js';

/** core/api functions the UI needs, injected by the CLI (core must not import core/api). */
export interface UiApi {
  readDirIndex(cacheDir: string, dirOid: string): Record<string, unknown> | undefined;
  buildDirIndex(cacheDir: string, dirOid: string, hashName: string): Promise<Record<string, unknown>>;
  /** Returns the GeoJSON FeatureCollection text of the annotation changes between two revisions. */
  annotationDiff(root: string, a: string, b: string): Promise<{ summary: unknown; geojson: unknown }>;
  experiments(root: string): unknown[];
}

export interface Revision { sha: string; short: string; date: string; subject: string }

export interface TrackedOut { outRel: string; oid: string; hashName: string; source: string; /** The dvc.lock stage that produces it. */ stage?: string }

export interface Footprint {
  type: 'Feature';
  geometry: { type: string; coordinates: unknown };
  properties: Record<string, unknown>;
}

const MAX_VECTOR_BYTES = 32 * 1024 * 1024;
const MAX_VECTOR_FEATURES = 20000;
const GEO_EXT = /\.(tiff?|vrt|geojson|json|gpkg|fgb|shp)$/i;

export function openGit(root: string): Git {
  const git = Git.open(root);
  if (!git) throw new UsageError(`${root} is not inside a git repository`, { hint: 'geodvc ui shows versions from git; run `git init` and commit the .dvc files' });
  return git;
}

/** Commits (newest first) that touch a `.dvc` file or `dvc.lock`. */
export function listRevisions(git: Git, max = 200): Revision[] {
  if (!git.hasCommits()) return [];
  const out = git.run(['log', `--max-count=${max}`, '--format=%H%x1f%cI%x1f%s%x1e', 'HEAD', '--', '*.dvc', 'dvc.lock', '**/dvc.lock']);
  return out.split('\x1e').map((s) => s.trim()).filter(Boolean).map((rec) => {
    const [sha, date, subject] = rec.split('\x1f');
    return { sha: sha!, short: sha!.slice(0, 7), date: date!, subject: subject ?? '' };
  });
}

export function resolveRev(git: Git, rev: string): string {
  const sha = git.revParse(rev);
  if (!sha) throw new UsageError(`unknown revision '${rev}'`, { hint: 'pick a revision from /api/revisions' });
  return sha;
}

/** The UI's view of one tracked output of the index (cached outputs with a hash only). */
function fromIndex(t: IndexOut): TrackedOut[] {
  if (!t.out.oid || t.out.cache === false) return [];
  return [{ outRel: t.rel, oid: t.out.oid, hashName: t.out.hashName, source: t.trackedBy, ...(t.stage ? { stage: t.stage } : {}) }];
}

/** Outs declared by one tracking file (`.dvc` or `dvc.lock`) at `sha`; `cache: false` outs are left out. */
function outsOf(git: Git, sha: string, f: string): TrackedOut[] {
  const text = git.showFile(sha, f)?.toString('utf8');
  if (text === undefined) return [];
  try { return outsOfTrackingFile(git.root, f, text).flatMap(fromIndex); } catch { return []; }
}

/** Outputs tracked at `sha`: `.dvc` files and `dvc.lock` stage outs (the tracked index, core/workspace/tracked.ts). */
export function trackedOuts(git: Git, sha: string): TrackedOut[] {
  return indexOuts({ root: git.root }, sha, git, { skipInvalid: true }).flatMap(fromIndex);
}

/**
 * Version of every file of an out at `sha`: the short sha of the oldest commit of the unbroken
 * run (going back through the commits that changed the tracking file) in which the file had its
 * current content. Looks back at most `maxCommits` commits; stops where a .dir manifest is
 * missing from the cache.
 */
export function fileVersions(git: Git, cacheDir: string, sha: string, out: TrackedOut, files: { rel: string; oid: string }[], maxCommits = 50): Map<string, string> {
  const commits = git.run(['log', `--max-count=${maxCommits}`, '--format=%H', sha, '--', out.source]).split('\n').filter(Boolean);
  const version = new Map<string, string>();
  if (!commits.length) { for (const f of files) version.set(f.rel, sha.slice(0, 7)); return version; }
  const open = new Map(files.map((f) => [f.rel, f.oid]));
  for (const f of files) version.set(f.rel, commits[0]!.slice(0, 7));
  for (const c of commits.slice(1)) {
    if (!open.size) break;
    const prev = outsOf(git, c, out.source).find((o) => o.outRel === out.outRel);
    const prevFiles = prev ? outFiles(cacheDir, prev) : [];
    if (!prevFiles) break;
    const byRel = new Map(prevFiles.map((f) => [f.rel, f.oid]));
    for (const [rel, oid] of [...open]) {
      if (byRel.get(rel) === oid) version.set(rel, c.slice(0, 7));
      else open.delete(rel);
    }
  }
  return version;
}

/** Files of an out: `[relpath, oid]` (a single file out gives one entry with its own path). */
function outFiles(cacheDir: string, out: TrackedOut): { rel: string; oid: string }[] | undefined {
  if (!isDirOid(out.oid)) return [{ rel: out.outRel, oid: out.oid }];
  const manifest = objectPath(cacheDir, out.hashName as any, out.oid);
  if (!existsSync(manifest)) return undefined;
  const tree = parseTree(readFileSync(manifest), out.hashName as any);
  return tree.entries.map((e) => ({ rel: `${out.outRel}/${e.relpath}`, oid: e.oid }));
}

function ringFromBounds(gt: number[], w: number, h: number, crs: ReturnType<typeof crsFromText>): number[][] | undefined {
  if (!crs) return undefined;
  let f: (xy: [number, number]) => [number, number];
  try { f = crs.epsg === 4326 ? (xy) => xy : transformer(crs, WGS84); } catch { return undefined; }
  const ring: number[][] = [];
  const n = 8;
  const edge = (px0: number, py0: number, px1: number, py1: number) => {
    for (let i = 0; i < n; i++) {
      const t = i / n;
      const [x, y] = pixelToWorld(gt, px0 + (px1 - px0) * t, py0 + (py1 - py0) * t);
      const p = f([x, y]);
      if (!Number.isFinite(p[0]) || !Number.isFinite(p[1])) return false;
      ring.push([p[0], p[1]]);
    }
    return true;
  };
  if (!edge(0, 0, w, 0) || !edge(w, 0, w, h) || !edge(w, h, 0, h) || !edge(0, h, 0, 0)) {
    const bb = bboxToWgs84(rasterBounds(gt, w, h), crs);
    if (!bb) return undefined;
    return [[bb[0], bb[1]], [bb[2], bb[1]], [bb[2], bb[3]], [bb[0], bb[3]], [bb[0], bb[1]]];
  }
  ring.push([...ring[0]!]);
  return ring;
}

/** Footprint feature of a raster from its compact metadata (`extractGeoMeta` / dir index). */
export function rasterFootprint(meta: any, props: Record<string, unknown>): Footprint | undefined {
  const gt = meta?.geotransform as number[] | undefined;
  const size = meta?.size as number[] | undefined;
  if (!gt || !size || typeof meta.crs !== 'string') return undefined;
  const ring = ringFromBounds(gt, size[0]!, size[1]!, crsFromText(meta.crs));
  if (!ring) return undefined;
  return { type: 'Feature', geometry: { type: 'Polygon', coordinates: [ring] }, properties: { ...props, kind: 'raster', crs: meta.crs, width: size[0], height: size[1], bands: meta.bands, dtype: meta.dtype, overviews: meta.overviews ?? 0 } };
}

function mapCoords(c: any, f: (xy: [number, number]) => [number, number]): any {
  if (typeof c?.[0] === 'number') { const p = f([c[0], c[1]]); return [p[0], p[1]]; }
  return Array.isArray(c) ? c.map((x) => mapCoords(x, f)) : c;
}

function reprojectGeometry(g: any, f: ((xy: [number, number]) => [number, number]) | null): any {
  if (!g) return null;
  if (!f) return g;
  if (g.type === 'GeometryCollection') return { type: g.type, geometries: (g.geometries ?? []).map((x: any) => reprojectGeometry(x, f)) };
  return { type: g.type, coordinates: mapCoords(g.coordinates, f) };
}

/** The feature's own attributes for popups: at most 24, values as short scalars. */
function attributesOf(p: Record<string, unknown>): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const [k, v] of Object.entries(p).slice(0, 24)) {
    out[k.slice(0, 64)] = v === null || typeof v === 'number' || typeof v === 'boolean' ? v : (typeof v === 'string' ? v : JSON.stringify(v) ?? '').slice(0, 200);
  }
  return out;
}

function linkNamed(obj: string, name: string, tmp: string): string {
  const p = join(tmp, `${Math.random().toString(36).slice(2)}-${name}`);
  symlinkSync(obj, p);
  return p;
}

export interface FootprintsResult {
  rev: string;
  features: Footprint[];
  versions: string[];
  splits: string[];
  missing: string[];
  /** The `geo split` files (splits.json) tracked at the revision: buffer, counts, dropped chips. */
  splitFiles: SplitFileInfo[];
  /** Buffer zones of those files around val/test chips (WGS 84; see split-buffer.ts). */
  buffers: BufferFeature[];
}

/**
 * Footprints at `sha` in WGS 84: one polygon per tracked raster (from the dir index or the file's
 * header), and the features of tracked vector files (chip indexes keep their `split`; a tracked
 * `splits.json` with `assignments` colours chips by `properties.chip`). Every feature carries
 * `path`, `out` and `version` (see `fileVersions`).
 */
export async function footprints(api: UiApi, git: Git, cacheDir: string, sha: string): Promise<FootprintsResult> {
  const outs = trackedOuts(git, sha);
  const features: Footprint[] = [];
  const missing: string[] = [];
  const assignments: Record<string, string> = {};
  const splitDocs: { path: string; out: string; doc: any }[] = [];
  const chipIndexes = new Map<string, BufferChip[]>();
  const tmp = mkdtempSync(join(tmpdir(), 'geodvc-ui-'));
  try {
    for (const out of outs) {
      // File outs that are not geodata (metrics, models) are not drawn, so not looked at.
      if (!isDirOid(out.oid) && !GEO_EXT.test(out.outRel) && basename(out.outRel) !== 'splits.json') continue;
      const files = outFiles(cacheDir, out);
      if (!files) { missing.push(out.outRel); continue; }
      const versions = fileVersions(git, cacheDir, sha, out, files);
      let index: Record<string, unknown> | undefined;
      if (isDirOid(out.oid)) {
        index = api.readDirIndex(cacheDir, out.oid);
        if (!index) { try { index = await api.buildDirIndex(cacheDir, out.oid, out.hashName); } catch { index = undefined; } }
      }
      for (const file of files) {
        const obj = objectPath(cacheDir, out.hashName as any, file.oid);
        const props = { path: file.rel, version: versions.get(file.rel), out: out.outRel, trackedBy: out.stage ? `${out.source}:${out.stage}` : out.source, ...(out.stage ? { stage: out.stage } : {}) };
        const sub = isDirOid(out.oid) ? file.rel.slice(out.outRel.length + 1) : undefined;
        const indexed = sub !== undefined ? index?.[sub] as any : undefined;
        if (indexed?.kind === 'raster') {
          const fp = rasterFootprint(indexed, props);
          if (fp) features.push(fp);
          continue;
        }
        if (/\.(tiff?|vrt)$/i.test(file.rel)) {
          if (!existsSync(obj)) { missing.push(file.rel); continue; }
          try {
            const meta = await extractGeoMeta(linkNamed(obj, basename(file.rel), tmp));
            const fp = meta?.kind === 'raster' ? rasterFootprint(meta, props) : undefined;
            if (fp) features.push(fp);
          } catch { /* unreadable rasters are `geo check`'s business */ }
          continue;
        }
        if (basename(file.rel) === 'splits.json' && existsSync(obj) && statSync(obj).size < MAX_VECTOR_BYTES) {
          try {
            const doc = JSON.parse(readFileSync(obj, 'utf8'));
            Object.assign(assignments, doc?.assignments ?? {});
            splitDocs.push({ path: file.rel, out: out.outRel, doc });
          } catch { /* not a split file */ }
          continue;
        }
        if (!GEO_EXT.test(file.rel)) continue;
        if (!existsSync(obj)) { if (!/\.json$/i.test(file.rel)) missing.push(file.rel); continue; }
        if (statSync(obj).size > MAX_VECTOR_BYTES) continue;
        const p = linkNamed(obj, basename(file.rel), tmp);
        if (!isVectorFile(p)) continue;
        try {
          const layers = await readAnnotationFile(p, file.rel);
          for (const { layer } of layers) {
            let f: ((xy: [number, number]) => [number, number]) | null = null;
            if (layer.crs && layer.crs.epsg !== 4326) { try { f = transformer(layer.crs, WGS84); } catch { continue; } }
            for (const feat of layer.features.slice(0, MAX_VECTOR_FEATURES)) {
              if (!feat.geometry) continue;
              const split = typeof feat.properties.split === 'string' ? feat.properties.split : undefined;
              const geometry = reprojectGeometry(feat.geometry, f);
              if (typeof feat.properties.chip === 'string') {
                let list = chipIndexes.get(file.rel);
                if (!list) chipIndexes.set(file.rel, list = []);
                list.push({ chip: feat.properties.chip, properties: feat.properties, geometry });
              }
              features.push({ type: 'Feature', geometry, properties: { ...props, kind: 'vector', id: feat.id ?? feat.index, chip: feat.properties.chip, split, class: feat.properties.class ?? feat.properties.label, attributes: attributesOf(feat.properties) } });
            }
          }
        } catch { /* unreadable vectors are reported by geo check */ }
      }
    }
  } finally { rmSync(tmp, { recursive: true, force: true }); }
  for (const f of features) {
    const chip = f.properties.chip;
    if (!f.properties.split && typeof chip === 'string' && assignments[chip]) f.properties.split = assignments[chip];
  }
  const splitFiles: SplitFileInfo[] = [];
  const buffers: BufferFeature[] = [];
  for (const s of splitDocs) {
    const r = splitBuffers(s.path, s.doc, chipIndexes, { out: s.out });
    if (!r) continue;
    splitFiles.push(r.info);
    buffers.push(...r.zones);
    const dropped = new Set(r.info.droppedChips);
    for (const f of features) if (typeof f.properties.chip === 'string' && dropped.has(f.properties.chip) && !f.properties.split) f.properties.dropped = true;
  }
  const versions = [...new Set(features.map((f) => String(f.properties.version)))];
  const splits = [...new Set(features.map((f) => f.properties.split).filter((s): s is string => typeof s === 'string'))].sort();
  return { rev: sha, features, versions, splits, missing, splitFiles, buffers };
}

/** Finds the object of a tracked file at `sha` (a file out, or a file inside a directory out). */
export function locateTracked(git: Git, cacheDir: string, sha: string, rel: string): { obj: string; oid: string } {
  for (const out of trackedOuts(git, sha)) {
    if (rel !== out.outRel && !rel.startsWith(out.outRel + '/')) continue;
    const files = outFiles(cacheDir, out);
    const hit = files?.find((f) => f.rel === rel);
    if (!hit) continue;
    const obj = objectPath(cacheDir, out.hashName as any, hit.oid);
    if (!existsSync(obj)) throw new PathError('missing-cache', `${rel}@${sha.slice(0, 7)} is not in the cache`, { hint: 'run `geodvc fetch --rev REV` (or `pull`) first' });
    return { obj, oid: hit.oid };
  }
  throw new PathError('not-tracked', `${rel} is not tracked at ${sha.slice(0, 7)}`, { hint: 'pick a footprint on the map' });
}

/**
 * A downsampled PNG of a raster file (at most `maxSize` pixels on the longer side): geotiff.js
 * picks the smallest overview that is at least that large, or decimates the full image. Bands
 * 1-3 as RGB when there are three or more, else band 1 as grey; 2-98 % stretch per band; nodata
 * and non-finite pixels transparent.
 */
export async function rasterPreview(absPath: string, maxSize = 256): Promise<{ png: Buffer; width: number; height: number; fromOverview: boolean }> {
  const { fromFile } = await import('geotiff');
  const tiff = await fromFile(absPath);
  try {
    const image = await tiff.getImage(0);
    const W = image.getWidth(), H = image.getHeight();
    const scale = Math.min(1, maxSize / Math.max(W, H));
    const width = Math.max(1, Math.round(W * scale)), height = Math.max(1, Math.round(H * scale));
    const bands = image.getSamplesPerPixel();
    const samples = bands >= 3 ? [0, 1, 2] : [0];
    const count = await tiff.getImageCount();
    const rasters = await tiff.readRasters({ samples, width, height, resampleMethod: 'nearest' }) as unknown as ArrayLike<number>[];
    const nd = image.getGDALNoData();
    const nodata = nd === null ? undefined : nd;
    const out = bandsToRgba(rasters.slice(0, samples.length), nodata, width * height);
    return { png: encodePng(width, height, 4, out), width, height, fromOverview: count > 1 && scale < 1 };
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError('preview-failed', `cannot render a preview: ${(e as Error).message}`, 1, { hint: 'the file may use a compression geotiff.js cannot decode; `geodvc geo check` tells more' });
  } finally {
    (tiff as any).close?.();
  }
}

export interface OutChange {
  out: string;
  stage?: string;
  status: 'added' | 'removed' | 'modified';
  /** For directory outs whose manifests are in the cache: files added, removed, modified. */
  files?: { added: number; removed: number; modified: number };
}

export interface TimelineEntry extends Revision { changes: OutChange[] }

/**
 * What changed per commit: for each revision of `listRevisions`, the tracked outputs added,
 * removed or modified against its first parent, with per-file counts for directories whose
 * `.dir` manifests are in the cache.
 */
export function timeline(git: Git, cacheDir: string, max = 50): TimelineEntry[] {
  const outsCache = new Map<string, TrackedOut[]>();
  const outsAt = (sha: string): TrackedOut[] => {
    let o = outsCache.get(sha);
    if (!o) { o = trackedOuts(git, sha); outsCache.set(sha, o); }
    return o;
  };
  return listRevisions(git, max).map((r) => {
    const cur = outsAt(r.sha);
    const parent = git.revParse(`${r.sha}^`);
    const prev = parent ? outsAt(parent) : [];
    const before = new Map(prev.map((o) => [o.outRel, o]));
    const changes: OutChange[] = [];
    for (const o of cur) {
      const p = before.get(o.outRel);
      before.delete(o.outRel);
      if (p && p.oid === o.oid) continue;
      const c: OutChange = { out: o.outRel, status: p ? 'modified' : 'added', ...(o.stage ? { stage: o.stage } : {}) };
      if (isDirOid(o.oid)) {
        const a = p ? outFiles(cacheDir, p) : [];
        const b = outFiles(cacheDir, o);
        if (a && b) {
          const old = new Map(a.map((f) => [f.rel, f.oid]));
          const files = { added: 0, removed: 0, modified: 0 };
          for (const f of b) {
            const was = old.get(f.rel);
            if (was === undefined) files.added++;
            else if (was !== f.oid) files.modified++;
            old.delete(f.rel);
          }
          files.removed = old.size;
          c.files = files;
        }
      }
      changes.push(c);
    }
    for (const p of before.values()) changes.push({ out: p.outRel, status: 'removed', ...(p.stage ? { stage: p.stage } : {}) });
    return { ...r, changes };
  });
}
