/**
 * A minimal classic-TIFF writer for chips: one IFD, tiled or stripped, blocks passed already
 * encoded, tags given with their TIFF type. Byte order follows the source so that compressed
 * blocks can be copied verbatim.
 */
export const T = { BYTE: 1, ASCII: 2, SHORT: 3, LONG: 4, UNDEFINED: 7, DOUBLE: 12 } as const;
const SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 7: 1, 12: 8 };

export interface TagValue { tag: number; type: number; values: ArrayLike<number> | string }

export interface TiffImage {
  littleEndian: boolean;
  width: number;
  height: number;
  /** Block layout: tiles of blockW x blockH, or strips of blockH rows (blockW = width). */
  tiled: boolean;
  blockW: number;
  blockH: number;
  /** Encoded blocks in TIFF order (for planar=2: all blocks of band 1, then band 2...). */
  blocks: Uint8Array[];
  /** Every other tag (not width/height/offsets/bytecounts/tile sizes/rows per strip). */
  tags: TagValue[];
}

export function encodeTiff(img: TiffImage): Buffer {
  const le = img.littleEndian;
  const tags: TagValue[] = [
    ...img.tags,
    { tag: 256, type: T.LONG, values: [img.width] },
    { tag: 257, type: T.LONG, values: [img.height] },
  ];
  const counts = img.blocks.map((b) => b.length);
  const placeholder = new Array(img.blocks.length).fill(0);
  if (img.tiled) {
    tags.push({ tag: 322, type: T.LONG, values: [img.blockW] }, { tag: 323, type: T.LONG, values: [img.blockH] });
    tags.push({ tag: 324, type: T.LONG, values: placeholder }, { tag: 325, type: T.LONG, values: counts });
  } else {
    tags.push({ tag: 278, type: T.LONG, values: [img.blockH] });
    tags.push({ tag: 273, type: T.LONG, values: placeholder }, { tag: 279, type: T.LONG, values: counts });
  }
  tags.sort((a, b) => a.tag - b.tag);
  const offsetTag = img.tiled ? 324 : 273;

  // layout: header(8) | IFD | out-of-line values | blocks
  const ifdSize = 2 + tags.length * 12 + 4;
  const valueBytes = (t: TagValue) => (typeof t.values === 'string' ? Buffer.byteLength(t.values, 'latin1') + 1 : t.values.length * SIZE[t.type]!);
  let extra = 0;
  for (const t of tags) { const n = valueBytes(t); if (n > 4) extra += n + (n & 1); }
  const dataStart = 8 + ifdSize + extra;
  const total = dataStart + counts.reduce((a, b) => a + b, 0);
  const buf = Buffer.alloc(total);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  buf.write(le ? 'II' : 'MM', 0, 'latin1');
  dv.setUint16(2, 42, le);
  dv.setUint32(4, 8, le);
  dv.setUint16(8, tags.length, le);

  const blockOffsets: number[] = [];
  let p = dataStart;
  for (const b of img.blocks) { blockOffsets.push(p); buf.set(b, p); p += b.length; }

  let ext = 8 + ifdSize;
  let e = 10;
  for (const t of tags) {
    const vals = t.tag === offsetTag ? blockOffsets : t.values;
    const n = valueBytes(t);
    dv.setUint16(e, t.tag, le);
    dv.setUint16(e + 2, t.type, le);
    dv.setUint32(e + 4, typeof vals === 'string' ? n : vals.length, le);
    let at: number;
    if (n > 4) { dv.setUint32(e + 8, ext, le); at = ext; ext += n + (n & 1); } else at = e + 8;
    if (typeof vals === 'string') buf.write(vals + '\0', at, 'latin1');
    else {
      const sz = SIZE[t.type]!;
      for (let i = 0; i < vals.length; i++) {
        const v = vals[i]!;
        const o = at + i * sz;
        if (t.type === T.BYTE || t.type === T.UNDEFINED) dv.setUint8(o, v);
        else if (t.type === T.SHORT) dv.setUint16(o, v, le);
        else if (t.type === T.LONG) dv.setUint32(o, v, le);
        else dv.setFloat64(o, v, le);
      }
    }
    e += 12;
  }
  dv.setUint32(e, 0, le);
  return buf;
}
