/**
 * `geo stac`: publish tracked rasters and vector label sets as a STAC Catalog + Collection + Items
 * (src/geo/stac), at the workspace or at a git revision, without reading rasters when the `.dvc`
 * `meta` or the per-directory geo index already has the metadata.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, posix, relative, resolve, sep } from 'node:path';
import { AppError, NotARepoError, UsageError } from '../../lib/errors.js';
import { writeFileAtomicSync } from '../../lib/atomic.js';
import { throttledProgress, type OpContext } from '../../lib/progress.js';
import { findRepoRoot, openRepoSync, type Repo } from '../repo/repo.js';
import { Git } from '../scm/git.js';
import { trackedOuts } from '../workspace/tracked.js';
import { objectPath, isDirOid } from '../odb/layout.js';
import { parseTree } from '../odb/tree.js';
import { buildDirIndex, readDirIndex, isGeoFile } from './geo-info.js';
import { extractGeoMeta } from '../../geo/meta.js';
import { buildCatalog, buildCollection, buildItem, footprintFromBoundary, itemId, type Footprint, type Json, type StacSource } from '../../geo/stac/stac.js';
import { engineKind, loadNativeGdal } from '../../geo/engine/native.js';
import { nativeLonLatBoundary } from '../../geo/engine/info.js';
import { validateStac, type StacProblem } from '../../geo/stac/validate.js';
import { verifyDecodable, type VerifyInput } from '../../geo/export/verify.js';

export interface StacOptions extends OpContext {
  cwd: string;
  targets?: string[];
  output: string;
  rev?: string;
  hrefBase?: string;
  validate?: boolean;
  collectionId?: string;
  /**
   * Decode every block of every tracked raster through GDAL before writing (default true): one
   * GDAL cannot fully decode fails the command (file and tile/strip named), nothing is written.
   * `false` (`--no-verify`) skips it.
   */
  verify?: boolean;
}

export interface StacResult {
  output: string;
  catalog: string;
  collection: string;
  items: { id: string; path: string; file: string }[];
  skipped: { path: string; reason: string }[];
  problems: (StacProblem & { file: string })[];
}

interface TrackedFile { path: string; oid?: string; hashName: string; size?: number; meta?: Json; dvcRel: string; objAbs?: string; wsAbs: string }

/** Every tracked geodata file (with its object hash and meta) selected by the targets. */
async function collect(repo: Repo, git: Git | null, o: StacOptions, skipped: StacResult['skipped']): Promise<TrackedFile[]> {
  const targets = (o.targets ?? []).map((t) => relative(repo.root, resolve(o.cwd, t)).split(sep).join('/').replace(/\.dvc$/, '').replace(/\/$/, ''));
  for (const t of targets) if (t.startsWith('..')) throw new UsageError(`${t} is outside the repository`, { hint: 'pass paths inside the repository' });
  const files: TrackedFile[] = [];
  // The tracked index: every .dvc file and every dvc.lock (stage outputs too), at the workspace or at --rev.
  const onSkip = (f: string) => skipped.push({ path: f, reason: f.endsWith('dvc.lock') ? 'invalid dvc.lock' : 'invalid .dvc file' });
  const tracked = trackedOuts(repo, o.rev ?? 'workspace', git, { skipInvalid: true, onSkip });
  tracked.sort((x, y) => (x.trackedBy < y.trackedBy ? -1 : x.trackedBy > y.trackedBy ? 1 : 0));
  for (const { out, rel: outRel, trackedBy: dvcRel } of tracked) {
    const sel = (p: string) => !targets.length || targets.some((t) => t === '' || p === t || p.startsWith(`${t}/`) || t.startsWith(`${outRel}/`) && p === t);
    if (!out.oid) continue;
    if (isDirOid(out.oid)) {
      if (targets.length && !targets.some((t) => t === '' || outRel === t || outRel.startsWith(`${t}/`) || t.startsWith(`${outRel}/`))) continue;
      const manifest = objectPath(repo.cacheDir, out.hashName, out.oid);
      if (!existsSync(manifest)) { skipped.push({ path: outRel, reason: `the .dir manifest ${out.oid} is not in the cache (run geodvc fetch)` }); continue; }
      const tree = parseTree(readFileSync(manifest), out.hashName);
      const index = readDirIndex(repo.cacheDir, out.oid) ?? await buildDirIndex(repo.cacheDir, out.oid, out.hashName, o.onProgress);
      for (const e of tree.entries) {
        const p = `${outRel}/${e.relpath}`;
        if (!isGeoFile(e.relpath) || !sel(p)) continue;
        const obj = objectPath(repo.cacheDir, out.hashName, e.oid);
        const meta = index[e.relpath] as Json | undefined;
        if (!meta) { skipped.push({ path: p, reason: 'no geo metadata (unreadable, or the object is not in the cache)' }); continue; }
        files.push({ path: p, oid: e.oid, hashName: out.hashName, size: e.size ?? (existsSync(obj) ? statSync(obj).size : undefined), meta, dvcRel, objAbs: obj, wsAbs: join(repo.root, p) });
      }
    } else {
      if (!sel(outRel) || !isGeoFile(outRel)) continue;
      const obj = objectPath(repo.cacheDir, out.hashName, out.oid);
      files.push({ path: outRel, oid: out.oid, hashName: out.hashName, size: out.size, meta: (out.meta && typeof out.meta === 'object' ? out.meta : undefined) as Json | undefined, dvcRel, objAbs: obj, wsAbs: out.absPath });
    }
  }
  // files without `meta` (added before the meta hook existed): read the cache object, else the workspace file
  for (const f of files) {
    if (f.meta) continue;
    const src = f.objAbs && existsSync(f.objAbs) ? f.objAbs : !o.rev && existsSync(f.wsAbs) ? f.wsAbs : undefined;
    if (!src) continue;
    const tmp = mkdtempSync(join(tmpdir(), 'geodvc-stac-'));
    try {
      const p = join(tmp, basename(f.path));
      symlinkSync(src, p);
      f.meta = (await extractGeoMeta(p).catch(() => undefined)) as Json | undefined;
    } finally { rmSync(tmp, { recursive: true, force: true }); }
  }
  return files.filter((f) => {
    if (f.meta) return true;
    skipped.push({ path: f.path, reason: 'no geo metadata and the data is not in the cache' });
    return false;
  });
}

