/**
 * `geo rasterize`: label masks aligned pixel for pixel to each grid raster (a chip or a scene).
 *
 * Per annotation set: features are read (GeoJSON/Shapefile/FlatGeobuf/GeoPackage), given an
 * integer class (`--class-field`, optionally through `--class-map`; 1 without a field), sorted by
 * class ascending, written to a temporary GeoJSON in their own CRS, reprojected to each grid CRS
 * with ogr2ogr (PROJ, so datum shifts match GDAL), and burnt with gdal_rasterize onto the grid's
 * exact extent and size. Native GDAL (gdal-async) runs both in one child process, several masks at
 * once; without it gdal3.js runs them one after another.
 *
 * Overlap rule: GDAL burns features in order and the last one wins; since features are sorted by
 * class, **the highest class id wins where polygons overlap** (ties keep file order).
 */
import { mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { AppError, InterruptedError, UsageError } from '../../lib/errors.js';
import { writeFileAtomicSync, tmpPathFor } from '../../lib/atomic.js';
import { throttledProgress, type OpContext } from '../../lib/progress.js';
import { readVectorFeatures } from '../vector/info.js';
import type { CoordinateSystem } from '../raster/types.js';
import { listInputs, rasterInfo } from './info.js';
import { GDAL_ENGINE, outName, withDataset } from './gdal.js';
import { engineKind, nativeEngineName } from '../engine/native.js';
import { NativeRunner, runnerFacts } from '../engine/runner.js';
import { mapLimit } from '../../lib/pool.js';
import { availableParallelism } from 'node:os';

export interface RasterizeOptions extends OpContext {
  annotations: string;
  grid: string;
  output: string;
  classField?: string;
  /** JSON file: { "<attribute value>": classId, ... } */
  classMap?: string;
  allTouched?: boolean;
  background?: number;
  /** Masks burnt at once by the native engine (default: number of cores). */
  jobs?: number;
}
export interface RasterizeResult { masks: { grid: string; mask: string; width: number; height: number }[]; features: number; classes: number[]; engine: string }

export function describeIO(args: { annotations: string; grid: string; output: string; classMap?: string }): { deps: string[]; outs: string[] } {
  return { deps: [args.annotations, args.grid, ...(args.classMap ? [args.classMap] : [])], outs: [args.output] };
}

function crsArg(c: CoordinateSystem): string {
  if (c.epsg) return `EPSG:${c.epsg}`;
  if (c.wkt) return c.wkt;
  if (c.proj4) return c.proj4;
  throw new AppError('no-crs', 'vector CRS cannot be expressed', 1, { hint: 'give the annotations an EPSG CRS' });
}

export async function rasterize(opts: RasterizeOptions): Promise<RasterizeResult> {
  const progress = throttledProgress(opts.onProgress);
  const background = opts.background ?? 0;
  const annFiles = listInputs(opts.annotations, 'vector');
  const grids = listInputs(opts.grid, 'raster');
  const outDir = resolve(opts.output);
  mkdirSync(outDir, { recursive: true });
  let classMap: Record<string, number> | undefined;
  if (opts.classMap) {
    try { classMap = JSON.parse(readFileSync(opts.classMap, 'utf8')); } catch (err) {
      throw new UsageError(`cannot read class map ${opts.classMap}: ${(err as Error).message}`, { hint: 'a JSON object like {"maize": 1, "cashew": 2}' });
    }
    if (!classMap || typeof classMap !== 'object' || Object.values(classMap).some((v) => !Number.isInteger(v) || v < 0)) {
      throw new UsageError(`class map ${opts.classMap} must map values to non-negative integers`, { hint: 'e.g. {"maize": 1, "cashew": 2}' });
    }
  }
  if (classMap && !opts.classField) throw new UsageError('--class-map needs --class-field', { hint: 'name the attribute whose values the map translates' });

  // 1. features with their class, grouped by source CRS
  const bySrs = new Map<string, { crs: string; features: any[] }>();
  let nFeatures = 0;
  const classes = new Set<number>();
  for (const f of annFiles) {
    for (const set of await readVectorFeatures(f)) {
      if (!set.crs) throw new AppError('no-crs', `annotations ${basename(f)}${set.layer ? ` (layer ${set.layer})` : ''} have no CRS`, 1, { hint: 'add a .prj (shapefile) or a CRS to the file; masks need to know where the labels are' });
      const key = crsArg(set.crs);
      let group = bySrs.get(key);
      if (!group) { group = { crs: key, features: [] }; bySrs.set(key, group); }
      for (const feat of set.features) {
        if (!feat.geometry) continue;
        let cls = 1;
        if (opts.classField) {
          const v = feat.properties?.[opts.classField];
          if (classMap) {
            const m = classMap[String(v)];
            if (m === undefined) throw new UsageError(`class map has no entry for ${opts.classField}=${JSON.stringify(v)} (in ${basename(f)})`, { hint: 'add the value to the class map' });
            cls = m;
          } else {
            cls = Number(v);
            if (!Number.isInteger(cls) || cls < 0) throw new UsageError(`${opts.classField}=${JSON.stringify(v)} in ${basename(f)} is not a non-negative integer class`, { hint: 'use --class-map to translate names to class ids' });
          }
        }
        classes.add(cls);
        group.features.push({ type: 'Feature', properties: { _class: cls }, geometry: feat.geometry });
        nFeatures++;
      }
    }
  }
  const maxClass = Math.max(background, ...classes);
  const ot = maxClass > 65535 ? 'UInt32' : maxClass > 255 ? 'UInt16' : 'Byte';

  // 2. temp GeoJSON per source CRS, sorted by class (highest wins)
  const srcFiles: { path: string; crs: string }[] = [];
  const tmpFiles: string[] = [];
  const native = engineKind() === 'native';
  // native: one runner child for the whole set (killed on Ctrl-C), outputs in a private temp dir
  const tmpDir = native ? tmpPathFor(join(outDir, 'masks')) : undefined;
  if (tmpDir) mkdirSync(tmpDir);
  const runner = native ? new NativeRunner(opts.signal) : undefined;
  try {
    for (const g of bySrs.values()) {
      g.features.sort((a, b) => a.properties._class - b.properties._class);
      const p = tmpPathFor(join(outDir, 'ann')) + '.geojson';
      writeFileAtomicSync(p, JSON.stringify({ type: 'FeatureCollection', features: g.features }), { fsync: false });
      tmpFiles.push(p);
      srcFiles.push({ path: p, crs: g.crs });
    }
    const reprojected = new Map<string, string[]>();
    const toGridCrs = async (srcPath: string, srcCrs: string, gridKey: string, base: string): Promise<string> => {
      if (runner) {
        const out = join(tmpDir!, `${basename(base)}.geojson`);
        await runner.run({ op: 'vectorTranslate', input: srcPath, output: out, args: ['-f', 'GeoJSON', '-s_srs', srcCrs, '-t_srs', gridKey] }, `ogr2ogr ${basename(srcPath)}`);
        return out;
      }
      await withDataset(`ogr2ogr ${basename(srcPath)}`, srcPath, (g, ds) => g.ogr2ogr(ds, ['-f', 'GeoJSON', '-s_srs', srcCrs, '-t_srs', gridKey], outName(base)));
      tmpFiles.push(`${base}.geojson`);
      return `${base}.geojson`;
    };
    // 3. per grid: its extent/size and the labels in its CRS (reprojected once per grid CRS)
    const jobsList: { grid: string; mask: string; width: number; height: number; args: string[]; layer: string }[] = [];
    for (const grid of grids) {
      opts.signal?.throwIfAborted();
      const info = runner ? await runnerFacts(runner, grid) : await rasterInfo(grid);
      if (!info.wkt) throw new AppError('no-crs', `grid raster ${basename(grid)} has no CRS`, 1, { hint: 'masks are aligned to georeferenced rasters only' });
      const [x0, rx, rr, y0, cr, ry] = info.geoTransform;
      if (rr !== 0 || cr !== 0) throw new AppError('rotated-grid', `grid raster ${basename(grid)} is rotated`, 1, { hint: 'warp it north-up first (geo reproject)' });
      const te = [Math.min(x0, x0 + info.width * rx), Math.min(y0, y0 + info.height * ry), Math.max(x0, x0 + info.width * rx), Math.max(y0, y0 + info.height * ry)].map((v) => String(v));
      const gridKey = info.epsg ? `EPSG:${info.epsg}` : info.wkt;
      let layers = reprojected.get(gridKey);
      if (!layers) {
        layers = [];
        for (const s of srcFiles) layers.push(await toGridCrs(s.path, s.crs, gridKey, tmpPathFor(join(outDir, 'ann-grid'))));
        if (layers.length > 1) {
          // several source CRSs: one layer in the grid CRS, still sorted by class (highest wins)
          const docs = layers.map((l) => JSON.parse(readFileSync(l, 'utf8')));
          const feats = docs.flatMap((d) => d.features ?? []).sort((a: any, b: any) => a.properties._class - b.properties._class);
          const merged = tmpPathFor(join(outDir, 'ann-merged')) + '.geojson';
          writeFileAtomicSync(merged, JSON.stringify({ type: 'FeatureCollection', ...(docs[0].crs ? { crs: docs[0].crs } : {}), features: feats }), { fsync: false });
          tmpFiles.push(merged);
          layers = [merged];
        }
        if (runner && layers.length) {
          // FlatGeobuf without a spatial index (which would reorder features and break the
          // highest-class-wins order): half the CPU of reopening GeoJSON for every mask
          const fgb = join(tmpDir!, `${basename(tmpPathFor(join(outDir, 'ann-grid')))}.fgb`);
          await runner.run({ op: 'vectorTranslate', input: layers[0]!, output: fgb, args: ['-f', 'FlatGeobuf', '-lco', 'SPATIAL_INDEX=NO'] }, `ogr2ogr ${basename(layers[0]!)}`);
          layers = [fgb];
        }
        reprojected.set(gridKey, layers);
      }
      if (!layers.length) {
        throw new UsageError(`no annotation features in ${opts.annotations}`, { hint: 'pass vector files with geometries' });
      }
      const mask = join(outDir, basename(grid, extname(grid)) + '.tif');
      const args = ['-of', 'GTiff', '-a', '_class', '-te', ...te, '-ts', String(info.width), String(info.height), '-ot', ot, '-init', String(background),
        '-co', 'COMPRESS=DEFLATE', '-co', 'TILED=YES', ...(opts.allTouched ? ['-at'] : []), '-a_srs', gridKey];
      jobsList.push({ grid, mask, width: info.width, height: info.height, args, layer: layers[0]! });
    }
    // 4. burn: native masks run concurrently in the runner child; gdal3.js one after another
    const masks: RasterizeResult['masks'] = [];
    let done = 0;
    await mapLimit(jobsList, runner ? Math.max(1, opts.jobs ?? availableParallelism()) : 1, async (j) => {
      opts.signal?.throwIfAborted();
      if (runner) {
        const tmp = join(tmpDir!, basename(j.mask));
        await runner.run({ op: 'rasterize', input: j.layer, output: tmp, args: j.args }, `gdal_rasterize ${basename(j.grid)}`);
        opts.signal?.throwIfAborted();
        renameSync(tmp, j.mask);
      } else {
        const tmp = tmpPathFor(j.mask);
        try {
          await withDataset(`gdal_rasterize ${basename(j.grid)}`, j.layer, (g, ds) => g.gdal_rasterize(ds, j.args, outName(tmp)));
          renameSync(`${tmp}.tif`, j.mask);
        } finally {
          rmSync(`${tmp}.tif`, { force: true });
        }
      }
      masks.push({ grid: j.grid, mask: j.mask, width: j.width, height: j.height });
      done++;
      progress({ phase: 'rasterizing', done, total: grids.length, item: basename(j.mask) });
    }, opts.signal);
    masks.sort((a, b) => (a.mask < b.mask ? -1 : a.mask > b.mask ? 1 : 0));
    progress({ phase: 'rasterizing', done, total: grids.length, finished: true });
    return { masks, features: nFeatures, classes: [...classes].sort((a, b) => a - b), engine: runner ? nativeEngineName(await runner.version()) : GDAL_ENGINE };
  } catch (err) {
    if (opts.signal?.aborted && !(err instanceof InterruptedError)) throw new InterruptedError(undefined, { cause: err });
    throw err;
  } finally {
    await runner?.close();
    if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
    for (const t of tmpFiles) rmSync(t, { force: true });
  }
}

