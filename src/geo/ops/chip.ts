/**
 * `geo chip`: cut GeoTIFF chips with exact geotransforms from (Geo)TIFF rasters.
 *
 * Reads are windowed: only the blocks a chip touches are read (a 10 GB scene never loads whole).
 * Fast path: when a chip is exactly one source tile (size = tile size, window on the tile grid,
 * all bands), the compressed tile is copied verbatim into the chip. Otherwise the touched blocks
 * are decoded (node:zlib for DEFLATE, geotiff.js decoders for LZW/ZSTD/LERC/PackBits/...), the
 * window is assembled (padding with nodata), and the chip is written with DEFLATE.
 * Georeferencing: GeoKeys, GDAL_NODATA and GDAL_METADATA are copied from the source; the tiepoint
 * (or ModelTransformation) is shifted to the window, so GDAL reads the geotransform
 * `gdal_translate -srcwin` would write.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { deflateSync, inflateSync } from 'node:zlib';
import { AppError, InvalidFileError, UsageError } from '../../lib/errors.js';
import { writeFileAtomicSync, tmpPathFor } from '../../lib/atomic.js';
import { throttledProgress, type OpContext } from '../../lib/progress.js';
import { TiffFile, TiffFormatError, Tag, parseRemote, type AsyncByteReader, type TiffIfd } from '../raster/tiff.js';
import { checkBlockRange, checkDecodeBudget, decodeBudgetBytes, type TiffLayout } from '../raster/budget.js';
import { decodeLzw } from '../raster/lzw.js';
import { decodePackBits } from '../raster/packbits.js';
import { checkStreamDeclared } from '../raster/codec-guard.js';
import { readRasterInfo, type RasterInfo } from '../raster/info.js';
import { describeGeoTiff } from '../raster/geotiff-info.js';
import { readVectorFeatures } from '../vector/info.js';
import { transformer, WGS84 } from '../crs/crs.js';
import type { CoordinateSystem } from '../raster/types.js';
import { encodeTiff, T, type TagValue } from './tiff-writer.js';
import { listInputs } from './info.js';

export type EdgeMode = 'drop' | 'pad' | 'shift';

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
  /**
   * The rasters to chip, instead of listing `input` (which then only names the input): local files
   * or remote objects read in place by byte ranges (e.g. tracked rasters at a revision, see
   * `chipTracked` in core/api).
   */
  inputs?: ChipInput[];
  /** Remote inputs: chips whose tiles are fetched ahead of the one being cut (default 2). */
  lookahead?: number;
  /**
   * Worker threads for local inputs (default: the number of cores). Chip windows are dealt out
   * round-robin; each worker decodes, encodes and writes its own chips, the index is merged here.
   */
  jobs?: number;
  /** Internal (a worker's share): only windows with k % count === index; no index, no cleanup. */
  part?: { index: number; count: number };
}

/** One raster to chip. */
export interface ChipInput {
  /** File name the chips and the index are named after (`scene.tif` -> `scene_r0_c0.tif`). */
  name: string;
  /** A local file with the bytes (read with positional reads). */
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
export interface ChipResult { chips: ChipRecord[]; written: number; unchanged: number; skippedNodata: number; skippedAoi: number; index: string; removed: number }

export const CHIP_INDEX = 'chips.geojson';

export function describeIO(args: { input: string; output: string; aoi?: string }): { deps: string[]; outs: string[] } {
  return { deps: [args.input, ...(args.aoi ? [args.aoi] : [])], outs: [args.output] };
}

// ---------- decoding ----------
let decodersReady: Promise<any> | undefined;
function geotiffDecoders(): Promise<any> {
  decodersReady ??= import('geotiff').then((g: any) => {
    // never more than the block the header declares (a DEFLATE, LZW or PackBits bomb stops here, not at 4 GiB)
    // (registered process-wide: geotiff.js's own parameters carry no samplesPerPixel, but one BitsPerSample per sample)
    const declared = (p: { tileWidth: number; tileHeight: number; bitsPerSample: number | ArrayLike<number>; planarConfiguration: number; samplesPerPixel?: number }) => {
      const bps = typeof p.bitsPerSample === 'number' ? [p.bitsPerSample] : Array.from(p.bitsPerSample);
      const samples = p.planarConfiguration === 2 ? 1 : (p.samplesPerPixel ?? bps.length);
      return Math.ceil((p.tileWidth * samples * Math.max(...bps)) / 8) * p.tileHeight;
    };
    class LzwDecoder extends g.BaseDecoder {
      decodeBlock(buffer: ArrayBuffer): ArrayBuffer {
        const expected = declared(this.parameters);
        const out = decodeLzw(new Uint8Array(buffer), Math.max(1, expected));
        return out.length === out.buffer.byteLength ? out.buffer as ArrayBuffer : out.slice().buffer as ArrayBuffer;
      }
    }
    g.addDecoder(5, () => Promise.resolve(LzwDecoder), undefined, false);
    class PackBitsDecoder extends g.BaseDecoder {
      decodeBlock(buffer: ArrayBuffer): ArrayBuffer {
        const out = decodePackBits(new Uint8Array(buffer), Math.max(1, declared(this.parameters)));
        return out.length === out.buffer.byteLength ? out.buffer as ArrayBuffer : out.slice().buffer as ArrayBuffer;
      }
    }
    g.addDecoder(32773, () => Promise.resolve(PackBitsDecoder), undefined, false);
    class ZlibDecoder extends g.BaseDecoder {
      decodeBlock(buffer: ArrayBuffer): ArrayBuffer {
        const expected = declared(this.parameters);
        let out: Buffer;
        try { out = inflateSync(new Uint8Array(buffer), { maxOutputLength: Math.max(1, expected) }); } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new Error(`inflates to more than the ${expected} bytes the header declares for it`);
          throw e;
        }
        return out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out.buffer as ArrayBuffer : (out.buffer as ArrayBuffer).slice(out.byteOffset, out.byteOffset + out.byteLength);
      }
    }
    g.addDecoder([8, 32946], () => Promise.resolve(ZlibDecoder), undefined, false);
    return g;
  });
  return decodersReady;
}

