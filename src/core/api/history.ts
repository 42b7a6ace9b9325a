/**
 * `history PATH`: the versions of a tracked path through git history. The path is a tracked
 * output (file or directory), a `.dvc` file, a path inside a tracked directory, or a pipeline
 * output recorded in `dvc.lock`. For each commit that changed the tracking file we read it at that
 * commit, take the output's hash, size and file count, and collapse consecutive commits where it
 * did not change. Versions whose object is in the local cache get a raster summary (size, bands,
 * type, EPSG, compression) when they are rasters, or a count of rasters for directories.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import type { Repo } from '../repo/repo.js';
import { Git, type CommitInfo } from '../scm/git.js';
import type { DvcOut } from '../dvcfile/dvcfile.js';
import { findTracked, outsOfTrackingFile, trackedOuts, type TrackedOut } from '../workspace/tracked.js';
import { ObjectDB } from '../odb/odb.js';
import type { HashName } from '../odb/hash.js';
import { isDirOid } from '../odb/layout.js';
import { AppError, PathError } from '../../lib/errors.js';
import type { OpContext } from '../../lib/progress.js';

export interface RasterSummary {
  width: number;
  height: number;
  bands: number;
  dataType?: string;
  epsg?: number;
  compression?: string;
  driver: string;
}

export interface VectorSummary {
  /** Vector files (for a directory, from the manifest). */
  files: number;
  /** Files whose features were counted (in the cache and readable; at most VECTOR_READ_LIMIT). */
  read: number;
  features: number;
  /** Geometry types found, OGR style ('Polygon', 'Point', ...), sorted. */
  geometryTypes: string[];
  /** CRSs of the layers ('EPSG:32633', a name, or 'no CRS'), sorted. */
  crs: string[];
}

export interface HistoryVersion {
  /** Commit sha, or 'workspace' for an uncommitted change of the tracking file. */
  rev: string;
  date?: string;
  author?: string;
  subject?: string;
  hashName: HashName;
  oid: string;
  isDir: boolean;
  size?: number;
  nfiles?: number;
  /** Whether the object (and for directories the manifest) is in the local cache. */
  inCache: boolean;
  raster?: RasterSummary;
  /** For directories: how many members are rasters (from the manifest), when known. */
  rasterFiles?: number;
  /** Vector data (a vector file, or the vector files of a directory): features, geometry types, CRSs. */
  vector?: VectorSummary;
  /** Commits folded into this version (same content), newest first. */
  commits: string[];
}

export interface HistoryResult {
  path: string;
  /** The file tracking it (`data/chips.dvc` or `dvc.lock`). */
  trackedBy: string;
  /** For a path inside a tracked directory: its relpath inside the output. */
  member?: string;
  versions: HistoryVersion[];
}

export interface HistoryOptions extends OpContext {
  cwd?: string;
  maxCount?: number;
  /** Skip reading raster headers. */
  noRaster?: boolean;
}

const RASTER_RE = /\.(tif|tiff|gtiff|vrt)$/i;
const VECTOR_RE = /\.(geojson|shp|fgb|gpkg)$/i;
const SHP_SIDECARS = ['.shx', '.dbf', '.prj', '.cpg'];
/** Vector files read per version of a directory (the count of files is exact, features over these). */
const VECTOR_READ_LIMIT = 50;
const posix = (p: string) => p.split(sep).join('/');

interface Located { trackedBy: string; outPath: string; member?: string; }

/**
 * Which tracking file records `target`, and the output it is (or is inside): looked up in the one
 * index of tracked outputs (core/workspace/tracked.ts) of the workspace, then of HEAD; a path that
 * only older commits track is found by its `.dvc` file in git history.
 */
function locate(repo: Repo, git: Git, target: string): Located {
  const rel = posix(relative(repo.root, target));
  if (rel.startsWith('..') || rel === '') throw new PathError('path-outside-repo', `'${target}' is not inside the repository`, { hint: 'give a tracked path inside the repository' });
  const parts = rel.split('/');
  // The common case without walking the workspace: `<output>.dvc` beside the output or a parent.
  for (let i = parts.length; i >= 1 && !rel.endsWith('.dvc'); i--) {
    const out = parts.slice(0, i).join('/');
    const text = readText(join(repo.root, `${out}.dvc`));
    if (text === undefined) continue;
    let outs: TrackedOut[] = [];
    try { outs = outsOfTrackingFile(repo.root, `${out}.dvc`, text); } catch { /* the index below decides */ }
    if (outs.some((t) => t.rel === out && t.out.oid)) return { trackedBy: `${out}.dvc`, outPath: out, member: i < parts.length ? parts.slice(i).join('/') : undefined };
  }
  if (rel.endsWith('.dvc')) {
    const text = readText(join(repo.root, rel));
    let outs: TrackedOut[] = [];
    try { outs = text === undefined ? [] : outsOfTrackingFile(repo.root, rel, text); } catch { /* named after its output */ }
    return { trackedBy: rel, outPath: outs[0]?.rel ?? rel.slice(0, -4) };
  }
  const revs = git.revParse('HEAD') ? ['workspace', 'HEAD'] : ['workspace'];
  const indexes = revs.map((rev) => trackedOuts(repo, rev, git, { skipInvalid: true }));
  for (const outs of indexes) {
    const hit = findTracked(outs, rel);
    if (hit) return { trackedBy: hit.tracked.trackedBy, outPath: hit.tracked.rel, member: hit.inner || undefined };
  }
  // Tracked only in older commits: the output itself, or an ancestor directory, had a `.dvc` file.
  const gitPrefix = posix(relative(git.root, repo.root));
  const inGit = (p: string) => (gitPrefix ? `${gitPrefix}/${p}` : p);
  for (let i = parts.length; i >= 1; i--) {
    const out = parts.slice(0, i).join('/');
    if (git.log(inGit(`${out}.dvc`), { maxCount: 1 }).length > 0) return { trackedBy: `${out}.dvc`, outPath: out, member: i < parts.length ? parts.slice(i).join('/') : undefined };
  }
  throw new PathError('not-tracked', `'${rel}' is not tracked by any .dvc file or dvc.lock`, { hint: 'add it with `geodvc add`, or give the path of a tracked file or directory' });
}

