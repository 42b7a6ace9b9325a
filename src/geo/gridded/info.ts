/**
 * `readGriddedInfo`: what gdalinfo and gdalmdiminfo say about a JPEG2000, NetCDF, HDF5 or Zarr
 * file, read by native GDAL (gdal-async) in this thread, metadata only (no pixel decoding; the
 * values of 1-D coordinate variables up to `COORD_VALUES_MAX` are read to describe their dims).
 *
 * - gdalinfo-like fields of the default dataset (or of the variable asked for): driver, size,
 *   geoTransform, CRS, bands (type, block, nodata, overviews), GCP count;
 * - `variables` (like gdalmdiminfo): every array with its full name, dims (name, size, type,
 *   direction, coordinate values/units; CF time decoded to ISO 8601), shape, dtype, unit, nodata,
 *   scale/offset and `grid_mapping`;
 * - `rasters`: every 2-D+ variable GDAL exposes as a subdataset (or the file itself when it holds a
 *   single grid) with its size, geotransform, CRS, bands and data types.
 */
import { basename } from 'node:path';
import { AppError, InvalidFileError } from '../../lib/errors.js';
import { loadNativeGdal } from '../engine/native.js';
import type { BandInfo, CoordinateSystem } from '../raster/types.js';
import { epsgDef } from '../crs/epsg.js';
import { walkJp2 } from './jp2-boxes.js';
import { griddedFormat, parseSubdatasetName, subdatasetName, type GriddedFormat } from './source.js';
import { decodeCfTime } from './cf-time.js';

export { decodeCfTime };

/** Coordinate values of a 1-D dimension are listed when it has at most this many. */
export const COORD_VALUES_MAX = 100;
/** Subdatasets opened for `rasters` (metadata only); more are listed by name only. */
export const SUBDATASETS_MAX = 200;

export interface GriddedDim {
  name: string;
  /** Full name (`/time`, `/grp/x`). */
  fullName: string;
  size: number;
  /** GDAL's dimension type: HORIZONTAL_X, HORIZONTAL_Y, VERTICAL, TEMPORAL, ... ('' when unknown). */
  type?: string;
  direction?: string;
  /** The coordinate (indexing) variable, when one has the dimension's name. */
  indexingVariable?: string;
  units?: string;
  calendar?: string;
  first?: number;
  last?: number;
  /** All values when size <= COORD_VALUES_MAX. */
  values?: number[];
  /** CF time coordinates as ISO 8601 (standard calendars), same length as `values`. */
  times?: string[];
}

export interface GriddedVariable {
  name: string;
  dims: GriddedDim[];
  shape: number[];
  dtype: string;
  unit?: string;
  noDataValue?: number | string;
  scale?: number;
  offset?: number;
  /** CF `grid_mapping` attribute (name of the CRS variable). */
  gridMapping?: string;
  /** CRS GDAL derives for the array (CF grid mapping, spatial_ref/crs_wkt), EPSG when it has one. */
  epsg?: number;
  attributes: Record<string, string | number>;
}

export interface GriddedRaster {
  /** Variable name (undefined for the file's own raster, e.g. JPEG2000). */
  variable?: string;
  /** GDAL subdataset name to open it (undefined when the file itself is the raster). */
  subdataset?: string;
  size: [number, number];
  geoTransform?: number[];
  coordinateSystem?: CoordinateSystem;
  epsg?: number;
  gcps?: number;
  bands: BandInfo[];
  /** Band index -> values of the extra (non-spatial) dims, e.g. { time: '2016-03-23T...' }: NETCDF_DIM_*. */
  bandDims?: Record<string, string>[];
}

export interface GriddedInfo extends Partial<GriddedRaster> {
  format: GriddedFormat;
  description: string;
  driverShortName: string;
  driverLongName: string;
  files: string[];
  metadata: Record<string, Record<string, string>>;
  subdatasets: { name: string; description: string }[];
  variables: GriddedVariable[];
  rasters: GriddedRaster[];
  /** Global attributes (root group). */
  attributes: Record<string, string | number>;
  /** The variable described by the top-level raster fields (when one was asked for). */
  variable?: string;
  warnings: string[];
}

