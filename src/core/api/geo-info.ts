/**
 * `geo info`: metadata of workspace paths, or of tracked paths at a git revision read from the
 * cache (the `.dvc` file through git, the object through the cache layout). Tracked directories
 * get a per-file index `.dvc/cache/geo/<dir-oid>.json` (keyed by the `.dir` manifest's oid, so it
 * is valid forever), so `geo info` of 100,000 chips reads one JSON file and no rasters.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { AppError, PathError, UsageError } from '../../lib/errors.js';
import { writeFileAtomicSync as writeAtomic } from '../../lib/atomic.js';
import type { OpContext } from '../../lib/progress.js';
import { throttledProgress } from '../../lib/progress.js';
import { readRasterInfo, sniffRaster, type RasterInfo } from '../../geo/raster/info.js';
import { cornerCoordinates } from '../../geo/crs/grid.js';
import { readVectorInfo, type VectorInfo } from '../../geo/vector/info.js';
import { looksLikeGeoJson } from '../../geo/vector/geojson.js';
import { extractGeoMeta } from '../../geo/meta.js';
import { griddedFormat, parseSubdatasetName } from '../../geo/gridded/source.js';
import type { GriddedInfo } from '../../geo/gridded/info.js';
import { findRepoRoot, openRepoSync } from '../repo/repo.js';
import { Git } from '../scm/git.js';
import { objectPath, isDirOid } from '../odb/layout.js';
import { parseTree } from '../odb/tree.js';
import type { PointCloudInfo } from '../../geo/pointcloud/info.js';
import { looksLikeVector, sniffFormat } from '../../geo/sniff.js';

export interface GeoInfoItem {
  path: string;
  kind: 'raster' | 'vector' | 'gridded' | 'pointcloud';
  /** Full reader output (workspace/cache reads). */
  info?: RasterInfo | VectorInfo | GriddedInfo | PointCloudInfo;
  /** Compact metadata (from the directory index). */
  meta?: unknown;
  source: 'workspace' | 'cache' | 'index';
  error?: { code: string; message: string };
}

export interface GeoInfoOptions extends OpContext {
  cwd: string;
  paths: string[];
  rev?: string;
  /** Use (and build) the per-directory index for tracked directories (default true). */
  useIndex?: boolean;
  /** Gridded files (NetCDF/HDF5/Zarr): describe this variable in the raster fields. */
  variable?: string;
  /** Point clouds: count the points per classification (decodes every point; cheap files get it anyway). */
  classes?: boolean;
}

const SKIP_DIRS = new Set(['.git', '.dvc', 'node_modules']);
const UNREADABLE_HINT = 'check the file with `geodvc geo check PATH`';

export function isGeoFile(p: string): boolean {
  const ext = extname(p).toLowerCase();
  if (['.tif', '.tiff', '.vrt', '.gtiff'].includes(ext)) return true;
  // gridded files GDAL reads natively (src/geo/gridded)
  if (['.jp2', '.j2k', '.nc', '.nc4', '.h5', '.hdf5', '.he5'].includes(ext)) return true;
  // point clouds (src/geo/pointcloud)
  if (ext === '.las' || ext === '.laz') return true;
  return looksLikeVector(p);
}

/** Like isGeoFile, but a `.json` file must look like GeoJSON (metrics and params files are not). */
export function isGeoData(absPath: string): boolean {
  if (!isGeoFile(absPath)) return false;
  return extname(absPath).toLowerCase() === '.json' ? looksLikeGeoJson(absPath) : true;
}

