/**
 * JPEG2000 structure walk (ISO/IEC 15444-1 annex I boxes and the codestream's main header), from
 * the bytes only: every box's offset and length against the file size, the header box (`ihdr`),
 * GeoJP2 (GeoTIFF in a `uuid` box) and GMLJP2 (`asoc` labelled `gml.data`) presence, the codestream
 * (`jp2c`, or a raw J2K file): SIZ size/components and whether it ends with the EOC marker. GDAL
 * opens truncated JPEG2000 files without complaint (it reads the header only), so this is what
 * `geo check` relies on before decoding.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface Jp2Box { type: string; offset: number; length: number; children?: Jp2Box[] }

export interface Jp2Structure {
  size: number;
  boxes: Jp2Box[];
  georeferencing: ('GeoJP2' | 'GMLJP2')[];
  codestream?: { offset: number; length: number; width?: number; height?: number; components?: number; endsWithEoc: boolean };
  /** Header (`ihdr`): size, components, bits per component (1-based, sign in the top bit as stored). */
  ihdr?: { width: number; height: number; components: number; bpc: number };
  problems: { structure: string; offset?: number; message: string }[];
}

const GEOJP2_UUID = 'b14bf8bd083d4b43a5ae8cd7d5a6ce03';
const SUPERBOXES = new Set(['jp2h', 'asoc', 'res ', 'uinf', 'ftbl', 'comp', 'cgrp', 'jpch', 'jplh']);
const MAX_BOXES = 10_000;

function readAt(fd: number, pos: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  const n = readSync(fd, b, 0, len, pos);
  return b.subarray(0, n);
}

/** Walks the boxes of a JPEG2000 file (JP2 or raw codestream). Never throws for bad content. */
export function walkJp2(absPath: string): Jp2Structure {
  const fd = openSync(absPath, 'r');
  try {
    const size = fstatSync(fd).size;
    const out: Jp2Structure = { size, boxes: [], georeferencing: [], problems: [] };
    const head = readAt(fd, 0, 12);
    if (head.length >= 4 && head.readUInt32BE(0) === 0xff4fff51) {
      out.codestream = codestream(fd, 0, size, size, out);
      return out;
    }
    let count = 0;
    const walk = (start: number, end: number, into: Jp2Box[], path: string, inLabel: string | undefined) => {
      let pos = start;
      let lastLabel = inLabel;
      while (pos < end) {
        if (++count > MAX_BOXES) { out.problems.push({ structure: 'boxes', message: `more than ${MAX_BOXES} boxes: not a plausible JPEG2000 file` }); return; }
        if (end - pos < 8) { out.problems.push({ structure: `${path}box header`, offset: pos, message: `${end - pos} stray byte(s) where a box header (8 bytes) should start` }); return; }
        const h = readAt(fd, pos, 16);
        if (h.length < 8) { out.problems.push({ structure: `${path}box header`, offset: pos, message: 'box header cut by the end of the file' }); return; }
        let len = h.readUInt32BE(0);
        const type = h.toString('latin1', 4, 8);
        let hdr = 8;
        if (len === 1) {
          if (h.length < 16) { out.problems.push({ structure: `box '${type}'`, offset: pos, message: 'extended box length cut by the end of the file' }); return; }
          len = Number(h.readBigUInt64BE(8)); hdr = 16;
        } else if (len === 0) len = end - pos; // last box runs to the end
        const box: Jp2Box = { type, offset: pos, length: len };
        into.push(box);
        if (len < hdr) { out.problems.push({ structure: `box '${type}'`, offset: pos, message: `box length ${len} is smaller than its header` }); return; }
        const boxEnd = pos + len;
        if (boxEnd > end) {
          out.problems.push({ structure: `box '${type}'`, offset: pos, message: `box '${type}' at ${pos}: length ${len} runs past the end of the ${end === size ? 'file' : 'enclosing box'} (${end === size ? `${size} bytes` : `ends at ${end}`})` });
        }
        const bodyEnd = Math.min(boxEnd, end);
        if (type === 'ihdr' && bodyEnd - (pos + hdr) >= 14) {
          const b = readAt(fd, pos + hdr, 14);
          out.ihdr = { height: b.readUInt32BE(0), width: b.readUInt32BE(4), components: b.readUInt16BE(8), bpc: b[10]! };
        } else if (type === 'uuid' && bodyEnd - (pos + hdr) >= 16) {
          if (readAt(fd, pos + hdr, 16).toString('hex') === GEOJP2_UUID && !out.georeferencing.includes('GeoJP2')) out.georeferencing.push('GeoJP2');
        } else if (type === 'lbl ') {
          lastLabel = readAt(fd, pos + hdr, Math.max(0, Math.min(64, bodyEnd - pos - hdr))).toString('latin1');
        } else if (type === 'xml ' && lastLabel === 'gml.data' && !out.georeferencing.includes('GMLJP2')) {
          out.georeferencing.push('GMLJP2');
        } else if (type === 'jp2c') {
          out.codestream = codestream(fd, pos + hdr, bodyEnd, size, out);
        }
        if (SUPERBOXES.has(type)) {
          box.children = [];
          walk(pos + hdr, bodyEnd, box.children, `${path}${type.trim()}/`, type === 'asoc' ? lastLabel : undefined);
          if (type === 'asoc') {
            const lbl = box.children.find((c) => c.type === 'lbl ');
            if (lbl) { const text = readAt(fd, lbl.offset + 8, Math.max(0, Math.min(64, lbl.length - 8))).toString('latin1'); if (text === 'gml.data' && !out.georeferencing.includes('GMLJP2')) out.georeferencing.push('GMLJP2'); }
          }
        }
        if (boxEnd > end) return;
        pos = boxEnd;
      }
    };
    walk(0, size, out.boxes, '', undefined);
    if (out.boxes[0]?.type !== 'jP  ') out.problems.push({ structure: 'signature', offset: 0, message: 'no JPEG2000 signature box (jP) at the start' });
    if (!out.boxes.some((b) => b.type === 'jp2h')) out.problems.push({ structure: 'jp2h', message: 'no JP2 header box (jp2h)' });
    if (!out.codestream) out.problems.push({ structure: 'jp2c', message: 'no codestream box (jp2c): no pixels' });
    return out;
  } finally { closeSync(fd); }
}

