/**
 * The cheap raster check `add` runs on what it tracks: the TIFF header, the IFD chain and every
 * strip/tile offset + byte count against the file size, and whether the file is georeferenced at
 * all. Nothing is decoded (a 5 GB file costs its header reads). Returns what is wrong in words,
 * one message per problem ("truncated: tile 12 ends at byte N past the end of the file (size M)",
 * "no georeferencing: no CRS and no geotransform"); an empty list when the file is fine, or is
 * not a TIFF (VRTs, other rasters and vectors are not checked here).
 */
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { AppError } from '../../lib/errors.js';
import { mapLimit } from '../../lib/pool.js';
import { checkBlockRange, tiffLayout } from './budget.js';
import { Tag, TiffFile, TiffFormatError } from './tiff.js';
import { sniffRaster } from '../sniff.js';
import { pixelLabelProblems } from '../annotations/pixel-load.js';

/** Extensions whose files a directory scan reads the header of (content is sniffed after). */
const TIFF_EXT = new Set(['.tif', '.tiff', '.gtif', '.gtiff']);

/** Sidecars GDAL reads georeferencing from. */
const GEO_SIDECARS = ['.aux.xml', '.tfw', '.tifw', '.tiffw', '.wld'];

/** Problems of one TIFF found from its header and block table alone ([] when fine or not a TIFF). */
export function quickCheckTiff(absPath: string): string[] {
  let kind;
  try { kind = sniffRaster(absPath); } catch (e) { return [`unreadable: ${(e as Error).message}`]; }
  if (kind !== 'tiff') return pixelLabelProblems(absPath);
  let t: TiffFile;
  try { t = TiffFile.open(absPath); } catch (e) {
    return [`not a readable TIFF: ${e instanceof TiffFormatError ? e.message : (e as Error).message}`];
  }
  const out: string[] = [];
  try {
    for (const i of t.issues) {
      if (i.code === 'ifd-beyond-eof' || i.code === 'ifd-truncated') { out.push(`truncated: ${i.message}`); break; }
    }
    for (const ifd of t.ifds) {
      let L;
      try { L = tiffLayout(t, ifd); } catch (e) {
        if (!(e instanceof AppError)) throw e;
        out.push(`damaged header: ${e.message.replace(/^[^:]*: /, '')}`);
        continue;
      }
      const where = ifd.index === 0 && ifd.parent === undefined ? '' : `${L.image} `;
      const kindName = L.tiled ? 'tile' : 'strip';
      if (L.tablesCut?.length) { out.push(`truncated: ${where}${L.tablesCut.join(' and ')} extend past the end of the file (size ${t.size})`); continue; }
      const offE = ifd.entries.get(L.tiled ? Tag.TileOffsets : Tag.StripOffsets);
      const cntE = ifd.entries.get(L.tiled ? Tag.TileByteCounts : Tag.StripByteCounts);
      if (!offE || !cntE) continue; // not locatable at all: `geo check` says why; nothing cheap to add here
      const offs = t.values(offE), cnts = t.values(cntE);
      let first: { index: number; end: number } | undefined;
      let cut = 0;
      const n = Math.min(offs.length, cnts.length);
      for (let k = 0; k < n; k++) {
        try { checkBlockRange(L, k, offs[k], cnts[k], t.size); } catch (e) {
          if (!(e instanceof AppError)) throw e;
          cut++;
          first ??= { index: k, end: offs[k]! + cnts[k]! };
        }
      }
      if (first) {
        out.push(`truncated: ${where}${kindName} ${first.index} ends at byte ${first.end} past the end of the file (size ${t.size})${cut > 1 ? `; ${cut} of ${n} ${kindName}s are cut` : ''}`);
      }
    }
    const main = t.ifds.find((i) => i.parent === undefined);
    if (main) {
      const has = (tag: number) => main.entries.has(tag);
      const crs = has(Tag.GeoKeyDirectory);
      const gt = has(Tag.ModelTiepoint) || has(Tag.ModelTransformation) || has(Tag.RPCCoefficients);
      const sidecar = GEO_SIDECARS.some((s) => existsSync(absPath + s) || existsSync(absPath.slice(0, -extname(absPath).length) + s));
      if (!crs && !gt && !sidecar) out.push('no georeferencing: no CRS and no geotransform');
    }
  } finally { t.close(); }
  return out;
}

export interface RasterWarning { file: string; message: string }

export interface QuickCheckResult {
  warnings: RasterWarning[];
  /** Rasters checked. */
  checked: number;
  /** Set when there were more candidate rasters than `cap`: how many were not checked. */
  skipped?: number;
}

/**
 * Checks the TIFFs among `files` (by extension, then by content), at most `cap` of them, with
 * bounded concurrency. `label(file)` names a file in the warnings.
 */
export async function quickCheckRasters(files: readonly string[], opts: { cap?: number; concurrency?: number; label?: (f: string) => string; signal?: AbortSignal } = {}): Promise<QuickCheckResult> {
  const cap = opts.cap ?? 1000;
  const candidates = files.filter((f) => TIFF_EXT.has(extname(f).toLowerCase()));
  const todo = candidates.slice(0, cap);
  const res = await mapLimit(todo, opts.concurrency ?? 8, async (f) => {
    await new Promise<void>((r) => setImmediate(r)); // header reads are sync: let Ctrl-C and progress through
    return quickCheckTiff(f).map((message) => ({ file: opts.label ? opts.label(f) : f, message }));
  }, opts.signal);
  return { warnings: res.flat(), checked: todo.length, ...(candidates.length > cap ? { skipped: candidates.length - cap } : {}) };
}
