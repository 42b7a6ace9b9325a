/**
 * `pull --bbox`: which tracked rasters/vectors intersect an area. Footprints come from the `.dvc`
 * `meta` (file outputs), the per-directory geo index when it is in the cache, else from the TIFF
 * headers of the objects read by byte range on the remote (a few KiB per file, no whole download).
 * A file is selected when its footprint and the area overlap with a positive area, tested in the
 * file's own CRS (the area's corners, densified, are transformed into it).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../../lib/atomic.js';
import { resolve } from 'node:path';
import { UsageError } from '../../lib/errors.js';
import { mapLimit } from '../../lib/pool.js';
import type { OpContext } from '../../lib/progress.js';
import { throttledProgress } from '../../lib/progress.js';
import { openRepoSync, findRepoRoot } from '../repo/repo.js';
import { NotARepoError } from '../../lib/errors.js';
import { matchesTargets } from './used.js';
import { trackedOuts } from '../workspace/tracked.js';
import { objectPath, objectRelPath, isDirOid } from '../odb/layout.js';
import type { HashName } from '../odb/hash.js';
import { parseTree } from '../odb/tree.js';
import { getBuffer } from '../../storage/backend.js';
import { openRemote, type RemoteHandle } from '../transfer/remote.js';
import { isGeoFile, readDirIndex } from './geo-info.js';
import { crsFromText, transformer } from '../../geo/crs/crs.js';
import { pixelToWorld } from '../../geo/crs/grid.js';
import { RangeSource, backendReader, fileReader } from './open-source.js';
import { rasterGrid } from './read-window.js';

export interface BboxSelectOptions extends OpContext {
  cwd: string;
  targets?: string[];
  bbox: [number, number, number, number];
  /** CRS of the bbox (default EPSG:4326). */
  crs?: string;
  remote?: string;
  jobs?: number;
}

export interface BboxSelection {
  /** Repository-relative paths of the selected files (and their sidecars). */
  selected: string[];
  /** Geodata files considered. */
  considered: number;
  /** Files whose footprint could not be determined (not selected), with the reason. */
  unknown: { path: string; reason: string }[];
  /** How footprints were obtained: meta, index, header. */
  sources: Record<string, number>;
}

interface Footprint { crs: string; bounds: [number, number, number, number] }

function rasterFootprint(meta: Record<string, unknown>): Footprint | undefined {
  const gt = meta.geotransform as number[] | undefined, size = meta.size as number[] | undefined;
  if (!gt || !size || typeof meta.crs !== 'string') return undefined;
  return { crs: meta.crs, bounds: boundsOf(gt, size[0]!, size[1]!) };
}
function boundsOf(gt: number[], w: number, h: number): [number, number, number, number] {
  const pts = [pixelToWorld(gt, 0, 0), pixelToWorld(gt, w, 0), pixelToWorld(gt, 0, h), pixelToWorld(gt, w, h)];
  return [Math.min(...pts.map((p) => p[0])), Math.min(...pts.map((p) => p[1])), Math.max(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[1]))];
}
function metaFootprints(meta: Record<string, unknown> | undefined): Footprint[] | undefined {
  if (!meta) return undefined;
  if (meta.kind === 'raster') { const f = rasterFootprint(meta); return f ? [f] : undefined; }
  if (meta.kind === 'vector') {
    const fs = ((meta.layers ?? []) as { extent?: number[]; crs?: string }[]).filter((l) => l.extent && l.crs).map((l) => ({ crs: l.crs!, bounds: l.extent!.slice(0, 4) as [number, number, number, number] }));
    return fs.length ? fs : undefined;
  }
  return undefined;
}

/** The area, as a bbox in `crs`, overlaps `f` (positive area). */
function makeTester(bbox: [number, number, number, number], crsText: string): (f: Footprint) => boolean {
  const q = crsFromText(crsText);
  if (!q) throw new UsageError(`unknown CRS '${crsText}'`, { hint: 'use EPSG:n, e.g. --crs EPSG:4326' });
  const cache = new Map<string, [number, number, number, number] | null>();
  const [x0, y0, x1, y1] = bbox;
  return (f) => {
    let b = cache.get(f.crs);
    if (b === undefined) {
      const c = crsFromText(f.crs);
      if (!c) b = null;
      else if (c.epsg !== undefined && c.epsg === q.epsg) b = bbox;
      else {
        try {
          const t = transformer(q, c);
          const pts: [number, number][] = [];
          const n = 16;
          for (let i = 0; i <= n; i++) { const s = i / n; pts.push(t([x0 + s * (x1 - x0), y0]), t([x0 + s * (x1 - x0), y1]), t([x0, y0 + s * (y1 - y0)]), t([x1, y0 + s * (y1 - y0)])); }
          const ok = pts.filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
          b = ok.length ? [Math.min(...ok.map((p) => p[0])), Math.min(...ok.map((p) => p[1])), Math.max(...ok.map((p) => p[0])), Math.max(...ok.map((p) => p[1]))] : null;
        } catch { b = null; }
      }
      cache.set(f.crs, b);
    }
    if (!b) return false;
    return f.bounds[0] < b[2] && f.bounds[2] > b[0] && f.bounds[1] < b[3] && f.bounds[3] > b[1];
  };
}

