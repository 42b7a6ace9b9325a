/**
 * The `add` metadata of a classic NetCDF file (CDF-1/2/5) from its header (`nc3-header.ts`),
 * without GDAL: the same object `griddedMetaOf(readGriddedInfo(file))` builds, where this reader
 * is sure GDAL (3.6, netCDF driver, classic and multidimensional API) answers the same:
 *
 * - `variables` like gdalmdiminfo (0-D variables such as CF grid mappings after the others, found
 *   through the attributes that reference them), with GDAL's type names and the `units` attribute;
 * - `dims`: size, GDAL's dimension type for CF longitude/latitude, projection x/y and time
 *   coordinates, units, first/last coordinate value (CF time as ISO 8601);
 * - the grid(s): one 2-D+ variable is the file's own raster (size, bands, dtype, nodata, block),
 *   several are `grids`; georeferencing from equally spaced 1-D coordinates (pixel centres) and the
 *   CRS from the grid-mapping variable's WKT (`spatial_ref`/`crs_wkt`) when it names an EPSG code.
 *
 * Everything else returns `undefined` (the caller asks GDAL): byte/char data, `_Unsigned`, auxiliary
 * (non-indexing) coordinates and bounds, unreferenced 0-D variables, coordinates that are not
 * evenly spaced, longitudes past 180, CRS without an EPSG authority, a `GeoTransform` attribute that
 * differs from the coordinates, coordinate attributes this reader does not classify, and so on.
 */
import { decodeCfTime } from './cf-time.js';
import { Nc3FormatError, readNc3Header, readNc3Values1D, type Nc3Header, type Nc3Var } from './nc3-header.js';

/** Coordinate values of a 1-D dimension are listed (and CF time decoded) up to this many (as the GDAL path). */
const COORD_VALUES_MAX = 100;

class Unsure extends Error {}
const unsure = (why: string): never => { throw new Unsure(why); };

const MDIM_TYPE: Record<number, string> = { 3: 'Int16', 4: 'Int32', 5: 'Float32', 6: 'Float64', 7: 'Byte', 8: 'UInt16', 9: 'UInt32', 10: 'Int64', 11: 'UInt64' };
/** netCDF default fill values (netcdf.h NC_FILL_*), GDAL's nodata when no _FillValue/missing_value. */
const DEFAULT_FILL: Record<number, number> = { 3: -32767, 4: -2147483647, 5: Math.fround(9.9692099683868690e36), 6: 9.9692099683868690e36, 7: 255, 8: 65535, 9: 4294967295 };
const BAND_TYPES = new Set([3, 4, 5, 6, 7, 8, 9]);

function shortestFloat32(v: number): number {
  const f = Math.fround(v);
  for (let p = 1; p <= 9; p++) { const x = Number(f.toPrecision(p)); if (Math.fround(x) === f) return x; }
  return f;
}

function str(v: { attrs: Nc3Var['attrs'] }, key: string): string | undefined {
  const a = v.attrs.get(key);
  if (!a) return undefined;
  if (typeof a.value !== 'string') return unsure(`${key} is not text`);
  return a.value;
}

type CoordKind = 'lon' | 'lat' | 'x' | 'y' | 'time' | 'bare';
interface Coord { kind: CoordKind; vals: number[]; all: () => number[] }

/** How GDAL types a coordinate variable (its dimension type), or unsure. */
function coordKind(v: Nc3Var): CoordKind {
  const std = str(v, 'standard_name'), units = str(v, 'units'), axis = str(v, 'axis');
  if (v.attrs.has('positive')) return unsure('vertical coordinate');
  if (v.attrs.has('scale_factor') || v.attrs.has('add_offset')) return unsure('packed coordinate');
  if (std === undefined && units === undefined && axis === undefined) return 'bare';
  if (std === 'longitude' && units === 'degrees_east' && (axis === undefined || axis === 'X')) return 'lon';
  if (std === 'latitude' && units === 'degrees_north' && (axis === undefined || axis === 'Y')) return 'lat';
  if (std === 'projection_x_coordinate' && (axis === undefined || axis === 'X')) return 'x';
  if (std === 'projection_y_coordinate' && (axis === undefined || axis === 'Y')) return 'y';
  if (units !== undefined && /^\s*\w+\s+since\s+\S/.test(units) && (std === undefined || std === 'time') && (axis === undefined || axis === 'T')) return 'time';
  return unsure(`coordinate ${v.name}: attributes not classified`);
}

const DIM_TYPE: Partial<Record<CoordKind, string>> = { lon: 'HORIZONTAL_X', lat: 'HORIZONTAL_Y', x: 'HORIZONTAL_X', y: 'HORIZONTAL_Y', time: 'TEMPORAL' };

