/**
 * Decode budget: what a TIFF image would cost to decode, computed from its header alone, checked
 * before anything is allocated. A crafted file can declare one 46336² tile in 2 MB of DEFLATE, or a
 * 1e6 × 1e6 image with two TileOffsets: the header says so, and the reader refuses here with an
 * InvalidFileError naming the file, the image and the block, instead of allocating gigabytes (or
 * failing deep inside Buffer with "size ... Received NaN").
 *
 * The budget (bytes) bounds both one decoded tile/strip and one read window; it comes from
 * `GEODVC_DECODE_BUDGET` (bytes, or with a K/M/G/T suffix, binary units), default 1 GiB.
 */
import { basename } from 'node:path';
import { ConfigError, InvalidFileError } from '../../lib/errors.js';
import { Tag, type TiffFile, type TiffIfd } from './tiff.js';

export const DEFAULT_DECODE_BUDGET = 1024 ** 3;
export const DECODE_BUDGET_ENV = 'GEODVC_DECODE_BUDGET';

const BUDGET_HINT = `if the file is genuine, retile it (gdal_translate -co TILED=YES -co BLOCKXSIZE=512 -co BLOCKYSIZE=512) or raise ${DECODE_BUDGET_ENV} (bytes, e.g. 4G)`;

/** Parses `512M`, `4G`, `1073741824`, `2GiB` (binary units). undefined when it is not a size. */
export function parseByteSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(text);
  if (!m) return undefined;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  const n = Math.floor(Number(m[1]) * mult);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** The decode budget in bytes: `GEODVC_DECODE_BUDGET` when set, else 1 GiB. */
export function decodeBudgetBytes(env: NodeJS.ProcessEnv = process.env): number {
  const v = env[DECODE_BUDGET_ENV];
  if (v === undefined || v === '') return DEFAULT_DECODE_BUDGET;
  const n = parseByteSize(v);
  if (n === undefined) throw new ConfigError(`${DECODE_BUDGET_ENV}=${v} is not a size in bytes`, { hint: `set it to a byte count or a size such as 512M or 4G, or unset it for the default (1G)` });
  return n;
}

/** Human-readable binary size: `2.0 GiB`, `512.0 MiB`, `900 B`. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let u = 0;
  let v = n;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** The block layout of one TIFF image, from its header only (no offset arrays read). */
export interface TiffLayout {
  /** File name for messages. */
  file: string;
  /** "IFD #0" or "SubIFD #3 (of IFD #0)". */
  image: string;
  width: number;
  height: number;
  samplesPerPixel: number;
  /** The largest BitsPerSample value. */
  bitsPerSample: number;
  planar: number;
  compression: number;
  tiled: boolean;
  blockW: number;
  blockH: number;
  blocksAcross: number;
  blocksDown: number;
  /** Blocks the image needs: across × down (× samples per pixel when planar = 2). */
  blockCount: number;
  /** Entries of TileOffsets/StripOffsets and TileByteCounts/StripByteCounts as declared (0 when missing). */
  offsetsCount: number;
  countsCount: number;
  /** Those tables whose values extend past the end of the file. */
  tablesCut?: string[];
  /** Decoded bytes of the largest block (a full tile, or the first strip). */
  blockBytes: number;
  /** width × height × samples × bytes per sample. */
  imageBytes: number;
}

const isDim = (v: number | undefined): v is number => v !== undefined && Number.isInteger(v) && v > 0;

