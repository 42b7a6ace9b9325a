/**
 * JPEG2000 `add` metadata without GDAL: the codestream main header (ISO/IEC 15444-1 annex A: SIZ
 * for size, components, bit depth and sign, tile size; COD for the number of resolution levels)
 * of a JP2 file or a raw J2K codestream, and GeoJP2 georeferencing (the `uuid` box holding a
 * degenerate GeoTIFF: its GeoKeys, ModelTiepoint and ModelPixelScale, parsed by our TIFF reader).
 *
 * The answer must equal what GDAL's JP2OpenJPEG driver reports (block size and overview count
 * follow the driver's behaviour, checked against gdalinfo in the tests), so anything this reader does not fully
 * understand returns `undefined` and the caller asks GDAL: palettes, per-component coding (COC), differing
 * or sub-sampled components, signed 8-bit data, image/tile offsets, PixelIsPoint, rotation or
 * several tie points (GCPs), GeoKeys beyond a plain EPSG code, GMLJP2 only, GDAL metadata/XML
 * boxes, and sidecar files (`.aux.xml`, `.ovr`, world files) that GDAL would read too.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { Tag, TiffFile, type TiffByteReader } from '../raster/tiff.js';
import { parseGeoKeys } from '../raster/geokeys.js';

const GEOJP2_UUID = 'b14bf8bd083d4b43a5ae8cd7d5a6ce03';
/** XMP: harmless for the metadata we record. */
const XMP_UUID = 'be7acfcb97a942e89c71999491e3afac';
const MAX_BOXES = 1000;
/** Box types that cannot change size, bands, type, georeferencing or overviews as GDAL reports them. */
const NEUTRAL = new Set(['jP  ', 'ftyp', 'rreq', 'ihdr', 'colr', 'cdef', 'bpcc', 'res ', 'resc', 'resd', 'jp2i', 'uinf', 'ulst', 'url ', 'free', 'jp2h', 'jp2c', 'uuid', 'asoc', 'lbl ', 'xml ']);

function readAt(fd: number, pos: number, len: number): Buffer {
  const b = Buffer.alloc(Math.max(0, Math.min(len, fstatSync(fd).size - pos)));
  let got = 0;
  while (got < b.length) { const n = readSync(fd, b, got, b.length - got, pos + got); if (n <= 0) break; got += n; }
  return b.subarray(0, got);
}

interface Siz { width: number; height: number; components: number; prec: number; signed: boolean; tileW: number; tileH: number }

/** SIZ and COD of a codestream at `start` (ending at `end`); undefined when anything is unusual. */
function mainHeader(fd: number, start: number, end: number): { siz: Siz; levels: number } | undefined {
  const head = readAt(fd, start, Math.min(end - start, 64 * 1024));
  if (head.length < 4 || head.readUInt16BE(0) !== 0xff4f) return undefined;
  let pos = 2;
  let siz: Siz | undefined;
  let levels: number | undefined;
  for (let guard = 0; guard < 256; guard++) {
    if (pos + 4 > head.length) return undefined;
    const marker = head.readUInt16BE(pos);
    if (marker === 0xff90) break; // SOT: end of the main header
    const len = head.readUInt16BE(pos + 2);
    if (len < 2 || pos + 2 + len > head.length) return undefined;
    const seg = head.subarray(pos + 4, pos + 2 + len);
    if (marker === 0xff51) {
      if (seg.length < 36) return undefined;
      const xsiz = seg.readUInt32BE(2), ysiz = seg.readUInt32BE(6), x0 = seg.readUInt32BE(10), y0 = seg.readUInt32BE(14);
      const tw = seg.readUInt32BE(18), th = seg.readUInt32BE(22), tx0 = seg.readUInt32BE(26), ty0 = seg.readUInt32BE(30);
      const nc = seg.readUInt16BE(34);
      if (x0 || y0 || tx0 || ty0 || nc < 1 || seg.length < 36 + 3 * nc) return undefined;
      const s0 = seg[36]!;
      for (let i = 0; i < nc; i++) {
        // every component the same depth and sign, not sub-sampled (GDAL handles the others specially)
        if (seg[36 + 3 * i] !== s0 || seg[37 + 3 * i] !== 1 || seg[38 + 3 * i] !== 1) return undefined;
      }
      siz = { width: xsiz, height: ysiz, components: nc, prec: (s0 & 0x7f) + 1, signed: (s0 & 0x80) !== 0, tileW: tw, tileH: th };
    } else if (marker === 0xff52) {
      if (seg.length < 6) return undefined;
      levels = seg[5]!;
    } else if (marker === 0xff53) {
      return undefined; // COC: per-component coding style (may change component 0's resolutions)
    }
    pos += 2 + len;
  }
  if (!siz || levels === undefined || !siz.width || !siz.height || !siz.tileW || !siz.tileH) return undefined;
  return { siz, levels };
}

