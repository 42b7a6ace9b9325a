/**
 * A small, defensive TIFF/BigTIFF structure reader: header, IFD chain, SubIFDs, tag entries and
 * their values, read lazily with positional reads (a 5 GB file costs a few KiB). Every structural
 * problem is recorded as a `TiffIssue` naming the structure and the byte offset, instead of being
 * silently ignored: the integrity walk (`check.ts`) reports them, `info.ts` tolerates them the way
 * GDAL does (a cut-off tag is ignored, not fatal).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export const TYPE_SIZE: Record<number, number> = {
  1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8,
};
export const TYPE_NAME: Record<number, string> = {
  1: 'BYTE', 2: 'ASCII', 3: 'SHORT', 4: 'LONG', 5: 'RATIONAL', 6: 'SBYTE', 7: 'UNDEFINED', 8: 'SSHORT',
  9: 'SLONG', 10: 'SRATIONAL', 11: 'FLOAT', 12: 'DOUBLE', 13: 'IFD', 16: 'LONG8', 17: 'SLONG8', 18: 'IFD8',
};

/** Tag numbers used in this package. */
export const Tag = {
  NewSubfileType: 254, ImageWidth: 256, ImageLength: 257, BitsPerSample: 258, Compression: 259,
  Photometric: 262, ImageDescription: 270, StripOffsets: 273, SamplesPerPixel: 277, RowsPerStrip: 278,
  StripByteCounts: 279, PlanarConfig: 284, Software: 305, DateTime: 306, Artist: 315, Predictor: 317,
  ColorMap: 320, TileWidth: 322, TileLength: 323, TileOffsets: 324, TileByteCounts: 325, SubIFDs: 330,
  ExtraSamples: 338, SampleFormat: 339, JPEGTables: 347, YCbCrSubSampling: 530, Copyright: 33432,
  ModelPixelScale: 33550, ModelTiepoint: 33922, ModelTransformation: 34264, GeoKeyDirectory: 34735,
  GeoDoubleParams: 34736, GeoAsciiParams: 34737, GdalMetadata: 42112, GdalNodata: 42113,
  LercParameters: 50674, RPCCoefficients: 50844,
} as const;

export interface TiffIssue {
  /** Stable machine code, e.g. `tag-out-of-file`, `strip-beyond-eof`. */
  code: string;
  /** What is wrong, in words, with the structure named (IFD #, tag name). */
  message: string;
  /** Byte offset of the failing structure in the file, when known. */
  offset?: number;
  /** true when GDAL would refuse the file (or its pixels); false for tolerable oddities. */
  fatal: boolean;
}

export interface TiffEntry {
  tag: number;
  type: number;
  count: number;
  /** Absolute offset of the value bytes (inline values point into the entry). */
  valueOffset: number;
  /** Offset of the 12/20-byte directory entry itself. */
  entryOffset: number;
  /** true when the value bytes do not fit in the file (truncated tag data). */
  outOfFile: boolean;
}

export interface TiffIfd {
  index: number;
  /** For SubIFDs: the index of the parent IFD. */
  parent?: number;
  offset: number;
  entries: Map<number, TiffEntry>;
}

export class TiffFormatError extends Error {
  constructor(message: string, readonly offset?: number) { super(message); }
}

const MAX_IFDS = 4096;
const MAX_ENTRIES = 4096;

/** An open TIFF file. Call `close()` when done. */
export class TiffFile {
  readonly size: number;
  little = true;
  bigTiff = false;
  /** Main-chain IFDs (index order), then SubIFDs (with `parent`). */
  readonly ifds: TiffIfd[] = [];
  readonly issues: TiffIssue[] = [];
  private fd: number;
  private closed = false;
  private readonly src?: TiffByteReader;

  private constructor(readonly path: string, src?: TiffByteReader) {
    if (src) { this.src = src; this.fd = -1; this.size = src.size; return; }
    this.fd = openSync(path, 'r');
    this.size = fstatSync(this.fd).size;
  }

