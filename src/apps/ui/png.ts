/**
 * A small PNG encoder (8-bit greyscale, RGB or RGBA, no interlace) on node:zlib, for the raster
 * previews of `geodvc ui`. Each scanline gets filter 0 (None) or 1 (Sub), whichever sums smaller.
 */
import { deflateSync } from 'node:zlib';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * Encodes `pixels` (row-major, `channels` bytes per pixel: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA).
 * `level` is zlib's compression level (default 6; map tiles use 1: ~5x faster, a little larger).
 */
export function encodePng(width: number, height: number, channels: 1 | 2 | 3 | 4, pixels: Uint8Array, level = 6): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new RangeError(`bad PNG size ${width}x${height}`);
  if (pixels.length !== width * height * channels) throw new RangeError(`PNG pixel buffer has ${pixels.length} bytes, expected ${width * height * channels}`);
  const colorType = { 1: 0, 2: 4, 3: 2, 4: 6 }[channels];
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = colorType; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  const stride = width * channels;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = pixels.subarray(y * stride, (y + 1) * stride);
    let sumNone = 0, sumSub = 0;
    for (let i = 0; i < stride; i++) {
      const v = row[i]!;
      const s = (v - (i >= channels ? row[i - channels]! : 0)) & 0xff;
      sumNone += v < 128 ? v : 256 - v;
      sumSub += s < 128 ? s : 256 - s;
    }
    const o = y * (stride + 1);
    if (sumSub < sumNone) {
      raw[o] = 1;
      for (let i = 0; i < stride; i++) raw[o + 1 + i] = (row[i]! - (i >= channels ? row[i - channels]! : 0)) & 0xff;
    } else {
      raw[o] = 0;
      raw.set(row, o + 1);
    }
  }
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level })), chunk('IEND', new Uint8Array(0))]);
}