/** GDAL's data type for the components (JP2OpenJPEG). */
function dtypeOf(s: Siz): string | undefined {
  if (s.prec > 31) return undefined; // OpenJPEG refuses 32-bit components: GDAL cannot open the file
  if (s.prec > 16) return s.signed ? 'Int32' : 'UInt32';
  if (s.prec > 8) return s.signed ? 'Int16' : 'UInt16';
  return s.signed ? undefined : 'Byte';
}

/** Block size and overview count the JP2OpenJPEG driver derives from the image and tile sizes. */
export function jp2Blocks(width: number, height: number, tileW: number, tileH: number, levels: number): { block: [number, number]; overviews: number } {
  const singleTiled = width === tileW && height === tileH;
  let bx = tileW, by = tileH;
  let decodeArea = false;
  if (width <= 1024 && height <= 1024 && tileW < 32 && tileH < 32) {
    decodeArea = true; bx = width; by = height;
  } else {
    decodeArea = singleTiled && (width > 1024 || height > 1024);
    if (width < tileW && height < tileH) {
      decodeArea = true; bx = Math.min(width, 2048); by = Math.min(height, 2048);
    } else if (decodeArea && !(tileH === 1 && tileW < 20 * 1024 * 1024)) {
      bx = Math.min(bx, 1024); by = Math.min(by, 1024);
    }
  }
  // overviews: one per resolution level while the image is over 128 px and (when read per tile)
  // the tile halves evenly at each level
  let n = 0, w = width, h = height, tw = tileW, th = tileH;
  while (n + 1 < levels + 1 && (w > 128 || h > 128) && (decodeArea || (tw % 2 === 0 && th % 2 === 0))) {
    w = Math.floor((w + 1) / 2); h = Math.floor((h + 1) / 2); n++;
    if (!decodeArea) { tw /= 2; th /= 2; }
  }
  return { block: [bx, by], overviews: n };
}

/** A buffer as a TIFF byte source. */
function bufferReader(b: Buffer): TiffByteReader {
  return { size: b.length, read: (o, l) => b.subarray(o, o + l) };
}

const ALLOWED_KEYS = new Set([1024, 1025, 1026, 2048, 2049, 2054, 2057, 2059, 3072, 3073, 3076]);

