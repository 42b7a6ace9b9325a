/**
 * `geo chip`: cut georeferenced chips (with the geotransform `gdal_translate -srcwin` gives) and a
 * GeoJSON chip index from rasters.
 *
 * Two readers cut the same plan (`chip/plan.ts`):
 * - native GDAL (`chip/native.ts`) when gdal-async is installed: every format and codec GDAL reads,
 *   chips written by GDAL as tiled GTiff or COG, both cores busy;
 * - the own windowed TIFF reader (`chip/own.ts`) without it (GEODVC_GDAL_ENGINE=wasm), and for
 *   remote inputs read in place by byte ranges (`chipTracked` in core/api).
 * Reruns with the same parameters keep unchanged chips; chips the run no longer makes are removed.
 */
import { engineKind } from '../engine/native.js';
import { chipNative } from './chip/native.js';
import { chipOwn } from './chip/own.js';
import type { ChipOptions, ChipResult } from './chip/types.js';

export { CHIP_INDEX, CHIP_FORMATS, type ChipFormat, type ChipInput, type ChipOptions, type ChipRecord, type ChipResult, type EdgeMode } from './chip/types.js';
export { chipIndexGeoJson, windows } from './chip/plan.js';

export function describeIO(args: { input: string; output: string; aoi?: string }): { deps: string[]; outs: string[] } {
  return { deps: [args.input, ...(args.aoi ? [args.aoi] : [])], outs: [args.output] };
}

/**
 * Which reader cuts these chips: `opts.engine` when given; else the own reader for explicit
 * `inputs` (tracked data at a revision: chips are byte-identical whether an object is read from the
 * cache or from a remote in place), else native GDAL when it is available.
 */
export function chipEngine(opts: ChipOptions): 'native' | 'own' {
  if (opts.part || opts.inputs?.some((i) => i.remote || !i.file)) return 'own';
  if (opts.engine) return opts.engine === 'native' && engineKind() !== 'native' ? 'own' : opts.engine;
  if (opts.inputs) return 'own';
  return engineKind() === 'native' ? 'native' : 'own';
}

export async function chip(opts: ChipOptions): Promise<ChipResult> {
  return chipEngine(opts) === 'native' ? chipNative(opts) : chipOwn(opts);
}