/** Codestream facts (SIZ) and whether it ends with EOC (FFD9) within the bytes available. */
function codestream(fd: number, start: number, end: number, fileSize: number, out: Jp2Structure): Jp2Structure['codestream'] {
  const cs: NonNullable<Jp2Structure['codestream']> = { offset: start, length: end - start, endsWithEoc: false };
  const soc = readAt(fd, start, 2);
  if (soc.length < 2 || soc.readUInt16BE(0) !== 0xff4f) {
    out.problems.push({ structure: 'codestream', offset: start, message: 'the codestream does not start with the SOC marker (FF4F)' });
    return cs;
  }
  const siz = readAt(fd, start + 2, 42);
  if (siz.length >= 42 && siz.readUInt16BE(0) === 0xff51) {
    const xsiz = siz.readUInt32BE(6), ysiz = siz.readUInt32BE(10), x0 = siz.readUInt32BE(14), y0 = siz.readUInt32BE(18);
    cs.width = xsiz - x0; cs.height = ysiz - y0; cs.components = siz.readUInt16BE(38);
  } else out.problems.push({ structure: 'codestream SIZ', offset: start + 2, message: 'no SIZ marker segment after SOC' });
  const tail = end >= start + 2 ? readAt(fd, end - 2, 2) : Buffer.alloc(0);
  cs.endsWithEoc = tail.length === 2 && tail.readUInt16BE(0) === 0xffd9;
  if (!cs.endsWithEoc) out.problems.push({ structure: 'codestream', offset: end, message: `codestream does not end with the EOC marker (FFD9)${end >= fileSize ? ': the file looks truncated' : ''}` });
  return cs;
}
