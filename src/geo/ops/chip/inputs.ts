/** What to chip: the input rasters, the AOI boxes in a raster's CRS, the CRS label of the index. */
import { basename, resolve } from 'node:path';
import { AppError, UsageError } from '../../../lib/errors.js';
import { readVectorFeatures } from '../../vector/info.js';
import { transformer } from '../../crs/crs.js';
import type { CoordinateSystem } from '../../raster/types.js';
import { listInputs } from '../info.js';
import type { Box } from './plan.js';
import type { ChipInput, ChipOptions } from './types.js';

/** The rasters to chip: `opts.inputs`, or the rasters listed under `opts.input` (VRTs left out of directories). */
export function chipInputs(opts: ChipOptions): ChipInput[] {
  if (opts.inputs) return opts.inputs;
  const files = listInputs(opts.input, 'raster');
  return (files.length === 1 ? files : files.filter((f) => !/\.vrt$/i.test(f))).map((f) => ({ name: basename(f), file: f }));
}

export function crsLabel(c?: CoordinateSystem): string { return c?.epsg ? `EPSG:${c.epsg}` : (c?.name ?? ''); }

/** Bounding boxes of the AOI's features in the raster CRS `crs` (AOI coordinates as they are without one). */
export async function aoiBoxes(aoi: string, crs: CoordinateSystem | undefined): Promise<Box[]> {
  const sets = await readVectorFeatures(resolve(aoi));
  const boxes: Box[] = [];
  for (const set of sets) {
    if (!set.crs) throw new AppError('no-crs', `AOI ${aoi} has no CRS`, 1, { hint: 'give the vector a CRS (a .prj for shapefiles, a crs member or EPSG:4326 GeoJSON)' });
    const tr = crs ? transformer(set.crs, crs) : (xy: [number, number]) => xy;
    for (const f of set.features) {
      if (!f.geometry) continue;
      let b: Box = [Infinity, Infinity, -Infinity, -Infinity];
      const walk = (c: any): void => {
        if (typeof c?.[0] === 'number') { const [x, y] = tr([c[0], c[1]]); b = [Math.min(b[0], x), Math.min(b[1], y), Math.max(b[2], x), Math.max(b[3], y)]; }
        else if (Array.isArray(c)) c.forEach(walk);
      };
      walk(f.geometry.coordinates);
      for (const g of f.geometry.geometries ?? []) walk(g.coordinates);
      if (Number.isFinite(b[0])) boxes.push(b);
    }
  }
  if (!boxes.length) throw new UsageError(`AOI ${aoi} is empty (no geometries)`, { hint: 'pass a vector file with at least one polygon' });
  return boxes;
}
