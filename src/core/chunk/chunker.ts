/**
 * Splits a cached object into content-addressed chunks:
 * - `tiles`: a tiled (or striped) TIFF/GeoTIFF/COG on its own block boundaries: each tile's bytes
 *   one chunk, the header/IFDs and every gap between blocks their own chunks (a small gap is
 *   attached to the chunk before it, runs of tiny tiles are merged up to MIN_PIECE); any region
 *   bigger than the CDC maximum (a huge gap, a giant strip) is cut by CDC. A file that is not a
 *   TIFF with a block table falls back to CDC.
 * - `cdc`: content-defined chunking of the whole file (cdc.ts).
 * Every chunk is hashed with the chunk algorithm (chunkHashFor). The file is read once, in order.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { hashBuffer, type HashName } from '../odb/hash.js';
import { TiffFile, Tag } from '../../geo/raster/tiff.js';
import { DEFAULT_CDC, nextCut, checkParams, type CdcParams } from './cdc.js';
import { InterruptedError } from '../../lib/errors.js';
import { chunkHashFor } from './list.js';

export { chunkHashFor };

export type ChunkMode = 'tiles' | 'cdc';

export interface ChunkRef { hash: string; size: number }

/** Tiles and gaps below this are merged with their neighbours (see above). */
export const MIN_PIECE = 64 << 10;


interface Piece { start: number; end: number; cdc: boolean }

/** Byte ranges of the blocks (tiles or strips) of every IFD, or null when the file has none. */
export function tiffBlockRanges(path: string): { start: number; end: number }[] | null {
  let t: TiffFile;
  try { t = TiffFile.open(path); } catch { return null; }
  try {
    const ranges: { start: number; end: number }[] = [];
    for (const ifd of t.ifds) {
      const pairs: [number, number][] = [[Tag.TileOffsets, Tag.TileByteCounts], [Tag.StripOffsets, Tag.StripByteCounts]];
      for (const [oTag, cTag] of pairs) {
        const oe = ifd.entries.get(oTag);
        const ce = ifd.entries.get(cTag);
        if (!oe || !ce || oe.outOfFile || ce.outOfFile) continue;
        const offs = t.array(oe);
        const cnts = t.array(ce);
        const n = Math.min(offs.length, cnts.length);
        for (let i = 0; i < n; i++) {
          const s = offs[i]!;
          const c = cnts[i]!;
          if (c > 0 && s >= 0 && s + c <= t.size) ranges.push({ start: s, end: s + c });
        }
      }
    }
    return ranges.length ? ranges : null;
  } finally {
    t.close();
  }
}

/** Cuts [0, size) into pieces on block boundaries (see the module comment). */
export function tilePieces(size: number, blocks: { start: number; end: number }[], cdcMax: number): Piece[] {
  const sorted = [...blocks].sort((a, b) => a.start - b.start || a.end - b.end);
  const segs: { start: number; end: number; gap: boolean }[] = [];
  let pos = 0;
  for (const b of sorted) {
    if (b.start < pos) continue; // overlapping or shared blocks: already covered
    if (b.start > pos) segs.push({ start: pos, end: b.start, gap: true });
    segs.push({ start: b.start, end: b.end, gap: false });
    pos = b.end;
  }
  if (pos < size) segs.push({ start: pos, end: size, gap: true });
  const out: Piece[] = [];
  // A small gap joins the chunk before it (the leftover of a tile rewritten shorter in place stays
  // with that tile); a small tile joins a chunk of small tiles before it. A tile never joins a
  // header/IFD chunk: the header changes whenever any tile moves, the tile does not.
  let cur: (Piece & { tilesOnly: boolean }) | undefined;
  for (const s of segs) {
    const len = s.end - s.start;
    if (len > cdcMax) {
      if (cur) out.push(cur);
      out.push({ start: s.start, end: s.end, cdc: true });
      cur = undefined;
      continue;
    }
    const curLen = cur ? cur.end - cur.start : 0;
    if (cur && curLen + len <= cdcMax && ((s.gap && len < MIN_PIECE) || (!s.gap && cur.tilesOnly && curLen < MIN_PIECE))) {
      cur.end = s.end;
      if (s.gap) cur.tilesOnly = false;
      continue;
    }
    if (cur) out.push(cur);
    cur = { start: s.start, end: s.end, cdc: false, tilesOnly: !s.gap };
  }
  if (cur) out.push(cur);
  return out.map((p) => ({ start: p.start, end: p.end, cdc: p.cdc }));
}

