/**
 * Windows of the own TIFF reader: assembling a window from decoded blocks (padding with nodata),
 * its nodata fraction, the horizontal predictor for the chip's DEFLATE, and the chip's tags
 * (georeferencing shifted to the window, codec tags for verbatim tile copies).
 */
import { Tag } from '../../raster/tiff.js';
import { T, type TagValue } from '../tiff-writer.js';
import { decodeBlock, type Source } from './own-source.js';

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
export async function readWindow(s: Source, x0: number, y0: number, w: number, h: number, bands: number[]): Promise<Uint8Array> {
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
export function nodataFraction(s: Source, buf: Uint8Array, nb: number): number {
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
export function applyHorizontalPredictor(s: Source, buf: Uint8Array, width: number, nb: number): boolean {
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

export function geoTags(s: Source, x0: number, y0: number): TagValue[] {
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

export function baseTags(s: Source, nb: number, allBands: boolean, compression: number, predictor: number, planar: number): TagValue[] {
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



export function copyCodecTags(s: Source): TagValue[] {
  const out: TagValue[] = [];
  const jt = s.chipTags.get(Tag.JPEGTables);
  if (jt) out.push({ tag: Tag.JPEGTables, type: T.UNDEFINED, values: jt });
  const lp = s.chipTags.get(Tag.LercParameters);
  if (lp) out.push({ tag: Tag.LercParameters, type: T.LONG, values: lp });
  return out;
}

