/**
 * `geo validate`: the alignment gate. Rules come from the `[geo]` section of the config
 *   crs = EPSG:32633          target CRS
 *   resolution = 10 | 10,10   pixel size (x[,y]) in CRS units
 *   origin = 500000,4000000   a grid origin (any corner on the target grid); default: first raster
 *   origin_tolerance = 0.01   allowed grid phase, in pixels
 *   resolution_tolerance = 1e-9 (relative)
 *   dtypes = Byte,UInt16      allowed data types
 *   nodata = 0                required nodata value (or `required` = any value must be set)
 * or, for anything not configured, inferred from the first raster (sorted by path). Every raster
 * whose CRS, resolution or pixel-grid phase differs is reported with the numbers, plus vectors in
 * another CRS.
 */
import type { OpContext } from '../../lib/progress.js';
import { throttledProgress } from '../../lib/progress.js';
import { ConfigError } from '../../lib/errors.js';
import { readRasterInfo, sniffRaster, type RasterInfo } from '../../geo/raster/info.js';
import { readVectorInfo } from '../../geo/vector/info.js';
import { crsFromText, sameCrs } from '../../geo/crs/crs.js';
import { gridPhase, resolution } from '../../geo/crs/grid.js';
import type { CoordinateSystem } from '../../geo/raster/types.js';
import { findRepoRoot, openRepoSync } from '../repo/repo.js';
import { openPointCloud, problemError } from '../../geo/pointcloud/info.js';
import { sniffFormat } from '../../geo/sniff.js';
import { collectTargets } from './geo-check.js';
import { isGeoData } from './geo-info.js';
import { griddedFormat } from '../../geo/gridded/source.js';
import { relative, sep } from 'node:path';

export interface GeoRules {
  crs?: CoordinateSystem;
  crsText?: string;
  resolution?: [number, number];
  origin?: [number, number];
  originTolerance: number;
  resolutionTolerance: number;
  dtypes?: string[];
  nodata?: number | 'required' | 'NaN';
  /** Where each rule came from: 'config' or the path of the raster it was inferred from. */
  source: Record<string, string>;
}

export interface Violation {
  file: string;
  rule: 'crs' | 'resolution' | 'grid' | 'dtype' | 'nodata' | 'georef' | 'unreadable';
  message: string;
  expected?: unknown;
  actual?: unknown;
}

export interface GeoValidateResult {
  rules: GeoRules;
  checked: number;
  violations: Violation[];
  ok: boolean;
}

export interface GeoValidateOptions extends OpContext {
  cwd: string;
  targets: string[];
  /** Overrides of the [geo] config (tests, CLI flags). */
  config?: Record<string, string>;
}

function num(v: string, key: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new ConfigError(`[geo] ${key} = ${v} is not a number`, { hint: `set it with \`geodvc config geo.${key} VALUE\`` });
  return n;
}
function pair(v: string, key: string): [number, number] {
  const p = v.split(/[,\s]+/).filter(Boolean).map((x) => num(x, key));
  if (p.length === 1) return [p[0]!, p[0]!];
  if (p.length === 2) return [p[0]!, p[1]!];
  throw new ConfigError(`[geo] ${key} = ${v}: expected one or two numbers`, { hint: 'e.g. 10 or 10,10' });
}

export function rulesFromConfig(conf: Record<string, string> | undefined): GeoRules {
  const c = conf ?? {};
  const r: GeoRules = { originTolerance: 0.01, resolutionTolerance: 1e-9, source: {} };
  if (c.crs) {
    const crs = crsFromText(c.crs);
    if (!crs) throw new ConfigError(`[geo] crs = ${c.crs} is not a CRS geodvc understands`, { hint: 'use EPSG:NNNN, a WKT or a proj4 string' });
    r.crs = crs; r.crsText = c.crs; r.source.crs = 'config';
  }
  if (c.resolution) { r.resolution = pair(c.resolution, 'resolution'); r.source.resolution = 'config'; }
  if (c.origin) { r.origin = pair(c.origin, 'origin'); r.source.origin = 'config'; }
  if (c.origin_tolerance) r.originTolerance = num(c.origin_tolerance, 'origin_tolerance');
  if (c.resolution_tolerance) r.resolutionTolerance = num(c.resolution_tolerance, 'resolution_tolerance');
  if (c.dtypes) { r.dtypes = c.dtypes.split(/[,\s]+/).filter(Boolean); r.source.dtypes = 'config'; }
  if (c.nodata) { r.nodata = c.nodata === 'required' ? 'required' : /^nan$/i.test(c.nodata) ? 'NaN' : num(c.nodata, 'nodata'); r.source.nodata = 'config'; }
  return r;
}