function gdalOrThrow(): any {
  const g = loadNativeGdal();
  if (!g) throw new AppError('no-native-gdal', 'reading JPEG2000/NetCDF/HDF5/Zarr needs native GDAL (gdal-async), which is not available', 1, { hint: 'npm install gdal-async (with Debian libgdal-dev: --build-from-source --shared_gdal)' });
  return g;
}

/** A file GDAL cannot open: names the file and says what GDAL said. */
export function cannotOpen(path: string, format: string, err: unknown): InvalidFileError {
  const msg = String((err as Error)?.message ?? err).trim();
  return new InvalidFileError(`${basename(path)}: GDAL cannot open this ${format} file: ${msg || 'not recognised'}`, {
    hint: 'the file may be truncated or its header corrupted: run `geodvc geo check` on it, and fetch or regenerate it',
    cause: err,
  });
}

const FORMAT_LABEL: Record<GriddedFormat, string> = { jp2: 'JPEG2000', netcdf: 'NetCDF', hdf5: 'HDF5', zarr: 'Zarr' };

function crsOf(srs: any): { coordinateSystem?: CoordinateSystem; epsg?: number } {
  if (!srs) return {};
  let wkt = '';
  try { wkt = srs.toWKT(); } catch { return {}; }
  if (!wkt) return {};
  let epsg: number | undefined;
  try {
    if (srs.getAuthorityName(null) === 'EPSG' && srs.getAuthorityCode(null)) epsg = Number(srs.getAuthorityCode(null));
  } catch { /* none */ }
  const name = /^\s*\w+\s*\[\s*"([^"]*)"/.exec(wkt)?.[1];
  const cs: CoordinateSystem = { wkt, name: name ?? (epsg !== undefined ? epsgDef(epsg)?.name : undefined) };
  if (epsg !== undefined) { cs.epsg = epsg; const d = epsgDef(epsg); if (d?.proj4) cs.proj4 = d.proj4; }
  return { coordinateSystem: cs, epsg };
}

/** The shortest decimal that reads back as the same float32 (as gdalinfo prints a Float32 nodata). */
export function shortestFloat32(v: number): number {
  const f = Math.fround(v);
  for (let p = 1; p <= 9; p++) { const x = Number(f.toPrecision(p)); if (Math.fround(x) === f) return x; }
  return f;
}

/** gdalinfo-like facts of an open classic dataset. */
function rasterOf(ds: any): GriddedRaster {
  const out: GriddedRaster = { size: [ds.rasterSize.x, ds.rasterSize.y], bands: [] };
  try { const gt = ds.geoTransform; if (gt) out.geoTransform = [...gt]; } catch { /* none */ }
  Object.assign(out, crsOf(ds.srs));
  try { const n = ds.getGCPs().length; if (n) out.gcps = n; } catch { /* none */ }
  const bandDims: Record<string, string>[] = [];
  for (let i = 1; i <= ds.bands.count(); i++) {
    const b = ds.bands.get(i);
    const o: BandInfo = { band: i, block: [b.blockSize.x, b.blockSize.y], type: String(b.dataType), colorInterpretation: b.colorInterpretation ?? undefined };
    const nd = b.noDataValue;
    if (nd !== null && nd !== undefined) o.noDataValue = Number.isNaN(nd) ? 'NaN' : !Number.isFinite(nd) ? (nd > 0 ? 'Infinity' : '-Infinity') : o.type === 'Float32' ? shortestFloat32(nd) : nd;
    try { const ov = b.overviews.count(); if (ov) o.overviews = Array.from({ length: ov }, (_, k) => { const x = b.overviews.get(k); return { size: [x.size.x, x.size.y] as [number, number] }; }); } catch { /* none */ }
    if (b.description) o.description = b.description;
    try { if (b.scale !== null && b.scale !== undefined && b.scale !== 1) o.scale = b.scale; } catch { /* none */ }
    try { if (b.offset) o.offset = b.offset; } catch { /* none */ }
    try { if (b.unitType) o.unit = b.unitType; } catch { /* none */ }
    let md: Record<string, string> = {};
    try { md = b.getMetadata() ?? {}; } catch { md = {}; }
    const dims: Record<string, string> = {};
    for (const [k, v] of Object.entries(md)) if (k.startsWith('NETCDF_DIM_')) dims[k.slice(11)] = String(v);
    bandDims.push(dims);
    out.bands.push(o);
  }
  if (bandDims.some((d) => Object.keys(d).length)) out.bandDims = bandDims;
  return out;
}