interface Source {
  path: string;
  name: string;
  tiff: TiffFile;
  ifd: TiffIfd;
  info: RasterInfo;
  width: number;
  height: number;
  spp: number;
  bps: number[];
  bytes: number;
  sampleFormat: number[];
  planar: number;
  compression: number;
  predictor: number;
  tiled: boolean;
  blockW: number;
  blockH: number;
  offsets: Float64Array;
  counts: Float64Array;
  /** The header's block layout, checked against the decode budget when the source was opened. */
  layout: TiffLayout;
  gt: number[];
  nodata?: number;
  crs?: CoordinateSystem;
  copyTags: TagValue[];
  pixelIsPoint: boolean;
  photometric: number;
  decoders: Map<number, any>;
  cache: Map<number, Uint8Array>;
  cacheMax: number;
  /** Tags copied into chips (ExtraSamples, ColorMap, JPEGTables, LercParameters), read once with the header. */
  chipTags: Map<number, number[]>;
  /** Remote inputs: raw tiles requested ahead of use (block index -> bytes). */
  remote?: { reader: AsyncByteReader; staged: Map<number, Promise<Uint8Array>>; signal?: AbortSignal };
}

function tagValues(t: TiffFile, ifd: TiffIfd, tag: number): number[] | undefined {
  const e = ifd.entries.get(tag);
  return e ? t.values(e) : undefined;
}

function openSource(path: string, info: RasterInfo, name = basename(path)): Source {
  return sourceFromTiff(TiffFile.open(path), path, name, info);
}

/** A remote raster: its header parsed from a few ranged reads (the tiles are read per chip). */
async function openRemoteSource(inp: ChipInput, signal?: AbortSignal): Promise<Source> {
  const label = `${inp.remote!.describe ?? 'remote'}#${inp.name}`;
  try {
    const s = await parseRemote(inp.remote!, (bytes) => {
      const t = TiffFile.fromReader(bytes, label);
      try { return sourceFromTiff(t, label, inp.name, describeGeoTiff(t, label)); } catch (e) { t.close(); throw e; }
    }, { signal });
    s.remote = { reader: inp.remote!, staged: new Map(), signal };
    return s;
  } catch (e) {
    if (e instanceof TiffFormatError) throw new InvalidFileError(`${inp.name}: ${e.message}${e.offset !== undefined ? ` (byte offset ${e.offset})` : ''}`, { cause: e, hint: 'geo chip reads GeoTIFF/COG files; check the object with `geodvc geo check` after a pull' });
    throw e;
  }
}

/** The raw (compressed) bytes of block `index` of a remote source: staged ahead, or fetched now. */
function remoteBlock(s: Source, index: number): Promise<Uint8Array> {
  const r = s.remote!;
  const staged = r.staged.get(index);
  if (staged) return staged;
  const off = s.offsets[index]!, n = s.counts[index]!;
  checkBlockRange(s.layout, index, off, n, s.tiff.size);
  if (!n) return Promise.resolve(new Uint8Array(0));
  return r.reader.read(off, n, r.signal).then((d) => {
    if (d.length < n) throw new InvalidFileError(`${s.name}: block ${index} is cut off (${d.length} of ${n} bytes at offset ${off})`, { hint: 'the object is truncated on the remote; run `geodvc geo check` on a pulled copy' });
    return d;
  });
}

/** Requests the blocks not yet staged (together, so the reader fetches them concurrently); drops the others. */
function stageBlocks(s: Source, wanted: Set<number>): void {
  const r = s.remote!;
  for (const k of [...r.staged.keys()]) if (!wanted.has(k)) r.staged.delete(k);
  for (const i of wanted) {
    if (r.staged.has(i) || s.cache.has(i)) continue;
    const p = remoteBlock(s, i);
    p.catch(() => { /* reported where it is awaited */ });
    r.staged.set(i, p);
  }
}

/** Block indices a chip window reads (the same walk as `readWindow`, or the fast path's tiles). */
function windowBlocks(s: Source, x0: number, y0: number, w: number, h: number, bands: number[], fast: boolean, out: Set<number>): void {
  const bxs = Math.ceil(s.width / s.blockW), bys = Math.ceil(s.height / s.blockH);
  const cx0 = Math.max(0, x0), cy0 = Math.max(0, y0), cx1 = Math.min(s.width, x0 + w), cy1 = Math.min(s.height, y0 + h);
  if (cx1 <= cx0 || cy1 <= cy0) return;
  for (let by = Math.floor(cy0 / s.blockH); by * s.blockH < cy1; by++) {
    for (let bx = Math.floor(cx0 / s.blockW); bx * s.blockW < cx1; bx++) {
      if (s.planar === 1) out.add(by * bxs + bx);
      else if (fast) for (let k = 0; k < s.spp; k++) out.add(k * bxs * bys + by * bxs + bx);
      else for (const b of bands) out.add((b - 1) * bxs * bys + by * bxs + bx);
    }
  }
}