/** CRS (EPSG) and geotransform of a GeoJP2 degenerate GeoTIFF; undefined when not plain. */
function geoJp2(tiff: Buffer): { epsg?: number; gt?: number[] } | undefined {
  let t: TiffFile;
  try { t = TiffFile.fromReader(bufferReader(tiff), 'GeoJP2'); } catch { return undefined; }
  try {
    if (t.issues.length) return undefined;
    const ifd = t.ifds[0];
    if (!ifd) return undefined;
    if (ifd.entries.has(Tag.ModelTransformation) || ifd.entries.has(Tag.RPCCoefficients)) return undefined;
    const out: { epsg?: number; gt?: number[] } = {};
    const tpE = ifd.entries.get(Tag.ModelTiepoint), scE = ifd.entries.get(Tag.ModelPixelScale);
    if (tpE || scE) {
      if (!tpE || !scE || tpE.outOfFile || scE.outOfFile || tpE.count !== 6 || scE.count < 2) return undefined;
      const tp = t.values(tpE, 6), sc = t.values(scE, 3);
      if (tp.some((v) => !Number.isFinite(v)) || sc.some((v) => !Number.isFinite(v)) || !sc[0] || !sc[1]) return undefined;
      const g1 = sc[0]!, g5 = -sc[1]!;
      out.gt = [tp[3]! - tp[0]! * g1, g1, 0, tp[4]! - tp[1]! * g5, 0, g5];
    }
    if (ifd.entries.has(Tag.GeoKeyDirectory)) {
      let keys;
      try { keys = parseGeoKeys(t, ifd); } catch { return undefined; }
      for (const id of keys.entries.keys()) if (!ALLOWED_KEYS.has(id)) return undefined;
      const model = keys.num(1024), raster = keys.num(1025);
      if (raster !== undefined && raster !== 1) return undefined; // PixelIsPoint: GDAL shifts half a pixel
      if (model === 1) {
        const pcs = keys.num(3072);
        const lin = keys.num(3076);
        const ang = keys.num(2054);
        if (pcs === undefined || pcs < 1024 || pcs >= 32767 || (lin !== undefined && lin !== 9001) || (ang !== undefined && ang !== 9102) || keys.entries.has(2048) || keys.entries.has(2057) || keys.entries.has(2059)) return undefined;
        out.epsg = pcs;
      } else if (model === 2) {
        const gcs = keys.num(2048);
        const ang = keys.num(2054);
        if (gcs === undefined || gcs < 1024 || gcs >= 32767 || (ang !== undefined && ang !== 9102) || keys.entries.has(3072) || keys.entries.has(3076)) return undefined;
        // ellipsoid keys beside the code: only WGS 84's own values (others could make GDAL build a custom CRS)
        const a = keys.num(2057), invf = keys.num(2059);
        if ((a !== undefined || invf !== undefined) && !(gcs === 4326 && a === 6378137 && invf === 298.257223563)) return undefined;
        out.epsg = gcs;
      } else return undefined;
    } else if (out.gt) return undefined; // a geotransform without a CRS: let GDAL say what it makes of it
    return out;
  } finally { t.close(); }
}

/** Sidecar files GDAL reads for a JPEG2000 file (PAM, overviews, world files). */
function hasSidecar(absPath: string): boolean {
  const dot = absPath.lastIndexOf('.');
  const slash = absPath.lastIndexOf('/');
  const stem = dot > slash ? absPath.slice(0, dot) : absPath;
  const ext = dot > slash ? absPath.slice(dot + 1) : '';
  const wext = ext.length >= 2 ? `${ext[0]}${ext[ext.length - 1]}w` : 'w';
  const names = [`${absPath}.aux.xml`, `${absPath}.ovr`, `${stem}.aux`, `${stem}.aux.xml`, `${stem}.${wext}`, `${stem}.${ext}w`, `${stem}.wld`, `${stem}.tab`];
  return names.some((n) => existsSync(n) || existsSync(n.slice(0, slash + 1) + n.slice(slash + 1).replace(/\.[^/]*$/, (e) => e.toUpperCase())));
}

/**
 * The `meta` GDAL's path writes for a JPEG2000 file (before key sorting), or undefined when this
 * reader is not sure (the caller then asks GDAL).
 */
