/**
 * `geo vrt`: a GDAL VRT mosaic or band/temporal stack over existing rasters, relative paths,
 * grid chosen like gdalbuildvrt. With `separate`, inputs are ordered by acquisition date
 * (metadata ACQUISITIONDATETIME/TIFFTAG_DATETIME, else a YYYYMMDD/YYYY-MM-DD in the file name),
 * then by name.
 */
import { dirname, relative, resolve, basename } from 'node:path';
import { AppError, UsageError } from '../../lib/errors.js';
import { writeFileAtomicSync } from '../../lib/atomic.js';
import type { OpContext } from '../../lib/progress.js';
import { readRasterInfo, type RasterInfo } from '../raster/info.js';
import { sameCrs } from '../crs/crs.js';
import { buildVrt, type VrtResolution, type VrtSource } from '../export/vrt.js';
import { listInputs } from './info.js';
import { engineKind, loadNativeGdal } from '../engine/native.js';
import { nativeRasterInfo, nativeSameCrs } from '../engine/info.js';
import { tmpPathFor } from '../../lib/atomic.js';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { verifyDecodable } from '../export/verify.js';

/** How an input is named in errors: relative to the working directory (inputs were resolved from it). */
const shown = (f: string) => {
  const r = relative(process.cwd(), f).split('\\').join('/');
  return r && !r.startsWith('../') ? r : f;
};

/** The decode check of `files` (unless opted out), before anything is written. */
async function verifyInputs(opts: VrtCommandOptions, files: string[]): Promise<void> {
  if (opts.verify === false) return;
  await verifyDecodable(files.map((f) => ({ path: f, name: shown(f) })), { signal: opts.signal, onProgress: opts.onProgress, what: 'the VRT' });
}

export interface VrtCommandOptions extends OpContext {
  output: string;
  inputs: string[];
  separate?: boolean;
  resolution?: VrtResolution;
  res?: [number, number];
  /**
   * Decode every block of every input through GDAL first (default true): an input GDAL cannot
   * fully decode fails the command, naming the file and the tile/strip, and no VRT is written.
   * `false` (`--no-verify`) skips it for huge inputs already checked.
   */
  verify?: boolean;
}
export interface VrtCommandResult { output: string; width: number; height: number; geoTransform: number[]; bands: number; sources: string[]; bytes: number }

export function describeIO(args: { output: string; inputs: string[] }): { deps: string[]; outs: string[] } {
  return { deps: [...args.inputs], outs: [args.output] };
}

/** Acquisition date of a raster (ISO-ish sortable text) or undefined. */
export function acquisitionDate(info: RasterInfo, path: string): string | undefined {
  const md = info.metadata?.[''] ?? {};
  const t = md.ACQUISITIONDATETIME ?? md.ACQUISITION_DATE ?? md.DATETIME ?? md.TIFFTAG_DATETIME;
  if (t) {
    const m = /(\d{4})[:-]?(\d{2})[:-]?(\d{2})(?:[ T](\d{2}):?(\d{2}):?(\d{2}))?/.exec(t);
    if (m) return `${m[1]}-${m[2]}-${m[3]}T${m[4] ?? '00'}:${m[5] ?? '00'}:${m[6] ?? '00'}`;
  }
  const n = /(?:^|[^0-9])((?:19|20)\d{2})-?(0[1-9]|1[0-2])-?(0[1-9]|[12]\d|3[01])(?:[^0-9]|$)/.exec(basename(path));
  return n ? `${n[1]}-${n[2]}-${n[3]}T00:00:00` : undefined;
}

export async function buildVrtFile(opts: VrtCommandOptions): Promise<VrtCommandResult> {
  if (!opts.inputs.length) throw new UsageError('no inputs given', { hint: 'geo vrt OUTPUT.vrt INPUT... (files or directories)' });
  if (!/\.vrt$/i.test(opts.output)) throw new UsageError(`output must end in .vrt: ${opts.output}`, { hint: 'e.g. geo vrt mosaic.vrt tiles/' });
  if (opts.resolution === 'user' && !opts.res) throw new UsageError('--resolution user needs --res', { hint: 'e.g. --resolution user --res 10' });
  const files = opts.inputs.flatMap((i) => listInputs(i, 'raster')).filter((f) => resolve(f) !== resolve(opts.output));
  const out = resolve(opts.output);
  if (engineKind({ load: true }) === 'native') return buildVrtNative(opts, files, out);
  const infos: { path: string; info: RasterInfo; date?: string }[] = [];
  for (const f of files) {
    const info = await readRasterInfo(f);
    if (!info.geoTransform) await verifyInputs(opts, [f]); // a broken file is reported as such
    if (!info.geoTransform) throw new AppError('no-georeferencing', `${basename(f)} has no geotransform`, 1, { hint: 'a VRT mosaic needs georeferenced inputs' });
    infos.push({ path: f, info, date: acquisitionDate(info, f) });
  }
  const crs0 = infos[0]!.info.coordinateSystem;
  for (const x of infos) {
    if (!sameCrs(crs0, x.info.coordinateSystem)) {
      throw new AppError('mismatched-crs', `${basename(x.path)} is not in the CRS of ${basename(infos[0]!.path)}`, 1, { hint: 'reproject the inputs onto one CRS first (geodvc geo reproject)' });
    }
  }
  if (opts.separate) infos.sort((a, b) => (a.date ?? '\uffff').localeCompare(b.date ?? '\uffff') || a.path.localeCompare(b.path));
  await verifyInputs(opts, infos.map((i) => i.path));
  const sources: VrtSource[] = infos.map(({ path, info }) => ({
    path: relative(dirname(out), path).split('\\').join('/'),
    relativeToVRT: true,
    width: info.size[0], height: info.size[1],
    geoTransform: info.geoTransform as VrtSource['geoTransform'],
    bands: info.bands.map((b) => ({ dataType: b.type, nodata: b.noDataValue === undefined ? undefined : Number(b.noDataValue) })),
  }));
  let built;
  try {
    built = buildVrt(sources, { separate: opts.separate, resolution: opts.resolution, res: opts.res, wkt: crs0?.epsg ? `EPSG:${crs0.epsg}` : (crs0?.wkt ?? '') });
  } catch (err) {
    throw new AppError('mismatched-grids', (err as Error).message, 1, { hint: 'mosaic inputs need the same band count and no rotation; use --separate for a band stack', cause: err });
  }
  writeFileAtomicSync(out, built.xml);
  return { output: out, width: built.grid.width, height: built.grid.height, geoTransform: built.grid.geoTransform, bands: opts.separate ? sources.length : sources[0]!.bands.length, sources: sources.map((s) => s.path), bytes: Buffer.byteLength(built.xml) };
}