export async function selectByBbox(o: BboxSelectOptions): Promise<BboxSelection> {
  const [x0, y0, x1, y1] = o.bbox;
  if (!(x1 > x0 && y1 > y0)) throw new UsageError(`--bbox ${o.bbox.join(',')} is empty (min >= max)`, { hint: '--bbox minx,miny,maxx,maxy' });
  const root = findRepoRoot(o.cwd);
  if (!root) throw new NotARepoError();
  const repo = openRepoSync(root);
  const test = makeTester(o.bbox, o.crs ?? 'EPSG:4326');
  const targets = o.targets?.length ? o.targets.map((t) => resolve(o.cwd, t)) : undefined;
  const res: BboxSelection = { selected: [], considered: 0, unknown: [], sources: {} };
  const count = (k: string) => { res.sources[k] = (res.sources[k] ?? 0) + 1; };
  let remote: RemoteHandle | undefined;
  const remoteFor = async () => (remote ??= await openRemote(repo, o.remote));
  const progress = throttledProgress(o.onProgress);
  try {
    for (const { out, trackedBy, rel: outRel } of trackedOuts(repo)) {
      const dvcfile = resolve(root, trackedBy);
      if (!out.cache || !out.oid || !matchesTargets(out.absPath, dvcfile, targets)) continue;
      if (!isDirOid(out.oid)) {
        if (!isGeoFile(outRel)) continue;
        res.considered++;
        const fps = metaFootprints(out.meta as Record<string, unknown> | undefined);
        if (!fps) { res.unknown.push({ path: outRel, reason: 'no geo meta in the .dvc file' }); continue; }
        count('meta');
        if (fps.some(test)) res.selected.push(outRel);
        continue;
      }
      const local = objectPath(repo.cacheDir, out.hashName, out.oid);
      let manifest: Uint8Array;
      if (existsSync(local)) manifest = readFileSync(local);
      else {
        // the manifest goes into the cache (verified), so the fetch that follows expands only the selected files
        manifest = await getBuffer((await remoteFor()).backend, objectRelPath(out.hashName, out.oid), { signal: o.signal });
        const want = out.oid.replace(/\.dir$/, '');
        if (out.hashName.startsWith('md5') && createHash('md5').update(manifest).digest('hex') === want) writeFileAtomicSync(local, manifest, { mode: 0o444 });
      }
      const tree = parseTree(manifest, out.hashName);
      const index = readDirIndex(repo.cacheDir, out.oid);
      const entries = tree.entries.filter((e) => isGeoFile(e.relpath) && matchesTargets(`${out.absPath}/${e.relpath}`, dvcfile, targets));
      const hit = new Set<string>();
      let done = 0;
      await mapLimit(entries, o.jobs ?? 16, async (e) => {
        const p = `${outRel}/${e.relpath}`;
        res.considered++;
        let fps = metaFootprints(index?.[e.relpath] as Record<string, unknown> | undefined);
        if (fps) count('index');
        else if (/\.tiff?$/i.test(e.relpath)) {
          try { fps = await headerFootprint(out.hashName, e.oid, repo.cacheDir, remoteFor, o.signal); if (fps) count('header'); } catch (err) { res.unknown.push({ path: p, reason: (err as Error).message }); return; }
        }
        progress({ phase: 'footprints', done: ++done, total: entries.length, item: p });
        if (!fps) { res.unknown.push({ path: p, reason: 'no footprint (not georeferenced, or a vector outside the geo index: run `geodvc geo info DIR` once with the data)' }); return; }
        if (fps.some(test)) hit.add(e.relpath);
      }, o.signal);
      // companions of selected files: same stem (Shapefile sidecars, .aux.xml, .ovr), <name>.metadata.yaml, the folder's metadata.yaml
      const stem = (r: string) => r.replace(/\.[^./]*$/, '').toLowerCase();
      const stems = new Set([...hit].map(stem));
      const folders = new Set([...hit].map((r) => (r.includes('/') ? r.slice(0, r.lastIndexOf('/') + 1) : '')));
      for (const e of tree.entries) {
        const r = e.relpath;
        if (hit.has(r) || stems.has(stem(r)) || [...hit].some((h) => r.startsWith(`${h}.`)) || (r.endsWith('metadata.yaml') && folders.has(r.slice(0, r.length - 'metadata.yaml'.length)))) res.selected.push(`${outRel}/${r}`);
      }
    }
  } finally { if (remote) await remote.backend.close().catch(() => {}); }
  progress({ phase: 'footprints', finished: true });
  res.selected.sort();
  res.unknown.sort((a, b) => (a.path < b.path ? -1 : 1));
  return res;
}

async function headerFootprint(hashName: HashName, oid: string, cacheDir: string, remoteFor: () => Promise<RemoteHandle>, signal?: AbortSignal): Promise<Footprint[] | undefined> {
  const local = objectPath(cacheDir, hashName, oid);
  const reader = existsSync(local) ? fileReader(local) : backendReader((await remoteFor()).backend, objectRelPath(hashName, oid));
  const source = new RangeSource(reader, { blockSize: 16 << 10, cacheBlocks: 16, concurrency: 2 });
  try {
    const g = await import('geotiff');
    const tiff = await (g as any).GeoTIFF.fromSource(source, {}, signal);
    const grid = await rasterGrid({ tiff, source, from: '', close: async () => {} });
    if (grid.epsg === undefined) return undefined;
    return [{ crs: `EPSG:${grid.epsg}`, bounds: boundsOf(grid.gt, grid.width, grid.height) }];
  } finally { await source.close(); }
}