/**
 * Raster footprints computed by native GDAL/PROJ from the data (datum grids, CRSs without an EPSG
 * code, feet), when the native engine is installed and the bytes are at hand: the cache object,
 * else (workspace runs, and always for VRTs, whose sources are relative) the workspace file.
 */
function nativeFootprints(files: TrackedFile[], atRev: boolean): Map<string, Footprint> {
  const out = new Map<string, Footprint>();
  if (!files.some((f) => f.meta?.kind === 'raster')) return out;
  let native = false;
  try { native = engineKind({ load: true }) === 'native'; } catch { native = false; }
  if (!native) return out;
  for (const f of files) {
    if (f.meta?.kind !== 'raster') continue;
    const vrt = /\.vrt$/i.test(f.path);
    const src = !vrt && f.objAbs && existsSync(f.objAbs) ? f.objAbs : !atRev && existsSync(f.wsAbs) ? f.wsAbs : undefined;
    if (!src) continue;
    let b;
    try { b = nativeLonLatBoundary(src); } catch { b = undefined; }
    const fp = (b && footprintFromBoundary(b)) || gcpFootprint(src);
    if (fp) out.set(f.path, fp);
  }
  return out;
}

/**
 * Decode check of the tracked rasters (src/geo/export/verify.ts) before any STAC document is
 * written: a raster GDAL cannot fully decode fails the command, naming it and the tile/strip.
 * Cache objects are read through a link named like the tracked file (GDAL picks some drivers by
 * extension). An object that passed is remembered in `.dvc/tmp/geodvc-verified/` (its hash, size
 * and mtime) and not decoded again; workspace files (VRTs, `--rev`-less runs without the object)
 * are decoded every time.
 */
async function verifyTracked(repo: Repo, files: TrackedFile[], atRev: boolean, o: StacOptions): Promise<void> {
  const memoDir = join(repo.tmpDir, 'geodvc-verified');
  const inputs: VerifyInput[] = [];
  const memos: { file: string; stamp: string }[] = [];
  const links = mkdtempSync(join(tmpdir(), 'geodvc-stac-verify-'));
  try {
    for (const f of files) {
      // rasters, and gridded files (JPEG2000 bands, NetCDF/HDF5 variables) GDAL reads
      if (f.meta?.kind !== 'raster' && f.meta?.kind !== 'gridded') continue;
      const vrt = /\.vrt$/i.test(f.path);
      if (!vrt && f.objAbs && existsSync(f.objAbs)) {
        const st = statSync(f.objAbs);
        const stamp = `${st.size}:${Math.round(st.mtimeMs)}`;
        const memo = f.oid ? join(memoDir, `${f.hashName}-${f.oid}`) : undefined;
        if (memo && existsSync(memo) && readFileSync(memo, 'utf8') === stamp) continue;
        const link = join(links, `${inputs.length}-${basename(f.path)}`);
        symlinkSync(f.objAbs, link);
        inputs.push({ path: link, name: f.path });
        if (memo) memos.push({ file: memo, stamp });
      } else if (!atRev && existsSync(f.wsAbs)) {
        inputs.push({ path: f.wsAbs, name: f.path });
      }
    }
    await verifyDecodable(inputs, { signal: o.signal, onProgress: o.onProgress, what: 'the STAC catalog' });
  } finally { rmSync(links, { recursive: true, force: true }); }
  if (!memos.length) return;
  try {
    mkdirSync(memoDir, { recursive: true });
    for (const m of memos) writeFileAtomicSync(m.file, m.stamp);
  } catch { /* only a cache: the next run decodes again */ }
}

