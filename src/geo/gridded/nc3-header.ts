/**
 * NetCDF classic header reader (CDF-1 classic, CDF-2 64-bit offset, CDF-5 64-bit data), written
 * from the public "NetCDF Classic and 64-bit Offset File Format" specification (NetCDF Users'
 * Guide, appendix) and the CDF-5 extension: dimensions (the record dimension and its record
 * count), global and variable attributes (all external types), variables (dims, type, vsize,
 * begin), and the values of 1-D variables (coordinates) read from the data section. No GDAL.
 *
 * `readNc3Header` throws `Nc3FormatError` for anything malformed (the caller then lets GDAL say what
 * it makes of the file): truncated lists, impossible counts, data extents past the end of the file.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export class Nc3FormatError extends Error {}

/** External types: 1 byte, 2 char, 3 short, 4 int, 5 float, 6 double, 7 ubyte, 8 ushort, 9 uint, 10 int64, 11 uint64. */
export const NC_TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 4, 6: 8, 7: 1, 8: 2, 9: 4, 10: 8, 11: 8 };
export const NC_TYPE_NAME: Record<number, string> = { 1: 'byte', 2: 'char', 3: 'short', 4: 'int', 5: 'float', 6: 'double', 7: 'ubyte', 8: 'ushort', 9: 'uint', 10: 'int64', 11: 'uint64' };

export type Nc3AttrValue = string | number[];

export interface Nc3Dim { name: string; size: number; unlimited: boolean }
export interface Nc3Var {
  name: string;
  dimIds: number[];
  attrs: Map<string, { type: number; value: Nc3AttrValue }>;
  type: number;
  vsize: number;
  begin: number;
  /** Whether the first dimension is the record (unlimited) dimension. */
  record: boolean;
}
export interface Nc3Header {
  version: 1 | 2 | 5;
  numrecs: number;
  dims: Nc3Dim[];
  attrs: Map<string, { type: number; value: Nc3AttrValue }>;
  vars: Nc3Var[];
  /** Bytes per record (all record variables), for the offset of record i of a record variable. */
  recsize: number;
  fileSize: number;
}

const MAX_ITEMS = 100_000;
const MAX_HEADER = 64 << 20;

class Cursor {
  pos = 0;
  constructor(private buf: Buffer, private more: (need: number) => Buffer, readonly v5: boolean) {}
  private need(n: number): void {
    if (this.pos + n > this.buf.length) {
      if (this.pos + n > MAX_HEADER) throw new Nc3FormatError('header larger than 64 MiB');
      this.buf = this.more(this.pos + n);
      if (this.pos + n > this.buf.length) throw new Nc3FormatError(`header cut at byte ${this.buf.length}`);
    }
  }
  u32(): number { this.need(4); const v = this.buf.readUInt32BE(this.pos); this.pos += 4; return v; }
  u64(): number {
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.pos); this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Nc3FormatError('64-bit count out of range');
    return Number(v);
  }
  /** NON_NEG: 4 bytes, 8 in CDF-5. */
  nonNeg(): number { return this.v5 ? this.u64() : this.u32(); }
  bytes(n: number): Buffer { this.need(n); const b = this.buf.subarray(this.pos, this.pos + n); this.pos += n; return b; }
  pad4(n: number): void { const p = (4 - (n % 4)) % 4; if (p) this.bytes(p); }
  name(): string {
    const n = this.nonNeg();
    if (n === 0 || n > 1024) throw new Nc3FormatError(`bad name length ${n}`);
    const s = this.bytes(n).toString('utf8');
    this.pad4(n);
    return s;
  }
}