function attrsOf(obj: any): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  let names: string[] = [];
  try { names = obj.attributes.names; } catch { return out; }
  for (const n of names) {
    try {
      const v = obj.attributes.get(n).value;
      out[n] = typeof v === 'bigint' ? Number(v) : Array.isArray(v) ? v.join(',') : v;
    } catch { /* unreadable attribute */ }
  }
  return out;
}

/** Every array of a multidimensional dataset, walking groups (and CF grid-mapping variables GDAL hides). */
function walkArrays(root: any, rootCandidates: Set<string>): { fullName: string; arr: any }[] {
  const out: { fullName: string; arr: any }[] = [];
  const seen = new Set<string>();
  const visit = (g: any, path: string, depth: number) => {
    if (depth > 32) return;
    const names: string[] = (() => { try { return g.arrays.names; } catch { return []; } })();
    const extra: string[] = [];
    for (const n of names) {
      let a;
      try { a = g.arrays.get(n); } catch { continue; }
      const full = `${path}/${n}`;
      if (seen.has(full)) continue;
      seen.add(full);
      out.push({ fullName: full, arr: a });
      // GDAL hides CF grid-mapping (and some auxiliary) variables from the array list: find them
      // through the attributes that reference them
      const at = attrsOf(a);
      for (const key of ['grid_mapping', 'coordinates', 'bounds', 'ancillary_variables']) {
        const ref = at[key];
        if (typeof ref === 'string') for (const tok of ref.split(/\s+/)) { const name = tok.replace(/:$/, ''); if (name && !name.includes('/') && !names.includes(name)) extra.push(name); }
      }
    }
    if (depth === 0) extra.push(...rootCandidates);
    for (const n of [...new Set(extra)]) {
      if (seen.has(`${path}/${n}`)) continue;
      try { const a = g.arrays.get(n); if (a) { seen.add(`${path}/${n}`); out.push({ fullName: `${path}/${n}`, arr: a }); } } catch { /* not an array */ }
    }
    const groups: string[] = (() => { try { return g.groups.names; } catch { return []; } })();
    for (const n of groups) {
      try { visit(g.groups.get(n), `${path}/${n}`, depth + 1); } catch { /* unreadable group */ }
    }
  };
  visit(root, '', 0);
  return out;
}

function readCoord(arr: any, size: number): number[] | undefined {
  try {
    const n = Math.min(size, COORD_VALUES_MAX);
    if (size <= COORD_VALUES_MAX) return Array.from(arr.read({ origin: [0], span: [n] }) as ArrayLike<number | bigint>, (v) => Number(v));
    const first = Number((arr.read({ origin: [0], span: [1] }) as ArrayLike<number | bigint>)[0]);
    const last = Number((arr.read({ origin: [size - 1], span: [1] }) as ArrayLike<number | bigint>)[0]);
    return [first, last];
  } catch { return undefined; }
}

