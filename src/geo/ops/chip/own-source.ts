/**
 * The own TIFF reader of `geo chip` (used without native GDAL, and for remote inputs read in place
 * by byte ranges): the source's header and block table, raw and decoded blocks (node:zlib for
 * DEFLATE, bounded LZW/PackBits, geotiff.js decoders for ZSTD/LERC/JPEG/...), remote tiles staged
 * ahead of use. Every size the header declares is checked against the decode budget first.
 */
import { basename, extname } from 'node:path';
import { inflateSync } from 'node:zlib';
import { AppError, InvalidFileError } from '../../../lib/errors.js';
import { TiffFile, TiffFormatError, Tag, parseRemote, type AsyncByteReader, type TiffIfd } from '../../raster/tiff.js';
import { checkBlockRange, checkDecodeBudget, decodeBudgetBytes, type TiffLayout } from '../../raster/budget.js';
import { decodeLzw } from '../../raster/lzw.js';
import { decodePackBits } from '../../raster/packbits.js';
import { checkStreamDeclared } from '../../raster/codec-guard.js';
import type { RasterInfo } from '../../raster/info.js';
import { describeGeoTiff } from '../../raster/geotiff-info.js';
import type { CoordinateSystem } from '../../raster/types.js';
import { T, type TagValue } from '../tiff-writer.js';
import type { ChipInput } from './types.js';

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


export interface Source {
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

export function openSource(path: string, info: RasterInfo, name = basename(path)): Source {
  return sourceFromTiff(TiffFile.open(path), path, name, info);
}

/** A remote raster: its header parsed from a few ranged reads (the tiles are read per chip). */
export async function openRemoteSource(inp: ChipInput, signal?: AbortSignal): Promise<Source> {
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
export function stageBlocks(s: Source, wanted: Set<number>): void {
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
export function windowBlocks(s: Source, x0: number, y0: number, w: number, h: number, bands: number[], fast: boolean, out: Set<number>): void {
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

export async function decodeBlock(s: Source, index: number, rows: number): Promise<Uint8Array> {
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
      throw new InvalidFileError(`${s.layout.file}: ${s.layout.image} ${s.tiled ? 'tile' : 'strip'} ${index} (${raw.byteLength} bytes at offset ${s.offsets[index]}) does not decode: ${(e as Error).message}`, { cause: e, hint: 'the block is corrupt or crafted; `geodvc geo check` lists every bad block' });
    }
  }
  s.cache.set(index, out);
  if (s.cache.size > s.cacheMax) s.cache.delete(s.cache.keys().next().value!);
  return out;
}

/** The raw (compressed) bytes of a block, its byte range checked against the file size first. */
export function rawBlock(s: Source, index: number): Promise<Uint8Array> | Uint8Array {
  if (s.remote) return remoteBlock(s, index);
  checkBlockRange(s.layout, index, s.offsets[index], s.counts[index], s.tiff.size);
  return s.tiff.read(s.offsets[index]!, s.counts[index]!);
}

