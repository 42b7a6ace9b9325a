/**
 * `geo validate` inputs from a gridded file: one raster per grid (the JPEG2000 image, the NetCDF
 * file's own grid, or each variable GDAL exposes as a subdataset), in the RasterInfo shape the
 * alignment gate reads (geotransform, CRS, band types and nodata, GCPs). Variables are named
 * `file:variable` in the violations.
 */
import { basename } from 'node:path';
import type { RasterInfo } from '../raster/types.js';
import { readGriddedInfo, type GriddedInfo, type GriddedRaster } from './info.js';

export function griddedRasterInfo(info: GriddedInfo, r: GriddedRaster): RasterInfo {
  const out: RasterInfo = {
    description: r.subdataset ?? info.description, driverShortName: info.driverShortName, driverLongName: info.driverLongName,
    files: [basename(info.description)], size: r.size, metadata: {}, bands: r.bands, overviewCount: r.bands[0]?.overviews?.length ?? 0,
    hasRpc: false, warnings: [],
  };
  if (r.geoTransform) out.geoTransform = r.geoTransform;
  if (r.coordinateSystem) out.coordinateSystem = r.coordinateSystem;
  if (r.epsg !== undefined) out.epsg = r.epsg;
  if (r.gcps) out.gcps = { gcpList: Array.from({ length: r.gcps }, (_, k) => ({ id: String(k + 1), info: '', pixel: 0, line: 0, x: 0, y: 0, z: 0 })) };
  return out;
}

/** The grids of a gridded file to validate, each with its display name. Throws when GDAL cannot open it. */
export function griddedValidateEntries(absPath: string, display: string): { file: string; info: RasterInfo }[] {
  const info = readGriddedInfo(absPath);
  const subs = info.rasters.filter((r) => r.subdataset);
  const grids = subs.length ? subs : info.rasters;
  return grids.map((r) => ({ file: r.variable && subs.length ? `${display}:${r.variable}` : display, info: griddedRasterInfo(info, r) }));
}