const xmlEscape = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const xmlUnescape = (t: string) => t.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

/**
 * Source paths GDAL wrote absolute (it writes relative ones only for files at or below the VRT's
 * folder) become relative to the VRT, `../` included, so a VRT and its sources move together.
 */
export function relativizeVrtSources(xml: string, vrtDir: string): string {
  return xml.replace(/<SourceFilename relativeToVRT="0"([^>]*)>([^<]*)<\/SourceFilename>/g, (all, rest: string, p: string) => {
    const abs = xmlUnescape(p);
    if (!abs.startsWith('/') || abs.startsWith('/vsi')) return all;
    return `<SourceFilename relativeToVRT="1"${rest}>${xmlEscape(relative(vrtDir, abs).split('\\').join('/'))}</SourceFilename>`;
  });
}

/**
 * Native `gdalbuildvrt` (GDAL's own library call, same options): alpha bands become mask bands,
 * colour tables and interpretation are kept, the CRS is written whole (no EPSG code needed) with
 * GDAL's axis mapping. Written to a temp file beside the output, then renamed.
 */
async function buildVrtNative(opts: VrtCommandOptions, files: string[], out: string): Promise<VrtCommandResult> {
  const gdal = loadNativeGdal()!;
  const infos: { path: string; date?: string }[] = [];
  for (const f of files) {
    opts.signal?.throwIfAborted();
    const i = nativeRasterInfo(f);
    if (!i.hasGeoTransform) await verifyInputs(opts, [f]); // a broken file is reported as such
    if (!i.hasGeoTransform) throw new AppError('no-georeferencing', `${basename(f)} has no geotransform`, 1, { hint: i.gcps ? 'it is georeferenced by GCPs: warp it first (geodvc geo reproject)' : 'a VRT mosaic needs georeferenced inputs' });
    const [, , rot1, , rot2, ry] = i.geoTransform;
    if (rot1 !== 0 || rot2 !== 0 || ry > 0) {
      throw new AppError('not-north-up', `${basename(f)} is ${ry > 0 ? 'stored south-up (positive y pixel size)' : 'rotated'}: a VRT mosaic needs north-up inputs`, 1, { hint: 'warp it north-up first: geodvc geo reproject --crs <its CRS> (gdalbuildvrt skips such files)' });
    }
    const date = acquisitionDate({ metadata: { '': i.metadata } } as unknown as RasterInfo, f);
    infos.push({ path: f, date });
  }
  for (const x of infos.slice(1)) {
    if (!nativeSameCrs(infos[0]!.path, x.path)) {
      throw new AppError('mismatched-crs', `${basename(x.path)} is not in the CRS of ${basename(infos[0]!.path)}`, 1, { hint: 'reproject the inputs onto one CRS first (geodvc geo reproject)' });
    }
  }
  if (opts.separate) infos.sort((a, b) => (a.date ?? '\uffff').localeCompare(b.date ?? '\uffff') || a.path.localeCompare(b.path));
  await verifyInputs(opts, infos.map((i) => i.path));
  const args: string[] = [];
  if (opts.separate) args.push('-separate');
  if (opts.resolution === 'user') args.push('-tr', String(opts.res![0]), String(opts.res![1]));
  else args.push('-resolution', opts.resolution ?? 'average');
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${tmpPathFor(out)}.vrt`;
  try {
    let ds;
    try {
      ds = gdal.buildVRT(tmp, infos.map((i) => i.path), args);
    } catch (err) {
      throw new AppError('mismatched-grids', `gdalbuildvrt failed: ${(err as Error).message}`, 1, { hint: 'mosaic inputs need the same band count and no rotation; use --separate for a band stack', cause: err });
    }
    const width = ds.rasterSize.x, height = ds.rasterSize.y, bands = ds.bands.count();
    const geoTransform = ds.geoTransform as number[];
    ds.close();
    if (!existsSync(tmp)) throw new AppError('write-failed', `GDAL could not write ${out}`, 1, { hint: 'check that the folder is writable' });
    const xml = relativizeVrtSources(readFileSync(tmp, 'utf8'), dirname(out));
    writeFileAtomicSync(out, xml);
    return {
      output: out, width, height, geoTransform, bands,
      sources: infos.map((i) => relative(dirname(out), i.path).split('\\').join('/')),
      bytes: statSync(out).size,
    };
  } finally {
    rmSync(tmp, { force: true });
  }
}
