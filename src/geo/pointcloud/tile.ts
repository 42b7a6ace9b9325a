/**
 * Tiling of a point cloud into square training tiles of `size` CRS units (metres for metric CRSs)
 * on a grid through `origin` (default 0,0, so tiles of different files line up):
 *
 * - tile (col, row) holds the points with origin.x + col·size ≤ x < origin.x + (col+1)·size (same
 *   for y), so every point lands in exactly one tile: `<stem>_<col>_<row>.las`;
 * - with `buffer > 0`, the points of the neighbouring tiles within `buffer` of a tile's edges go to a
 *   separate part `<stem>_<col>_<row>.buffer.las`, never into the tile itself, so summing the tiles
 *   counts every point once and the buffers give context for edge effects;
 * - output is uncompressed LAS in the source's version and point format (laz-perf has no encoder);
 * - `tiles.json` lists every tile: grid cell, cell bounds, point count, bounds of its points, and
 *   its buffer part.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import { UsageError } from '../../lib/errors.js';
import { writeFileAtomicSync } from '../../lib/atomic.js';
import { throttledProgress, type OpContext } from '../../lib/progress.js';
import { FileReader, parseLasHeader } from './header.js';
import { problemError } from './info.js';
import { readPoints } from './points.js';
import { LasFileWriter, lasTemplate } from './writer.js';
import { sniffFormat } from '../sniff.js';

export interface TileOptions extends OpContext {
  /** A LAS/LAZ/COPC file, or a directory of them (each file tiled on the same grid). */
  input: string;
  output: string;
  /** Tile edge in CRS units. */
  size: number;
  /** Buffer width in CRS units (default 0: no buffer parts). */
  buffer?: number;
  /** Grid origin (default [0, 0]). */
  origin?: [number, number];
}

export interface TileEntry {
  file: string;
  source: string;
  col: number;
  row: number;
  /** The grid cell: [minx, miny, maxx, maxy]. */
  cell: [number, number, number, number];
  points: number;
  /** Bounds of the tile's points [minx, miny, minz, maxx, maxy, maxz]. */
  bounds: [number, number, number, number, number, number];
  buffer?: { file: string; points: number };
}

export interface TileResult {
  tiles: TileEntry[];
  /** Points read from the sources (= the sum of the tiles' points). */
  points: number;
  bufferPoints: number;
  index: string;
  seconds: number;
}

/** LAS/LAZ/COPC files of an input path (a file, or a directory walked in sorted order). */
export function listPointClouds(input: string): string[] {
  if (!statSync(input).isDirectory()) return [input];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) { if (e.name !== '.git' && e.name !== '.dvc') walk(p); }
      else { try { if (sniffFormat(p) === 'las') out.push(p); } catch { /* unreadable: not a point cloud */ } }
    }
  };
  walk(input);
  return out;
}

/** Whether `input` is a LAS/LAZ/COPC file (by content), or a directory holding one (by name: no reads). */
export function isPointCloudInput(input: string): boolean {
  if (!existsSync(input)) return false;
  if (!statSync(input).isDirectory()) { try { return sniffFormat(input) === 'las'; } catch { return false; } }
  const walk = (d: string): boolean => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) { if (e.name !== '.git' && e.name !== '.dvc' && walk(join(d, e.name))) return true; }
      else if (/\.la[sz]$/i.test(e.name)) return true;
    }
    return false;
  };
  return walk(input);
}

