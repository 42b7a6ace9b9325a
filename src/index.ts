/**
 * geodvc as a library: the operations behind the CLI, with the same options and results, typed.
 * Every operation takes `cwd` (a directory inside the repository) and the optional `signal`
 * (AbortSignal), `onProgress` (progress events) and `logger` of OpContext; none prints.
 * Errors are `errors.AppError` subclasses with a `code`, an `exitCode` and a `hint`.
 *
 *   import { init, add, status, push, pull, open, errors } from 'geodvc';
 *   init({ cwd: '.' });
 *   await add({ cwd: '.', targets: ['data/raw'] });
 *   const s = await status({ cwd: '.' });          // s.clean, s.json (DVC's `status --json`)
 *   await push({ cwd: '.', remote: 'store' });
 *
 * Remote rasters at any revision, read by byte range:
 *
 *   const r = await open('data/scene.tif', { rev: 'v1.2', remote: 's3store' });
 *   const img = await r.tiff.getImage();
 *   const px = await img.readRasters({ window: [0, 0, 512, 512] });
 *   await r.close();
 */
import type { GeoTIFF } from 'geotiff';
import { openRaster, type OpenOptions, type OpenedRaster as CoreOpenedRaster } from './core/api/open.js';
import { status as statusAny, type StatusOptions, type StatusResult } from './core/api/status.js';
import { cloudStatus, type CloudStatusOptions, type CloudStatusApiResult } from './core/api/cloud-status.js';
import * as errorClasses from './lib/errors.js';
import * as optionalDeps from './lib/optional-deps.js';

export type { OpContext, ProgressEvent, ProgressFn, Logger } from './lib/progress.js';

// --- versioning -------------------------------------------------------------------------------
/** `geodvc init`, `gc`, `fsck` (see each function's comment). */
export { init, gc, fsck, type InitOptions, type InitResult, type GcOptions, type GcResult, type FsckOptions, type FsckResult } from './core/api/library.js';
/** `geodvc add`: hashes targets into the cache and writes their `.dvc` files (DVC 3.x bytes). */
export { add, type AddOptions, type AddResult, type AddedOutput } from './core/api/add.js';
/** `geodvc commit`: records changed outputs of `.dvc` files and stages. */
export { commit, type CommitOptions, type CommitResult } from './core/api/commit.js';
/** `geodvc checkout`: makes the workspace match the `.dvc` files and `dvc.lock`. */
export { checkout, type CheckoutOptions, type CheckoutResult } from './core/api/checkout.js';
/** `geodvc push`: uploads the objects the remote lacks (a `.dir` manifest after all its entries). */
export { push, type TransferApiOptions, type PushApiResult } from './core/api/push.js';
/** `geodvc fetch`: downloads missing objects into the cache, hashing them before they enter it. */
export { fetch, type FetchApiResult } from './core/api/fetch.js';
/** `geodvc pull`: fetch, then checkout. */
export { pull, type PullApiOptions, type PullApiResult } from './core/api/pull.js';
export type { StatusOptions, StatusResult, OutputStatus } from './core/api/status.js';
export type { CloudStatusOptions, CloudStatusApiResult } from './core/api/cloud-status.js';

/** `geodvc status`: the workspace against the `.dvc` files and `dvc.lock` (`clean`, DVC's `--json` document in `json`). */
export async function status(opts: Omit<StatusOptions, 'cloud' | 'remote'>): Promise<StatusResult> {
  return (await statusAny({ ...opts, cloud: false, remote: undefined })) as StatusResult;
}

/** `geodvc status -c [-r REMOTE]`: the cache against a remote. */
export function statusCloud(opts: CloudStatusOptions): Promise<CloudStatusApiResult> {
  return cloudStatus(opts);
}

// --- pipelines --------------------------------------------------------------------------------
/** `geodvc repro`: runs the stages of `dvc.yaml` whose command, deps, params or outs changed. */
export { reproduce as repro, type ReproOptions, type ReproResult, type StageEvent } from './core/api/repro.js';

// --- geospatial -------------------------------------------------------------------------------
import { geoInfo } from './core/api/geo-info.js';
import { geoValidate } from './core/api/geo-validate.js';
import { geoCheck } from './core/api/geo-check.js';
import { geoStac } from './core/api/stac.js';
import { chipTracked, reprojectTracked } from './core/api/open-inputs.js';
export type { GeoInfoOptions, GeoInfoItem } from './core/api/geo-info.js';
export type { GeoValidateOptions, GeoValidateResult } from './core/api/geo-validate.js';
export type { GeoCheckOptions, GeoCheckResult } from './core/api/geo-check.js';
/** The `geodvc geo …` operations: `info`, `validate` (alignment gate), `check` (integrity), `stac`, chips and reprojection of tracked rasters at any revision. */
export const geo = { info: geoInfo, validate: geoValidate, check: geoCheck, stac: geoStac, chip: chipTracked, reproject: reprojectTracked };

// --- remote rasters ---------------------------------------------------------------------------
export type { OpenOptions } from './core/api/open.js';
/** A tracked raster opened by byte range (`open()`). */
export interface OpenedRaster extends Omit<CoreOpenedRaster, 'tiff'> {
  /** geotiff.js GeoTIFF (`getImage()`, `readRasters({window})`). */
  tiff: GeoTIFF;
}
/** Opens a tracked raster at any git revision straight from a remote (or the cache/workspace). */
export async function open(path: string, opts: OpenOptions = {}): Promise<OpenedRaster> {
  return (await openRaster(path, opts)) as OpenedRaster;
}
export { RangeSource, backendReader, fileReader, type RangeReader, type RangeStats } from './core/api/open-source.js';
export { readWindow, writeWindowTiff, bboxToWindow, rasterGrid, type Window, type WindowRead } from './core/api/read-window.js';
export { geoStac, type StacOptions, type StacResult } from './core/api/stac.js';
/** Chips / reprojection of tracked rasters at any revision, read from a remote in place (chip) or via verified temp files (reproject). */
export { chipTracked, reprojectTracked, type ChipTrackedOptions, type ChipTrackedResult, type ReprojectTrackedOptions, type ReprojectTrackedResult } from './core/api/open-inputs.js';
export { validateStac } from './geo/stac/validate.js';

// --- errors -----------------------------------------------------------------------------------
/** The error classes every operation throws (`err instanceof errors.AppError`; `err.code`, `err.exitCode`, `err.hint`). */
export const errors = {
  AppError: errorClasses.AppError,
  UsageError: errorClasses.UsageError,
  ConfigError: errorClasses.ConfigError,
  NotARepoError: errorClasses.NotARepoError,
  InterruptedError: errorClasses.InterruptedError,
  InternalError: errorClasses.InternalError,
  InvalidFileError: errorClasses.InvalidFileError,
  PathError: errorClasses.PathError,
  MissingDependencyError: optionalDeps.MissingDependencyError,
};
export type { AppError, AppErrorOptions } from './lib/errors.js';
