/**
 * Sizes a compressed block declares inside its own stream, read before it is decoded: the JPEG frame
 * (SOF) dimensions, the LERC2 blob's rows and columns, the ZSTD frame content size. A decoder trusts
 * them to allocate (a 1 KB JPEG tile can declare 65535 × 65535 × 3 samples: 12 GiB), so a block that
 * declares more than its TIFF image's tile/strip holds is refused here, naming the file and block.
 */
import { InvalidFileError } from '../../lib/errors.js';
import type { TiffLayout } from './budget.js';

/** What a compressed block says about its decoded size (undefined fields: not stated). */
export interface StreamDeclared { width?: number; height?: number; bytes?: number }

const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

/** JPEG: the frame header's width and height (the first SOFn before the scan). */
export function jpegFrameSize(b: Uint8Array): StreamDeclared | undefined {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 3 < b.length) {
    if (b[i] !== 0xff) return undefined;
    const m = b[i + 1]!;
    if (m === 0xff) { i++; continue; } // fill byte
    if (m === 0xd8 || (m >= 0xd0 && m <= 0xd7) || m === 0x01) { i += 2; continue; } // markers without a length
    if (m === 0xd9 || m === 0xda) return undefined; // end of image / start of scan before any frame header
    const len = (b[i + 2]! << 8) | b[i + 3]!;
    if (SOF.has(m)) {
      if (i + 8 >= b.length) return undefined;
      return { height: (b[i + 5]! << 8) | b[i + 6]!, width: (b[i + 7]! << 8) | b[i + 8]! };
    }
    if (len < 2) return undefined;
    i += 2 + len;
  }
  return undefined;
}

/** LERC2 blob: rows and columns from its header ("Lerc2 ", version, [checksum], nRows, nCols). */
export function lercBlobSize(b: Uint8Array): StreamDeclared | undefined {
  if (b.length < 22 || String.fromCharCode(...b.subarray(0, 6)) !== 'Lerc2 ') return undefined;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const version = dv.getInt32(6, true);
  const at = version >= 3 ? 14 : 10;
  if (at + 8 > b.length) return undefined;
  return { height: dv.getInt32(at, true), width: dv.getInt32(at + 4, true) };
}

/** ZSTD frame: the Frame_Content_Size field when the frame states it. */
export function zstdContentSize(b: Uint8Array): StreamDeclared | undefined {
  if (b.length < 6 || b[0] !== 0x28 || b[1] !== 0xb5 || b[2] !== 0x2f || b[3] !== 0xfd) return undefined;
  const fhd = b[4]!;
  const single = (fhd >> 5) & 1;
  const fcsBytes = [single ? 1 : 0, 2, 4, 8][fhd >> 6]!;
  if (!fcsBytes) return undefined;
  const at = 5 + (single ? 0 : 1) + [0, 1, 2, 4][fhd & 3]!;
  if (at + fcsBytes > b.length) return undefined;
  let v = 0;
  for (let k = fcsBytes - 1; k >= 0; k--) v = v * 256 + b[at + k]!;
  return { bytes: fcsBytes === 2 ? v + 256 : v };
}

/** What the stream of a block of TIFF compression `compression` declares, when the codec states sizes. */
export function streamDeclared(compression: number, raw: Uint8Array): StreamDeclared | undefined {
  if (compression === 7) return jpegFrameSize(raw);
  if (compression === 34887) return lercBlobSize(raw);
  if (compression === 50000) return zstdContentSize(raw);
  return undefined;
}

/**
 * Refuses a block whose stream declares more than the image's block holds (JPEG/LERC dimensions
 * larger than the tile/strip, a ZSTD content size larger than its decoded bytes).
 */
export function checkStreamDeclared(L: Pick<TiffLayout, 'file' | 'image' | 'tiled' | 'blockW' | 'blockH' | 'blockBytes' | 'compression'>, index: number, raw: Uint8Array): void {
  const d = streamDeclared(L.compression, raw);
  if (!d) return;
  const kind = L.tiled ? 'tile' : 'strip';
  const over = (d.width !== undefined && (d.width > L.blockW || d.width < 0)) || (d.height !== undefined && (d.height > L.blockH || d.height < 0)) || (d.bytes !== undefined && d.bytes > L.blockBytes);
  if (!over) return;
  const said = d.bytes !== undefined ? `${d.bytes} decoded bytes` : `${d.width}×${d.height} pixels`;
  const holds = d.bytes !== undefined ? `${L.blockBytes} bytes` : `${L.blockW}×${L.blockH}`;
  throw new InvalidFileError(`${L.file}: ${L.image} ${kind} ${index}: its compressed stream declares ${said}, more than the ${kind} holds (${holds}); refused before decoding`, { hint: 'the block is corrupt or crafted; `geodvc geo check` lists every bad block', details: { file: L.file, image: L.image, block: index } });
}
