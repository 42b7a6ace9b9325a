/**
 * LAS 1.0-1.4 public header block, VLRs and EVLRs, read from the ASPRS LAS specification (with the
 * LASzip VLR convention for LAZ and the COPC 1.0 info VLR). Header and records only: no point is
 * decoded here, so `geo info` of a 100 MB LAZ reads a few kilobytes.
 *
 * Every size the header states is checked against the file size before it is used; what does not
 * fit is listed in `problems` (the header itself must be readable, else InvalidFileError).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { InvalidFileError } from '../../lib/errors.js';

/** Minimum point record length of each point data record format (LAS 1.4 R15, table 7-...). */
export const PDRF_MIN_LENGTH = [20, 28, 26, 34, 57, 63, 30, 36, 38, 59, 67] as const;

export interface Vlr {
  userId: string;
  recordId: number;
  description: string;
  /** Payload length in bytes. */
  length: number;
  /** File offset of the payload. */
  dataOffset: number;
  extended: boolean;
}

export interface LaszipInfo {
  compressor: number;
  coder: number;
  version: string;
  options: number;
  /** Points per chunk; undefined for variable-size chunks (0xFFFFFFFF). */
  chunkSize?: number;
  items: { type: number; size: number; version: number }[];
}

export interface CopcInfo {
  center: [number, number, number];
  halfsize: number;
  spacing: number;
  rootHierOffset: number;
  rootHierSize: number;
  gpsTimeRange: [number, number];
}

export interface LasProblem { code: string; structure: string; offset?: number; message: string }

export interface LasHeader {
  fileSize: number;
  lasVersion: string;
  versionMajor: number;
  versionMinor: number;
  systemIdentifier: string;
  generatingSoftware: string;
  creationDay: number;
  creationYear: number;
  fileSourceId: number;
  globalEncoding: number;
  headerSize: number;
  offsetToPointData: number;
  /** Point data record format with the LAZ compression bits (6, 7) stripped. */
  pointFormat: number;
  pointFormatRaw: number;
  pointRecordLength: number;
  /** Bytes past the standard record of the format (extra bytes). */
  extraBytes: number;
  /** LAS 1.4: the 64-bit count when set, else the legacy 32-bit count. */
  pointCount: number;
  legacyPointCount: number;
  pointsByReturn: number[];
  scale: [number, number, number];
  offset: [number, number, number];
  /** [minx, miny, minz, maxx, maxy, maxz] as the header states them. */
  bounds: [number, number, number, number, number, number];
  startOfWaveform?: number;
  evlrStart?: number;
  evlrCount?: number;
  vlrs: Vlr[];
  evlrs: Vlr[];
  compressed: boolean;
  laszip?: LaszipInfo;
  copc?: CopcInfo;
  /** Structural problems found without decoding points (data past the end of the file...). */
  problems: LasProblem[];
}

/** Positioned reads over a file descriptor, bounded by the file size. */
export class FileReader {
  readonly size: number;
  constructor(readonly fd: number) { this.size = fstatSync(fd).size; }
  read(offset: number, length: number): Buffer {
    const n = Math.max(0, Math.min(length, this.size - offset));
    const b = Buffer.alloc(n);
    let got = 0;
    while (got < n) {
      const r = readSync(this.fd, b, got, n - got, offset + got);
      if (r <= 0) break;
      got += r;
    }
    return got === n ? b : b.subarray(0, got);
  }
}

const cstr = (b: Buffer, start: number, len: number) => {
  const s = b.subarray(start, start + len);
  const z = s.indexOf(0);
  return (z >= 0 ? s.subarray(0, z) : s).toString('latin1').trim();
};

function u64(b: Buffer, off: number): number {
  const v = b.readBigUInt64LE(off);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(v);
}