export function jp2FastMeta(absPath: string): Record<string, unknown> | undefined {
  if (hasSidecar(absPath)) return undefined;
  const fd = openSync(absPath, 'r');
  try {
    const size = fstatSync(fd).size;
    let cs: { start: number; end: number } | undefined;
    const geo: Buffer[] = [];
    let gml = false;
    let count = 0;
    let ok = true;
    const head = readAt(fd, 0, 12);
    if (head.length >= 4 && head.readUInt32BE(0) === 0xff4fff51) {
      // raw J2K codestream: no boxes, so no georeferencing (a world file would be a sidecar)
      const mh = mainHeader(fd, 0, size);
      const dtype = mh && dtypeOf(mh.siz);
      if (!mh || !dtype) return undefined;
      const { block, overviews } = jp2Blocks(mh.siz.width, mh.siz.height, mh.siz.tileW, mh.siz.tileH, mh.levels);
      return { kind: 'gridded', format: 'jp2', driver: 'JP2OpenJPEG', size: [mh.siz.width, mh.siz.height], bands: mh.siz.components, dtype, block, overviews: overviews || undefined };
    }
    const walk = (start: number, end: number, depth: number) => {
      let pos = start;
      while (ok && pos < end) {
        if (++count > MAX_BOXES || end - pos < 8) { ok = false; return; }
        const h = readAt(fd, pos, 16);
        if (h.length < 8) { ok = false; return; }
        let len = h.readUInt32BE(0);
        const type = h.toString('latin1', 4, 8);
        let hdr = 8;
        if (len === 1) { if (h.length < 16) { ok = false; return; } len = Number(h.readBigUInt64BE(8)); hdr = 16; } else if (len === 0) len = end - pos;
        if (len < hdr || pos + len > end) { ok = false; return; }
        if (!NEUTRAL.has(type)) { ok = false; return; }
        const body = pos + hdr, bodyEnd = pos + len;
        if (type === 'jp2c') { if (depth || cs) { ok = false; return; } cs = { start: body, end: bodyEnd }; }
        else if (type === 'uuid') {
          const id = readAt(fd, body, 16).toString('hex');
          if (id === GEOJP2_UUID && depth === 0 && bodyEnd - body < 1 << 20) geo.push(readAt(fd, body + 16, bodyEnd - body - 16));
          else if (id !== XMP_UUID) { ok = false; return; }
        } else if (type === 'xml ') {
          if (depth === 0) { ok = false; return; } // GDAL metadata or other XML GDAL may read
        } else if (type === 'asoc') {
          if (depth === 0) {
            const lbl = readAt(fd, body, 16);
            if (lbl.length >= 16 && lbl.toString('latin1', 4, 8) === 'lbl ' && readAt(fd, body + 8, Math.max(0, Math.min(64, lbl.readUInt32BE(0) - 8))).toString('latin1').replace(/\0+$/, '') === 'gml.data') gml = true;
            else { ok = false; return; }
          }
          walk(body, bodyEnd, depth + 1);
        } else if (type === 'jp2h') walk(body, bodyEnd, depth + 1);
        pos = bodyEnd;
      }
    };
    walk(0, size, 0);
    if (!ok || !cs || geo.length > 1) return undefined;
    const c = cs as { start: number; end: number };
    const mh = mainHeader(fd, c.start, c.end);
    if (!mh) return undefined;
    const dtype = dtypeOf(mh.siz);
    if (!dtype) return undefined;
    const meta: Record<string, unknown> = { kind: 'gridded', format: 'jp2', driver: 'JP2OpenJPEG' };
    const { block, overviews } = jp2Blocks(mh.siz.width, mh.siz.height, mh.siz.tileW, mh.siz.tileH, mh.levels);
    Object.assign(meta, { size: [mh.siz.width, mh.siz.height], bands: mh.siz.components, dtype, block, overviews: overviews || undefined });
    if (geo.length === 1) {
      const g = geoJp2(geo[0]!);
      if (!g) return undefined;
      if (g.epsg !== undefined) meta.crs = `EPSG:${g.epsg}`;
      if (g.gt) { meta.geotransform = g.gt; meta.resolution = [Math.hypot(g.gt[1]!, g.gt[4]!), Math.hypot(g.gt[2]!, g.gt[5]!)]; }
      if (g.epsg === undefined && !g.gt) return undefined;
    } else if (gml) return undefined; // GMLJP2 alone: GDAL's reading of the GML answers
    return meta;
  } finally { closeSync(fd); }
}
