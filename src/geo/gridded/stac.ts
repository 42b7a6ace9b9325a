/**
 * STAC items for gridded files (pure: meta in, JSON out). The grid (the JPEG2000 image, or the
 * first georeferenced variable of a NetCDF/HDF5/Zarr file) gives the footprint and the proj/raster
 * fields through the raster item writer; multidimensional files add the datacube extension:
 * `cube:dimensions` (spatial x/y with their extent and CRS, temporal with ISO 8601 extent from CF
 * time, any other dimension with its value range and unit) and `cube:variables` (dims, data type,
 * unit; coordinate variables as auxiliary).
 */
import { buildItem, type ItemOptions, type Json, type StacSource } from '../stac/stac.js';

export const DATACUBE_EXT = 'https://stac-extensions.github.io/datacube/v2.2.0/schema.json';

const MEDIA: Record<string, string> = { jp2: 'image/jp2', netcdf: 'application/netcdf', hdf5: 'application/x-hdf5', zarr: 'application/vnd+zarr' };

type Grid = { size?: [number, number]; geotransform?: number[]; crs?: string; bands?: number; dtype?: string; nodata?: unknown; variable?: string };

/** The grid that locates the file: its own raster, else the first variable with a geotransform. */
function locatingGrid(meta: Json): Grid | undefined {
  if (meta.size && meta.geotransform) return meta as Grid;
  return ((meta.grids ?? []) as Grid[]).find((g) => g.geotransform && g.size);
}

type DimMeta = { size: number; type?: string; units?: string; first?: number | string; last?: number | string };

const LON_UNITS = /^degrees?_?(east|e)$/i;
const LAT_UNITS = /^degrees?_?(north|n)$/i;

/**
 * A grid without a CRS whose x/y dimensions are CF longitude/latitude (units degrees_east and
 * degrees_north, the CF convention for a geographic grid with no grid_mapping): its coordinates
 * are lon/lat on an unstated datum. GDAL leaves such a grid without a CRS; for the STAC footprint
 * it is read as WGS 84 (a datum difference moves it by at most a few hundred metres), and the item
 * says so. The geotransform must lie within longitudes -180..180 (STAC bboxes do) and latitudes -90..90.
 */
function cfLonLat(meta: Json, grid: Grid): boolean {
  if (grid.crs || !grid.geotransform || !grid.size) return false;
  const dims = Object.values((meta.dims ?? {}) as Record<string, DimMeta>);
  const lon = dims.some((d) => (d.type === 'HORIZONTAL_X' || !d.type) && LON_UNITS.test(String(d.units ?? '')));
  const lat = dims.some((d) => (d.type === 'HORIZONTAL_Y' || !d.type) && LAT_UNITS.test(String(d.units ?? '')));
  if (!lon || !lat) return false;
  const [x0, dx, rx, y0, ry, dy] = grid.geotransform as [number, number, number, number, number, number];
  if (rx !== 0 || ry !== 0) return false;
  const [w, h] = grid.size;
  const xs = [x0, x0 + dx * w], ys = [y0, y0 + dy * h];
  return Math.min(...xs) >= -180 - 1e-9 && Math.max(...xs) <= 180 + 1e-9 && Math.min(...ys) >= -90 - 1e-9 && Math.max(...ys) <= 90 + 1e-9;
}