function values(b: Buffer, type: number, count: number): number[] {
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    switch (type) {
      case 1: out[i] = b.readInt8(i); break;
      case 3: out[i] = b.readInt16BE(i * 2); break;
      case 4: out[i] = b.readInt32BE(i * 4); break;
      case 5: out[i] = b.readFloatBE(i * 4); break;
      case 6: out[i] = b.readDoubleBE(i * 8); break;
      case 7: out[i] = b[i]!; break;
      case 8: out[i] = b.readUInt16BE(i * 2); break;
      case 9: out[i] = b.readUInt32BE(i * 4); break;
      case 10: out[i] = Number(b.readBigInt64BE(i * 8)); break;
      case 11: out[i] = Number(b.readBigUInt64BE(i * 8)); break;
      default: throw new Nc3FormatError(`bad type ${type}`);
    }
  }
  return out;
}

function attrList(c: Cursor): Map<string, { type: number; value: Nc3AttrValue }> {
  const out = new Map<string, { type: number; value: Nc3AttrValue }>();
  const tag = c.u32();
  const n = c.nonNeg();
  if (tag === 0) { if (n !== 0) throw new Nc3FormatError('ABSENT attribute list with a count'); return out; }
  if (tag !== 0x0c) throw new Nc3FormatError(`expected NC_ATTRIBUTE, got tag ${tag}`);
  if (n > MAX_ITEMS) throw new Nc3FormatError(`${n} attributes`);
  for (let i = 0; i < n; i++) {
    const name = c.name();
    const type = c.u32();
    const size = NC_TYPE_SIZE[type];
    if (!size) throw new Nc3FormatError(`attribute ${name}: unknown type ${type}`);
    const count = c.nonNeg();
    if (count * size > MAX_HEADER) throw new Nc3FormatError(`attribute ${name} too long`);
    const b = c.bytes(count * size);
    c.pad4(count * size);
    if (out.has(name)) throw new Nc3FormatError(`attribute ${name} twice`);
    out.set(name, { type, value: type === 2 ? b.toString('utf8').replace(/\0+$/, '') : values(b, type, count) });
  }
  return out;
}