function refs(v: Nc3Var, key: string): string[] {
  const s = str(v, key);
  if (s === undefined) return [];
  const toks = s.trim().split(/\s+/).filter(Boolean);
  if (toks.some((t) => t.includes(':') || t.includes('/'))) return unsure(`${key} in the extended form`);
  return toks;
}

/** EPSG code at the root of a WKT1 (`AUTHORITY["EPSG","n"]]` at the end) or WKT2 (`ID["EPSG",n]]`). */
function rootEpsg(wkt: string): number | undefined {
  const m = /,\s*(?:AUTHORITY\s*\[\s*"EPSG"\s*,\s*"(\d+)"\s*\]|ID\s*\[\s*"EPSG"\s*,\s*(\d+)\s*\])\s*\]\s*$/.exec(wkt.trim());
  if (!m) return undefined;
  // WKT2 IDs can sit inside members too; the root one closes the whole string, which the regex anchors
  return Number(m[1] ?? m[2]);
}

function evenlySpaced(vals: number[]): number {
  const n = vals.length;
  if (n < 2 || vals.some((x) => !Number.isFinite(x))) return unsure('coordinate too short or not finite');
  const d = (vals[n - 1]! - vals[0]!) / (n - 1);
  if (d === 0) return unsure('zero spacing');
  for (let i = 1; i < n; i++) if (Math.abs(vals[i]! - vals[i - 1]! - d) > 1e-4 * Math.abs(d)) unsure('coordinates not evenly spaced');
  return d;
}

/** The metadata, or undefined when unsure (`why` receives the reason, for tests and debugging). */
export function nc3FastMeta(absPath: string, why?: (reason: string) => void): Record<string, unknown> | undefined {
  let h: Nc3Header;
  try { h = readNc3Header(absPath); } catch (e) { if (e instanceof Nc3FormatError) { why?.(e.message); return undefined; } throw e; }
  // GDAL 3.6's netCDF driver does not open CDF-5 files: no metadata on that path either
  if (h.version === 5) { why?.('CDF-5'); return undefined; }
  try { return build(absPath, h); } catch (e) { if (e instanceof Unsure || e instanceof Nc3FormatError) { why?.(e.message); return undefined; } throw e; }
}

/**
 * How another container (NetCDF-4 in HDF5, `hdf5-nc4.ts`) plugs into the same rules: the values of
 * a 1-D coordinate, the own grid's block, and whether a variable has no default fill (`_NoFill`).
 */
export interface Nc3MetaHooks {
  values(v: Nc3Var, max: number): number[];
  block?(v: Nc3Var): [number, number];
  noFill?(v: Nc3Var): boolean;
}

/** The metadata of an already read header, or undefined when unsure (see `nc3FastMeta`). */
export function nc3MetaOf(h: Nc3Header, hooks: Nc3MetaHooks, why?: (reason: string) => void): Record<string, unknown> | undefined {
  try { return build('', h, hooks); } catch (e) { if (e instanceof Unsure || e instanceof Nc3FormatError) { why?.(e.message); return undefined; } throw e; }
}

