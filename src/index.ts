/**
 * geodvc's library entry. `open(path, {rev, remote, cwd})` opens a tracked raster at any git revision
 * straight from a remote (byte ranges through the storage backends, small block cache, concurrent
 * range requests) and returns a geotiff.js GeoTIFF plus its geotiff.js-compatible source:
 *
 *   import { open } from 'geodvc';
 *   const r = await open('data/scene.tif', { rev: 'v1.2', remote: 's3store' });
 *   const img = await r.tiff.getImage();
 *   const px = await img.readRasters({ window: [0, 0, 512, 512] });
 *   const { bytes, requests } = r.source.stats; // what the read cost
 *   await r.close();
 */
import { openRaster, type OpenOptions, type OpenedRaster } from './core/api/open.js';

export type { OpenOptions, OpenedRaster } from './core/api/open.js';
export { RangeSource, backendReader, fileReader, type RangeReader, type RangeStats } from './core/api/open-source.js';
export { readWindow, writeWindowTiff, bboxToWindow, rasterGrid, type Window, type WindowRead } from './core/api/read-window.js';
export { geoStac, type StacOptions, type StacResult } from './core/api/stac.js';
/** Chips / reprojection of tracked rasters at any revision, read from a remote in place (chip) or via verified temp files (reproject). */
export { chipTracked, reprojectTracked, type ChipTrackedOptions, type ChipTrackedResult, type ReprojectTrackedOptions, type ReprojectTrackedResult } from './core/api/open-inputs.js';
export { validateStac } from './geo/stac/validate.js';

export function open(path: string, opts: OpenOptions = {}): Promise<OpenedRaster> {
  return openRaster(path, opts);
}