function sourceFromTiff(tiff: TiffFile, path: string, name: string, info: RasterInfo): Source {
  const ifd = tiff.ifds.find((i) => i.parent === undefined)!;
  // sizes from the header, refused before anything is allocated when over the decode budget
  let layout: TiffLayout;
  try { layout = checkDecodeBudget({ tiff, ifd, file: name }); } catch (e) { tiff.close(); throw e; }
  const v = (tag: number) => tiff.value(ifd, tag);
  const spp = v(Tag.SamplesPerPixel) ?? 1;
  const bps = tagValues(tiff, ifd, Tag.BitsPerSample) ?? [1];
  const bpsAll = bps.length === spp ? bps : new Array(spp).fill(bps[0]);
  if (bpsAll.some((b) => b !== bpsAll[0] || (b !== 8 && b !== 16 && b !== 32 && b !== 64))) {
    tiff.close();
    throw new AppError('unsupported-raster', `${name}: ${bps.join('/')}-bit samples are not supported by geo chip`, 1, { hint: 'convert to 8/16/32/64-bit samples first (gdal_translate -ot)' });
  }
  const { tiled, width, height, blockW, blockH } = layout;
  const offE = ifd.entries.get(tiled ? Tag.TileOffsets : Tag.StripOffsets);
  const cntE = ifd.entries.get(tiled ? Tag.TileByteCounts : Tag.StripByteCounts);
  if (!offE || !cntE) { tiff.close(); throw new AppError('invalid-file', `${name}: no block offsets`, 1, { hint: 'the TIFF is damaged; run geodvc geo check' }); }
  const copyTags: TagValue[] = [];
  const copyShort = (tag: number) => { const x = tagValues(tiff, ifd, tag); if (x) copyTags.push({ tag, type: T.SHORT, values: x }); };
  const copyDouble = (tag: number) => { const x = tagValues(tiff, ifd, tag); if (x) copyTags.push({ tag, type: T.DOUBLE, values: x }); };
  const copyAscii = (tag: number) => { const x = tiff.asciiTag(ifd, tag); if (x !== undefined) copyTags.push({ tag, type: T.ASCII, values: x }); };
  copyShort(Tag.GeoKeyDirectory); copyDouble(Tag.GeoDoubleParams); copyAscii(Tag.GeoAsciiParams);
  copyAscii(Tag.GdalMetadata); copyAscii(Tag.GdalNodata);
  const keys = tagValues(tiff, ifd, Tag.GeoKeyDirectory) ?? [];
  let pixelIsPoint = false;
  for (let i = 4; i + 3 < keys.length; i += 4) if (keys[i] === 1025 && keys[i + 1] === 0 && keys[i + 3] === 2) pixelIsPoint = true;
  const nd = info.bands[0]?.noDataValue;
  const nodata = nd === undefined ? undefined : typeof nd === 'number' ? nd : Number(nd);
  if (!info.geoTransform) { tiff.close(); throw new AppError('no-georeferencing', `${name} has no geotransform`, 1, { hint: 'chips need georeferenced rasters; GCP-only rasters must be warped first (geo reproject)' }); }
  return {
    path, name: basename(name, extname(name)), tiff, ifd, info, width, height, spp, bps: bpsAll, bytes: bpsAll[0]! / 8,
    sampleFormat: tagValues(tiff, ifd, Tag.SampleFormat) ?? [1], planar: v(Tag.PlanarConfig) ?? 1,
    compression: v(Tag.Compression) ?? 1, predictor: v(Tag.Predictor) ?? 1, tiled, blockW, blockH,
    offsets: tiff.array(offE), counts: tiff.array(cntE), layout, gt: info.geoTransform, nodata, crs: info.coordinateSystem,
    copyTags, pixelIsPoint, photometric: v(Tag.Photometric) ?? 1, decoders: new Map(), cache: new Map(),
    cacheMax: Math.max(2, Math.min(Math.ceil(width / blockW) * 2 + 8, Math.floor(decodeBudgetBytes() / layout.blockBytes))),
    chipTags: new Map([Tag.ExtraSamples, Tag.ColorMap, Tag.JPEGTables, Tag.LercParameters].flatMap((tag) => { const x = tagValues(tiff, ifd, tag); return x ? [[tag, x] as [number, number[]]] : []; })),
  };
}

async function decodeBlock(s: Source, index: number, rows: number): Promise<Uint8Array> {
  const hit = s.cache.get(index);
  if (hit) { s.cache.delete(index); s.cache.set(index, hit); return hit; }
  const raw = await rawBlock(s, index);
  let out: Uint8Array;
  if (s.compression === 1) out = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  else {
    let dec = s.decoders.get(rows);
    if (!dec) {
      const g = await geotiffDecoders();
      dec = await g.getDecoder(s.compression, { tileWidth: s.blockW, tileHeight: rows, predictor: s.predictor, bitsPerSample: s.bps, planarConfiguration: s.planar, samplesPerPixel: s.spp });
      s.decoders.set(rows, dec);
    }
    checkStreamDeclared(s.layout, index, raw); // JPEG/LERC/ZSTD sizes inside the stream, before the decoder trusts them
    const ab = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
    try { out = new Uint8Array(await dec.decode(ab)); } catch (e) {
      throw new InvalidFileError(`${s.layout.file}: ${s.layout.image} ${s.tiled ? 'tile' : 'strip'} ${index} (${raw.byteLength} bytes at offset ${s.offsets[index]}) does not decode: ${(e as Error).message}`, { cause: e, hint: 'the block is corrupt or crafted; `geodvc geo check --deep` lists every bad block' });
    }
  }
  s.cache.set(index, out);
  if (s.cache.size > s.cacheMax) s.cache.delete(s.cache.keys().next().value!);
  return out;
}

/** The raw (compressed) bytes of a block, its byte range checked against the file size first. */
function rawBlock(s: Source, index: number): Promise<Uint8Array> | Uint8Array {
  if (s.remote) return remoteBlock(s, index);
  checkBlockRange(s.layout, index, s.offsets[index], s.counts[index], s.tiff.size);
  return s.tiff.read(s.offsets[index]!, s.counts[index]!);
}

