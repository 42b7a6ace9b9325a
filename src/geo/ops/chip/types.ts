/** The options, inputs and results of `geo chip` (shared by the plan, both readers and the command glue). */
import type { OpContext } from '../../../lib/progress.js';
import type { AsyncByteReader } from '../../raster/tiff.js';

export type EdgeMode = 'drop' | 'pad' | 'shift';
/** Chip file layout: tiled GeoTIFF (default) or Cloud Optimized GeoTIFF. */
export type ChipFormat = 'GTiff' | 'COG';
export const CHIP_FORMATS: readonly ChipFormat[] = ['GTiff', 'COG'];

export interface ChipOptions extends OpContext {
  input: string;
  output: string;
  size: number;
  overlap?: number;
  stride?: number;
  edge?: EdgeMode;
  /** Skip chips whose nodata fraction is above this (0..1). */
  maxNodata?: number;
  /** 1-based band numbers to keep (default: all). */
  bands?: number[];
  /** Vector file: keep only chips whose footprint intersects one of its features (bbox test). */
  aoi?: string;
  /** Name of the chip index written in the output directory. */
  indexName?: string;
  /** Reader: native GDAL or the own TIFF reader (default: see `chipEngine` in chip.ts). */
  engine?: 'native' | 'own';
  /** Chip file format (native GDAL engine): tiled GTiff (default) or COG. */
  format?: ChipFormat;
  /**
   * The rasters to chip, instead of listing `input` (which then only names the input): local files
   * or remote objects read in place by byte ranges (e.g. tracked rasters at a revision, see
   * `chipTracked` in core/api).
   */
  inputs?: ChipInput[];
  /** Remote inputs: chips whose tiles are fetched ahead of the one being cut (default 2). */
  lookahead?: number;
  /**
   * Parallel jobs for local inputs (default: the number of cores): native GDAL reads/writes that
   * many windows at once; the own reader uses that many worker threads.
   */
  jobs?: number;
  /** Internal (a worker's share): only windows with k % count === index; no index, no cleanup. */
  part?: { index: number; count: number };
}

/** One raster to chip. */
export interface ChipInput {
  /** File name the chips and the index are named after (`scene.tif` -> `scene_r0_c0.tif`). */
  name: string;
  /** A local file with the bytes. */
  file?: string;
  /**
   * Or a remote object read in place: the TIFF header by a few ranged reads, then the tiles of each
   * chip window (and of the next `lookahead` windows) requested together, so they are fetched
   * concurrently; nothing else is read.
   */
  remote?: AsyncByteReader;
  /** The object hash recorded in the index as `source_md5` (computed from `file` when absent). */
  md5?: string;
}

export interface ChipRecord {
  chip: string;
  source: string;
  sourceMd5: string;
  window: [number, number, number, number];
  row: number;
  col: number;
  nodataFraction: number;
  /** [minx, miny, maxx, maxy] in the source CRS. */
  bounds: [number, number, number, number];
  crs: string;
  /** Footprint ring in WGS 84 lon/lat. */
  footprint: [number, number][];
  fastPath: boolean;
}
export interface ChipResult { chips: ChipRecord[]; written: number; unchanged: number; skippedNodata: number; skippedAoi: number; index: string; removed: number; engine?: string }

export const CHIP_INDEX = 'chips.geojson';