export function griddedStacItem(src: StacSource, o: ItemOptions): Json | undefined {
  const meta = src.meta;
  const grid = locatingGrid(meta);
  if (!grid) return undefined;
  const gt = grid.geotransform!;
  const assumeLonLat = cfLonLat(meta, grid);
  const rasterMeta: Json = {
    kind: 'raster', driver: meta.driver, size: grid.size, geotransform: gt, crs: assumeLonLat ? 'EPSG:4326' : grid.crs, bands: grid.bands ?? 1, dtype: grid.dtype,
    nodata: grid.nodata, resolution: [Math.hypot(gt[1]!, gt[4]!), Math.hypot(gt[2]!, gt[5]!)],
  };
  const doc = buildItem({ ...src, meta: rasterMeta }, o);
  if (!doc) return undefined;
  const props = doc.properties as Json;
  if (assumeLonLat) {
    // the file states no CRS: the footprint reads its lon/lat as WGS 84, proj:code stays unknown
    props['proj:code'] = null;
    props['geodvc:crs_assumed'] = 'CF longitude/latitude (degrees_east/degrees_north) without grid_mapping: footprint read as WGS 84';
  }
  const asset = (doc.assets as Record<string, Json>).data!;
  const type = MEDIA[String(meta.format)];
  if (type) asset.type = type;
  if (grid.variable) props['geodvc:grid_variable'] = grid.variable;
  const dims = meta.dims as Record<string, DimMeta> | undefined;
  const vars = meta.variables as { name: string; dims: string[]; shape: number[]; dtype: string; unit?: string }[] | undefined;
  if (!dims || !vars?.length) return doc;
  const cubeDims: Record<string, Json> = {};
  const short = (full: string) => full.slice(full.lastIndexOf('/') + 1);
  const crsRef = typeof grid.crs === 'string' && /^EPSG:\d+$/.test(grid.crs) ? Number(grid.crs.slice(5)) : undefined;
  for (const [full, d] of Object.entries(dims)) {
    const name = short(full);
    if (cubeDims[name]) continue;
    const lo = typeof d.first === 'number' && typeof d.last === 'number' ? Math.min(d.first, d.last) : undefined;
    const hi = typeof d.first === 'number' && typeof d.last === 'number' ? Math.max(d.first, d.last) : undefined;
    // GDAL types the dims of CF axes; untyped ones named like CF coordinates are spatial too
    const axis = d.type === 'HORIZONTAL_X' || (!d.type && /^(x|lon|longitude)$/i.test(name)) ? 'x' : d.type === 'HORIZONTAL_Y' || (!d.type && /^(y|lat|latitude)$/i.test(name)) ? 'y' : undefined;
    if (axis) {
      const dim: Json = { type: 'spatial', axis };
      if (lo !== undefined) dim.extent = [lo, hi];
      if (crsRef !== undefined) dim.reference_system = crsRef;
      cubeDims[name] = dim;
    } else if (d.type === 'TEMPORAL' && typeof d.first === 'string' && typeof d.last === 'string') {
      cubeDims[name] = { type: 'temporal', extent: [d.first, d.last] };
      if (d.first === d.last) { props.datetime = d.first; delete props.start_datetime; delete props.end_datetime; }
      else { const [start, end] = [d.first, d.last].sort(); props.datetime = null; props.start_datetime = start; props.end_datetime = end; }
      props['geodvc:datetime_source'] = `CF time ${name}`;
    } else {
      const dim: Json = { type: d.type === 'VERTICAL' ? 'vertical' : 'other' };
      if (lo !== undefined) dim.extent = [lo, hi];
      if (d.units) dim.unit = d.units;
      if (d.type === 'VERTICAL') dim.extent ??= [null, null];
      cubeDims[name] = dim;
    }
  }
  const cubeVars: Record<string, Json> = {};
  for (const v of vars) {
    const name = v.name.replace(/^\//, '');
    const coordinate = v.dims.length === 1 && v.dims[0] === short(v.name);
    const cv: Json = { dimensions: v.dims, type: coordinate || v.dims.length < 2 ? 'auxiliary' : 'data' };
    if (v.dtype) cv['geodvc:data_type'] = v.dtype;
    if (v.unit) cv.unit = v.unit;
    cubeVars[name] = cv;
  }
  props['cube:dimensions'] = cubeDims;
  props['cube:variables'] = cubeVars;
  doc.stac_extensions = [...new Set([...(doc.stac_extensions as string[]), DATACUBE_EXT])].sort();
  return doc;
}