function build(absPath: string, h: Nc3Header, hooks?: Nc3MetaHooks): Record<string, unknown> {
  const byName = new Map(h.vars.map((v) => [v.name, v]));
  const dimName = (id: number) => h.dims[id]!.name;
  const isIndexing = (v: Nc3Var) => v.dimIds.length === 1 && dimName(v.dimIds[0]!) === v.name;
  // GMT-style grids (x_range/dimension/spacing variables, node_offset): GDAL's special case
  if (['x_range', 'y_range', 'z_range', 'dimension', 'spacing'].some((n) => byName.has(n)) || h.attrs.has('node_offset')) unsure('GMT grid');
  for (const v of h.vars) {
    if (v.attrs.has('_Unsigned')) unsure('_Unsigned');
    if (v.attrs.has('node_offset')) unsure('GMT grid');
    if (v.type === 1) unsure('byte variable');
    if (v.type === 2 && v.dimIds.length) unsure('char array');
    if (new Set(v.dimIds).size !== v.dimIds.length) unsure('repeated dimension');
  }
  // auxiliary coordinates and bounds are hidden (or treated specially) by GDAL: only indexing ones here
  for (const v of h.vars) for (const key of ['coordinates', 'bounds']) for (const r of refs(v, key)) {
    const t = byName.get(r);
    if (t && t.dimIds.length && !isIndexing(t)) unsure(`${key} variable ${r}`);
  }
  // variables as the multidimensional API lists them: those with dims in file order, then 0-D ones
  // referenced by their attributes
  const visible = h.vars.filter((v) => v.dimIds.length > 0);
  const listed = [...visible];
  const names = new Set(visible.map((v) => v.name));
  for (const v of visible) for (const key of ['grid_mapping', 'coordinates', 'bounds', 'ancillary_variables']) for (const r of refs(v, key)) {
    const t = byName.get(r);
    if (t && !names.has(r)) { names.add(r); listed.push(t); }
  }
  if (h.vars.some((v) => !names.has(v.name))) unsure('0-D variable referenced by nothing');
  // GDAL lists 0-D variables through its classic metadata (their attributes): one, referenced as the
  // grid mapping of the grids and holding attributes, is what this reader vouches for
  const zeroD = h.vars.filter((v) => !v.dimIds.length);
  if (zeroD.length > 1) unsure('several 0-D variables');
  for (const z of zeroD) if (!z.attrs.size || !h.vars.some((v) => v.dimIds.length >= 2 && str(v, 'grid_mapping') === z.name)) unsure(`0-D variable ${z.name} is not a grid mapping`);
  // GDAL consumes `grid_mapping` into the CRS (hidden from the attributes): only on grids here
  for (const v of h.vars) if (v.dimIds.length < 2 && v.attrs.has('grid_mapping')) unsure('grid_mapping on a non-grid variable');
  const mdimType = (v: Nc3Var) => (v.type === 2 ? 'Byte' : MDIM_TYPE[v.type] ?? unsure(`type ${v.type}`));

  const values = hooks ? (cv: Nc3Var, max: number) => hooks.values(cv, max) : (cv: Nc3Var, max: number) => readNc3Values1D(absPath, h, cv, max);
  const coordCache = new Map<string, Coord | null>();
  const coordOf = (dimId: number) => {
    const n = dimName(dimId);
    if (coordCache.has(n)) return coordCache.get(n)!;
    const cv = byName.get(n);
    let all: number[] | undefined;
    const c = cv && isIndexing(cv) ? { kind: coordKind(cv), vals: values(cv, COORD_VALUES_MAX), all: () => (all ??= values(cv, Infinity)) } : null;
    coordCache.set(n, c);
    return c;
  };

  const variables = listed.map((v) => ({
    name: `/${v.name}`, dims: v.dimIds.map(dimName), shape: v.dimIds.map((id) => h.dims[id]!.size), dtype: mdimType(v),
    unit: str(v, 'units') || undefined,
  }));
  const dims: Record<string, unknown> = {};
  for (const v of listed) for (const id of v.dimIds) {
    const d = h.dims[id]!;
    const key = `/${d.name}`;
    if (dims[key]) continue;
    const c = coordOf(id);
    const out: Record<string, unknown> = { size: d.size };
    if (c) {
      const cv = byName.get(d.name)!;
      out.type = DIM_TYPE[c.kind];
      const units = str(cv, 'units') || undefined;
      out.units = units;
      if (cv.type === 2) unsure('char coordinate');
      if (c.vals.length) {
        let first: number | string = c.vals[0]!, last: number | string = c.vals[c.vals.length - 1]!;
        const isTime = c.kind === 'time' || str(cv, 'standard_name') === 'time' || str(cv, 'axis') === 'T' || /\bsince\b/.test(units ?? '');
        if (isTime && d.size <= COORD_VALUES_MAX) {
          const iso = decodeCfTime(c.vals, units, str(cv, 'calendar'));
          if (iso) { first = iso[0]!; last = iso[iso.length - 1]!; }
        }
        out.first = first; out.last = last;
      }
    }
    dims[key] = out;
  }

  const meta: Record<string, unknown> = { kind: 'gridded', format: 'netcdf', driver: 'netCDF', variables, dims };
  // rasters: variables of 2+ dims (the only one is the file's own grid; several are subdatasets)
  const rasterVars = h.vars.filter((v) => v.dimIds.length >= 2);
  const grids = rasterVars.map((v) => ({ variable: v.name, ...rasterOf(h, v, byName, coordOf, hooks) }));
  if (grids.length === 1) {
    const g = grids[0]!;
    const gt = g.geotransform;
    Object.assign(meta, {
      size: g.size, bands: g.bands, dtype: g.dtype, nodata: g.nodata, crs: g.crs, geotransform: gt,
      resolution: gt ? [Math.hypot(gt[1]!, gt[4]!), Math.hypot(gt[2]!, gt[5]!)] : undefined, block: hooks?.block?.(rasterVars[0]!) ?? [g.size[0], 1],
    });
  } else if (grids.length > 1) meta.grids = grids;
  return meta;
}