export async function tilePointCloud(o: TileOptions): Promise<TileResult> {
  const t0 = performance.now();
  if (!(o.size > 0) || !Number.isFinite(o.size)) throw new UsageError(`--size must be a positive number of CRS units, got ${o.size}`, { hint: 'e.g. --size 100 for 100 m tiles in a metric CRS' });
  const buffer = o.buffer ?? 0;
  if (!(buffer >= 0) || buffer >= o.size / 2) throw new UsageError(`--buffer must be ≥ 0 and less than half the tile size, got ${o.buffer}`, { hint: `e.g. --buffer ${o.size / 10}` });
  const [ox, oy] = o.origin ?? [0, 0];
  if (!existsSync(o.input)) throw new UsageError(`${o.input} does not exist`, { hint: 'check the path' });
  const files = listPointClouds(o.input);
  if (!files.length) throw new UsageError(`no LAS/LAZ/COPC file in ${o.input}`, { hint: 'pass a .las/.laz file or a directory holding some' });
  mkdirSync(o.output, { recursive: true });
  const progress = throttledProgress(o.onProgress);
  const headers = files.map((f) => {
    const fd = openSync(f, 'r');
    try {
      const r = new FileReader(fd);
      const h = parseLasHeader(r, f);
      const err = problemError(f, h);
      if (err) throw err;
      return { file: f, h, t: lasTemplate(r, h) };
    } finally { closeSync(fd); }
  });
  const total = headers.reduce((s, x) => s + x.h.pointCount, 0);
  const tiles: TileEntry[] = [];
  let done = 0, bufferPoints = 0;
  const stems = new Set<string>();
  for (const { file, h, t } of headers) {
    let stem = basename(file, extname(file)).replace(/\.copc$/i, '');
    while (stems.has(stem)) stem += '_';
    stems.add(stem);
    const core = new Map<number, LasFileWriter & { col: number; row: number }>();
    const buf = new Map<number, LasFileWriter>();
    // cell keys: col and row packed into one number (|col|,|row| < 2^25)
    const key = (c: number, r: number) => (c + 33554432) * 67108864 + (r + 33554432);
    const name = (c: number, r: number, part = '') => join(o.output, `${stem}_${c}_${r}${part}.las`);
    const open = (c: number, r: number) => {
      const w = Object.assign(new LasFileWriter(name(c, r), t), { col: c, row: r });
      core.set(key(c, r), w);
      return w;
    };
    const len = h.pointRecordLength;
    const [sx, sy] = h.scale, [offx, offy] = h.offset;
    const inv = 1 / o.size;
    const writers = () => [...core.values(), ...buf.values()];
    let buffered = 0;
    let lastKey = Number.NaN;
    let last: LasFileWriter | undefined;
    try {
      for await (const b of readPoints(file, h, { signal: o.signal })) {
        const d = b.data;
        for (let i = 0, off = 0; i < b.count; i++, off += len) {
          const x = d.readInt32LE(off) * sx + offx, y = d.readInt32LE(off + 4) * sy + offy;
          const fx = (x - ox) * inv, fy = (y - oy) * inv;
          const c = Math.floor(fx), r = Math.floor(fy);
          if (Math.abs(c) >= 33554432 || Math.abs(r) >= 33554432) throw new UsageError(`${basename(file)}: point (${x}, ${y}) is ${Math.max(Math.abs(c), Math.abs(r))} tiles from the grid origin`, { hint: 'use a larger --size or an --origin near the data' });
          const k = key(c, r);
          if (k !== lastKey) { last = core.get(k) ?? open(c, r); lastKey = k; }
          last!.add(d, off);
          if (buffer > 0) {
            // neighbours whose buffered cell holds this point
            const ex = (fx - c) * o.size, ey = (fy - r) * o.size;
            const dc = ex < buffer ? -1 : ex >= o.size - buffer ? 1 : 0;
            const dr = ey < buffer ? -1 : ey >= o.size - buffer ? 1 : 0;
            if (dc || dr) {
              const around: [number, number][] = [];
              if (dc) around.push([dc, 0]);
              if (dr) around.push([0, dr]);
              if (dc && dr) around.push([dc, dr]);
              for (const [cc, rr] of around) {
                const nk = key(c + cc, r + rr);
                let w = buf.get(nk);
                if (!w) { w = new LasFileWriter(name(c + cc, r + rr, '.buffer'), t, 1024); buf.set(nk, w); }
                w.add(d, off);
                bufferPoints++;
              }
            }
          }
        }
        done += b.count;
        buffered += b.count * len * (buffer > 0 ? 1.2 : 1);
        if (buffered > 256 << 20) { for (const w of writers()) w.flush(); buffered = 0; }
        progress({ phase: 'tiling', done, total, item: file });
      }
      for (const w of writers()) w.close();
    } catch (e) {
      for (const w of writers()) w.abort();
      throw e;
    }
    const rel = (p: string) => relative(o.output, p).split(sep).join('/');
    for (const w of [...core.values()].sort((a, b) => a.row - b.row || a.col - b.col)) {
      const bw = buf.get(key(w.col, w.row));
      tiles.push({
        file: rel(w.path), source: basename(file), col: w.col, row: w.row,
        cell: [ox + w.col * o.size, oy + w.row * o.size, ox + (w.col + 1) * o.size, oy + (w.row + 1) * o.size],
        points: w.count, bounds: w.bounds(), buffer: bw ? { file: rel(bw.path), points: bw.count } : undefined,
      });
    }
    // buffer parts of cells without points of their own are context only: not kept
    for (const [k, w] of buf) if (!core.has(k)) { rmSync(w.path, { force: true }); bufferPoints -= w.count; }
  }
  progress({ phase: 'tiling', done, total, finished: true });
  const index = join(o.output, 'tiles.json');
  writeFileAtomicSync(index, `${JSON.stringify({ version: 1, size: o.size, buffer, origin: [ox, oy], points: done, tiles }, null, 1)}\n`);
  return { tiles, points: done, bufferPoints, index: resolve(index), seconds: (performance.now() - t0) / 1000 };
}