/** The fill bytes of one sample (nodata, or 0) in the source byte order. */
function fillSample(s: Source, value: number): Uint8Array {
  const b = new Uint8Array(s.bytes);
  const dv = new DataView(b.buffer);
  const le = s.tiff.little;
  const sf = s.sampleFormat[0] ?? 1;
  if (sf === 3) { if (s.bytes === 4) dv.setFloat32(0, value, le); else dv.setFloat64(0, value, le); }
  else if (s.bytes === 1) dv.setUint8(0, sf === 2 ? value & 0xff : value);
  else if (s.bytes === 2) { if (sf === 2) dv.setInt16(0, value, le); else dv.setUint16(0, value, le); }
  else if (s.bytes === 4) { if (sf === 2) dv.setInt32(0, value, le); else dv.setUint32(0, value, le); }
  else dv.setBigInt64(0, BigInt(Math.trunc(value)), le);
  return b;
}

/**
 * Assembles a window into pixel-interleaved (planar 1 output) samples of the selected bands, in
 * the source byte order; padding outside the raster with nodata (or 0).
 */
async function readWindow(s: Source, x0: number, y0: number, w: number, h: number, bands: number[]): Promise<Uint8Array> {
  const nb = bands.length;
  const B = s.bytes;
  const px = nb * B;
  const out = new Uint8Array(w * h * px);
  const inside = x0 >= 0 && y0 >= 0 && x0 + w <= s.width && y0 + h <= s.height;
  if (!inside) {
    const f = fillSample(s, s.nodata !== undefined && Number.isFinite(s.nodata) ? s.nodata : (s.nodata !== undefined && Number.isNaN(s.nodata) ? NaN : 0));
    if (f.some((x) => x !== 0)) for (let i = 0; i < out.length; i += B) out.set(f, i);
  }
  const bxs = Math.ceil(s.width / s.blockW);
  const bys = Math.ceil(s.height / s.blockH);
  const cx0 = Math.max(0, x0), cy0 = Math.max(0, y0), cx1 = Math.min(s.width, x0 + w), cy1 = Math.min(s.height, y0 + h);
  if (cx1 <= cx0 || cy1 <= cy0) return out;
  const allBands = s.planar === 1 && nb === s.spp && bands.every((b, i) => b === i + 1);
  for (let by = Math.floor(cy0 / s.blockH); by * s.blockH < cy1; by++) {
    const rowsInBlock = s.tiled ? s.blockH : Math.min(s.blockH, s.height - by * s.blockH);
    for (let bx = Math.floor(cx0 / s.blockW); bx * s.blockW < cx1; bx++) {
      const ix0 = Math.max(cx0, bx * s.blockW), ix1 = Math.min(cx1, (bx + 1) * s.blockW);
      const iy0 = Math.max(cy0, by * s.blockH), iy1 = Math.min(cy1, by * s.blockH + rowsInBlock);
      if (s.planar === 1) {
        const blk = await decodeBlock(s, by * bxs + bx, rowsInBlock);
        const spx = s.spp * B;
        for (let y = iy0; y < iy1; y++) {
          const srcRow = ((y - by * s.blockH) * s.blockW + (ix0 - bx * s.blockW)) * spx;
          const dstRow = ((y - y0) * w + (ix0 - x0)) * px;
          if (allBands) out.set(blk.subarray(srcRow, srcRow + (ix1 - ix0) * spx), dstRow);
          else {
            for (let x = 0; x < ix1 - ix0; x++) {
              for (let k = 0; k < nb; k++) {
                const so = srcRow + x * spx + (bands[k]! - 1) * B;
                const d = dstRow + x * px + k * B;
                for (let q = 0; q < B; q++) out[d + q] = blk[so + q]!;
              }
            }
          }
        }
      } else {
        for (let k = 0; k < nb; k++) {
          const blk = await decodeBlock(s, (bands[k]! - 1) * bxs * bys + by * bxs + bx, rowsInBlock);
          for (let y = iy0; y < iy1; y++) {
            const srcRow = ((y - by * s.blockH) * s.blockW + (ix0 - bx * s.blockW)) * B;
            const dstRow = ((y - y0) * w + (ix0 - x0)) * px + k * B;
            for (let x = 0; x < ix1 - ix0; x++) {
              const so = srcRow + x * B, d = dstRow + x * px;
              for (let q = 0; q < B; q++) out[d + q] = blk[so + q]!;
            }
          }
        }
      }
    }
  }
  return out;
}

const LITTLE_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Fraction of pixels whose selected samples all equal nodata (NaN nodata matches NaN). */
function nodataFraction(s: Source, buf: Uint8Array, nb: number): number {
  if (s.nodata === undefined) return 0;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const le = s.tiff.little;
  const B = s.bytes, sf = s.sampleFormat[0] ?? 1;
  if (le && LITTLE_HOST && buf.byteOffset % B === 0) {
    // fast path: a typed view in the host byte order
    const T = B === 1 ? (sf === 2 ? Int8Array : Uint8Array) : B === 2 ? (sf === 2 ? Int16Array : Uint16Array)
      : B === 4 ? (sf === 3 ? Float32Array : sf === 2 ? Int32Array : Uint32Array) : sf === 3 ? Float64Array : undefined;
    if (T) {
      const a = new T(buf.buffer as ArrayBuffer, buf.byteOffset, buf.byteLength / B);
      const nd = s.nodata;
      const nan = Number.isNaN(nd);
      const ndf = T === Float32Array ? Math.fround(nd) : nd;
      const n = a.length / nb;
      let count = 0;
      for (let i = 0, o = 0; i < n; i++, o += nb) {
        let k = 0;
        if (nan) { while (k < nb && Number.isNaN(a[o + k])) k++; } else { while (k < nb && a[o + k] === ndf) k++; }
        if (k === nb) count++;
      }
      return count / n;
    }
  }
  const read = B === 1 ? (o: number) => (sf === 2 ? dv.getInt8(o) : dv.getUint8(o))
    : B === 2 ? (o: number) => (sf === 2 ? dv.getInt16(o, le) : dv.getUint16(o, le))
    : B === 4 ? (o: number) => (sf === 3 ? dv.getFloat32(o, le) : sf === 2 ? dv.getInt32(o, le) : dv.getUint32(o, le))
    : (o: number) => (sf === 3 ? dv.getFloat64(o, le) : Number(dv.getBigInt64(o, le)));
  const nd = s.nodata;
  const nan = Number.isNaN(nd);
  const ndf = B === 4 && sf === 3 ? Math.fround(nd) : nd;
  const n = buf.length / (nb * B);
  let count = 0;
  for (let i = 0; i < n; i++) {
    let all = true;
    for (let k = 0; k < nb; k++) {
      const v = read((i * nb + k) * B);
      if (nan ? !Number.isNaN(v) : v !== ndf) { all = false; break; }
    }
    if (all) count++;
  }
  return count / n;
}