function rasterOf(h: Nc3Header, v: Nc3Var, byName: Map<string, Nc3Var>, coordOf: (id: number) => Coord | null, hooks?: Nc3MetaHooks) {
  if (!BAND_TYPES.has(v.type)) unsure(`raster of type ${v.type}`);
  const ids = v.dimIds;
  const xd = h.dims[ids[ids.length - 1]!]!, yd = h.dims[ids[ids.length - 2]!]!;
  if (ids.some((id) => h.dims[id]!.size === 0)) unsure('empty dimension');
  if (xd.size < 2 || yd.size < 2) unsure('1-pixel wide grid');
  const bands = ids.slice(0, -2).reduce((p, id) => p * h.dims[id]!.size, 1);
  const dtype = MDIM_TYPE[v.type]!;
  // nodata: _FillValue, else missing_value, else the type's default fill value
  let nd: number | undefined;
  for (const key of ['_FillValue', 'missing_value']) {
    const a = v.attrs.get(key);
    if (!a) continue;
    if (typeof a.value === 'string' || a.value.length !== 1) unsure(`${key} not a single number`);
    nd = (a.value as number[])[0]!;
    break;
  }
  if (nd === undefined && !hooks?.noFill?.(v)) nd = DEFAULT_FILL[v.type];
  const nodata = nd === undefined ? undefined : Number.isNaN(nd) ? 'NaN' : !Number.isFinite(nd) ? (nd > 0 ? 'Infinity' : '-Infinity') : dtype === 'Float32' ? shortestFloat32(nd) : nd;
  // georeferencing
  const gmName = str(v, 'grid_mapping');
  const cx = coordOf(ids[ids.length - 1]!), cy = coordOf(ids[ids.length - 2]!);
  let crs: string | undefined;
  let geotransform: number[] | undefined;
  const lonLatNames = /^(lon|long|longitude|lat|latitude)$/i;
  if (gmName === undefined) {
    const bare = (c: typeof cx, name: string) => (!c || c.kind === 'bare') && !lonLatNames.test(name);
    if (h.attrs.has('spatial_ref') || h.attrs.has('crs_wkt') || h.attrs.has('GeoTransform')) unsure('global CRS attributes');
    if (bare(cx, xd.name) && bare(cy, yd.name)) {
      // no georeferencing (GDAL reports the grid without a geotransform)
    } else if (cx?.kind === 'lon' && cy?.kind === 'lat') {
      geotransform = gtOf(cx.all(), cy.all(), xd.size, yd.size);
      if (cx.all().some((x) => x > 180)) unsure('longitudes past 180');
    } else unsure('coordinates without a grid mapping');
  } else {
    const gm = byName.get(gmName);
    if (!gm || gm.dimIds.length) return unsure('grid mapping variable missing or not 0-D');
    const wkt = str(gm, 'crs_wkt') ?? str(gm, 'spatial_ref');
    if (!wkt) return unsure('grid mapping without a WKT');
    if (str(gm, 'crs_wkt') !== undefined && str(gm, 'spatial_ref') !== undefined && str(gm, 'crs_wkt') !== str(gm, 'spatial_ref')) unsure('two different WKTs');
    const epsg = rootEpsg(wkt);
    if (epsg !== undefined) crs = `EPSG:${epsg}`;
    else {
      // no root authority: GDAL keeps the CRS as written (no identification), named by its root
      // name; ESRI-flavoured WKT would be morphed, and WKT2 keywords are left to GDAL
      const m = /^\s*(PROJCS|GEOGCS)\s*\[\s*"([^"]+)"/.exec(wkt);
      if (!m || /"(GCS|D|PCS)_/.test(wkt) || /\bID\s*\[/.test(wkt)) return unsure('CRS without an EPSG authority');
      crs = m[2];
    }
    const ok = (c: typeof cx, want: CoordKind[]) => c && (c.kind === 'bare' || want.includes(c.kind));
    if (!ok(cx, ['lon', 'x']) || !ok(cy, ['lat', 'y'])) unsure('coordinates of a grid mapping');
    geotransform = gtOf(cx!.all(), cy!.all(), xd.size, yd.size);
    if (cx!.kind === 'lon' && cx!.all().some((x) => x > 180)) unsure('longitudes past 180');
    const attr = str(gm, 'GeoTransform');
    if (attr !== undefined) {
      const g = attr.trim().split(/\s+/).map(Number);
      if (g.length !== 6 || g.some((x, i) => x !== geotransform![i])) unsure('GeoTransform attribute differs from the coordinates');
    }
  }
  return { size: [xd.size, yd.size] as [number, number], bands, dtype, nodata, crs, geotransform };
}

/** GDAL's geotransform from pixel-centre coordinates: x increasing, y either way (north up). */
function gtOf(xv: number[], yv: number[], nx: number, ny: number): number[] {
  if (xv.length !== nx || yv.length !== ny) unsure('more coordinates than listed');
  const dx = evenlySpaced(xv);
  const dy = evenlySpaced(yv);
  if (dx < 0) unsure('x decreasing');
  const x0 = xv[0]!;
  if (dy < 0) return [x0 - dx / 2, dx, 0, yv[0]! - dy / 2, 0, dy];
  const g5 = (yv[0]! - yv[ny - 1]!) / (ny - 1);
  return [x0 - dx / 2, dx, 0, yv[ny - 1]! - g5 / 2, 0, g5];
}