function readText(p: string): string | undefined {
  try { return readFileSync(p, 'utf8'); } catch { return undefined; }
}

function findOut(outs: TrackedOut[], outPath: string, rel: string): DvcOut | undefined {
  return (outs.find((t) => t.rel === outPath) ?? outs.find((t) => rel === t.rel || rel.startsWith(`${t.rel}/`)))?.out;
}

export async function history(repo: Repo, path: string, opts: HistoryOptions = {}): Promise<HistoryResult> {
  const git = repo.noScm ? null : Git.open(repo.root);
  if (!git) throw new AppError('no-scm', 'history needs git: the repository is not in a git work tree', 1, { hint: 'versions come from git commits; run `git init` and commit the .dvc files' });
  const absTarget = resolve(opts.cwd ?? repo.root, path);
  const loc = locate(repo, git, absTarget);
  const gitPrefix = posix(relative(git.root, repo.root));
  const trackedInGit = gitPrefix ? `${gitPrefix}/${loc.trackedBy}` : loc.trackedBy;
  const commits: CommitInfo[] = git.log(trackedInGit, { maxCount: opts.maxCount ? opts.maxCount * 4 : undefined });
  const texts = git.showFiles(commits.map((c) => `${c.sha}:${trackedInGit}`));
  const odb = new ObjectDB(repo.cacheDir);

  const targetRel = posix(relative(repo.root, absTarget));
  const outsOf = (text: string | undefined): TrackedOut[] => {
    if (text === undefined) return [];
    try { return outsOfTrackingFile(repo.root, loc.trackedBy, text); } catch { return []; }
  };

  type Raw = { rev: string; c?: CommitInfo; out: DvcOut };
  const raws: Raw[] = [];
  // Uncommitted workspace change of the tracking file first.
  const wsFile = join(repo.root, loc.trackedBy);
  if (existsSync(wsFile)) {
    const wsText = readFileSync(wsFile, 'utf8');
    const headText = commits.length ? texts[0]?.toString('utf8') : undefined;
    if (wsText !== headText) {
      const o = findOut(outsOf(wsText), loc.outPath, targetRel);
      if (o?.oid) raws.push({ rev: 'workspace', out: o });
    }
  }
  commits.forEach((c, i) => {
    const o = findOut(outsOf(texts[i]?.toString('utf8')), loc.outPath, targetRel);
    if (o?.oid) raws.push({ rev: c.sha, c, out: o });
  });

  // Resolve members of directories through the manifest (when in the cache).
  const treeCache = new Map<string, Map<string, { oid: string; size?: number }> | null>();
  const memberOf = (o: DvcOut): { oid: string; size?: number } | null | undefined => {
    if (!loc.member && absTarget === o.absPath) return undefined;
    const memberRel = posix(relative(o.absPath, absTarget));
    const k = `${o.hashName}:${o.oid}`;
    let m = treeCache.get(k);
    if (m === undefined) {
      try { m = new Map(odb.readTree(o.hashName, o.oid!).entries.map((e) => [e.relpath, { oid: e.oid, size: e.size }])); } catch { m = null; }
      treeCache.set(k, m);
    }
    if (!m) return null;
    return m.get(memberRel) ?? null;
  };

  const versions: HistoryVersion[] = [];
  for (const r of raws) {
    let oid = r.out.oid!;
    let size = r.out.size;
    let nfiles = r.out.nfiles;
    let isDir = isDirOid(oid);
    if (isDir && absTarget !== r.out.absPath) {
      const m = memberOf(r.out);
      if (m === null) {
        // Manifest not local: we cannot tell the member's version; keep the directory's.
        oid = `${oid}`;
      } else if (m) { oid = m.oid; size = m.size; nfiles = undefined; isDir = false; }
    }
    const last = versions[versions.length - 1];
    if (last && last.oid === oid && last.hashName === r.out.hashName) { last.commits.push(r.rev); continue; }
    versions.push({
      rev: r.rev, date: r.c?.date, author: r.c?.author, subject: r.c?.subject, hashName: r.out.hashName, oid, isDir, size, nfiles,
      inCache: odb.exists(r.out.hashName, oid), commits: [r.rev],
    });
  }
  if (opts.maxCount) versions.splice(opts.maxCount);

  if (!opts.noRaster) {
    const { readRasterInfo } = await import('../../geo/raster/info.js');
    const summarize = async (abs: string): Promise<RasterSummary | undefined> => {
      try {
        const info = await readRasterInfo(abs);
        return { width: info.size[0], height: info.size[1], bands: info.bands.length, dataType: info.bands[0]?.type, epsg: info.epsg, compression: info.compression, driver: info.driverShortName };
      } catch { return undefined; }
    };
    for (const v of versions) {
      if (!v.inCache) continue;
      if (!v.isDir) {
        if (RASTER_RE.test(loc.member ?? loc.outPath) || RASTER_RE.test(absTarget)) v.raster = await summarize(odb.path(v.hashName, v.oid));
        continue;
      }
      try {
        const tree = odb.readTree(v.hashName, v.oid);
        const rasters = tree.entries.filter((e) => RASTER_RE.test(e.relpath));
        v.rasterFiles = rasters.length;
        const first = rasters.find((e) => odb.exists(v.hashName, e.oid));
        if (first) v.raster = await summarize(odb.path(v.hashName, first.oid));
      } catch { /* manifest unreadable: no summary */ }
    }
  }
  if (!opts.noRaster) await summarizeVectors(odb, versions, loc.member ?? loc.outPath, absTarget);
  return { path: posix(relative(repo.root, absTarget)), trackedBy: loc.trackedBy, member: loc.member, versions };
}