/** Lists geodata files under a directory (sorted, posix relative paths). */
export function listGeoFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.isDirectory()) { if (!SKIP_DIRS.has(e.name)) walk(join(d, e.name)); }
      else if (isGeoData(join(d, e.name))) out.push(join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

async function readOne(absPath: string, displayPath: string, source: GeoInfoItem['source'], variable?: string, classes = false): Promise<GeoInfoItem> {
  if (parseSubdatasetName(absPath) || griddedFormat(absPath)) {
    try {
      const { readGriddedInfo } = await import('../../geo/gridded/info.js');
      return { path: displayPath, kind: 'gridded', info: readGriddedInfo(absPath, { variable }), source };
    } catch (e) {
      const err = e instanceof AppError ? e : new AppError('unreadable', (e as Error).message, 1, { hint: UNREADABLE_HINT });
      return { path: displayPath, kind: 'gridded', source, error: { code: err.code, message: err.message } };
    }
  }
  let isPointCloud = false;
  try { isPointCloud = sniffFormat(absPath) === 'las'; } catch { /* reported below */ }
  if (isPointCloud || /\.la[sz]$/i.test(absPath)) {
    try {
      const { readPointCloudInfo } = await import('../../geo/pointcloud/info.js');
      return { path: displayPath, kind: 'pointcloud', info: await readPointCloudInfo(absPath, { classes }), source };
    } catch (e) {
      const err = e instanceof AppError ? e : new AppError('unreadable', `${basename(absPath)}: ${(e as Error).message}`, 1, { hint: UNREADABLE_HINT });
      return { path: displayPath, kind: 'pointcloud', source, error: { code: err.code, message: err.message } };
    }
  }
  let isRaster = false;
  try { isRaster = !!sniffRaster(absPath); } catch { /* reported below */ }
  // named like a raster (.tif/.vrt): the raster reader says what the content is not
  if (!isRaster && /\.(tiff?|gtiff|vrt)$/i.test(absPath)) isRaster = true;
  try {
    if (isRaster) {
      const info = await readRasterInfo(absPath);
      info.cornerCoordinates = cornerCoordinates(info.size, info.geoTransform);
      return { path: displayPath, kind: 'raster', info, source };
    }
    return { path: displayPath, kind: 'vector', info: await readVectorInfo(absPath), source };
  } catch (e) {
    const err = e instanceof AppError ? e : new AppError('unreadable', (e as Error).message, 1, { hint: UNREADABLE_HINT });
    return { path: displayPath, kind: isRaster ? 'raster' : 'vector', source, error: { code: err.code, message: err.message } };
  }
}

/** The index file for a tracked directory: `<cache>/geo/<oid>.json` (oid with its `.dir`). */
export function geoIndexPath(cacheDir: string, dirOid: string): string {
  return join(cacheDir, 'geo', `${dirOid}.json`);
}

interface TrackedOut { dvcRel: string; outRel: string; oid: string; hashName: string }

/**
 * A finder of the output tracking a path (itself or a directory around it; `.dvc` files and
 * dvc.lock outs) at `rev` or in the workspace, over one index. Loaded on demand: the index and the
 * YAML parser behind it are needed only for paths inside a repository.
 */
async function trackingFinder(repo: { root: string }, rev: string | undefined, git: Git | null): Promise<(rel: string) => TrackedOut | undefined> {
  const { findTracked, trackedOuts } = await import('../workspace/tracked.js');
  const outs = trackedOuts(repo, rev ?? 'workspace', git);
  return (rel) => {
    const hit = findTracked(outs, rel);
    return hit && { dvcRel: hit.tracked.trackedBy, outRel: hit.tracked.rel, oid: hit.tracked.out.oid, hashName: hit.tracked.out.hashName };
  };
}

/** A temporary file name with the original extension (vector readers need it) linked to an object. */
function withName(objPath: string, name: string, tmp: string): string {
  const p = join(tmp, `${Math.random().toString(36).slice(2)}-${name}`);
  symlinkSync(objPath, p);
  return p;
}

export async function buildDirIndex(cacheDir: string, dirOid: string, hashName: string, onProgress?: OpContext['onProgress']): Promise<Record<string, unknown>> {
  const manifest = objectPath(cacheDir, hashName as any, dirOid);
  if (!existsSync(manifest)) throw new PathError('missing-cache', `the .dir manifest ${dirOid} is not in the cache`, { hint: 'run `geodvc fetch` (or `pull`) first' });
  const tree = parseTree(readFileSync(manifest), hashName as any);
  const tmp = mkdtempSync(join(tmpdir(), 'geodvc-geo-'));
  const index: Record<string, unknown> = {};
  const progress = throttledProgress(onProgress);
  try {
    const geo = tree.entries.filter((e) => isGeoFile(e.relpath));
    // Entries are materialised as symlinks at their relative paths, with their companions
    // (Shapefile sidecars sharing the stem, `<name>.metadata.yaml`, the folder's `metadata.yaml`).
    const byPath = new Map(tree.entries.map((e) => [e.relpath, e]));
    const byStem = new Map<string, string[]>();
    const stemOf = (rel: string) => rel.replace(/\.[^./]*$/, '').toLowerCase();
    for (const e of tree.entries) { const k = stemOf(e.relpath); byStem.set(k, [...(byStem.get(k) ?? []), e.relpath]); }
    const linked = new Set<string>();
    const link = (rel: string): string | undefined => {
      const e = byPath.get(rel);
      if (!e) return undefined;
      const obj = objectPath(cacheDir, hashName as any, e.oid);
      if (!existsSync(obj)) return undefined;
      const p = join(tmp, ...rel.split('/'));
      if (!linked.has(rel)) { mkdirSync(dirname(p), { recursive: true }); symlinkSync(obj, p); linked.add(rel); }
      return p;
    };
    let done = 0;
    for (const e of geo) {
      const p = link(e.relpath);
      if (p) {
        const dirRel = e.relpath.includes('/') ? e.relpath.slice(0, e.relpath.lastIndexOf('/') + 1) : '';
        for (const c of byStem.get(stemOf(e.relpath)) ?? []) link(c);
        link(`${e.relpath}.metadata.yaml`);
        link(`${dirRel}metadata.yaml`);
        try { const m = await extractGeoMeta(p); if (m) index[e.relpath] = m; } catch { /* unreadable files are reported by geo check */ }
      }
      progress({ phase: 'indexing', done: ++done, total: geo.length, item: e.relpath });
    }
    progress({ phase: 'indexing', done, total: geo.length, finished: true });
  } finally { rmSync(tmp, { recursive: true, force: true }); }
  const file = geoIndexPath(cacheDir, dirOid);
  mkdirSync(dirname(file), { recursive: true });
  writeAtomic(file, JSON.stringify({ version: 1, dir: dirOid, files: index }));
  return index;
}

export function readDirIndex(cacheDir: string, dirOid: string): Record<string, unknown> | undefined {
  const f = geoIndexPath(cacheDir, dirOid);
  if (!existsSync(f)) return undefined;
  try { return JSON.parse(readFileSync(f, 'utf8')).files; } catch { return undefined; }
}

export async function geoInfo(opts: GeoInfoOptions): Promise<GeoInfoItem[]> {
  if (!opts.paths.length) throw new UsageError('geo info needs at least one path', { hint: 'geodvc geo info data/scene.tif' });
  const root = findRepoRoot(opts.cwd);
  const repo = root ? openRepoSync(root) : undefined;
  const git = root ? Git.open(root) : null;
  if (opts.rev && !repo) throw new UsageError('--rev needs a geodvc/DVC repository', { hint: 'run the command inside the repository' });
  if (opts.rev && !git) throw new UsageError('--rev needs a git repository', { hint: 'initialise git, or omit --rev' });
  const items: GeoInfoItem[] = [];
  const progress = throttledProgress(opts.onProgress);
  let findTracking: ((rel: string) => TrackedOut | undefined) | undefined;
  for (const p of opts.paths) {
    // a GDAL subdataset name (NETCDF:"f.nc":var, HDF5:"f.h5"://path) names one variable of a file
    const sub = parseSubdatasetName(p, opts.cwd);
    if (sub && !opts.rev) { items.push(await readOne(p.replace(/^(\w+):(?:"([^"]+)"|([^:]+))/, (_m, pre) => `${pre}:"${sub.file}"`), p, 'workspace', opts.variable)); continue; }
    const abs = resolve(opts.cwd, p);
    const rel = repo ? relative(repo.root, abs).split(sep).join('/') : p;
    const inRepo = repo !== undefined && !rel.startsWith('..');
    if (inRepo) findTracking ??= await trackingFinder(repo, opts.rev, git);
    const tracked = inRepo ? findTracking?.(rel) : undefined;
    if (opts.rev) {
      if (!tracked) throw new PathError('not-tracked', `${p} is not tracked at revision ${opts.rev}`, { hint: 'check the path and the revision (`git log -- PATH.dvc`)' });
      if (!isDirOid(tracked.oid)) {
        const obj = objectPath(repo!.cacheDir, tracked.hashName as any, tracked.oid);
        if (!existsSync(obj)) throw new PathError('missing-cache', `${p}@${opts.rev}: object ${tracked.oid} is not in the cache`, { hint: 'run `geodvc fetch --rev REV` (or `pull`) first' });
        const tmp = mkdtempSync(join(tmpdir(), 'geodvc-geo-'));
        try { items.push({ ...(await readOne(withName(obj, basename(rel), tmp), p, 'cache')) }); } finally { rmSync(tmp, { recursive: true, force: true }); }
        continue;
      }
    }
    if (tracked && isDirOid(tracked.oid) && opts.useIndex !== false && (opts.rev || tracked.outRel === rel || (existsSync(abs) && statSync(abs).isDirectory()))) {
      let index = readDirIndex(repo!.cacheDir, tracked.oid);
      if (!index) index = await buildDirIndex(repo!.cacheDir, tracked.oid, tracked.hashName, opts.onProgress);
      const prefix = rel === tracked.outRel ? '' : rel.slice(tracked.outRel.length + 1) + '/';
      const single = prefix && index[prefix.slice(0, -1)];
      if (single) { items.push({ path: p, kind: (single as any).kind, meta: single, source: 'index' }); continue; }
      for (const [k, v] of Object.entries(index)) if (!prefix || k.startsWith(prefix)) items.push({ path: `${tracked.outRel}/${k}`, kind: (v as any).kind, meta: v, source: 'index' });
      continue;
    }
    if (!existsSync(abs)) throw new PathError('not-found', `${p} does not exist`, { hint: opts.rev ? 'check the path' : 'check the path, or pass --rev to read a tracked path at a git revision' });
    if (statSync(abs).isDirectory() && griddedFormat(abs) === 'zarr') { items.push(await readOne(abs, p, 'workspace', opts.variable)); continue; }
    if (statSync(abs).isDirectory()) {
      const files = listGeoFiles(abs);
      let done = 0;
      for (const f of files) {
        items.push(await readOne(f, relative(opts.cwd, f).split(sep).join('/'), 'workspace', undefined, opts.classes));
        progress({ phase: 'reading', done: ++done, total: files.length, item: f });
      }
    } else items.push(await readOne(abs, p, 'workspace', opts.variable, opts.classes));
  }
  progress({ phase: 'reading', finished: true });
  return items;
}