/**
 * TIFF predictor 2 (horizontal differencing) in place, for integer samples in the host byte
 * order: DEFLATE then runs ~4x smaller and faster. Returns false (buffer untouched) otherwise.
 */
function applyHorizontalPredictor(s: Source, buf: Uint8Array, width: number, nb: number): boolean {
  const sf = s.sampleFormat[0] ?? 1;
  if (sf === 3 || !(s.tiff.little && LITTLE_HOST) || buf.byteOffset % s.bytes !== 0) return false;
  const T = s.bytes === 1 ? Uint8Array : s.bytes === 2 ? Uint16Array : s.bytes === 4 ? Uint32Array : undefined;
  if (!T) return false;
  const a = new T(buf.buffer as ArrayBuffer, buf.byteOffset, buf.byteLength / s.bytes);
  const row = width * nb;
  for (let o = 0; o < a.length; o += row) {
    for (let i = o + row - 1; i >= o + nb; i--) a[i] = a[i]! - a[i - nb]!;
  }
  return true;
}

function geoTags(s: Source, x0: number, y0: number): TagValue[] {
  const [a, b, c, d, e, f] = s.gt as [number, number, number, number, number, number];
  const X = a + x0 * b + y0 * c, Y = d + x0 * e + y0 * f;
  if (c === 0 && e === 0) {
    const half = s.pixelIsPoint ? 0.5 : 0;
    return [
      { tag: Tag.ModelPixelScale, type: T.DOUBLE, values: [b, -f, 0] },
      { tag: Tag.ModelTiepoint, type: T.DOUBLE, values: [0, 0, 0, X + half * b, Y + half * f, 0] },
    ];
  }
  const half = s.pixelIsPoint ? 0.5 : 0;
  const X2 = X + half * (b + c), Y2 = Y + half * (e + f);
  return [{ tag: Tag.ModelTransformation, type: T.DOUBLE, values: [b, c, 0, X2, e, f, 0, Y2, 0, 0, 0, 0, 0, 0, 0, 1] }];
}

function baseTags(s: Source, nb: number, allBands: boolean, compression: number, predictor: number, planar: number): TagValue[] {
  const tags: TagValue[] = [
    { tag: Tag.BitsPerSample, type: T.SHORT, values: new Array(nb).fill(s.bps[0]) },
    { tag: Tag.Compression, type: T.SHORT, values: [compression] },
    { tag: Tag.Photometric, type: T.SHORT, values: [allBands ? s.photometric : 1] },
    { tag: Tag.SamplesPerPixel, type: T.SHORT, values: [nb] },
    { tag: Tag.PlanarConfig, type: T.SHORT, values: [planar] },
    { tag: Tag.SampleFormat, type: T.SHORT, values: new Array(nb).fill(s.sampleFormat[0] ?? 1) },
  ];
  if (predictor !== 1) tags.push({ tag: Tag.Predictor, type: T.SHORT, values: [predictor] });
  if (allBands) {
    const es = s.chipTags.get(Tag.ExtraSamples); if (es) tags.push({ tag: Tag.ExtraSamples, type: T.SHORT, values: es });
    const cm = s.chipTags.get(Tag.ColorMap); if (cm) tags.push({ tag: Tag.ColorMap, type: T.SHORT, values: cm });
  } else if (nb > 1) {
    tags.push({ tag: Tag.ExtraSamples, type: T.SHORT, values: new Array(nb - 1).fill(0) });
  }
  return tags;
}

/** Windows along one axis: offsets of chips of `size` with `stride` over `n` pixels. */
export function windows(n: number, size: number, stride: number, edge: EdgeMode): number[] {
  const out: number[] = [];
  if (edge === 'pad') { for (let o = 0; o < n; o += stride) { out.push(o); if (o + size >= n) break; } return out; }
  for (let o = 0; o + size <= n; o += stride) out.push(o);
  if (edge === 'shift' && (out.length === 0 || out[out.length - 1]! + size < n)) out.push(n - size);
  return out;
}