/** Reads and checks the header of a classic NetCDF file. */
export function readNc3Header(absPath: string): Nc3Header {
  const fd = openSync(absPath, 'r');
  try {
    const fileSize = fstatSync(fd).size;
    const load = (n: number): Buffer => {
      const len = Math.min(fileSize, Math.max(n, 64 * 1024), MAX_HEADER);
      const b = Buffer.alloc(len);
      let got = 0;
      while (got < len) { const r = readSync(fd, b, got, len - got, got); if (r <= 0) break; got += r; }
      return b.subarray(0, got);
    };
    const first = load(64 * 1024);
    if (first.length < 8 || first.toString('latin1', 0, 3) !== 'CDF') throw new Nc3FormatError('no CDF magic');
    const version = first[3]!;
    if (version !== 1 && version !== 2 && version !== 5) throw new Nc3FormatError(`unknown CDF version ${version}`);
    const c = new Cursor(first, load, version === 5);
    c.bytes(4);
    const numrecsRaw = version === 5 ? c.u64() : c.u32();
    if (version !== 5 && numrecsRaw === 0xffffffff) throw new Nc3FormatError('streaming record count');
    const numrecs = numrecsRaw;
    // dimensions
    const dims: Nc3Dim[] = [];
    {
      const tag = c.u32();
      const n = c.nonNeg();
      if (tag === 0) { if (n !== 0) throw new Nc3FormatError('ABSENT dimension list with a count'); } else if (tag !== 0x0a) throw new Nc3FormatError(`expected NC_DIMENSION, got tag ${tag}`);
      if (n > MAX_ITEMS) throw new Nc3FormatError(`${n} dimensions`);
      let unlimited = 0;
      for (let i = 0; i < n; i++) {
        const name = c.name();
        const len = c.nonNeg();
        if (len === 0) unlimited++;
        dims.push({ name, size: len === 0 ? numrecs : len, unlimited: len === 0 });
      }
      if (unlimited > 1) throw new Nc3FormatError('more than one record dimension');
      if (new Set(dims.map((d) => d.name)).size !== dims.length) throw new Nc3FormatError('duplicate dimension names');
    }
    const attrs = attrList(c);
    const vars: Nc3Var[] = [];
    {
      const tag = c.u32();
      const n = c.nonNeg();
      if (tag === 0) { if (n !== 0) throw new Nc3FormatError('ABSENT variable list with a count'); } else if (tag !== 0x0b) throw new Nc3FormatError(`expected NC_VARIABLE, got tag ${tag}`);
      if (n > MAX_ITEMS) throw new Nc3FormatError(`${n} variables`);
      for (let i = 0; i < n; i++) {
        const name = c.name();
        const nd = c.nonNeg();
        if (nd > 1024) throw new Nc3FormatError(`variable ${name}: ${nd} dimensions`);
        const dimIds: number[] = [];
        for (let k = 0; k < nd; k++) {
          const id = c.nonNeg();
          if (id >= dims.length) throw new Nc3FormatError(`variable ${name}: dimension id ${id} out of range`);
          if (k > 0 && dims[id]!.unlimited) throw new Nc3FormatError(`variable ${name}: record dimension not first`);
          dimIds.push(id);
        }
        const vattrs = attrList(c);
        const type = c.u32();
        if (!NC_TYPE_SIZE[type] || (version !== 5 && type > 6)) throw new Nc3FormatError(`variable ${name}: type ${type}`);
        const vsize = c.nonNeg();
        const begin = version === 1 ? c.u32() : c.u64();
        const record = nd > 0 && dims[dimIds[0]!]!.unlimited;
        vars.push({ name, dimIds, attrs: vattrs, type, vsize, begin, record });
      }
      if (new Set(vars.map((v) => v.name)).size !== vars.length) throw new Nc3FormatError('duplicate variable names');
    }
    const headerEnd = c.pos;
    // record size: the sum of the record variables' vsize (one record variable: its unpadded size)
    const recVars = vars.filter((v) => v.record);
    const sizeOf = (v: Nc3Var, skipRecord: boolean) => v.dimIds.reduce((p, id, k) => (skipRecord && k === 0 && v.record ? p : p * dims[id]!.size), NC_TYPE_SIZE[v.type]!);
    const recsize = recVars.length === 1 ? sizeOf(recVars[0]!, true) : recVars.reduce((s, v) => s + v.vsize, 0);
    for (const v of vars) {
      if (v.begin < headerEnd) throw new Nc3FormatError(`variable ${v.name}: data begins inside the header`);
      const bytes = v.record ? (numrecs > 0 ? (numrecs - 1) * recsize + sizeOf(v, true) : 0) : sizeOf(v, false);
      if (v.begin + bytes > fileSize) throw new Nc3FormatError(`variable ${v.name}: data runs past the end of the file`);
    }
    return { version: version as 1 | 2 | 5, numrecs, dims, attrs, vars, recsize, fileSize };
  } finally { closeSync(fd); }
}

/** All values of a 1-D variable (its data section), at most `max` of them (first and last otherwise). */
export function readNc3Values1D(absPath: string, h: Nc3Header, v: Nc3Var, max: number): number[] {
  if (v.dimIds.length !== 1) throw new Nc3FormatError(`${v.name} is not 1-D`);
  const n = h.dims[v.dimIds[0]!]!.size;
  const ts = NC_TYPE_SIZE[v.type]!;
  if (v.type === 2) throw new Nc3FormatError(`${v.name} is a char variable`);
  const fd = openSync(absPath, 'r');
  try {
    const at = (i: number) => v.begin + (v.record ? i * h.recsize : i * ts);
    const idx = n <= max ? Array.from({ length: n }, (_, i) => i) : [0, n - 1];
    if (!v.record && n <= max) {
      const b = Buffer.alloc(n * ts);
      if (readSync(fd, b, 0, b.length, v.begin) !== b.length) throw new Nc3FormatError(`${v.name}: short read`);
      return values(b, v.type, n);
    }
    return idx.map((i) => {
      const b = Buffer.alloc(ts);
      if (readSync(fd, b, 0, ts, at(i)) !== ts) throw new Nc3FormatError(`${v.name}: short read`);
      return values(b, v.type, 1)[0]!;
    });
  } finally { closeSync(fd); }
}