export interface ChunkFileOptions {
  cdc?: CdcParams;
  signal?: AbortSignal;
  /** Bytes read so far. */
  onBytes?: (n: number) => void;
}

export interface ChunkFileResult { mode: ChunkMode; chunks: ChunkRef[]; size: number }

/** One chunk as the chunker cuts it; `data` is valid only until the generator goes on. */
export interface CutChunk { hash: string; size: number; offset: number; data: Uint8Array }

/**
 * Chunks of the file at `path` one by one, in file order (mode `tiles` falls back to `cdc` for
 * files without blocks); returns the mode used and the size. A consumer that keeps a chunk's bytes
 * copies them before asking for the next one (the read window is reused).
 */
export function* cutChunks(path: string, chunkHash: HashName, mode: ChunkMode, o: ChunkFileOptions = {}): Generator<CutChunk, { mode: ChunkMode; size: number }> {
  const p = o.cdc ?? DEFAULT_CDC;
  checkParams(p);
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    let used: ChunkMode = 'cdc';
    let pieces: Piece[] = [{ start: 0, end: size, cdc: true }];
    if (mode === 'tiles') {
      const blocks = tiffBlockRanges(path);
      if (blocks) { pieces = tilePieces(size, blocks, p.max); used = 'tiles'; }
    }
    const cut = (b: Uint8Array, offset: number): CutChunk => ({ hash: hashBuffer(b, chunkHash), size: b.length, offset, data: b });
    const readAt = (buf: Buffer, len: number, at: number): number => {
      let got = 0;
      while (got < len) {
        const n = readSync(fd, buf, got, len - got, at + got);
        if (n <= 0) break;
        got += n;
      }
      return got;
    };
    let done = 0;
    const BLOCK = 8 << 20;
    let buf = Buffer.allocUnsafe(BLOCK + p.max);
    for (const pc of pieces) {
      if (o.signal?.aborted) throw new InterruptedError();
      if (!pc.cdc) {
        const len = pc.end - pc.start;
        if (buf.length < len) buf = Buffer.allocUnsafe(len);
        const got = readAt(buf, len, pc.start);
        if (got !== len) throw new Error(`${path} changed while it was chunked (short read at ${pc.start})`);
        yield cut(buf.subarray(0, len), pc.start);
        done += len;
        o.onBytes?.(done);
        continue;
      }
      // CDC over [start, end): a window of up to BLOCK + max bytes, refilled after each cut batch.
      let at = pc.start; // file offset of buf[0]
      let have = 0; // valid bytes in buf
      let pos = 0; // start of the next chunk in buf
      for (;;) {
        if (o.signal?.aborted) throw new InterruptedError();
        const final = at + have >= pc.end;
        const n = nextCut(buf, pos, have, p, final);
        if (n > 0) {
          yield cut(buf.subarray(pos, pos + n), at + pos);
          pos += n;
          done += n;
          o.onBytes?.(done);
          if (final && pos >= have) break;
          continue;
        }
        if (final) break;
        // need more bytes: move the unconsumed tail to the front and refill
        if (pos > 0) { buf.copy(buf, 0, pos, have); at += pos; have -= pos; pos = 0; }
        const want = Math.min(buf.length - have, pc.end - (at + have));
        const got = readAt(buf.subarray(have), want, at + have);
        if (got !== want) throw new Error(`${path} changed while it was chunked (short read at ${at + have})`);
        have += got;
      }
    }
    return { mode: used, size };
  } finally {
    closeSync(fd);
  }
}

/** Chunks of the file at `path` (mode `tiles` falls back to `cdc` for files without blocks). */
export function chunkFile(path: string, chunkHash: HashName, mode: ChunkMode, o: ChunkFileOptions = {}): ChunkFileResult {
  const chunks: ChunkRef[] = [];
  const it = cutChunks(path, chunkHash, mode, o);
  for (;;) {
    const r = it.next();
    if (r.done) return { mode: r.value.mode, chunks, size: r.value.size };
    chunks.push({ hash: r.value.hash, size: r.value.size });
  }
}