async function md5File(path: string): Promise<string> {
  const h = createHash('md5');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

function crsLabel(c?: CoordinateSystem): string { return c?.epsg ? `EPSG:${c.epsg}` : (c?.name ?? ''); }

async function aoiBoxes(aoi: string, crs: CoordinateSystem | undefined): Promise<[number, number, number, number][]> {
  const sets = await readVectorFeatures(resolve(aoi));
  const boxes: [number, number, number, number][] = [];
  for (const set of sets) {
    if (!set.crs) throw new AppError('no-crs', `AOI ${aoi} has no CRS`, 1, { hint: 'give the vector a CRS (a .prj for shapefiles, a crs member or EPSG:4326 GeoJSON)' });
    const tr = crs ? transformer(set.crs, crs) : (xy: [number, number]) => xy;
    for (const f of set.features) {
      if (!f.geometry) continue;
      let b: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
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

/** The rasters to chip: `opts.inputs`, or the rasters listed under `opts.input` (VRTs left out). */
function chipInputs(opts: ChipOptions): ChipInput[] {
  return opts.inputs ?? listInputs(opts.input, 'raster').filter((f) => !/\.vrt$/i.test(f)).map((f) => ({ name: basename(f), file: f }));
}

/** Windows below this count are cut in this thread (a worker's start-up would cost more). */
const PARALLEL_MIN_WINDOWS = 48;

export async function chip(opts: ChipOptions): Promise<ChipResult> {
  const jobs = Math.max(1, Math.floor(opts.jobs ?? availableParallelism()));
  if (opts.part || jobs <= 1 || opts.inputs?.some((i) => i.remote)) return chipSerial(opts);
  const inputs = chipInputs(opts);
  // count the windows cheaply (headers only) to decide whether workers pay off
  let windowsTotal = 0;
  const size = opts.size;
  const stride = opts.stride ?? size - (opts.overlap ?? 0);
  if (!(Number.isInteger(size) && size > 0 && Number.isInteger(stride) && stride > 0)) return chipSerial(opts); // its errors
  for (const inp of inputs) {
    if (!inp.file) return chipSerial(opts);
    try {
      const info = await readRasterInfo(inp.file);
      const t = TiffFile.open(inp.file);
      try { checkDecodeBudget({ tiff: t, file: inp.name }); } finally { t.close(); } // over budget: the serial path reports it, before workers start
      windowsTotal += windows(info.size[0], size, stride, opts.edge ?? 'drop').length * windows(info.size[1], size, stride, opts.edge ?? 'drop').length;
    } catch { return chipSerial(opts); } // the serial path reports it
  }
  if (windowsTotal < PARALLEL_MIN_WINDOWS) return chipSerial(opts);
  return chipParallel(opts, inputs, jobs);
}

async function chipParallel(opts: ChipOptions, inputs0: ChipInput[], jobs: number): Promise<ChipResult> {
  const progress = throttledProgress(opts.onProgress);
  // validate everything the serial path would, on the first window, before starting workers
  const outDir = resolve(opts.output);
  mkdirSync(outDir, { recursive: true });
  const inputs: ChipInput[] = [];
  for (const inp of inputs0) {
    progress({ phase: 'hashing', item: inp.name });
    inputs.push({ name: inp.name, file: inp.file, md5: inp.md5 ?? await md5File(inp.file!) });
  }
  const { onProgress: _p, signal, logger: _l, ...plain } = opts;
  const base = { ...plain, inputs, jobs: 1 };
  const { Worker } = await import('node:worker_threads');
  const code = chipWorkerCode();
  const doneBy = new Array<number>(jobs).fill(0);
  const parts = await Promise.all(Array.from({ length: jobs }, (_, index) => new Promise<ChipResult>((resolvePart, reject) => {
    const w = new Worker(code, { eval: true, workerData: { opts: { ...base, part: { index, count: jobs } } } });
    const onAbort = () => { void w.terminate(); reject(signal?.reason ?? new Error('aborted')); };
    signal?.addEventListener('abort', onAbort, { once: true });
    w.on('message', (m: { type: string; done?: number; result?: ChipResult; error?: { message: string; code?: string; hint?: string; exitCode?: number } }) => {
      if (m.type === 'progress') { doneBy[index] = m.done ?? 0; progress({ phase: 'chipping', done: doneBy.reduce((a, b) => a + b, 0) }); return; }
      signal?.removeEventListener('abort', onAbort);
      if (m.type === 'done') resolvePart(m.result!);
      else reject(m.error?.code ? new AppError(m.error.code, m.error.message, m.error.exitCode ?? 1, { hint: m.error.hint }) : new Error(m.error?.message));
      void w.terminate();
    });
    w.once('error', (e) => { signal?.removeEventListener('abort', onAbort); reject(e); });
  })));
  progress({ phase: 'chipping', finished: true });
  // the serial order: inputs in order, windows row-major
  const order = new Map(inputs.map((i, n) => [i.name, n]));
  const records = parts.flatMap((p) => p.chips).sort((x, y) => (order.get(x.source)! - order.get(y.source)!) || (x.row - y.row) || (x.col - y.col));
  const sum = (k: 'written' | 'unchanged' | 'skippedNodata' | 'skippedAoi') => parts.reduce((a, p) => a + p[k], 0);
  const paramsKey = chipParamsKey(opts);
  return finishChips(outDir, inputs, records, join(outDir, opts.indexName ?? CHIP_INDEX), paramsKey,
    { written: sum('written'), unchanged: sum('unchanged'), skippedNodata: sum('skippedNodata'), skippedAoi: sum('skippedAoi') });
}

/** The worker entry, as eval'ed code (tsx's loader registered first when running from sources). */
function chipWorkerCode(): string {
  const self = import.meta.url;
  const ext = self.endsWith('.ts') ? '.ts' : '.js';
  const target = JSON.stringify(new URL(`./chip-worker${ext}`, self).href);
  if (ext === '.ts') return `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${target}); })`;
  return `import(${target})`;
}

function chipParamsKey(opts: ChipOptions): string {
  const size = opts.size;
  const stride = opts.stride ?? size - (opts.overlap ?? 0);
  return JSON.stringify({ size, stride, edge: opts.edge ?? 'drop', maxNodata: opts.maxNodata ?? 1, bands: opts.bands ?? null, aoi: opts.aoi ? resolve(opts.aoi) : null, v: 1 });
}

async function chipSerial(opts: ChipOptions): Promise<ChipResult> {
  const progress = throttledProgress(opts.onProgress);
  const size = opts.size;
  if (!Number.isInteger(size) || size <= 0) throw new UsageError(`--size must be a positive integer, got ${size}`, { hint: 'e.g. --size 512' });
  if (opts.overlap !== undefined && opts.stride !== undefined) throw new UsageError('--overlap and --stride are mutually exclusive', { hint: 'stride = size - overlap' });
  const stride = opts.stride ?? size - (opts.overlap ?? 0);
  if (!Number.isInteger(stride) || stride <= 0) throw new UsageError(`the stride must be a positive integer (got ${stride})`, { hint: '--overlap must be smaller than --size' });
  const edge = opts.edge ?? 'drop';
  if (!['drop', 'pad', 'shift'].includes(edge)) throw new UsageError(`unknown --edge ${edge}`, { hint: 'use drop, pad or shift' });
  const maxNodata = opts.maxNodata ?? 1;
  const inputs = chipInputs(opts);
  const lookahead = Math.max(0, opts.lookahead ?? 2);
  const outDir = resolve(opts.output);
  mkdirSync(outDir, { recursive: true });
  const indexName = opts.indexName ?? CHIP_INDEX;
  const indexPath = join(outDir, indexName);
  const paramsKey = chipParamsKey(opts);
  const previous = new Map<string, { md5: string; key: string }>();
  try {
    const prev = JSON.parse(readFileSync(indexPath, 'utf8'));
    for (const f of prev.features ?? []) previous.set(f.properties.chip, { md5: f.properties.source_md5, key: prev.params_key });
  } catch { /* first run */ }

  const records: ChipRecord[] = [];
  let written = 0, unchanged = 0, skippedNodata = 0, skippedAoi = 0;
  for (const inp of inputs) {
    let s: Source;
    if (inp.remote) {
      progress({ phase: 'reading header', item: inp.name });
      s = await openRemoteSource(inp, opts.signal);
    } else {
      if (!inp.file) throw new UsageError(`chip input ${inp.name} has neither a file nor a remote reader`, { hint: 'pass file or remote' });
      s = openSource(inp.file, await readRasterInfo(inp.file), inp.name);
    }
    try {
      if (edge !== 'pad' && (size > s.width || size > s.height)) {
        throw new UsageError(`chip size ${size} is larger than ${inp.name} (${s.width}x${s.height})`, { hint: 'use a smaller --size, or --edge pad' });
      }
      const bands = opts.bands ?? Array.from({ length: s.spp }, (_, i) => i + 1);
      for (const b of bands) if (!(b >= 1 && b <= s.spp)) throw new UsageError(`band ${b} does not exist in ${inp.name} (${s.spp} bands)`, { hint: `use bands 1..${s.spp}` });
      checkDecodeBudget(s.layout, { windowBytes: size * size * bands.length * s.bytes, windowLabel: `a ${size}×${size} chip of ${bands.length} band(s)` });
      const allBands = bands.length === s.spp && bands.every((b, i) => b === i + 1);
      const boxes = opts.aoi ? await aoiBoxes(opts.aoi, s.crs) : undefined;
      const toWgs = s.crs ? (() => { try { return transformer(s.crs!, WGS84); } catch { return undefined; } })() : undefined;
      progress({ phase: 'hashing', item: inp.name });
      const md5 = inp.md5 ?? await md5File(inp.file!);
      const xs = windows(s.width, size, stride, edge);
      const ys = windows(s.height, size, stride, edge);
      const total = xs.length * ys.length;
      const [a, b, c, d, e, f] = s.gt as [number, number, number, number, number, number];
      // window k (row-major); `reads`: a remote chip that will fetch tiles (for the lookahead)
      interface Task { k: number; r: number; q: number; x0: number; y0: number; name: string; out: string; fast: boolean; corners: [number, number][]; bounds: [number, number, number, number]; inAoi: boolean; reads: boolean }
      const taskAt = (k: number): Task => {
        const r = Math.floor(k / xs.length), q = k % xs.length;
        const x0 = xs[q]!, y0 = ys[r]!;
        const corners: [number, number][] = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size]].map(([px, py]) => [a + px! * b + py! * c, d + px! * e + py! * f]);
        const bounds: [number, number, number, number] = [
          Math.min(...corners.map((p) => p[0])), Math.min(...corners.map((p) => p[1])),
          Math.max(...corners.map((p) => p[0])), Math.max(...corners.map((p) => p[1])),
        ];
        const inAoi = !boxes || boxes.some((bb) => bb[0] <= bounds[2] && bb[2] >= bounds[0] && bb[1] <= bounds[3] && bb[3] >= bounds[1]);
        const name = `${s.name}_r${r}_c${q}.tif`;
        const out = join(outDir, name);
        const fast = allBands && s.tiled && s.blockW === size && s.blockH === size && x0 % size === 0 && y0 % size === 0 && x0 + size <= s.width && y0 + size <= s.height;
        let reads = false;
        if (s.remote && inAoi) {
          const prev = previous.get(name);
          reads = s.nodata !== undefined || !fast || !(prev && prev.md5 === md5 && prev.key === paramsKey && existsSync(out));
        }
        return { k, r, q, x0, y0, name, out, fast, corners, bounds, inAoi, reads };
      };
      // remote: the reading chips from the current one on, so the tiles of the next `lookahead` are requested early
      const ahead: Task[] = [];
      let scan = 0;
      let done = 0;
      for (let k = 0; k < total; k++) {
        opts.signal?.throwIfAborted();
        if (opts.part && k % opts.part.count !== opts.part.index) continue;
        const t = taskAt(k);
        const { r, q, x0, y0, name, out, fast, corners, bounds } = t;
        done++;
        if (!t.inAoi) { skippedAoi++; continue; }
        if (s.remote && t.reads) {
          while (ahead.length && ahead[0]!.k < k) ahead.shift();
          scan = Math.max(scan, k);
          while (ahead.length < 1 + lookahead && scan < total) { const u = taskAt(scan++); if (u.reads) ahead.push(u); }
          const wanted = new Set<number>();
          for (const u of ahead) windowBlocks(s, u.x0, u.y0, size, size, bands, u.fast && s.nodata === undefined, wanted);
          stageBlocks(s, wanted);
        }
        let frac = 0;
        let pixels: Uint8Array | undefined;
        if (s.nodata !== undefined || !fast) {
          pixels = await readWindow(s, x0, y0, size, size, bands);
          frac = nodataFraction(s, pixels, bands.length);
          // padded pixels of a raster without nodata count as nodata too
          if (s.nodata === undefined && edge === 'pad') {
            const inside = (Math.min(s.width, x0 + size) - x0) * (Math.min(s.height, y0 + size) - y0);
            frac = 1 - inside / (size * size);
          }
        }
        if (frac > maxNodata) { skippedNodata++; continue; }
        const prev = previous.get(name);
        if (prev && prev.md5 === md5 && prev.key === paramsKey && existsSync(out)) unchanged++;
        else {
          let bytes: Buffer;
          if (fast) {
            const bxs = Math.ceil(s.width / s.blockW), bys = Math.ceil(s.height / s.blockH);
            const idx = (y0 / size) * bxs + x0 / size;
            const blocks: Uint8Array[] = [];
            const planes = s.planar === 2 ? s.spp : 1;
            for (let k = 0; k < planes; k++) { const i = k * bxs * bys + idx; blocks.push(await rawBlock(s, i)); }
            bytes = encodeTiff({ littleEndian: s.tiff.little, width: size, height: size, tiled: true, blockW: size, blockH: size, blocks,
              tags: [...baseTags(s, s.spp, true, s.compression, s.predictor, s.planar), ...copyCodecTags(s), ...s.copyTags, ...geoTags(s, x0, y0)] });
          } else {
            const tiled = size % 16 === 0;
            const predictor = applyHorizontalPredictor(s, pixels!, size, bands.length) ? 2 : 1;
            const block = deflateSync(pixels!, { level: 1 });
            bytes = encodeTiff({ littleEndian: s.tiff.little, width: size, height: size, tiled, blockW: size, blockH: size, blocks: [block],
              tags: [...baseTags(s, bands.length, allBands, 8, predictor, 1), ...s.copyTags, ...geoTags(s, x0, y0)] });
          }
          const tmp = tmpPathFor(out);
          writeFileSync(tmp, bytes);
          renameSync(tmp, out);
          written++;
        }
        records.push({
          chip: name, source: inp.name, sourceMd5: md5, window: [x0, y0, size, size], row: r, col: q, nodataFraction: frac,
          bounds, crs: crsLabel(s.crs), footprint: toWgs ? [...corners, corners[0]!].map((p) => toWgs(p)) : [], fastPath: fast,
        });
        progress({ phase: 'chipping', done, total, item: name });
      }
    } finally {
      s.remote?.staged.clear();
      s.tiff.close();
    }
  }
  progress({ phase: 'chipping', finished: true });
  if (opts.part) return { chips: records, written, unchanged, skippedNodata, skippedAoi, index: indexPath, removed: 0 };
  return finishChips(outDir, inputs, records, indexPath, paramsKey, { written, unchanged, skippedNodata, skippedAoi });
}

/** Drops chips of earlier runs that this run no longer produces, writes the index. */
function finishChips(outDir: string, inputs: ChipInput[], records: ChipRecord[], indexPath: string, paramsKey: string,
  counts: { written: number; unchanged: number; skippedNodata: number; skippedAoi: number }): ChipResult {
  const { written, unchanged, skippedNodata, skippedAoi } = counts;
  // drop chips of earlier runs that this run no longer produces
  const keep = new Set(records.map((r) => r.chip));
  const stems = new Set(inputs.map((i) => basename(i.name, extname(i.name))));
  let removed = 0;
  for (const n of readdirSync(outDir)) {
    const m = /^(.*)_r\d+_c\d+\.tif$/.exec(n);
    if (m && stems.has(m[1]!) && !keep.has(n)) { rmSync(join(outDir, n), { force: true }); removed++; }
  }
  writeFileAtomicSync(indexPath, chipIndexGeoJson(records, paramsKey));
  return { chips: records, written, unchanged, skippedNodata, skippedAoi, index: indexPath, removed };
}

function copyCodecTags(s: Source): TagValue[] {
  const out: TagValue[] = [];
  const jt = s.chipTags.get(Tag.JPEGTables);
  if (jt) out.push({ tag: Tag.JPEGTables, type: T.UNDEFINED, values: jt });
  const lp = s.chipTags.get(Tag.LercParameters);
  if (lp) out.push({ tag: Tag.LercParameters, type: T.LONG, values: lp });
  return out;
}

/** The chip index as GeoJSON text (footprints in WGS 84; native bounds and CRS in properties). */
export function chipIndexGeoJson(records: ChipRecord[], paramsKey: string): string {
  const fc = {
    type: 'FeatureCollection',
    params_key: paramsKey,
    features: records.map((r) => ({
      type: 'Feature',
      geometry: r.footprint.length ? { type: 'Polygon', coordinates: [r.footprint] } : null,
      properties: {
        chip: r.chip, source: r.source, source_md5: r.sourceMd5, window: r.window, row: r.row, col: r.col,
        nodata_fraction: r.nodataFraction, bounds: r.bounds, crs: r.crs,
      },
    })),
  };
  return JSON.stringify(fc) + '\n';
}