/** Parses the LASzip VLR payload (user id "laszip encoded", record 22204). */
export function parseLaszipVlr(p: Buffer): LaszipInfo | undefined {
  if (p.length < 34) return undefined;
  const n = p.readUInt16LE(32);
  const items: LaszipInfo['items'] = [];
  for (let i = 0; i < n && 34 + 6 * i + 6 <= p.length; i++) items.push({ type: p.readUInt16LE(34 + 6 * i), size: p.readUInt16LE(36 + 6 * i), version: p.readUInt16LE(38 + 6 * i) });
  const cs = p.readUInt32LE(12);
  return { compressor: p.readUInt16LE(0), coder: p.readUInt16LE(2), version: `${p[4]}.${p[5]}r${p.readUInt16LE(6)}`, options: p.readUInt32LE(8), chunkSize: cs === 0xffffffff ? undefined : cs, items };
}

/** Parses the COPC info VLR payload (user id "copc", record 1, 160 bytes). */
export function parseCopcInfo(p: Buffer): CopcInfo | undefined {
  if (p.length < 160) return undefined;
  const d = (o: number) => p.readDoubleLE(o);
  return { center: [d(0), d(8), d(16)], halfsize: d(24), spacing: d(32), rootHierOffset: u64(p, 40), rootHierSize: u64(p, 48), gpsTimeRange: [d(56), d(64)] };
}

function invalid(file: string, msg: string, hint: string): InvalidFileError {
  return new InvalidFileError(`${basename(file)}: ${msg}`, { hint });
}

/**
 * Parses the header block and reads the VLRs and EVLRs through `r`. `file` names the file in errors.
 * Throws InvalidFileError when the header itself cannot be read.
 */