/** Fills `vector` for versions that are vector files, or directories holding vector files. */
async function summarizeVectors(odb: ObjectDB, versions: HistoryVersion[], relName: string, absTarget: string): Promise<void> {
  const { mkdtempSync, copyFileSync, rmSync, mkdirSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { basename, dirname } = await import('node:path');
  const { readVectorInfo } = await import('../../geo/vector/info.js');
  const tmp = mkdtempSync(join(tmpdir(), 'geodvc-history-'));
  let n = 0;
  /** Copies a vector file (and a Shapefile's sidecars) from the cache under its own name, then reads its header. */
  const readOne = async (hashName: HashName, oid: string, name: string, sidecars: { ext: string; oid: string }[]) => {
    const d = join(tmp, String(n++));
    mkdirSync(d);
    const file = join(d, basename(name));
    copyFileSync(odb.path(hashName, oid), file);
    for (const sc of sidecars) if (odb.exists(hashName, sc.oid)) copyFileSync(odb.path(hashName, sc.oid), file.slice(0, -4) + sc.ext);
    try { return await readVectorInfo(file); } catch { return undefined; }
  };
  const add = (sum: VectorSummary, info: Awaited<ReturnType<typeof readOne>>, geom: Set<string>, crs: Set<string>) => {
    if (!info) return;
    sum.read++;
    for (const l of info.layers) {
      sum.features += l.featureCount;
      for (const t of l.geometryTypes ? Object.keys(l.geometryTypes) : [l.geometryType]) geom.add(t);
      crs.add(l.crs ? (l.crs.epsg !== undefined ? `EPSG:${l.crs.epsg}` : l.crs.name ?? 'custom CRS') : 'no CRS');
    }
  };
  try {
    for (const v of versions) {
      if (!v.inCache) continue;
      const geom = new Set<string>(), crs = new Set<string>();
      if (!v.isDir) {
        if (!VECTOR_RE.test(relName) && !VECTOR_RE.test(absTarget)) continue;
        const sum: VectorSummary = { files: 1, read: 0, features: 0, geometryTypes: [], crs: [] };
        add(sum, await readOne(v.hashName, v.oid, relName, []), geom, crs);
        v.vector = { ...sum, geometryTypes: [...geom].sort(), crs: [...crs].sort() };
        continue;
      }
      let entries;
      try { entries = odb.readTree(v.hashName, v.oid).entries; } catch { continue; }
      const vecs = entries.filter((e) => VECTOR_RE.test(e.relpath));
      if (!vecs.length) continue;
      const byPath = new Map(entries.map((e) => [e.relpath, e.oid]));
      const sum: VectorSummary = { files: vecs.length, read: 0, features: 0, geometryTypes: [], crs: [] };
      for (const e of vecs.filter((x) => odb.exists(v.hashName, x.oid)).slice(0, VECTOR_READ_LIMIT)) {
        const stem = e.relpath.slice(0, -4);
        const sidecars = /\.shp$/i.test(e.relpath) ? SHP_SIDECARS.flatMap((ext) => { const o = byPath.get(stem + ext); return o ? [{ ext, oid: o }] : []; }) : [];
        add(sum, await readOne(v.hashName, e.oid, basename(e.relpath) || basename(dirname(e.relpath)), sidecars), geom, crs);
      }
      v.vector = { ...sum, geometryTypes: [...geom].sort(), crs: [...crs].sort() };
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
