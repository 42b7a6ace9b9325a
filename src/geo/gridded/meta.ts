/**
 * The compact `meta` of a gridded file for its `.dvc` entry: the raster fields `add` records for
 * GeoTIFFs (driver, size, bands, dtype, nodata, crs, geotransform, resolution, block) for the
 * file's own grid, plus for multidimensional files each variable's dims/shape/dtype, the grids GDAL
 * georeferences, and per dimension its size and coordinate range (CF time as ISO 8601).
 */
import { resolution } from '../crs/grid.js';
import { readGriddedInfo, type GriddedInfo, type GriddedRaster } from './info.js';

function crsText(r: Partial<GriddedRaster>): string | undefined {
  return r.epsg !== undefined ? `EPSG:${r.epsg}` : r.coordinateSystem?.name;
}

function gridOf(r: GriddedRaster): Record<string, unknown> {
  return {
    variable: r.variable,
    size: r.size,
    bands: r.bands.length,
    dtype: r.bands[0]?.type,
    nodata: r.bands[0]?.noDataValue,
    crs: crsText(r),
    geotransform: r.geoTransform,
    gcps: r.gcps,
  };
}

/** Compact metadata of an already read gridded file (deterministic: no paths, no timestamps of ours). */
export function griddedMetaOf(info: GriddedInfo): Record<string, unknown> {
  const gt = info.geoTransform;
  const b0 = info.bands?.[0];
  const meta: Record<string, unknown> = {
    kind: 'gridded',
    format: info.format,
    driver: info.driverShortName,
  };
  if (info.size && info.bands?.length) {
    Object.assign(meta, {
      size: info.size, bands: info.bands.length, dtype: b0?.type, nodata: b0?.noDataValue, crs: crsText(info),
      geotransform: gt, resolution: gt ? resolution(gt) : undefined, block: b0?.block,
      overviews: b0?.overviews?.length || undefined, gcps: info.gcps,
    });
  }
  if (info.variables.length) {
    meta.variables = info.variables.map((v) => ({ name: v.name, dims: v.dims.map((d) => d.name), shape: v.shape, dtype: v.dtype, unit: v.unit, grid_mapping: v.gridMapping }));
    const dims: Record<string, unknown> = {};
    for (const v of info.variables) for (const d of v.dims) {
      if (dims[d.fullName]) continue;
      dims[d.fullName] = { size: d.size, type: d.type || undefined, units: d.units, first: d.times?.[0] ?? d.first, last: d.times?.[d.times.length - 1] ?? d.last };
    }
    meta.dims = dims;
  }
  const grids = info.rasters.filter((r) => r.subdataset);
  if (grids.length) meta.grids = grids.map(gridOf);
  return meta;
}

export function griddedMeta(absPath: string): Record<string, unknown> {
  return griddedMetaOf(readGriddedInfo(absPath));
}
