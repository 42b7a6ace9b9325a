/**
 * The built-in geo operations as the CLI and `dvc.yaml` stages run them (`geo reproject`, `chip`,
 * `rasterize`, `split`, `export`, `vrt`, point-cloud tiling, gridded inputs). Each loads its
 * module on the first call, so a command pays only for the operation it runs.
 */
import { lazyFn } from '../../lib/lazy.js';

export type { ReprojectOptions, ReprojectResult } from '../../geo/ops/reproject.js';
export type { ChipOptions, ChipResult } from '../../geo/ops/chip.js';
export type { RasterizeOptions, RasterizeResult } from '../../geo/ops/rasterize.js';
export type { SplitOptions, SplitResult } from '../../geo/ops/split.js';
export type { ExportOptions, ExportResult } from '../../geo/ops/export.js';
export type { VrtCommandOptions, VrtCommandResult } from '../../geo/ops/vrt.js';
export type { TileOptions, TileResult } from '../../geo/pointcloud/tile.js';

export const reproject = lazyFn(async () => (await import('../../geo/ops/reproject.js')).reproject);
export const chip = lazyFn(async () => (await import('../../geo/ops/chip.js')).chip);
export const rasterize = lazyFn(async () => (await import('../../geo/ops/rasterize.js')).rasterize);
export const split = lazyFn(async () => (await import('../../geo/ops/split.js')).split);
export const exportLabels = lazyFn(async () => (await import('../../geo/ops/export.js')).exportLabels);
export const buildVrtFile = lazyFn(async () => (await import('../../geo/ops/vrt.js')).buildVrtFile);
/** Tiles a LAS/LAZ/COPC file (or a folder of them) into square training tiles. */
export const tilePointCloud = lazyFn(async () => (await import('../../geo/pointcloud/tile.js')).tilePointCloud);
/** Whether `geo chip --input X` is a point cloud (or a folder of them). */
export const isPointCloudInput = lazyFn(async () => (await import('../../geo/pointcloud/tile.js')).isPointCloudInput);
/** Whether an input names a gridded variable (JPEG2000, `NETCDF:"f.nc":var`, `--variable`/`--time`). */
export const isGriddedInput = lazyFn(async () => (await import('../../geo/gridded/input.js')).isGriddedInput);
/** A gridded input resolved to a temporary GeoTIFF of the chosen variable and time step. */
export const resolveGriddedInput = lazyFn(async () => (await import('../../geo/gridded/input.js')).resolveGriddedInput);
/** Throws a UsageError naming `option` unless `text` is a CRS geodvc understands. */
export const assertCrsText = lazyFn(async () => (await import('../../geo/crs/crs.js')).assertCrsText);
/** gdalinfo-like text lines for a gridded variable (`geo info` of NetCDF/HDF5/JPEG2000). */
export const griddedInfoLines = lazyFn(async () => (await import('../../geo/gridded/text.js')).griddedInfoLines);