export function parseLasHeader(r: FileReader, file: string): LasHeader {
  const h = r.read(0, 375);
  const problems: LasProblem[] = [];
  if (h.length < 4 || h.toString('latin1', 0, 4) !== 'LASF') throw invalid(file, 'not a LAS/LAZ file (no LASF signature)', 'check that the file is a LAS 1.0-1.4, LAZ or COPC file');
  if (h.length < 227) throw invalid(file, `truncated LAS header: the file has ${r.size} bytes, a LAS header needs at least 227`, 'the file was cut short; fetch it again from its source');
  const major = h[24]!, minor = h[25]!;
  if (major !== 1 || minor > 4) throw invalid(file, `unsupported LAS version ${major}.${minor}`, 'geodvc reads LAS 1.0-1.4 (and LAZ/COPC of those)');
  const headerSize = h.readUInt16LE(94);
  const minHeader = minor >= 4 ? 375 : minor === 3 ? 235 : 227;
  if (headerSize < minHeader) throw invalid(file, `header size ${headerSize} is smaller than the ${minHeader} bytes LAS ${major}.${minor} needs`, 'the header is corrupt');
  if (h.length < minHeader) throw invalid(file, `truncated LAS ${major}.${minor} header: the file has ${r.size} bytes, the header needs ${minHeader}`, 'the file was cut short; fetch it again from its source');
  const offsetToPointData = h.readUInt32LE(96);
  const vlrCount = h.readUInt32LE(100);
  const pointFormatRaw = h[104]!;
  const pointFormat = pointFormatRaw & 0x3f;
  const compressed = (pointFormatRaw & 0xc0) !== 0;
  const pointRecordLength = h.readUInt16LE(105);
  if (pointFormat > 10) throw invalid(file, `unknown point data record format ${pointFormat}`, 'LAS 1.4 defines point formats 0-10');
  if (pointRecordLength < PDRF_MIN_LENGTH[pointFormat]!) throw invalid(file, `point record length ${pointRecordLength} is shorter than the ${PDRF_MIN_LENGTH[pointFormat]} bytes of point format ${pointFormat}`, 'the header is corrupt');
  const legacyPointCount = h.readUInt32LE(107);
  const legacyByReturn = [0, 1, 2, 3, 4].map((i) => h.readUInt32LE(111 + 4 * i));
  const dd = (o: number) => h.readDoubleLE(o);
  const scale: [number, number, number] = [dd(131), dd(139), dd(147)];
  const offset: [number, number, number] = [dd(155), dd(163), dd(171)];
  const bounds: LasHeader['bounds'] = [dd(187), dd(203), dd(219), dd(179), dd(195), dd(211)];
  let startOfWaveform: number | undefined, evlrStart: number | undefined, evlrCount: number | undefined;
  let pointCount = legacyPointCount;
  let pointsByReturn = legacyByReturn;
  if (minor >= 3) startOfWaveform = u64(h, 227);
  if (minor >= 4) {
    evlrStart = u64(h, 235);
    evlrCount = h.readUInt32LE(243);
    const c64 = u64(h, 247);
    if (c64 > 0 || legacyPointCount === 0) pointCount = c64;
    pointsByReturn = Array.from({ length: 15 }, (_, i) => u64(h, 255 + 8 * i));
  }
  if (!Number.isFinite(pointCount)) throw invalid(file, 'point count beyond 2^53', 'the header is corrupt');
  const hdr: LasHeader = {
    fileSize: r.size, lasVersion: `${major}.${minor}`, versionMajor: major, versionMinor: minor,
    systemIdentifier: cstr(h, 26, 32), generatingSoftware: cstr(h, 58, 32), creationDay: h.readUInt16LE(90), creationYear: h.readUInt16LE(92),
    fileSourceId: minor === 0 ? 0 : h.readUInt16LE(4), globalEncoding: minor >= 2 ? h.readUInt16LE(6) : 0,
    headerSize, offsetToPointData, pointFormat, pointFormatRaw, pointRecordLength, extraBytes: pointRecordLength - PDRF_MIN_LENGTH[pointFormat]!,
    pointCount, legacyPointCount, pointsByReturn, scale, offset, bounds, startOfWaveform, evlrStart, evlrCount,
    vlrs: [], evlrs: [], compressed, problems,
  };
  if (offsetToPointData < headerSize) problems.push({ code: 'bad-offset', structure: 'header', message: `offset to point data ${offsetToPointData} lies inside the ${headerSize}-byte header` });
  // VLRs: between the header and the point data
  let pos = headerSize;
  for (let i = 0; i < vlrCount; i++) {
    if (pos + 54 > r.size) { problems.push({ code: 'vlr-beyond-eof', structure: `VLR #${i}`, offset: pos, message: `VLR #${i} of ${vlrCount} starts at byte ${pos}, past the end of the file (${r.size} bytes)` }); break; }
    const v = r.read(pos, 54);
    const len = v.readUInt16LE(20);
    const vlr: Vlr = { userId: cstr(v, 2, 16), recordId: v.readUInt16LE(18), description: cstr(v, 22, 32), length: len, dataOffset: pos + 54, extended: false };
    if (vlr.dataOffset + len > r.size) problems.push({ code: 'vlr-beyond-eof', structure: `VLR #${i} ${vlr.userId}/${vlr.recordId}`, offset: pos, message: `VLR #${i} (${vlr.userId}/${vlr.recordId}) runs to byte ${vlr.dataOffset + len}, past the end of the file (${r.size} bytes)` });
    hdr.vlrs.push(vlr);
    pos = vlr.dataOffset + len;
  }
  if (pos > offsetToPointData && !problems.length) problems.push({ code: 'vlr-overlap', structure: 'VLRs', offset: offsetToPointData, message: `the VLRs end at byte ${pos}, after the start of the point data (${offsetToPointData})` });
  // EVLRs (LAS 1.4): after the point data
  if (evlrStart && evlrCount) {
    let p = evlrStart;
    for (let i = 0; i < evlrCount; i++) {
      if (p + 60 > r.size) { problems.push({ code: 'evlr-beyond-eof', structure: `EVLR #${i}`, offset: p, message: `EVLR #${i} of ${evlrCount} starts at byte ${p}, past the end of the file (${r.size} bytes)` }); break; }
      const v = r.read(p, 60);
      const len = u64(v, 20);
      const e: Vlr = { userId: cstr(v, 2, 16), recordId: v.readUInt16LE(18), description: cstr(v, 28, 32), length: len, dataOffset: p + 60, extended: true };
      if (e.dataOffset + len > r.size) { problems.push({ code: 'evlr-beyond-eof', structure: `EVLR #${i} ${e.userId}/${e.recordId}`, offset: p, message: `EVLR #${i} (${e.userId}/${e.recordId}) runs to byte ${e.dataOffset + len}, past the end of the file (${r.size} bytes)` }); hdr.evlrs.push(e); break; }
      hdr.evlrs.push(e);
      p = e.dataOffset + len;
    }
  }
  const lz = hdr.vlrs.find((v) => v.userId === 'laszip encoded' && v.recordId === 22204);
  if (lz && lz.dataOffset + lz.length <= r.size) hdr.laszip = parseLaszipVlr(r.read(lz.dataOffset, lz.length));
  if (compressed && !lz) problems.push({ code: 'laszip-vlr-missing', structure: 'VLRs', message: 'the point format has the LAZ compression bit but there is no LASzip VLR (laszip encoded/22204)' });
  const copc = hdr.vlrs[0];
  if (copc && copc.userId === 'copc' && copc.recordId === 1 && copc.dataOffset === 375 + 54 && copc.dataOffset + 160 <= r.size) hdr.copc = parseCopcInfo(r.read(copc.dataOffset, 160));
  // point data vs file size
  if (!compressed) {
    const need = offsetToPointData + pointCount * pointRecordLength;
    if (need > r.size) {
      const have = Math.max(0, Math.floor((r.size - offsetToPointData) / pointRecordLength));
      problems.push({ code: 'points-beyond-eof', structure: 'point data', offset: offsetToPointData, message: `the header declares ${pointCount} points of ${pointRecordLength} bytes (point data up to byte ${need}) but the file has ${r.size} bytes (${have} complete points)` });
    }
    const end = evlrStart && evlrCount ? evlrStart : r.size;
    if (evlrStart && evlrCount && need > evlrStart && need <= r.size) problems.push({ code: 'points-overlap-evlr', structure: 'point data', offset: evlrStart, message: `the point data runs to byte ${need}, past the start of the EVLRs (${evlrStart})` });
    void end;
  } else if (offsetToPointData + 8 > r.size) {
    problems.push({ code: 'points-beyond-eof', structure: 'point data', offset: offsetToPointData, message: `the LAZ point data would start at byte ${offsetToPointData}, at or past the end of the file (${r.size} bytes)` });
  } else {
    const chunkTable = lazChunkTableOffset(r, offsetToPointData);
    if (chunkTable === undefined || chunkTable < offsetToPointData + 8 || chunkTable + 8 > r.size) {
      problems.push({ code: 'laz-chunk-table', structure: 'LAZ chunk table', offset: offsetToPointData, message: `LAZ chunk table offset ${chunkTable ?? 'unknown'} outside the file (${r.size} bytes): the file is truncated` });
    } else if (hdr.laszip?.chunkSize) {
      const t = r.read(chunkTable, 8);
      const chunks = t.readUInt32LE(4);
      const need = Math.ceil(pointCount / hdr.laszip.chunkSize);
      if (t.readUInt32LE(0) !== 0 || chunks !== need) problems.push({ code: 'laz-chunk-table', structure: 'LAZ chunk table', offset: chunkTable, message: `LAZ chunk table (version ${t.readUInt32LE(0)}) lists ${chunks} chunk(s); ${pointCount} points in chunks of ${hdr.laszip.chunkSize} need ${need}` });
    }
  }
  return hdr;
}

/** Where the LAZ chunk table starts: the 64-bit offset at the start of the point data (or, when -1, in the last 8 bytes). */
export function lazChunkTableOffset(r: FileReader, offsetToPointData: number): number | undefined {
  const b = r.read(offsetToPointData, 8);
  if (b.length < 8) return undefined;
  const v = b.readBigInt64LE(0);
  if (v === -1n) {
    if (r.size < 8) return undefined;
    const t = r.read(r.size - 8, 8).readBigInt64LE(0);
    return t < 0n || t > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(t);
  }
  return v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(v);
}

/** Reads a LAS/LAZ/COPC header with its VLRs and EVLRs. */
export function readLasHeader(absPath: string): LasHeader {
  const fd = openSync(absPath, 'r');
  try { return parseLasHeader(new FileReader(fd), absPath); } finally { closeSync(fd); }
}

/** Reads the payload of a VLR/EVLR (bounded by the file). */
export function readVlrData(absPath: string, v: Vlr, max = 64 << 20): Buffer {
  const fd = openSync(absPath, 'r');
  try { return new FileReader(fd).read(v.dataOffset, Math.min(v.length, max)); } finally { closeSync(fd); }
}