  /**
   * Parses a TIFF from positional reads other than a local file (e.g. `PrefetchedBytes` of a remote
   * object). `label` names it in messages. Throws TiffFormatError when it is not a TIFF.
   */
  static fromReader(src: TiffByteReader, label: string): TiffFile {
    const t = new TiffFile(label, src);
    try { t.parse(); } catch (e) { t.close(); throw e; }
    return t;
  }

  /** Opens and walks the IFD chain; throws TiffFormatError when the file is not a TIFF at all. */
  static open(path: string): TiffFile {
    const t = new TiffFile(path);
    try { t.parse(); } catch (e) { t.close(); throw e; }
    return t;
  }

  close(): void { if (!this.closed) { if (this.src) this.src.close?.(); else closeSync(this.fd); this.closed = true; } }

  /** Reads up to `length` bytes at `offset` (short at EOF). */
  read(offset: number, length: number): Buffer {
    const len = Math.max(0, Math.min(length, this.size - offset));
    if (this.src) return this.src.read(offset, len);
    const buf = Buffer.alloc(len);
    let got = 0;
    while (got < len) {
      const n = readSync(this.fd, buf, got, len - got, offset + got);
      if (n <= 0) break;
      got += n;
    }
    return got === len ? buf : buf.subarray(0, got);
  }

