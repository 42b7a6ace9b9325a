/**
 * A read-only HDF5 header reader written from the public "HDF5 File Format Specification"
 * (version 3.0): superblock versions 0–3, object headers v1 and v2 (with continuation blocks),
 * groups stored as symbol tables (v1 B-tree + local heap + symbol nodes), as compact link messages
 * or densely (fractal heap; link records read from the heap's direct blocks through the v2 B-tree
 * name index), and the messages a metadata reader needs: dataspace,
 * datatype, fill value, data layout (compact, contiguous, chunked with a v1 B-tree index or a single
 * chunk), filter pipeline, attributes (compact and dense), link info, attribute info, symbol table.
 * Attribute values: integers, floats, fixed and variable-length strings (global heap), object
 * references and variable-length sequences of object references (HDF5 dimension scales' lists).
 *
 * Only positioned reads of the structures needed (never the whole file), every read checked against
 * the file size and a total budget, object headers and B-tree nodes visited at most once (cycles),
 * group depth and item counts capped. Anything malformed throws `H5FormatError`, anything valid but
 * not handled here (shared messages, exotic datatypes or layouts, a filter this reader does not
 * decode, nested fractal-heap indirect blocks) throws `H5Unsupported`: the caller then leaves the file to GDAL.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';

/** node:zlib loaded on the first compressed chunk only (importing it costs ~10 ms at start-up). */
let zlib: typeof import('node:zlib') | undefined;
const inflateSync = (b: Buffer, opts: { maxOutputLength: number }): Buffer => (zlib ??= createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib')).inflateSync(b, opts);

export class H5FormatError extends Error {}
export class H5Unsupported extends Error {}

const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
/** One read at most this large. */
const MAX_READ = 16 << 20;
/** All reads of one file together at most this much. */
const MAX_TOTAL = 128 << 20;
/** Objects (groups + datasets) listed, messages per header, B-tree/heap nodes visited: at most. */
const MAX_OBJECTS = 20_000;
const MAX_MESSAGES = 10_000;
const MAX_NODES = 100_000;
const MAX_DEPTH = 32;
/** Bytes read at once from the start of the file (one read instead of dozens for small files). */
const HEAD_BYTES = 64 << 10;

const bad = (why: string): never => { throw new H5FormatError(why); };
const unsupported = (why: string): never => { throw new H5Unsupported(why); };

export interface H5Type {
  /** 0 fixed-point, 1 float, 2 time, 3 string, 4 bitfield, 5 opaque, 6 compound, 7 reference, 8 enum, 9 vlen, 10 array. */
  cls: number;
  size: number;
  signed?: boolean;
  bigEndian?: boolean;
  /** vlen: 'string' or 'sequence'; reference: 'object' or 'region'. */
  kind?: string;
  base?: H5Type;
  /** Float: a standard IEEE layout (sign bit at the top, 8/11-bit exponent). */
  ieee?: boolean;
}

export type H5Value = string | number[] | number[][] | undefined;
export interface H5Attr { name: string; type: H5Type; shape: number[]; value: H5Value }

export interface H5Layout {
  cls: 'compact' | 'contiguous' | 'chunked';
  address?: number;
  size?: number;
  data?: Buffer;
  /** Chunk dims (without the element-size dimension). */
  chunk?: number[];
  /** Chunk index: 'btree1' (layout v1–3), 'single' (v4 single chunk) and its filtered size/mask. */
  index?: 'btree1' | 'single' | 'other';
  singleSize?: number;
  singleMask?: number;
}

export interface H5Filter { id: number; name?: string; values: number[]; optional: boolean }

export interface H5Object {
  kind: 'group' | 'dataset' | 'other';
  /** Object header address (identity: references point here). */
  addr: number;
  path: string;
  name: string;
  attrs: Map<string, H5Attr>;
  /** Groups: children in the order listed (creation order when tracked, else by name). */
  children?: { name: string; addr: number; order?: number }[];
  /** Groups: whether link creation order is tracked. */
  creationOrder?: boolean;
  /** Groups: soft or external links (not followed; their targets are for GDAL to resolve). */
  otherLinks?: number;
  /** Datasets. */
  shape?: number[];
  maxShape?: number[];
  type?: H5Type;
  layout?: H5Layout;
  filters?: H5Filter[];
  /** Fill value message: write time (0 on allocation, 1 never, 2 if set by user) and the value. */
  fill?: { writeTime: number; defined: boolean; value?: Buffer };
}

export interface H5File {
  superblockVersion: number;
  root: H5Object;
  /** Every object reachable from the root by hard links, depth first, each once. */
  objects: H5Object[];
  byAddr: Map<number, H5Object>;
  /** Reads the elements of a 1-D numeric dataset (`max` first elements; Infinity for all). */
  readValues(ds: H5Object, max: number): number[];
  /** Bytes read so far. */
  bytesRead(): number;
  /** Structures met (for tests): v1-header, v2-header, symbol-table, compact-links, dense-links, dense-attrs, btree1-chunks, single-chunk, deflate, shuffle, global-heap. */
  features: Set<string>;
}

class Source {
  total = 0;
  readonly size: number;
  constructor(private fd: number) { this.size = fstatSync(fd).size; }
  /** The file's first bytes, read once: small files and the metadata at the start of big ones. */
  private head: Buffer | undefined;
  read(addr: number, len: number): Buffer {
    if (!Number.isSafeInteger(addr) || addr < 0 || len < 0 || addr + len > this.size) bad(`read of ${len} bytes at ${addr} past the end of the file (${this.size} bytes)`);
    if (len > MAX_READ) unsupported(`structure of ${len} bytes`);
    if (addr + len <= HEAD_BYTES) {
      if (!this.head) { this.head = Buffer.alloc(0); this.head = this.read(0, Math.min(HEAD_BYTES, this.size)); }
      if (addr + len <= this.head.length) return this.head.subarray(addr, addr + len);
    }
    this.total += len;
    if (this.total > MAX_TOTAL) unsupported('header reads over the budget');
    const b = Buffer.allocUnsafe(len); // filled below, or the read throws
    let n = 0;
    while (n < len) { const r = readSync(this.fd, b, n, len - n, addr + n); if (r <= 0) bad('short read'); n += r; }
    return b;
  }
  /** Up to `len` bytes (fewer at the end of the file). */
  readUpTo(addr: number, len: number): Buffer {
    if (addr >= this.size) bad(`address ${addr} past the end of the file`);
    return this.read(addr, Math.min(len, this.size - addr));
  }
}

/** A cursor over a buffer with the file's offset/length sizes. */
class Cur {
  constructor(public b: Buffer, public p: number, private so: number, private sl: number) {}
  need(n: number) { if (this.p + n > this.b.length) bad('structure cut short'); }
  u8() { this.need(1); return this.b[this.p++]!; }
  u16() { this.need(2); const v = this.b.readUInt16LE(this.p); this.p += 2; return v; }
  u32() { this.need(4); const v = this.b.readUInt32LE(this.p); this.p += 4; return v; }
  uN(n: number): number {
    this.need(n);
    const b = this.b, p = this.p;
    this.p += n;
    if (n <= 6) return n === 0 ? 0 : b.readUIntLE(p, n);
    const lo = n === 8 ? b.readUInt32LE(p) : b.readUIntLE(p, 4);
    const hi = n === 8 ? b.readUInt32LE(p + 4) : b.readUIntLE(p + 4, n - 4);
    if (n === 8 && lo === 0xffffffff && hi === 0xffffffff) return -1;
    if (hi > 0x1fffff) return bad('64-bit value out of range');
    return hi * 0x100000000 + lo;
  }
  off() { return this.uN(this.so); }
  len() { return this.uN(this.sl); }
  bytes(n: number) { this.need(n); const v = this.b.subarray(this.p, this.p + n); this.p += n; return v; }
  skip(n: number) { this.need(n); this.p += n; }
  cstr(): string { const e = this.b.indexOf(0, this.p); if (e < 0) bad('unterminated name'); const s = this.b.toString('utf8', this.p, e); this.p = e + 1; return s; }
}

interface Msg { type: number; flags: number; data: Buffer; order?: number }

export function openH5(absPath: string): H5File {
  const fd = openSync(absPath, 'r');
  try {
    return readH5(new Source(fd), fd);
  } catch (e) { closeSync(fd); throw e; }
}

/** Reads the file's structure; the returned `readValues` reads through the same descriptor until `closeH5`. */
function readH5(src: Source, fd: number): H5File {
  const sb = src.readUpTo(0, 256);
  if (sb.length < 16 || !sb.subarray(0, 8).equals(SIGNATURE)) bad('not an HDF5 file at byte 0');
  const version = sb[8]!;
  let so: number, sl: number, rootAddr: number;
  if (version === 0 || version === 1) {
    so = sb[13]!; sl = sb[14]!;
    if (![2, 4, 8].includes(so) || ![2, 4, 8].includes(sl)) bad('offset/length sizes');
    const c = new Cur(sb, version === 0 ? 24 : 28, so, sl);
    const base = c.off();
    if (base !== 0) unsupported('base address not 0');
    c.off(); c.off(); c.off(); // free space, EOF, driver info
    c.off(); // root link name offset
    rootAddr = c.off();
  } else if (version === 2 || version === 3) {
    so = sb[9]!; sl = sb[10]!;
    if (![2, 4, 8].includes(so) || ![2, 4, 8].includes(sl)) bad('offset/length sizes');
    const c = new Cur(sb, 12, so, sl);
    const base = c.off();
    if (base !== 0) unsupported('base address not 0');
    c.off(); c.off(); // superblock extension, EOF
    rootAddr = c.off();
  } else return unsupported(`superblock version ${version}`);
  if (rootAddr < 0) bad('no root group');

  const features = new Set<string>();
  let nodes = 0;
  const node = () => { if (++nodes > MAX_NODES) unsupported('too many nodes'); };
  const C = (b: Buffer, p = 0) => new Cur(b, p, so, sl);

  // ---- object headers ----
  const readHeader = (addr: number): Msg[] => {
    node();
    const msgs: Msg[] = [];
    const seenBlocks = new Set<number>();
    const head = src.readUpTo(addr, 512);
    if (head.subarray(0, 4).toString('latin1') === 'OHDR') {
      features.add('v2-header');
      const c = C(head, 4);
      if (c.u8() !== 2) bad('object header version');
      const flags = c.u8();
      if (flags & 0x20) c.skip(16);
      if (flags & 0x10) c.skip(4);
      const sizeLen = 1 << (flags & 3);
      const chunk0 = c.uN(sizeLen);
      const start = addr + c.p;
      const blocks: [number, number][] = [[start, chunk0]];
      const parseV2 = (b: Buffer) => {
        const m = C(b);
        while (m.p + (flags & 0x04 ? 6 : 4) <= b.length) {
          const type = m.u8(); const size = m.u16(); const mflags = m.u8();
          const order = flags & 0x04 ? m.u16() : undefined;
          const data = m.bytes(size);
          if (msgs.length >= MAX_MESSAGES) unsupported('too many messages');
          msgs.push({ type, flags: mflags, data, order });
          if (type === 0x10) { const k = C(data); blocks.push([k.off(), k.len()]); }
        }
      };
      for (let i = 0; i < blocks.length; i++) {
        const [a, n] = blocks[i]!;
        if (seenBlocks.has(a)) bad('object header continuation cycle');
        seenBlocks.add(a);
        if (i === 0) { parseV2(src.read(a, n)); continue; }
        const b = src.read(a, n);
        if (b.length < 8 || b.subarray(0, 4).toString('latin1') !== 'OCHK') bad('continuation block signature');
        parseV2(b.subarray(4, b.length - 4));
      }
      return msgs;
    }
    if (head[0] !== 1) bad(`object header version ${head[0]} at ${addr}`);
    features.add('v1-header');
    const c = C(head, 2);
    const nmsgs = c.u16(); c.u32();
    const size = c.u32();
    const blocks: [number, number][] = [[addr + 16, size]];
    for (let i = 0; i < blocks.length; i++) {
      const [a, n] = blocks[i]!;
      if (seenBlocks.has(a)) bad('object header continuation cycle');
      seenBlocks.add(a);
      const b = src.read(a, n);
      const m = C(b);
      while (m.p + 8 <= b.length && msgs.length < nmsgs) {
        const type = m.u16(); const msize = m.u16(); const mflags = m.u8(); m.skip(3);
        const data = m.bytes(msize);
        m.p = Math.min(b.length, (m.p + 7) & ~7);
        msgs.push({ type, flags: mflags, data });
        if (type === 0x10) { const k = C(data); blocks.push([k.off(), k.len()]); }
      }
      if (msgs.length > MAX_MESSAGES) unsupported('too many messages');
    }
    return msgs;
  };

  // ---- datatypes, dataspaces, values ----
  const parseType = (c: Cur, depth = 0): H5Type => {
    if (depth > 8) unsupported('nested datatype');
    const cv = c.u8(); const b0 = c.u8(); const b1 = c.u8(); c.u8();
    const cls = cv & 0x0f; const tver = cv >> 4;
    const size = c.u32();
    const t: H5Type = { cls, size };
    if (cls === 0) { t.bigEndian = !!(b0 & 1); t.signed = !!(b0 & 8); const bitOff = c.u16(); const prec = c.u16(); if (bitOff !== 0 || prec !== size * 8) t.kind = 'padded'; }
    else if (cls === 1) {
      t.bigEndian = !!(b0 & 1); if (b0 & 0x40) t.kind = 'vax';
      const bitOff = c.u16(), prec = c.u16(), eLoc = c.u8(), eSize = c.u8(), mLoc = c.u8(), mSize = c.u8(), bias = c.u32();
      t.ieee = bitOff === 0 && ((size === 4 && prec === 32 && eLoc === 23 && eSize === 8 && mLoc === 0 && mSize === 23 && bias === 127) || (size === 8 && prec === 64 && eLoc === 52 && eSize === 11 && mLoc === 0 && mSize === 52 && bias === 1023));
      void b1;
    } else if (cls === 3) { t.kind = 'fixed-string'; }
    else if (cls === 7) { t.kind = (b0 & 0x0f) === 0 ? 'object' : 'region'; }
    else if (cls === 9) { t.kind = (b0 & 0x0f) === 1 ? 'string' : 'sequence'; t.base = parseType(c, depth + 1); }
    else if (cls === 10) { t.kind = 'array'; void tver; }
    // other classes: properties not parsed (the caller treats their values as unknown)
    return t;
  };
  const parseSpace = (c: Cur): { shape: number[]; max?: number[]; scalar: boolean; nul?: boolean } => {
    const v = c.u8(); const rank = c.u8(); const flags = c.u8();
    let stype = 1;
    if (v === 1) { c.skip(5); } else if (v === 2) { stype = c.u8(); } else bad(`dataspace version ${v}`);
    if (rank > 32) bad('rank');
    const shape: number[] = []; for (let i = 0; i < rank; i++) shape.push(c.len());
    let max: number[] | undefined;
    if (flags & 1) { max = []; for (let i = 0; i < rank; i++) max.push(c.len()); }
    if (shape.some((d) => d < 0)) bad('dimension size');
    return { shape, max, scalar: v === 2 ? stype === 0 : rank === 0, nul: v === 2 && stype === 2 };
  };
  const num = (b: Buffer, p: number, t: H5Type): number => {
    if (t.cls === 0) {
      if (t.kind === 'padded') unsupported('padded integer');
      const le = !t.bigEndian;
      switch (t.size) {
        case 1: return t.signed ? b.readInt8(p) : b[p]!;
        case 2: return t.signed ? (le ? b.readInt16LE(p) : b.readInt16BE(p)) : (le ? b.readUInt16LE(p) : b.readUInt16BE(p));
        case 4: return t.signed ? (le ? b.readInt32LE(p) : b.readInt32BE(p)) : (le ? b.readUInt32LE(p) : b.readUInt32BE(p));
        case 8: return Number(t.signed ? (le ? b.readBigInt64LE(p) : b.readBigInt64BE(p)) : (le ? b.readBigUInt64LE(p) : b.readBigUInt64BE(p)));
        default: return unsupported(`integer of ${t.size} bytes`);
      }
    }
    if (t.cls === 1 && t.ieee && t.kind !== 'vax') {
      if (t.size === 4) return t.bigEndian ? b.readFloatBE(p) : b.readFloatLE(p);
      return t.bigEndian ? b.readDoubleBE(p) : b.readDoubleLE(p);
    }
    return unsupported(`values of datatype class ${t.cls}`);
  };
  const isNumeric = (t: H5Type) => (t.cls === 0 && t.kind !== 'padded' && [1, 2, 4, 8].includes(t.size)) || (t.cls === 1 && !!t.ieee && t.kind !== 'vax');

  // global heap collections, cached by address
  const gcols = new Map<number, Map<number, Buffer>>();
  const globalObject = (addr: number, index: number): Buffer => {
    let col = gcols.get(addr);
    features.add('global-heap');
    if (!col) {
      node();
      const h = src.read(addr, 16);
      if (h.subarray(0, 4).toString('latin1') !== 'GCOL') bad('global heap signature');
      const size = C(h, 8).len();
      if (size < 16) bad('global heap size');
      const b = src.read(addr, size);
      col = new Map();
      const c = C(b, 16);
      while (c.p + 8 + sl <= b.length) {
        const idx = c.u16(); c.skip(6);
        const n = c.len();
        if (idx === 0) break;
        if (c.p + n > b.length) bad('global heap object past its collection');
        col.set(idx, c.bytes(n));
        c.p = Math.min(b.length, (c.p + 7) & ~7);
      }
      gcols.set(addr, col);
    }
    const o = col.get(index);
    if (!o) bad(`global heap object ${index} missing`);
    return o!;
  };

  /** Attribute/compact data values: numbers, a string, references, lists of references. */
  const decodeValues = (data: Buffer, t: H5Type, count: number): H5Value => {
    if (count > 1_000_000) unsupported('attribute too large');
    if (isNumeric(t)) {
      if (data.length < count * t.size) bad('attribute data cut short');
      const out: number[] = [];
      for (let i = 0; i < count; i++) out.push(num(data, i * t.size, t));
      return out;
    }
    if (t.cls === 3) {
      if (count !== 1) return undefined;
      const raw = data.subarray(0, t.size);
      const z = raw.indexOf(0);
      return raw.toString('utf8', 0, z < 0 ? raw.length : z).replace(/ +$/, (s) => (z < 0 ? '' : s));
    }
    if (t.cls === 9 && t.kind === 'string') {
      if (count !== 1) return undefined;
      const c = C(data);
      const n = c.u32(); const a = c.off(); const idx = c.u32();
      if (n === 0) return '';
      const o = globalObject(a, idx);
      if (o.length < n) bad('vlen string cut short');
      const s = o.toString('utf8', 0, n);
      return s.includes('\0') ? s.slice(0, s.indexOf('\0')) : s;
    }
    if (t.cls === 7 && t.kind === 'object') {
      const c = C(data); const out: number[] = [];
      for (let i = 0; i < count; i++) out.push(c.off());
      return out;
    }
    if (t.cls === 9 && t.kind === 'sequence' && t.base?.cls === 7 && t.base.kind === 'object') {
      const c = C(data); const out: number[][] = [];
      for (let i = 0; i < count; i++) {
        const n = c.u32(); const a = c.off(); const idx = c.u32();
        if (n > 1024) unsupported('long reference list');
        const refs: number[] = [];
        if (n) { const o = globalObject(a, idx); const k = C(o); for (let j = 0; j < n; j++) refs.push(k.off()); }
        out.push(refs);
      }
      return out;
    }
    return undefined;
  };

  const parseAttr = (data: Buffer): H5Attr => {
    const c = C(data);
    const v = c.u8(); const flags = c.u8();
    if (flags & 3) unsupported('shared datatype/dataspace in an attribute');
    const nameLen = c.u16(), typeLen = c.u16(), spaceLen = c.u16();
    if (v === 3) c.u8(); else if (v !== 1 && v !== 2) bad(`attribute version ${v}`);
    const pad = (n: number) => (v === 1 ? (n + 7) & ~7 : n);
    const nameB = c.bytes(pad(nameLen));
    const z = nameB.indexOf(0);
    const name = nameB.toString('utf8', 0, z < 0 || z > nameLen ? nameLen : z);
    const tb = c.bytes(pad(typeLen));
    const type = parseType(C(tb));
    const sp = parseSpace(C(c.bytes(pad(spaceLen))));
    const count = sp.nul ? 0 : sp.shape.reduce((a, b) => a * b, 1);
    const rest = data.subarray(c.p);
    return { name, type, shape: sp.shape, value: sp.nul ? undefined : decodeValues(rest, type, count) };
  };

  // ---- fractal heaps (dense links and attributes) ----
  interface Heap { addr: number; idLen: number; maxHeapBits: number; width: number; startBlock: number; maxDirect: number; rootAddr: number; rootRows: number; checksummed: boolean; filtered: boolean }
  const heaps = new Map<number, Heap>();
  const heapOf = (addr: number): Heap => {
    const hit = heaps.get(addr);
    if (hit) return hit;
    node();
    const b = src.readUpTo(addr, 256);
    if (b.subarray(0, 4).toString('latin1') !== 'FRHP') bad('fractal heap signature');
    const c = C(b, 5);
    const idLen = c.u16(); const filterLen = c.u16(); const flags = c.u8();
    c.u32(); c.len(); c.off(); c.len(); c.off(); c.len(); c.len(); c.len(); c.len(); c.len(); c.len(); c.len(); c.len();
    const width = c.u16(); const startBlock = c.len(); const maxDirect = c.len(); const maxHeapBits = c.u16(); c.u16();
    const rootAddr = c.off(); const rootRows = c.u16();
    const h: Heap = { addr, idLen, maxHeapBits, width, startBlock, maxDirect, rootAddr, rootRows, checksummed: !!(flags & 2), filtered: filterLen > 0 };
    if (h.filtered) unsupported('filtered fractal heap');
    if (width < 1 || width > 65536 || startBlock < 1 || maxDirect < startBlock || maxHeapBits < 1 || maxHeapBits > 64) bad('fractal heap parameters');
    heaps.set(addr, h);
    return h;
  };
  /** The bytes of a managed object of a heap, by its heap ID. */
  const heapObject = (h: Heap, id: Buffer): Buffer => {
    const flags = id[0]!;
    const type = (flags >> 4) & 3;
    if (type === 2) { const n = (flags & 0x0f) + 1; return id.subarray(1, 1 + n); }
    if (type !== 0) unsupported('huge fractal heap object');
    const offBytes = Math.ceil(h.maxHeapBits / 8);
    const c = C(id, 1);
    const offset = c.uN(offBytes);
    const lenBytes = Math.min(Math.ceil(Math.log2(h.maxDirect) / 8) || 1, h.idLen - 1 - offBytes);
    const length = c.uN(lenBytes);
    // find the direct block holding `offset`
    if (h.rootAddr < 0) bad('empty fractal heap');
    if (h.rootRows === 0) return directRead(h.rootAddr, 0, h.startBlock, offset, length);
    // root indirect block: rows of `width` blocks; row r holds blocks of startBlock * 2^max(0, r-1)
    const blockSize = (r: number) => h.startBlock * 2 ** Math.max(0, r - 1);
    const maxDirectRows = Math.log2(h.maxDirect / h.startBlock) + 2;
    let base = 0;
    for (let r = 0; r < h.rootRows; r++) {
      const bs = blockSize(r);
      if (r >= maxDirectRows) unsupported('nested fractal heap indirect blocks');
      if (offset < base + bs * h.width) {
        const k = Math.floor((offset - base) / bs);
        const ib = src.read(h.rootAddr, 5 + so + offBytes + (r * h.width + k + 1) * so);
        if (ib.subarray(0, 4).toString('latin1') !== 'FHIB') bad('fractal heap indirect block signature');
        const a = C(ib, 5 + so + offBytes + (r * h.width + k) * so).off();
        if (a < 0) bad('fractal heap object in an unallocated block');
        return directRead(a, base + k * bs, bs, offset, length);
      }
      base += bs * h.width;
    }
    return bad('fractal heap offset out of range');
  };
  const directRead = (addr: number, blockOffset: number, blockSize: number, offset: number, length: number): Buffer => {
    node();
    const rel = offset - blockOffset;
    if (rel < 0 || rel + length > blockSize) bad('fractal heap object outside its block');
    const hdr = src.read(addr, 4);
    if (hdr.toString('latin1') !== 'FHDB') bad('fractal heap direct block signature');
    return src.read(addr + rel, length);
  };
  /**
   * Records of a v2 B-tree, every node walked (internal nodes: records, then child pointers whose
   * "records in child" fields have the widths the header's node size implies).
   */
  const btree2Records = (addr: number): { type: number; records: Buffer[] } => {
    node();
    const b = src.readUpTo(addr, 64);
    if (b.subarray(0, 4).toString('latin1') !== 'BTHD') bad('v2 B-tree signature');
    const c = C(b, 5);
    const type = c.u8(); const nodeSize = c.u32(); const recSize = c.u16(); const depth = c.u16(); c.u8(); c.u8();
    const root = c.off(); const nrec = c.u16();
    if (recSize < 1 || nodeSize < 16 || nodeSize > (1 << 20) || depth > 8) bad('v2 B-tree parameters');
    const records: Buffer[] = [];
    if (nrec === 0 || root < 0) return { type, records };
    // field widths (bytes holding a count up to n: floor(log2 n / 8) + 1)
    const enc = (n: number) => Math.floor(Math.log2(Math.max(1, n)) / 8) + 1;
    const maxLeaf = Math.floor((nodeSize - 10) / recSize);
    if (maxLeaf < 1) bad('v2 B-tree node too small');
    const nrecSize = enc(maxLeaf);
    const cum: number[] = [maxLeaf], cumSize: number[] = [0], ptrSize: number[] = [0];
    for (let d = 1; d <= depth; d++) {
      ptrSize[d] = so + nrecSize + (d > 1 ? cumSize[d - 1]! : 0);
      const maxInt = Math.floor((nodeSize - 10 - ptrSize[d]!) / (recSize + ptrSize[d]!));
      if (maxInt < 1) bad('v2 B-tree node too small');
      cum[d] = (maxInt + 1) * cum[d - 1]! + maxInt;
      cumSize[d] = enc(cum[d]!);
    }
    const seen = new Set<number>();
    const walk = (a: number, n: number, d: number) => {
      if (seen.has(a)) bad('v2 B-tree cycle');
      seen.add(a); node();
      if (d === 0) {
        const leaf = src.read(a, 6 + n * recSize);
        if (leaf.subarray(0, 4).toString('latin1') !== 'BTLF') bad('v2 B-tree leaf signature');
        for (let i = 0; i < n; i++) records.push(leaf.subarray(6 + i * recSize, 6 + (i + 1) * recSize));
        return;
      }
      const body = src.read(a, 6 + n * recSize + (n + 1) * ptrSize[d]!);
      if (body.subarray(0, 4).toString('latin1') !== 'BTIN') bad('v2 B-tree internal node signature');
      const k = C(body, 6 + n * recSize);
      const kids: [number, number][] = [];
      for (let i = 0; i <= n; i++) { const ca = k.off(); const cn = k.uN(nrecSize); if (d > 1) k.uN(cumSize[d - 1]!); kids.push([ca, cn]); }
      // records of an internal node sit between its children (order does not matter here)
      for (let i = 0; i < n; i++) records.push(body.subarray(6 + i * recSize, 6 + (i + 1) * recSize));
      for (const [ca, cn] of kids) walk(ca, cn, d - 1);
    };
    walk(root, nrec, depth);
    if (depth > 0) features.add('btree2-internal');
    return { type, records };
  };
  /** Messages stored densely (links: type 5 name index; attributes: type 8 name index). */
  const denseMessages = (heapAddr: number, btreeAddr: number): Buffer[] => {
    if (heapAddr < 0 || btreeAddr < 0) return [];
    const h = heapOf(heapAddr);
    const { type, records } = btree2Records(btreeAddr);
    const out: Buffer[] = [];
    for (const r of records) {
      // type 5 (link name): hash(4) + heap ID; type 8 (attribute name): heap ID + flags(1) + order(4) + hash(4)
      if (type === 5) out.push(heapObject(h, r.subarray(4, 4 + h.idLen)));
      else if (type === 8) { if (r[h.idLen]! & 0x02) unsupported('shared dense attribute'); out.push(heapObject(h, r.subarray(0, h.idLen))); }
      else unsupported(`v2 B-tree type ${type} as a name index`);
    }
    return out;
  };

  const parseLink = (data: Buffer): { name: string; addr?: number; order?: number } => {
    const c = C(data);
    if (c.u8() !== 1) bad('link message version');
    const flags = c.u8();
    let ltype = 0;
    if (flags & 0x08) ltype = c.u8();
    const order = flags & 0x04 ? c.uN(8) : undefined;
    if (flags & 0x10) c.u8();
    const nlen = c.uN(1 << (flags & 3));
    const name = c.bytes(nlen).toString('utf8');
    if (ltype !== 0) return { name, order }; // soft/external links are not followed
    return { name, addr: c.off(), order };
  };

  // ---- symbol-table groups ----
  const localHeapData = (addr: number): Buffer => {
    node();
    const b = src.read(addr, 8 + 2 * sl + so);
    if (b.subarray(0, 4).toString('latin1') !== 'HEAP') bad('local heap signature');
    const c = C(b, 8);
    const size = c.len(); c.len();
    const data = c.off();
    return src.read(data, size);
  };
  const symbolTableChildren = (btree: number, heap: number): { name: string; addr: number }[] => {
    const names = localHeapData(heap);
    const nameAt = (o: number) => { if (o >= names.length) bad('name offset outside the local heap'); const e = names.indexOf(0, o); return names.toString('utf8', o, e < 0 ? names.length : e); };
    const out: { name: string; addr: number }[] = [];
    const seen = new Set<number>();
    const walk = (addr: number, depth: number) => {
      if (seen.has(addr)) bad('B-tree cycle');
      seen.add(addr); node();
      if (depth > 64) bad('B-tree too deep');
      const h = src.read(addr, 8 + 2 * so);
      if (h.subarray(0, 4).toString('latin1') !== 'TREE') bad('v1 B-tree signature');
      if (h[4] !== 0) bad('v1 B-tree of a group is not of type 0');
      const level = h[5]!; const used = h.readUInt16LE(6);
      const body = src.read(addr + 8 + 2 * so, (used + 1) * sl + used * so);
      const c = C(body);
      const kids: number[] = [];
      c.len();
      for (let i = 0; i < used; i++) { kids.push(c.off()); c.len(); }
      for (const k of kids) {
        if (level > 0) { walk(k, depth + 1); continue; }
        if (seen.has(k)) bad('symbol node cycle');
        seen.add(k); node();
        const sn = src.read(k, 8);
        if (sn.subarray(0, 4).toString('latin1') !== 'SNOD') bad('symbol node signature');
        const n = sn.readUInt16LE(6);
        const ents = src.read(k + 8, n * (2 * so + 24));
        const e = C(ents);
        for (let i = 0; i < n; i++) { const nameOff = e.off(); const oh = e.off(); e.skip(24); out.push({ name: nameAt(nameOff), addr: oh }); }
      }
    };
    walk(btree, 0);
    return out;
  };

  // ---- objects ----
  const objects: H5Object[] = [];
  const byAddr = new Map<number, H5Object>();
  const load = (addr: number, path: string, name: string): H5Object => {
    if (objects.length >= MAX_OBJECTS) unsupported('too many objects');
    const msgs = readHeader(addr);
    const o: H5Object = { kind: 'other', addr, path, name, attrs: new Map() };
    let linkInfo: { heap: number; btree: number; order: boolean } | undefined;
    let attrInfo: { heap: number; btree: number } | undefined;
    let symtab: { btree: number; heap: number } | undefined;
    const links: { name: string; addr?: number; order?: number }[] = [];
    let space: ReturnType<typeof parseSpace> | undefined;
    for (const m of msgs) {
      const shared = (m.flags & 0x02) !== 0;
      if (shared && [0x01, 0x03, 0x05, 0x08, 0x0b, 0x0c].includes(m.type)) unsupported(`shared message ${m.type}`);
      const c = C(m.data);
      switch (m.type) {
        case 0x01: space = parseSpace(c); break;
        case 0x02: {
          c.u8(); const f = c.u8();
          if (f & 1) c.uN(8);
          linkInfo = { heap: c.off(), btree: c.off(), order: !!(f & 1) };
          break;
        }
        case 0x03: o.type = parseType(c); break;
        case 0x05: {
          const v = c.u8();
          if (v === 1 || v === 2) {
            c.u8(); const wt = c.u8(); const def = c.u8();
            let value: Buffer | undefined;
            if (v === 1 || def) { const n = c.u32(); if (n) value = c.bytes(n); }
            o.fill = { writeTime: wt, defined: !!def, value };
          } else if (v === 3) {
            const f = c.u8();
            let value: Buffer | undefined;
            if (f & 0x20) { const n = c.u32(); value = c.bytes(n); }
            o.fill = { writeTime: (f >> 2) & 3, defined: !(f & 0x10), value };
          } else bad(`fill value version ${v}`);
          break;
        }
        case 0x08: o.layout = parseLayout(c, space); break;
        case 0x0b: o.filters = parseFilters(c); break;
        case 0x0c: { const a = parseAttr(m.data); o.attrs.set(a.name, a); break; }
        case 0x06: links.push(parseLink(m.data)); break;
        case 0x11: symtab = { btree: c.off(), heap: c.off() }; break;
        case 0x15: {
          c.u8(); const f = c.u8();
          if (f & 1) c.u16();
          attrInfo = { heap: c.off(), btree: c.off() };
          break;
        }
        default: break;
      }
    }
    if (attrInfo && attrInfo.heap >= 0) features.add('dense-attrs');
    if (attrInfo) for (const d of denseMessages(attrInfo.heap, attrInfo.btree)) { const a = parseAttr(d); o.attrs.set(a.name, a); }
    if (o.layout) {
      o.kind = 'dataset';
      if (!space || !o.type) bad(`dataset ${path} without dataspace or datatype`);
      o.shape = space!.shape; o.maxShape = space!.max;
    } else if (symtab || linkInfo || links.length) {
      o.kind = 'group';
      features.add(symtab ? 'symbol-table' : linkInfo && linkInfo.heap >= 0 ? 'dense-links' : 'compact-links');
      if (symtab) o.children = symbolTableChildren(symtab.btree, symtab.heap).sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
      else {
        if (linkInfo) for (const d of denseMessages(linkInfo.heap, linkInfo.btree)) links.push(parseLink(d));
        o.creationOrder = !!linkInfo?.order;
        const hard = links.filter((l) => l.addr !== undefined) as { name: string; addr: number; order?: number }[];
        if (hard.length !== links.length) o.otherLinks = links.length - hard.length;
        if (o.creationOrder && hard.every((l) => l.order !== undefined)) hard.sort((a, b) => a.order! - b.order!);
        else { o.creationOrder = false; hard.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name))); }
        o.children = hard;
      }
    }
    return o;
  };

  const parseLayout = (c: Cur, space: ReturnType<typeof parseSpace> | undefined): H5Layout => {
    const v = c.u8();
    if (v === 1 || v === 2) {
      const rank = c.u8(); const cls = c.u8(); c.skip(5);
      const address = cls !== 0 ? c.off() : undefined;
      const dims: number[] = []; for (let i = 0; i < rank; i++) dims.push(c.u32());
      if (cls === 0) { const n = c.u32(); return { cls: 'compact', data: c.bytes(n) }; }
      if (cls === 1) return { cls: 'contiguous', address, size: undefined };
      return { cls: 'chunked', address, chunk: dims.slice(0, -1), index: 'btree1' };
    }
    if (v === 3) {
      const cls = c.u8();
      if (cls === 0) { const n = c.u16(); return { cls: 'compact', data: c.bytes(n) }; }
      if (cls === 1) return { cls: 'contiguous', address: c.off(), size: c.len() };
      if (cls === 2) {
        const rank = c.u8(); const address = c.off();
        const dims: number[] = []; for (let i = 0; i < rank; i++) dims.push(c.u32());
        return { cls: 'chunked', address, chunk: dims.slice(0, -1), index: 'btree1' };
      }
      return unsupported(`layout class ${cls}`);
    }
    if (v === 4) {
      const cls = c.u8();
      if (cls === 0) { const n = c.u16(); return { cls: 'compact', data: c.bytes(n) }; }
      if (cls === 1) return { cls: 'contiguous', address: c.off(), size: c.len() };
      if (cls === 2) {
        const flags = c.u8(); const rank = c.u8(); const enc = c.u8();
        const dims: number[] = []; for (let i = 0; i < rank; i++) dims.push(c.uN(enc));
        const itype = c.u8();
        const out: H5Layout = { cls: 'chunked', chunk: dims.slice(0, -1), index: 'other' };
        if (itype === 1) { out.index = 'single'; if (flags & 2) { out.singleSize = c.len(); out.singleMask = c.u32(); } }
        else if (itype === 2) { /* implicit */ }
        else if (itype === 3) c.u8();
        else if (itype === 4) c.skip(5);
        else if (itype === 5) c.skip(6);
        out.address = c.off();
        void space;
        return out;
      }
      return unsupported(`layout class ${cls}`);
    }
    return unsupported(`layout version ${v}`);
  };

  const parseFilters = (c: Cur): H5Filter[] => {
    const v = c.u8(); const n = c.u8();
    if (v === 1) c.skip(6); else if (v !== 2) bad(`filter pipeline version ${v}`);
    const out: H5Filter[] = [];
    for (let i = 0; i < n; i++) {
      const id = c.u16();
      const nameLen = v === 1 || id >= 256 ? c.u16() : 0;
      const flags = c.u16(); const nv = c.u16();
      let name: string | undefined;
      if (nameLen) { const b = c.bytes(v === 1 ? (nameLen + 7) & ~7 : nameLen); const z = b.indexOf(0); name = b.toString('latin1', 0, z < 0 ? b.length : z); }
      const values: number[] = []; for (let k = 0; k < nv; k++) values.push(c.u32());
      if (v === 1 && nv % 2) c.skip(4);
      out.push({ id, name, values, optional: !!(flags & 1) });
    }
    return out;
  };

  // walk the hierarchy from the root (each object once; hard links to an object seen are skipped)
  const visitedGroups = new Set<number>();
  const root = load(rootAddr, '/', '');
  if (root.kind !== 'group') bad('the root object is not a group');
  objects.push(root); byAddr.set(root.addr, root);
  const walk = (g: H5Object, depth: number) => {
    if (depth > MAX_DEPTH) unsupported('groups nested too deep');
    if (visitedGroups.has(g.addr)) return;
    visitedGroups.add(g.addr);
    for (const ch of g.children ?? []) {
      if (byAddr.has(ch.addr)) continue;
      const o = load(ch.addr, `${g.path === '/' ? '' : g.path}/${ch.name}`, ch.name);
      objects.push(o); byAddr.set(o.addr, o);
      if (o.kind === 'group') walk(o, depth + 1);
    }
  };
  walk(root, 0);

  // ---- values of 1-D datasets ----
  const unfilter = (raw: Buffer, filters: H5Filter[], mask: number, expect: number): Buffer => {
    let b = raw;
    for (let i = filters.length - 1; i >= 0; i--) {
      if (mask & (1 << i)) continue;
      const f = filters[i]!;
      features.add(f.id === 1 ? 'deflate' : f.id === 2 ? 'shuffle' : `filter-${f.id}`);
      if (f.id === 1) b = inflateSync(b, { maxOutputLength: expect + 16 }); // + a Fletcher-32 checksum applied before
      else if (f.id === 2) {
        const es = f.values[0] ?? 1;
        if (es > 1) { const n = Math.floor(b.length / es); const o = Buffer.alloc(b.length); for (let k = 0; k < es; k++) for (let j = 0; j < n; j++) o[j * es + k] = b[k * n + j]!; b.copy(o, n * es, n * es); b = o; }
      } else if (f.id === 3) b = b.subarray(0, b.length - 4);
      else unsupported(`filter ${f.id}${f.name ? ` (${f.name})` : ''}`);
    }
    return b;
  };
  const readValues = (ds: H5Object, max: number): number[] => {
    const t = ds.type!; const shape = ds.shape!;
    if (shape.length !== 1 || !isNumeric(t)) unsupported('values of a non-numeric or multidimensional dataset');
    const n = shape[0]!;
    const es = t.size;
    if (n * es > MAX_READ) unsupported(`coordinate of ${n} values`);
    const want = (i: number) => num(bytes, i * es, t);
    let bytes: Buffer;
    const L = ds.layout!;
    const filters = ds.filters ?? [];
    if (L.cls === 'compact') bytes = L.data!;
    else if (L.cls === 'contiguous') {
      if (L.address === undefined || L.address < 0) return unsupported('unallocated data');
      bytes = src.read(L.address, n * es);
    } else {
      const cn = L.chunk![0]!;
      if (!cn) bad('chunk size 0');
      if (cn * es > MAX_READ) unsupported(`chunk of ${cn} values`);
      bytes = Buffer.alloc(n * es);
      const nChunks = Math.ceil(n / cn);
      if (nChunks > 100_000) unsupported('too many chunks');
      const got = new Set<number>();
      const put = (start: number, raw: Buffer, mask: number) => {
        const data = unfilter(raw, filters, mask, cn * es);
        if (data.length < cn * es && start + cn < n) bad('chunk shorter than declared');
        data.copy(bytes, start * es, 0, Math.min(data.length, (n - start) * es));
        got.add(start);
      };
      features.add(L.index === 'single' ? 'single-chunk' : 'btree1-chunks');
      if (L.index === 'single') {
        if (L.address === undefined || L.address < 0) unsupported('unallocated data');
        put(0, src.read(L.address!, L.singleSize ?? cn * es), L.singleMask ?? 0);
      } else if (L.index === 'btree1') {
        if (L.address === undefined || L.address < 0) unsupported('unallocated data');
        const seen = new Set<number>();
        const walkChunks = (addr: number, depth: number) => {
          if (seen.has(addr)) bad('chunk B-tree cycle');
          seen.add(addr); node();
          if (depth > 64) bad('chunk B-tree too deep');
          const h = src.read(addr, 8 + 2 * so);
          if (h.subarray(0, 4).toString('latin1') !== 'TREE' || h[4] !== 1) bad('chunk B-tree signature');
          const level = h[5]!; const used = h.readUInt16LE(6);
          const keyLen = 8 + 8 * 2; // size, mask, offsets of rank 1 + element dim
          const body = src.read(addr + 8 + 2 * so, used * (keyLen + so) + keyLen);
          const c = C(body);
          for (let i = 0; i < used; i++) {
            const size = c.u32(); const mask = c.u32(); const off = c.uN(8); c.uN(8);
            const child = c.off();
            if (level > 0) walkChunks(child, depth + 1);
            else {
              if (off % cn !== 0 || off >= n) bad('chunk offset');
              put(off, src.read(child, size), mask);
            }
          }
        };
        walkChunks(L.address!, 0);
      } else return unsupported('chunk index of layout version 4');
      if (got.size !== nChunks) unsupported('chunks not written (fill values)');
    }
    if (bytes.length < n * es) bad('data cut short');
    const out: number[] = [];
    if (n <= max) for (let i = 0; i < n; i++) out.push(want(i));
    else if (n > 0) { out.push(want(0)); out.push(want(n - 1)); }
    return out;
  };

  return { superblockVersion: version, root, objects, byAddr, readValues, bytesRead: () => src.total, features, ...{ fd } } as H5File;
}

export function closeH5(f: H5File): void {
  const fd = (f as unknown as { fd: number }).fd;
  try { closeSync(fd); } catch { /* closed */ }
}