function variablesOf(ds: any, rootCandidates: Set<string>): { variables: GriddedVariable[]; attributes: Record<string, string | number> } {
  const root = ds.root;
  const arrays = walkArrays(root, rootCandidates);
  const byName = new Map(arrays.map((a) => [a.fullName, a.arr]));
  const variables: GriddedVariable[] = [];
  const dimCache = new Map<string, GriddedDim>();
  for (const { fullName, arr } of arrays) {
    const dims: GriddedDim[] = [];
    let count = 0;
    try { count = arr.dimensions.count(); } catch { count = 0; }
    for (let i = 0; i < count; i++) {
      const d = arr.dimensions.get(i);
      const full = String(d.description || `dim${i}`);
      // anonymous dims (HDF5 dim0, dim1...) are per array; named ones (full path) are shared
      const cached = full.startsWith('/') ? dimCache.get(full) : undefined;
      if (cached) { dims.push(cached); continue; }
      const gd: GriddedDim = { name: full.slice(full.lastIndexOf('/') + 1), fullName: full, size: Number(d.size) };
      if (d.type) gd.type = d.type;
      if (d.direction) gd.direction = d.direction;
      const idx = byName.get(full);
      if (idx) {
        let idxDims = 0;
        try { idxDims = idx.dimensions.count(); } catch { idxDims = 0; }
        if (idxDims === 1) {
          gd.indexingVariable = full;
          const at = attrsOf(idx);
          let units: string | undefined;
          try { units = idx.unitType || undefined; } catch { units = undefined; }
          units ??= typeof at.units === 'string' ? at.units : undefined;
          if (units) gd.units = units;
          if (typeof at.calendar === 'string') gd.calendar = at.calendar;
          const vals = readCoord(idx, gd.size);
          if (vals?.length) {
            gd.first = vals[0];
            gd.last = vals[vals.length - 1];
            if (gd.size <= COORD_VALUES_MAX) gd.values = vals;
            const isTime = gd.type === 'TEMPORAL' || at.standard_name === 'time' || at.axis === 'T' || /\bsince\b/.test(units ?? '');
            if (isTime && gd.values) {
              const iso = decodeCfTime(gd.values, units, gd.calendar);
              if (iso) gd.times = iso;
            }
          }
        }
      }
      dimCache.set(full, gd);
      dims.push(gd);
    }
    const attributes = attrsOf(arr);
    const v: GriddedVariable = { name: fullName, dims, shape: dims.map((d) => d.size), dtype: String(arr.dataType), attributes };
    try { if (arr.unitType) v.unit = arr.unitType; } catch { /* none */ }
    try {
      const nd = arr.noDataValue;
      if (nd !== null && nd !== undefined) v.noDataValue = Number.isNaN(nd) ? 'NaN' : nd;
    } catch { /* none */ }
    try { if (arr.scale !== 1 && arr.scale !== undefined && arr.scale !== null) v.scale = arr.scale; } catch { /* none */ }
    try { if (arr.offset) v.offset = arr.offset; } catch { /* none */ }
    if (typeof attributes.grid_mapping === 'string') v.gridMapping = attributes.grid_mapping;
    try { const c = crsOf(arr.srs); if (c.epsg !== undefined) v.epsg = c.epsg; } catch { /* none */ }
    variables.push(v);
  }
  return { variables, attributes: attrsOf(root) };
}

function variableOfSubdataset(name: string): string | undefined {
  return parseSubdatasetName(name)?.variable;
}

/**
 * Reads a gridded file (or one variable of it). `input` is a path or a subdataset name; `variable`
 * picks a variable of a path. Throws InvalidFileError (naming the file) when GDAL cannot open it.
 */