  private u16(b: Buffer, o: number): number { return this.little ? b.readUInt16LE(o) : b.readUInt16BE(o); }
  private u32(b: Buffer, o: number): number { return this.little ? b.readUInt32LE(o) : b.readUInt32BE(o); }
  private u64(b: Buffer, o: number): number { return Number(this.little ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)); }

  private parse(): void {
    const h = this.read(0, 16);
    if (h.length < 8) throw new TiffFormatError(`file too short for a TIFF header (${this.size} bytes)`, 0);
    const bo = h.toString('latin1', 0, 2);
    if (bo === 'II') this.little = true;
    else if (bo === 'MM') this.little = false;
    else throw new TiffFormatError('not a TIFF file (no II/MM byte-order mark)', 0);
    const magic = this.u16(h, 2);
    let first: number;
    if (magic === 42) first = this.u32(h, 4);
    else if (magic === 43) {
      if (h.length < 16) throw new TiffFormatError('BigTIFF header truncated', 0);
      this.bigTiff = true;
      first = this.u64(h, 8);
    } else throw new TiffFormatError(`not a TIFF file (magic ${magic}, expected 42 or 43)`, 2);
    const seen = new Set<number>();
    let off = first;
    let prevNextPtr = this.bigTiff ? 8 : 4;
    while (off !== 0) {
      if (seen.has(off)) { this.issues.push({ code: 'ifd-loop', message: `IFD chain loops back to offset ${off}`, offset: prevNextPtr, fatal: false }); break; }
      if (this.ifds.length >= MAX_IFDS) { this.issues.push({ code: 'too-many-ifds', message: `more than ${MAX_IFDS} IFDs`, offset: off, fatal: false }); break; }
      if (off >= this.size) {
        this.issues.push({ code: 'ifd-beyond-eof', message: `IFD #${this.ifds.length} offset ${off} is beyond the end of the file (${this.size} bytes)`, offset: prevNextPtr, fatal: this.ifds.length === 0 });
        break;
      }
      seen.add(off);
      const r = this.readIfd(off, this.ifds.length);
      if (!r) break;
      this.ifds.push(r.ifd);
      prevNextPtr = r.nextPtrOffset;
      off = r.next;
    }
    if (this.ifds.length === 0) throw new TiffFormatError(this.issues[0]?.message ?? 'no image file directory', this.issues[0]?.offset ?? 4);
    // SubIFDs (tag 330): GDAL exposes reduced-resolution ones as overviews.
    const mainCount = this.ifds.length;
    for (let i = 0; i < mainCount; i++) {
      const e = this.ifds[i]!.entries.get(Tag.SubIFDs);
      if (!e || e.outOfFile) continue;
      for (const so of this.values(e).slice(0, MAX_IFDS)) {
        if (seen.has(so) || so <= 0 || so >= this.size) continue;
        seen.add(so);
        const r = this.readIfd(so, this.ifds.length, i);
        if (r) this.ifds.push(r.ifd);
      }
    }
  }

  private readIfd(off: number, index: number, parent?: number): { ifd: TiffIfd; next: number; nextPtrOffset: number } | undefined {
    const cntSize = this.bigTiff ? 8 : 2;
    const entSize = this.bigTiff ? 20 : 12;
    const hb = this.read(off, cntSize);
    if (hb.length < cntSize) {
      this.issues.push({ code: 'ifd-truncated', message: `IFD #${index} header at ${off} is cut off by the end of the file`, offset: off, fatal: index === 0 });
      return undefined;
    }
    const n = this.bigTiff ? this.u64(hb, 0) : this.u16(hb, 0);
    if (n === 0 || n > MAX_ENTRIES) {
      this.issues.push({ code: 'ifd-bad-count', message: `IFD #${index} at ${off} declares ${n} entries`, offset: off, fatal: index === 0 });
      return undefined;
    }
    const body = this.read(off + cntSize, n * entSize + (this.bigTiff ? 8 : 4));
    const entries = new Map<number, TiffEntry>();
    const full = Math.min(n, Math.floor(body.length / entSize));
    if (full < n) this.issues.push({ code: 'ifd-truncated', message: `IFD #${index} at ${off}: only ${full} of ${n} entries fit in the file`, offset: off, fatal: true });
    let lastTag = -1;
    for (let k = 0; k < full; k++) {
      const eo = k * entSize;
      const tag = this.u16(body, eo);
      const type = this.u16(body, eo + 2);
      const count = this.bigTiff ? this.u64(body, eo + 4) : this.u32(body, eo + 4);
      const entryOffset = off + cntSize + eo;
      if (tag <= lastTag) this.issues.push({ code: 'tag-order', message: `IFD #${index}: tag ${tag} out of ascending order`, offset: entryOffset, fatal: false });
      lastTag = Math.max(lastTag, tag);
      const ts = TYPE_SIZE[type];
      if (!ts) {
        this.issues.push({ code: 'tag-bad-type', message: `IFD #${index}: tag ${tagName(tag)} has unknown field type ${type}`, offset: entryOffset, fatal: false });
        continue;
      }
      const bytes = ts * count;
      const inlineCap = this.bigTiff ? 8 : 4;
      let valueOffset: number;
      if (bytes <= inlineCap) valueOffset = entryOffset + (this.bigTiff ? 12 : 8);
      else valueOffset = this.bigTiff ? this.u64(body, eo + 12) : this.u32(body, eo + 8);
      const outOfFile = valueOffset + bytes > this.size;
      if (outOfFile) this.issues.push({ code: 'tag-out-of-file', message: `IFD #${index}: tag ${tagName(tag)} value (${count} × ${TYPE_NAME[type]} at offset ${valueOffset}) extends beyond the end of the file (${this.size} bytes)`, offset: entryOffset, fatal: false });
      entries.set(tag, { tag, type, count, valueOffset, entryOffset, outOfFile });
    }
    let next = 0;
    const nextPtrOffset = off + cntSize + n * entSize;
    if (full === n && body.length >= n * entSize + (this.bigTiff ? 8 : 4)) next = this.bigTiff ? this.u64(body, n * entSize) : this.u32(body, n * entSize);
    return { ifd: { index, parent, offset: off, entries }, next: parent === undefined ? next : 0, nextPtrOffset };
  }

  /** Numeric values of a tag (rationals as a/b). Values past EOF are dropped. */
  values(e: TiffEntry, max = Infinity): number[] {
    const ts = TYPE_SIZE[e.type]!;
    const count = Math.min(e.count, max, Math.floor(Math.max(0, this.size - e.valueOffset) / ts));
    const b = this.read(e.valueOffset, count * ts);
    const out = new Array<number>(count);
    const L = this.little;
    for (let i = 0; i < count; i++) {
      const o = i * ts;
      switch (e.type) {
        case 1: case 2: case 7: out[i] = b[o]!; break;
        case 6: out[i] = b.readInt8(o); break;
        case 3: out[i] = L ? b.readUInt16LE(o) : b.readUInt16BE(o); break;
        case 8: out[i] = L ? b.readInt16LE(o) : b.readInt16BE(o); break;
        case 4: case 13: out[i] = L ? b.readUInt32LE(o) : b.readUInt32BE(o); break;
        case 9: out[i] = L ? b.readInt32LE(o) : b.readInt32BE(o); break;
        case 11: out[i] = L ? b.readFloatLE(o) : b.readFloatBE(o); break;
        case 12: out[i] = L ? b.readDoubleLE(o) : b.readDoubleBE(o); break;
        case 16: case 18: out[i] = Number(L ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)); break;
        case 17: out[i] = Number(L ? b.readBigInt64LE(o) : b.readBigInt64BE(o)); break;
        case 5: out[i] = (L ? b.readUInt32LE(o) : b.readUInt32BE(o)) / (L ? b.readUInt32LE(o + 4) : b.readUInt32BE(o + 4)); break;
        case 10: out[i] = (L ? b.readInt32LE(o) : b.readInt32BE(o)) / (L ? b.readInt32LE(o + 4) : b.readInt32BE(o + 4)); break;
        default: out[i] = NaN;
      }
    }
    return out;
  }

  /** Offsets/byte-count style arrays as a Float64Array (can be millions long). */
  array(e: TiffEntry): Float64Array {
    const ts = TYPE_SIZE[e.type]!;
    const count = Math.min(e.count, Math.floor(Math.max(0, this.size - e.valueOffset) / ts));
    const out = new Float64Array(count);
    const CHUNK = 1 << 16;
    for (let start = 0; start < count; start += CHUNK) {
      const n = Math.min(CHUNK, count - start);
      const b = this.read(e.valueOffset + start * ts, n * ts);
      const L = this.little;
      for (let i = 0; i < n; i++) {
        const o = i * ts;
        out[start + i] = ts === 2 ? (L ? b.readUInt16LE(o) : b.readUInt16BE(o))
          : ts === 4 ? (L ? b.readUInt32LE(o) : b.readUInt32BE(o))
            : ts === 8 ? Number(L ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : b[o]!;
      }
    }
    return out;
  }

  value(ifd: TiffIfd, tag: number): number | undefined {
    const e = ifd.entries.get(tag);
    if (!e || e.outOfFile || e.count < 1) return undefined;
    return this.values(e, 1)[0];
  }

  ascii(e: TiffEntry): string {
    const b = this.read(e.valueOffset, e.count);
    let s = b.toString('latin1');
    const z = s.indexOf('\0');
    if (z >= 0) s = s.slice(0, z);
    return s;
  }

  asciiTag(ifd: TiffIfd, tag: number): string | undefined {
    const e = ifd.entries.get(tag);
    if (!e || e.outOfFile) return undefined;
    return e.type === 2 || e.type === 7 || e.type === 1 ? this.ascii(e) : undefined;
  }
}