function crsLabel(crs: CoordinateSystem | undefined): string {
  if (!crs) return 'none';
  return crs.epsg !== undefined ? `EPSG:${crs.epsg}${crs.name ? ` (${crs.name})` : ''}` : crs.name ?? 'custom CRS';
}

const fmt = (x: number) => (Math.abs(x) >= 1e-3 || x === 0 ? String(Number(x.toPrecision(10))) : x.toExponential(4));

export async function geoValidate(opts: GeoValidateOptions): Promise<GeoValidateResult> {
  const root = findRepoRoot(opts.cwd);
  const conf = opts.config ?? (root ? (openRepoSync(root).config.geo as Record<string, string> | undefined) : undefined);
  const rules = rulesFromConfig(conf);
  const files = collectTargets(opts.cwd, opts.targets).sort();
  const violations: Violation[] = [];
  const progress = throttledProgress(opts.onProgress);
  const rasters: { file: string; info: RasterInfo }[] = [];
  const vectors: string[] = [];
  const pointclouds: { file: string; crs?: CoordinateSystem }[] = [];
  for (const f of files) {
    const display = relative(opts.cwd, f).split(sep).join('/') || f;
    let las = false;
    try { las = sniffFormat(f) === 'las'; } catch { /* not readable: not a point cloud */ }
    if (las || /\.la[sz]$/i.test(f)) {
      // LAS/LAZ/COPC: the CRS gate (header and projection records only)
      try {
        const pc = openPointCloud(f);
        const err = problemError(f, pc.header);
        if (err) throw err;
        pointclouds.push({ file: display, crs: pc.cs });
      } catch (e) { violations.push({ file: display, rule: 'unreadable', message: `cannot read: ${(e as Error).message}` }); }
      continue;
    }
    let isRaster = false;
    try { isRaster = !!sniffRaster(f); } catch { /* below */ }
    if (!isRaster && griddedFormat(f)) {
      // JPEG2000, NetCDF, HDF5, Zarr: each grid (variable) is gated like a raster
      try { rasters.push(...(await import('../../geo/gridded/validate.js')).griddedValidateEntries(f, display)); } catch (e) {
        violations.push({ file: display, rule: 'unreadable', message: `cannot read: ${(e as Error).message}` });
      }
      continue;
    }
    if (!isRaster) { if (isGeoData(f)) vectors.push(f); continue; }
    try { rasters.push({ file: display, info: await readRasterInfo(f) }); } catch (e) {
      violations.push({ file: display, rule: 'unreadable', message: `cannot read: ${(e as Error).message}` });
    }
  }
  // Infer what the config does not say from the first georeferenced raster.
  // (with a configured CRS, from the first raster in that CRS: a grid in another CRS means nothing).
  const first = rasters.find((r) => r.info.geoTransform && (r.info.coordinateSystem || r.info.epsg !== undefined) && (!rules.crs || sameCrs(r.info.coordinateSystem, rules.crs)));
  if (first) {
    const gt = first.info.geoTransform!;
    if (!rules.crs && first.info.coordinateSystem) { rules.crs = first.info.coordinateSystem; rules.crsText = crsLabel(first.info.coordinateSystem); rules.source.crs = first.file; }
    if (!rules.resolution) { rules.resolution = resolution(gt); rules.source.resolution = first.file; }
    if (!rules.origin) { rules.origin = [gt[0]!, gt[3]!]; rules.source.origin = first.file; }
  }
  // no raster to infer the target CRS from: the first point cloud with a CRS
  const firstPc = !rules.crs ? pointclouds.find((p) => p.crs) : undefined;
  if (firstPc?.crs) { rules.crs = firstPc.crs; rules.crsText = crsLabel(firstPc.crs); rules.source.crs = firstPc.file; }
  let done = 0;
  for (const { file, info } of rasters) {
    progress({ phase: 'validating', done: ++done, total: rasters.length + vectors.length, item: file });
    const gt = info.geoTransform;
    const crs = info.coordinateSystem;
    if (!gt) { violations.push({ file, rule: 'georef', message: info.gcps ? 'georeferenced by GCPs only (no geotransform): not on any grid' : 'no geotransform: not georeferenced' }); continue; }
    if (rules.crs && !sameCrs(crs, rules.crs)) {
      violations.push({ file, rule: 'crs', message: `CRS ${crsLabel(crs)} differs from the target ${crsLabel(rules.crs)}`, expected: crsLabel(rules.crs), actual: crsLabel(crs) });
      continue; // resolution and phase are meaningless across CRSs
    }
    const res = resolution(gt);
    if (gt[2] !== 0 || gt[4] !== 0) violations.push({ file, rule: 'grid', message: `rotated/sheared geotransform (${fmt(gt[2]!)}, ${fmt(gt[4]!)}): not on a north-up grid`, actual: gt });
    if (rules.resolution) {
      const [ex, ey] = rules.resolution;
      const bad = Math.abs(res[0] - ex) > rules.resolutionTolerance * ex || Math.abs(res[1] - ey) > rules.resolutionTolerance * ey;
      if (bad) { violations.push({ file, rule: 'resolution', message: `resolution ${fmt(res[0])} x ${fmt(res[1])} differs from ${fmt(ex)} x ${fmt(ey)}`, expected: rules.resolution, actual: res }); continue; }
    }
    if (rules.origin && rules.resolution) {
      const ph = gridPhase(gt, { origin: rules.origin, res: rules.resolution });
      if (Math.abs(ph[0]) > rules.originTolerance || Math.abs(ph[1]) > rules.originTolerance) {
        violations.push({ file, rule: 'grid', message: `pixel grid is shifted by ${fmt(ph[0])} px in x and ${fmt(ph[1])} px in y from the grid through (${fmt(rules.origin[0])}, ${fmt(rules.origin[1])}) (tolerance ${rules.originTolerance} px); origin (${fmt(gt[0]!)}, ${fmt(gt[3]!)})`, expected: rules.origin, actual: [gt[0], gt[3], ph[0], ph[1]] });
      }
    }
    const types = [...new Set(info.bands.map((b) => b.type))];
    if (rules.dtypes && types.some((t) => !rules.dtypes!.includes(t))) violations.push({ file, rule: 'dtype', message: `data type ${types.join(',')} not in the allowed ${rules.dtypes.join(',')}`, expected: rules.dtypes, actual: types });
    if (rules.nodata !== undefined) {
      const nd = info.bands.map((b) => b.noDataValue);
      const ok = nd.every((v) => (rules.nodata === 'required' ? v !== undefined : String(v) === String(rules.nodata)));
      if (!ok) violations.push({ file, rule: 'nodata', message: `nodata ${nd.map((v) => (v === undefined ? 'unset' : String(v))).join(',')} but ${rules.nodata === 'required' ? 'a nodata value is required' : `${rules.nodata} is required`}`, expected: rules.nodata, actual: nd });
    }
  }
  for (const f of vectors) {
    const display = relative(opts.cwd, f).split(sep).join('/') || f;
    progress({ phase: 'validating', done: ++done, total: rasters.length + vectors.length, item: display });
    if (!rules.crs) continue;
    try {
      const v = await readVectorInfo(f);
      for (const l of v.layers) {
        if (l.crs && !sameCrs(l.crs, rules.crs)) violations.push({ file: display, rule: 'crs', message: `layer ${l.name}: CRS ${crsLabel(l.crs)} differs from the target ${crsLabel(rules.crs)}`, expected: crsLabel(rules.crs), actual: crsLabel(l.crs) });
      }
    } catch (e) { violations.push({ file: display, rule: 'unreadable', message: `cannot read: ${(e as Error).message}` }); }
  }
  for (const p of pointclouds) {
    progress({ phase: 'validating', done: ++done, total: rasters.length + vectors.length + pointclouds.length, item: p.file });
    if (!p.crs) violations.push({ file: p.file, rule: 'georef', message: 'point cloud without a CRS (no OGC WKT or GeoTIFF-keys projection record)' });
    else if (rules.crs && !sameCrs(p.crs, rules.crs)) violations.push({ file: p.file, rule: 'crs', message: `CRS ${crsLabel(p.crs)} differs from the target ${crsLabel(rules.crs)}`, expected: crsLabel(rules.crs), actual: crsLabel(p.crs) });
  }
  progress({ phase: 'validating', done, total: done, finished: true });
  return { rules, checked: rasters.length + vectors.length + pointclouds.length, violations, ok: violations.length === 0 };
}