export function readGriddedInfo(input: string, opts: { variable?: string } = {}): GriddedInfo {
  const gdal = gdalOrThrow();
  const parsed = parseSubdatasetName(input);
  const file = parsed?.file ?? input;
  let format = parsed?.format ?? griddedFormat(file);
  if (!format) throw new InvalidFileError(`${basename(file)} is not a JPEG2000, NetCDF, HDF5 or Zarr file`, { hint: 'check the file' });
  const variable = parsed?.variable ?? opts.variable;
  const label = FORMAT_LABEL[format];
  let ds: any;
  try { ds = gdal.open(file); } catch (err) {
    // a Zarr store or HDF5 file with only multidimensional content may open in 'mr' mode only
    if (format !== 'zarr' && format !== 'hdf5') throw cannotOpen(file, label, err);
  }
  const warnings: string[] = [];
  try {
    const md: Record<string, Record<string, string>> = {};
    let sds: { name: string; description: string }[] = [];
    if (ds) {
      try { const m = ds.getMetadata(); if (m && Object.keys(m).length) md[''] = m; } catch { /* none */ }
      try {
        const s = ds.getMetadata('SUBDATASETS') ?? {};
        for (let i = 1; s[`SUBDATASET_${i}_NAME`]; i++) sds.push({ name: s[`SUBDATASET_${i}_NAME`], description: s[`SUBDATASET_${i}_DESC`] ?? '' });
      } catch { sds = []; }
    }
    // NetCDF-4 files are HDF5 files: the driver that opened it says which family it is
    if (format === 'hdf5' && ds?.driver.description === 'netCDF') format = 'netcdf';
    const info: GriddedInfo = {
      format, description: file, driverShortName: ds?.driver.description ?? '', driverLongName: '', files: [basename(file)],
      metadata: md, subdatasets: sds, variables: [], rasters: [], attributes: {}, warnings,
    };
    try { info.driverLongName = ds ? (ds.driver.getMetadata().DMD_LONGNAME ?? '') : ''; } catch { /* none */ }
    if (format === 'jp2') {
      // GDAL reads the header only: a truncated codestream shows in the box walk
      try { for (const pr of walkJp2(file).problems) warnings.push(`${pr.structure}${pr.offset !== undefined ? ` @ byte ${pr.offset}` : ''}: ${pr.message}`); } catch { /* unreadable: GDAL opened it */ }
    }
    // the file's own raster (JPEG2000, or a NetCDF holding a single grid)
    if (ds && ds.bands.count() > 0) {
      const r = rasterOf(ds);
      const own = format === 'jp2' ? undefined : (() => { const b = ds.bands.count() ? ds.bands.get(1) : undefined; try { return b?.getMetadata()?.NETCDF_VARNAME as string | undefined; } catch { return undefined; } })();
      info.rasters.push({ variable: own, ...r });
      if (!variable) Object.assign(info, r);
    }
    // multidimensional view (NetCDF, HDF5, Zarr)
    if (format !== 'jp2') {
      // variables GDAL's classic API names in its metadata (`var#attr`): the multidimensional API
      // hides CF grid-mapping variables, which the netCDF-C tools list
      const candidates = new Set<string>();
      const collect = (m: Record<string, string> | undefined) => { for (const k of Object.keys(m ?? {})) { const i = k.indexOf('#'); if (i > 0 && k.slice(0, i) !== 'NC_GLOBAL' && !k.slice(0, i).includes('/')) candidates.add(k.slice(0, i)); } };
      collect(md['']);
      let opened = 0;
      for (const sd of sds) {
        if (opened++ >= SUBDATASETS_MAX) { warnings.push(`${sds.length - SUBDATASETS_MAX} more subdatasets not opened`); break; }
        try {
          const s = gdal.open(sd.name);
          try { info.rasters.push({ variable: variableOfSubdataset(sd.name), subdataset: sd.name, ...rasterOf(s) }); try { collect(s.getMetadata()); } catch { /* none */ } } finally { s.close(); }
        } catch (err) { warnings.push(`${sd.name}: ${String((err as Error)?.message ?? err)}`); }
      }

      let mds: any;
      try { mds = gdal.open(file, 'mr'); } catch (err) {
        if (!ds) throw cannotOpen(file, label, err);
        warnings.push(`multidimensional API: ${String((err as Error)?.message ?? err)}`);
      }
      if (mds) {
        try {
          if (!info.driverShortName) info.driverShortName = mds.driver.description;
          const v = variablesOf(mds, candidates);
          info.variables = v.variables;
          info.attributes = v.attributes;
        } finally { try { mds.close(); } catch { /* closed */ } }
      }
    }
    if (variable) {
      info.variable = variable;
      const want = variable.replace(/^\/+/, '');
      const r = info.rasters.find((x) => x.variable !== undefined && x.variable.replace(/^\/+/, '') === want);
      if (r) Object.assign(info, { ...r, variable: r.variable });
      else {
        // a variable GDAL does not list as a subdataset (e.g. 2-D in a single-grid file): open it directly
        try {
          const s = gdal.open(subdatasetName({ file, format, variable }));
          try { Object.assign(info, rasterOf(s)); } finally { s.close(); }
        } catch (err) {
          const known = info.variables.map((x) => x.name).join(', ');
          throw new InvalidFileError(`${basename(file)} has no variable ${variable} that GDAL reads as a raster${known ? ` (variables: ${known})` : ''}`, { hint: 'pick one of the listed variables (2-D or more)', cause: err });
        }
      }
    }
    return info;
  } finally {
    try { ds?.close(); } catch { /* closed */ }
  }
}