/** Positional reads a TiffFile can be parsed from instead of a local file. */
export interface TiffByteReader {
  readonly size: number;
  /** Exactly `length` bytes at `offset` (the caller clips to `size`). */
  read(offset: number, length: number): Buffer;
  close?(): void;
}

/** An asynchronous positional reader, e.g. ranged GETs of a remote object. */
export interface AsyncByteReader {
  readonly size: number;
  /** `length` bytes at `offset` (may be short at the end of the object). */
  read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array>;
  /** For messages: where the bytes come from. */
  readonly describe?: string;
}

/** Thrown by `PrefetchedBytes.read` for bytes not loaded yet. */
export class TiffNeedBytes extends Error {
  constructor(readonly offset: number, readonly length: number) { super(`bytes ${offset}+${length} not loaded`); }
}

/**
 * The bytes of a remote object loaded so far, in fixed-size blocks, readable synchronously: a read
 * of bytes not loaded yet throws `TiffNeedBytes` (and remembers it, in case a parser swallows the
 * exception). `parseRemote` loads them and runs the synchronous parse again.
 */
export class PrefetchedBytes implements TiffByteReader {
  private readonly blocks = new Map<number, Uint8Array>();
  /** The first read that missed since the last `load`. */
  missed?: { offset: number; length: number };