let gcpVsi = 0;
/**
 * Footprint of a raster georeferenced by GCPs only (no geotransform): the lon/lat extent gdalwarp
 * gives it (`gdalwarp -t_srs EPSG:4326`, GDAL's GCP transformer), as a rectangle. Undefined
 * without GCPs or when GDAL cannot warp it.
 */
function gcpFootprint(src: string): Footprint | undefined {
  const gdal = loadNativeGdal() as any;
  if (!gdal) return undefined;
  let ds: any;
  try { ds = gdal.open(src); } catch { return undefined; }
  const vsi = `/vsimem/geodvc-stac-gcp-${process.pid}-${gcpVsi++}.vrt`;
  try {
    let hasGt = true;
    try { hasGt = !!ds.geoTransform; } catch { hasGt = false; }
    if (hasGt || ds.getGCPs().length < 3) return undefined;
    const w = gdal.warp(vsi, null, [ds], ['-of', 'VRT', '-t_srs', 'EPSG:4326']);
    const gt = w.geoTransform as number[], nx = w.rasterSize.x as number, ny = w.rasterSize.y as number;
    w.close();
    const xs = [gt[0]!, gt[0]! + nx * gt[1]!], ys = [gt[3]!, gt[3]! + ny * gt[5]!];
    const r = (v: number) => Math.round(v * 1e9) / 1e9;
    const [west, east, south, north] = [r(Math.min(...xs)), r(Math.max(...xs)), r(Math.min(...ys)), r(Math.max(...ys))];
    if (![west, east, south, north].every(Number.isFinite) || west >= east || south >= north) return undefined;
    return { bbox: [west, south, east, north], ring: [[west, south], [east, south], [east, north], [west, north], [west, south]] };
  } catch { return undefined; } finally {
    try { ds.close(); } catch { /* closed */ }
    try { gdal.vsimem.release(vsi); } catch { /* nothing written */ }
  }
}

