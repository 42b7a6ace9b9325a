/**
 * LAS writer for subsets of a source file's points (tiles): the source's header block, VLRs and
 * (LAS 1.4) EVLRs are copied, less the records that describe the source's compression or COPC
 * layout (LASzip VLR, COPC info VLR, COPC hierarchy EVLR); counts, returns and bounds are those of
 * the points written. Points are written as uncompressed LAS in the source's point format.
 *
 * A file is written under a temporary name in its folder and renamed into place when closed.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { TMP_PREFIX } from '../../lib/atomic.js';
import { FileReader, type LasHeader, type Vlr } from './header.js';
import { recordLayout } from './points.js';

const dropped = (v: Vlr) => (v.userId === 'laszip encoded' && v.recordId === 22204) || v.userId === 'copc';

/** The bytes every output file shares: header template, kept VLRs (with their 54-byte headers), kept EVLRs. */
export interface LasTemplate { header: Buffer; vlrs: Buffer; vlrCount: number; evlrs: Buffer; evlrCount: number; src: LasHeader }

export function lasTemplate(r: FileReader, h: LasHeader): LasTemplate {
  const header = Buffer.from(r.read(0, h.headerSize));
  const keep = h.vlrs.filter((v) => !dropped(v));
  const vlrs = Buffer.concat(keep.map((v) => r.read(v.dataOffset - 54, 54 + v.length)));
  const keepE = h.versionMinor >= 4 ? h.evlrs.filter((v) => !dropped(v)) : [];
  const evlrs = Buffer.concat(keepE.map((v) => r.read(v.dataOffset - 60, 60 + v.length)));
  return { header, vlrs, vlrCount: keep.length, evlrs, evlrCount: keepE.length, src: h };
}

/** Accumulates point records for one output file and writes it on close. */
export class LasFileWriter {
  count = 0;
  private readonly len: number;
  private readonly byReturn = new Array<number>(15).fill(0);
  private min = [Infinity, Infinity, Infinity];
  private max = [-Infinity, -Infinity, -Infinity];
  private chunks: Buffer[] = [];
  private buf: Buffer;
  private pos = 0;
  private written = 0;
  private created = false;
  private readonly tmp: string;
  private readonly retOff: number;
  private readonly retMask: number;
  private readonly retShift: number;

  constructor(readonly path: string, private readonly t: LasTemplate, private readonly capacity = 4096) {
    this.len = t.src.pointRecordLength;
    this.buf = Buffer.allocUnsafe(capacity * this.len);
    this.tmp = join(dirname(path), `${TMP_PREFIX}${process.pid}-${Math.random().toString(36).slice(2)}-${basename(path)}`);
    const l = recordLayout(t.src.pointFormat);
    this.retOff = l.returnOffset; this.retMask = l.returnMask; this.retShift = 0;
  }

  /** Bytes held in memory. */
  get buffered(): number { return this.pos + this.chunks.reduce((s, c) => s + c.length, 0); }

  /** Adds the record at `off` of `data`. */
  add(data: Buffer, off: number): void {
    if (this.pos === this.buf.length) { this.chunks.push(this.buf); this.buf = Buffer.allocUnsafe(this.capacity * this.len); this.pos = 0; }
    data.copy(this.buf, this.pos, off, off + this.len);
    this.pos += this.len;
    const x = data.readInt32LE(off), y = data.readInt32LE(off + 4), z = data.readInt32LE(off + 8);
    const mn = this.min, mx = this.max;
    if (x < mn[0]!) mn[0] = x; if (x > mx[0]!) mx[0] = x;
    if (y < mn[1]!) mn[1] = y; if (y > mx[1]!) mx[1] = y;
    if (z < mn[2]!) mn[2] = z; if (z > mx[2]!) mx[2] = z;
    const ret = (data[off + this.retOff]! & this.retMask) >> this.retShift;
    if (ret >= 1 && ret <= 15) this.byReturn[ret - 1]!++;
    this.count++;
  }

  private headerLength(): number { return this.t.header.length + this.t.vlrs.length; }

  /** Writes what is buffered to the temporary file. */
  flush(): void {
    if (!this.pos && !this.chunks.length) return;
    // opened per flush, so thousands of tiles never hold thousands of descriptors
    const fd = openSync(this.tmp, this.created ? 'r+' : 'w');
    try {
      if (!this.created) {
        this.created = true;
        writeSync(fd, Buffer.alloc(this.headerLength()), 0, this.headerLength(), 0);
        this.written = this.headerLength();
      }
      for (const c of [...this.chunks, this.buf.subarray(0, this.pos)]) {
        writeSync(fd, c, 0, c.length, this.written);
        this.written += c.length;
      }
    } finally { closeSync(fd); }
    this.chunks = [];
    this.pos = 0;
  }

  /** Scaled bounds [minx, miny, minz, maxx, maxy, maxz] of the points added. */
  bounds(): [number, number, number, number, number, number] {
    const { scale: s, offset: o } = this.t.src;
    return [this.min[0]! * s[0] + o[0], this.min[1]! * s[1] + o[1], this.min[2]! * s[2] + o[2], this.max[0]! * s[0] + o[0], this.max[1]! * s[1] + o[1], this.max[2]! * s[2] + o[2]];
  }

  /** Writes header, VLRs, points (and EVLRs), fsyncs and renames into place. */
  close(): void {
    this.flush();
    if (!this.created) return;
    const fd = openSync(this.tmp, 'r+');
    try {
      const src = this.t.src;
      const h = Buffer.from(this.t.header);
      const b = this.bounds();
      h[104] = src.pointFormat; // compression bits cleared: the records are plain LAS
      h.writeUInt32LE(this.headerLength(), 96);
      h.writeUInt32LE(this.t.vlrCount, 100);
      const legacyOk = src.pointFormat < 6 && this.count <= 0xffffffff;
      h.writeUInt32LE(legacyOk ? this.count : 0, 107);
      for (let i = 0; i < 5; i++) h.writeUInt32LE(legacyOk ? this.byReturn[i]! : 0, 111 + 4 * i);
      h.writeDoubleLE(b[3], 179); h.writeDoubleLE(b[0], 187); h.writeDoubleLE(b[4], 195);
      h.writeDoubleLE(b[1], 203); h.writeDoubleLE(b[5], 211); h.writeDoubleLE(b[2], 219);
      if (src.versionMinor >= 3) h.writeBigUInt64LE(0n, 227);
      if (src.versionMinor >= 4) {
        const evStart = this.written;
        h.writeBigUInt64LE(this.t.evlrCount ? BigInt(evStart) : 0n, 235);
        h.writeUInt32LE(this.t.evlrCount, 243);
        h.writeBigUInt64LE(BigInt(this.count), 247);
        for (let i = 0; i < 15; i++) h.writeBigUInt64LE(BigInt(this.byReturn[i]!), 255 + 8 * i);
        if (this.t.evlrCount) writeSync(fd, this.t.evlrs, 0, this.t.evlrs.length, evStart);
      }
      writeSync(fd, h, 0, h.length, 0);
      if (this.t.vlrs.length) writeSync(fd, this.t.vlrs, 0, this.t.vlrs.length, h.length);
      fsyncSync(fd);
    } finally { closeSync(fd); }
    renameSync(this.tmp, this.path);
  }

  /** Removes the temporary file (after a failure or Ctrl-C). */
  abort(): void {
    rmSync(this.tmp, { force: true });
  }
}