  constructor(readonly size: number, readonly blockSize = 64 << 10) {}

  read(offset: number, length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    let pos = 0;
    while (pos < length) {
      const abs = offset + pos;
      const b = Math.floor(abs / this.blockSize);
      const blk = this.blocks.get(b);
      if (!blk) {
        this.missed ??= { offset: abs, length: length - pos };
        throw new TiffNeedBytes(abs, length - pos);
      }
      const from = abs - b * this.blockSize;
      const n = Math.min(length - pos, blk.length - from);
      if (n <= 0) throw new TiffNeedBytes(abs, length - pos);
      out.set(blk.subarray(from, from + n), pos);
      pos += n;
    }
    return out;
  }

  /** Loads the blocks covering `offset..offset+length` that are missing (one ranged read). */
  async load(reader: AsyncByteReader, offset: number, length: number, signal?: AbortSignal): Promise<void> {
    this.missed = undefined;
    const end = Math.min(this.size, offset + Math.max(1, length));
    let first = Math.floor(offset / this.blockSize);
    let last = Math.floor((end - 1) / this.blockSize);
    while (first <= last && this.blocks.has(first)) first++;
    while (last >= first && this.blocks.has(last)) last--;
    if (first > last) return;
    const start = first * this.blockSize;
    const len = Math.min(this.size, (last + 1) * this.blockSize) - start;
    const data = await reader.read(start, len, signal);
    if (data.length < len) throw new TiffFormatError(`short read: ${data.length} of ${len} bytes at offset ${start}`, start);
    for (let b = first; b <= last; b++) {
      const off = (b - first) * this.blockSize;
      if (!this.blocks.has(b)) this.blocks.set(b, data.slice(off, Math.min(data.length, off + this.blockSize)));
    }
  }

  get loadedBytes(): number { let n = 0; for (const b of this.blocks.values()) n += b.length; return n; }
}

/**
 * Runs a synchronous parse (`fn`, e.g. `TiffFile.fromReader` + tag reads) over a remote object:
 * whenever it reads bytes not loaded yet, they are fetched (whole blocks, at least `readAhead`
 * bytes) and `fn` runs again from the start. A COG's header and tag arrays take a few rounds.
 */
export async function parseRemote<T>(reader: AsyncByteReader, fn: (bytes: PrefetchedBytes) => T, o: { blockSize?: number; readAhead?: number; maxRounds?: number; signal?: AbortSignal } = {}): Promise<T> {
  const bytes = new PrefetchedBytes(reader.size, o.blockSize);
  const readAhead = o.readAhead ?? 128 << 10;
  await bytes.load(reader, 0, Math.min(reader.size, readAhead), o.signal);
  for (let round = 0; ; round++) {
    let result: T | undefined;
    let err: unknown;
    try { result = fn(bytes); } catch (e) { err = e; }
    const miss = err instanceof TiffNeedBytes ? { offset: err.offset, length: err.length } : bytes.missed;
    if (!miss) { if (err) throw err; return result as T; }
    if (round >= (o.maxRounds ?? 256)) throw new TiffFormatError(`gave up after ${round} rounds of reading the TIFF header`, miss.offset);
    if (miss.offset >= reader.size) { if (err) throw err; return result as T; }
    await bytes.load(reader, miss.offset, Math.max(miss.length, readAhead), o.signal);
  }
}

const TAG_NAMES: Record<number, string> = Object.fromEntries(Object.entries(Tag).map(([k, v]) => [v, k]));
export function tagName(tag: number): string { return TAG_NAMES[tag] ? `${TAG_NAMES[tag]}(${tag})` : `${tag}`; }