export async function geoStac(o: StacOptions): Promise<StacResult> {
  const root = findRepoRoot(o.cwd);
  if (!root) throw new NotARepoError();
  const repo = openRepoSync(root);
  const git = Git.open(root);
  if (o.rev && !git) throw new UsageError('--rev needs a git repository', { hint: 'initialise git, or omit --rev' });
  const sha = o.rev ? git!.revParse(o.rev) : undefined;
  if (o.rev && !sha) throw new UsageError(`unknown revision '${o.rev}'`, { hint: 'check it with `git log`' });
  const outDir = resolve(o.cwd, o.output);
  const skipped: StacResult['skipped'] = [];
  const progress = throttledProgress(o.onProgress);
  const files = await collect(repo, git, o, skipped);
  // a point cloud whose header contradicts its data (truncated LAS/LAZ) is not published
  const brokenPc = files.find((f) => f.meta?.kind === 'pointcloud' && Array.isArray(f.meta.problems) && f.meta.problems.length);
  if (brokenPc) throw new AppError('invalid-file', `${brokenPc.path}: ${(brokenPc.meta!.problems as string[])[0]}`, 1, { hint: `run \`geodvc geo check ${brokenPc.path}\`, fetch the file again, or leave it out of the targets` });
  if (o.verify !== false) await verifyTracked(repo, files, !!o.rev, o);
  const footprints = nativeFootprints(files, !!o.rev);
  const hrefBase = o.hrefBase?.replace(/\/+$/, '');
  const itemsDir = join(outDir, 'items');
  const collectionId = o.collectionId ?? (basename(repo.root).replace(/[^A-Za-z0-9._-]+/g, '-') || 'geodvc');
  const logs = new Map<string, ReturnType<Git['log']>>();
  const items: { doc: Json; file: string; path: string }[] = [];
  const seen = new Set<string>();
  let done = 0;
  for (const f of files) {
    progress({ phase: 'items', done: done++, total: files.length, item: f.path });
    if (!logs.has(f.dvcRel)) logs.set(f.dvcRel, git && git.hasCommits() ? git.log(f.dvcRel, { maxCount: 2, rev: sha ?? 'HEAD' }) : []);
    const log = logs.get(f.dvcRel)!;
    const id = itemId(f.path);
    if (seen.has(id)) { skipped.push({ path: f.path, reason: `duplicate item id ${id}` }); continue; }
    const file = join(itemsDir, `${id}.json`);
    const assetHref = hrefBase ? `${hrefBase}/${f.path.split('/').map(encodeURIComponent).join('/')}` : relative(itemsDir, join(repo.root, f.path)).split(sep).map(encodeURIComponent).join('/');
    const src: StacSource = { path: f.path, meta: f.meta!, oid: f.oid, hashName: f.hashName, size: f.size, commitDate: log[0]?.date, version: log[0]?.sha.slice(0, 12), predecessor: log[1]?.sha.slice(0, 12), footprint: footprints.get(f.path) };
    // JPEG2000/NetCDF/HDF5: proj/raster of the grid, datacube extension for cubes (src/geo/gridded/stac.ts)
    const build = src.meta.kind === 'gridded' ? (await import('../../geo/gridded/stac.js')).griddedStacItem : buildItem;
    const doc = build(src, {
      assetHref, selfHref: hrefBase ? `${hrefBase}/items/${id}.json` : `./${id}.json`, collectionId,
      rootHref: '../catalog.json', collectionHref: '../collection.json',
      predecessorHref: src.predecessor ? `../../${src.predecessor}/items/${id}.json` : undefined,
    });
    if (!doc) { skipped.push({ path: f.path, reason: 'no georeferencing (no footprint in EPSG:4326)' }); continue; }
    seen.add(id);
    items.push({ doc, file, path: f.path });
  }
  if (!items.length) throw new AppError('nothing-to-publish', 'no georeferenced tracked raster or vector found for the targets', 1, { hint: skipped.length ? `skipped: ${skipped.slice(0, 3).map((s) => `${s.path} (${s.reason})`).join('; ')}` : 'track geodata with `geodvc add` first' });
  const headSha = sha ?? (git?.hasCommits() ? git.revParse('HEAD') : undefined);
  const collection = buildCollection(items.map((i) => i.doc), {
    id: collectionId, description: `geodvc data of ${basename(repo.root)}${headSha ? ` at ${headSha.slice(0, 12)}` : ''}`,
    selfHref: hrefBase ? `${hrefBase}/collection.json` : './collection.json', rootHref: './catalog.json',
    itemHrefs: items.map((i) => `./items/${basename(i.file)}`), version: headSha?.slice(0, 12),
  });
  const catalog = buildCatalog({ id: `${collectionId}-catalog`, description: `STAC catalog of ${basename(repo.root)}`, selfHref: hrefBase ? `${hrefBase}/catalog.json` : './catalog.json', childHref: './collection.json' });
  const problems: StacResult['problems'] = [];
  const catFile = join(outDir, 'catalog.json');
  const colFile = join(outDir, 'collection.json');
  if (o.validate !== false) {
    for (const [doc, file] of [[catalog, catFile], [collection, colFile], ...items.map((i) => [i.doc, i.file] as const)] as [Json, string][]) {
      for (const p of await validateStac(doc)) problems.push({ ...p, file: relative(outDir, file).split(sep).join('/') });
    }
    if (problems.length) throw new AppError('stac-invalid', `the STAC output does not validate (${problems.length} problem(s)); first: ${problems[0]!.file} ${problems[0]!.path} ${problems[0]!.message}`, 1, { hint: 'report it; --no-validate writes it anyway', details: { problems } });
  }
  mkdirSync(itemsDir, { recursive: true });
  writeFileAtomicSync(catFile, JSON.stringify(catalog, null, 2) + '\n');
  writeFileAtomicSync(colFile, JSON.stringify(collection, null, 2) + '\n');
  for (const i of items) writeFileAtomicSync(i.file, JSON.stringify(i.doc, null, 2) + '\n');
  progress({ phase: 'items', done: files.length, total: files.length, finished: true });
  void posix;
  return { output: outDir, catalog: catFile, collection: colFile, items: items.map((i) => ({ id: i.doc.id as string, path: i.path, file: i.file })), skipped, problems };
}