/** The layout of `ifd` (default: the first image). Throws InvalidFileError when sizes are missing or not positive integers. */
export function tiffLayout(t: TiffFile, ifd: TiffIfd = t.ifds[0]!, file = basename(t.path)): TiffLayout {
  const image = ifd.parent === undefined ? `IFD #${ifd.index}` : `SubIFD #${ifd.index} (of IFD #${ifd.parent})`;
  const bad = (what: string) => new InvalidFileError(`${file}: ${image} ${what}`, { hint: 'the TIFF header is damaged or crafted; `geodvc geo check` lists its problems', details: { file, image } });
  const v = (tag: number) => t.value(ifd, tag);
  const width = v(Tag.ImageWidth), height = v(Tag.ImageLength);
  if (!isDim(width) || !isDim(height)) throw bad(`has no valid image size (ImageWidth ${width ?? 'missing'}, ImageLength ${height ?? 'missing'})`);
  const spp = v(Tag.SamplesPerPixel) ?? 1;
  if (!isDim(spp)) throw bad(`has an invalid SamplesPerPixel (${spp})`);
  const bitsE = ifd.entries.get(Tag.BitsPerSample);
  const bitsList = bitsE && !bitsE.outOfFile ? t.values(bitsE, Math.min(spp, 65536)) : [1];
  const bits = bitsList.length ? Math.max(...bitsList) : 1;
  if (!isDim(bits)) throw bad(`has an invalid BitsPerSample (${bitsList.join('/')})`);
  const planar = v(Tag.PlanarConfig) ?? 1;
  const compression = v(Tag.Compression) ?? 1;
  const tiled = ifd.entries.has(Tag.TileWidth) || ifd.entries.has(Tag.TileOffsets);
  let blockW: number, blockH: number;
  if (tiled) {
    const tw = v(Tag.TileWidth), th = v(Tag.TileLength);
    if (!isDim(tw) || !isDim(th)) throw bad(`is tiled without a valid tile size (TileWidth ${tw ?? 'missing'}, TileLength ${th ?? 'missing'})`);
    blockW = tw; blockH = th;
  } else {
    const rps = v(Tag.RowsPerStrip);
    blockW = width;
    blockH = isDim(rps) ? Math.min(rps, height) : height;
  }
  const blocksAcross = Math.ceil(width / blockW);
  const blocksDown = Math.ceil(height / blockH);
  const perBlockSamples = planar === 2 ? 1 : spp;
  const blockCount = blocksAcross * blocksDown * (planar === 2 ? spp : 1);
  const offE = ifd.entries.get(tiled ? Tag.TileOffsets : Tag.StripOffsets);
  const cntE = ifd.entries.get(tiled ? Tag.TileByteCounts : Tag.StripByteCounts);
  return {
    file, image, width, height, samplesPerPixel: spp, bitsPerSample: bits, planar, compression, tiled, blockW, blockH,
    blocksAcross, blocksDown, blockCount, offsetsCount: offE?.count ?? 0, countsCount: cntE?.count ?? 0,
    ...(offE?.outOfFile || cntE?.outOfFile ? { tablesCut: [offE?.outOfFile ? (tiled ? 'TileOffsets' : 'StripOffsets') : '', cntE?.outOfFile ? (tiled ? 'TileByteCounts' : 'StripByteCounts') : ''].filter(Boolean) } : {}),
    blockBytes: Math.ceil((blockW * perBlockSamples * bits) / 8) * blockH,
    imageBytes: Math.ceil((width * spp * bits) / 8) * height,
  };
}

export interface DecodeBudgetOptions {
  /** Largest decoded block allowed (default: `decodeBudgetBytes()`). */
  budgetBytes?: number;
  /** A read window to check too: its decoded size (e.g. chip size² × bands × bytes) against the same budget. */
  windowBytes?: number;
  /** How the window is described in the message, e.g. "a 512×512 chip of 4 bands". */
  windowLabel?: string;
}

/**
 * Refuses, before any allocation, an image whose largest tile/strip would decode to more than the
 * budget, or whose offsets/byte-counts tables are shorter than its block grid, or a read window
 * over the budget. Accepts a parsed header (`{ tiff, ifd }`) or a layout. Returns the layout.
 */
export function checkDecodeBudget(header: TiffLayout | { tiff: TiffFile; ifd?: TiffIfd; file?: string }, opts: DecodeBudgetOptions = {}): TiffLayout {
  const L = 'tiff' in header ? tiffLayout(header.tiff, header.ifd, header.file) : header;
  const budget = opts.budgetBytes ?? decodeBudgetBytes();
  const kind = L.tiled ? 'tile' : 'strip';
  const details = { file: L.file, image: L.image, block: 0, blockBytes: L.blockBytes, budgetBytes: budget };
  if (L.blockBytes > budget) {
    const dims = `${L.blockW}×${L.blockH} pixels × ${L.planar === 2 ? 1 : L.samplesPerPixel} sample(s) × ${L.bitsPerSample} bits`;
    throw new InvalidFileError(`${L.file}: ${L.image} ${kind} 0 (of ${L.blockCount}) would decode to ${formatBytes(L.blockBytes)} (${dims}), over the decode budget of ${formatBytes(budget)}; refused before decoding`, { hint: BUDGET_HINT, details });
  }
  const offName = L.tiled ? 'TileOffsets' : 'StripOffsets';
  const cntName = L.tiled ? 'TileByteCounts' : 'StripByteCounts';
  for (const [name, n] of [[offName, L.offsetsCount], [cntName, L.countsCount]] as const) {
    if (L.tablesCut?.includes(name)) {
      throw new InvalidFileError(`${L.file}: ${L.image} ${name} (${n} entries) extends past the end of the file: the ${kind}s cannot be located`, { hint: 'the file is truncated; fetch it again (`geodvc pull`) or check it with `geodvc geo check`', details: { ...details, table: name } });
    }
    if (n === 0) {
      throw new InvalidFileError(`${L.file}: ${L.image} has no ${name}: the ${kind}s cannot be located`, { hint: 'the TIFF header is damaged or crafted; `geodvc geo check` lists its problems', details: { ...details, table: name } });
    }
    if (n < L.blockCount) {
      throw new InvalidFileError(`${L.file}: ${L.image} ${name} has ${n} entries, but the declared ${L.width}×${L.height} image in ${L.blockW}×${L.blockH} ${kind}s needs ${L.blockCount} (${kind} ${n} and on have no data)`, { hint: 'the TIFF header is damaged or crafted (declared size and block table disagree); `geodvc geo check` lists its problems', details: { ...details, block: n, table: name, entries: n, needed: L.blockCount } });
    }
  }
  if (opts.windowBytes !== undefined && opts.windowBytes > budget) {
    throw new InvalidFileError(`${L.file}: reading ${opts.windowLabel ?? 'the window'} would take ${formatBytes(opts.windowBytes)}, over the decode budget of ${formatBytes(budget)}`, { hint: `read a smaller window (e.g. a smaller --size or fewer --bands), or raise ${DECODE_BUDGET_ENV}`, details: { ...details, windowBytes: opts.windowBytes } });
  }
  return L;
}

/**
 * Checks one block's byte range against the file size before it is read: an offset or byte count
 * that is not a finite non-negative number, or a range ending past the end of the file, is an
 * InvalidFileError naming the file, the image and the block.
 */
export function checkBlockRange(L: Pick<TiffLayout, 'file' | 'image' | 'tiled'>, index: number, offset: number | undefined, count: number | undefined, fileSize: number): void {
  const kind = L.tiled ? 'tile' : 'strip';
  const hint = 'the file is truncated or its block table is damaged; `geodvc geo check` lists every bad block';
  if (offset === undefined || count === undefined || !Number.isFinite(offset) || !Number.isFinite(count) || offset < 0 || count < 0) {
    throw new InvalidFileError(`${L.file}: ${L.image} ${kind} ${index} has no valid offset/byte count (${offset}, ${count})`, { hint, details: { file: L.file, image: L.image, block: index } });
  }
  if (offset + count > fileSize) {
    throw new InvalidFileError(`${L.file}: ${L.image} ${kind} ${index}: ${count} bytes at offset ${offset} end at ${offset + count}, past the end of the file (${fileSize} bytes)`, { hint, details: { file: L.file, image: L.image, block: index, offset, count, fileSize } });
  }
}

/** Warnings for `geo info`: what a decode of this image would refuse (empty when it is fine). */
export function layoutWarnings(t: TiffFile, budgetBytes = decodeBudgetBytes()): string[] {
  try { checkDecodeBudget({ tiff: t }, { budgetBytes }); return []; } catch (e) {
    return e instanceof InvalidFileError ? [e.message.replace(/^[^:]*: /, '').replace('; refused before decoding', ' (pixel reads refuse it)')] : [];
  }
}
