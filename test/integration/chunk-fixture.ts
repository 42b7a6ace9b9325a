/** Fixtures of the chunking tests: tiled DEFLATE GeoTIFFs made by gdal_translate, tiles rewritten in place with GDAL. */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitInit } from '../helpers/tmp.js';
import { initRepo } from '../../src/core/repo/init.js';
import { addRemote, modifyRemote } from '../../src/core/repo/remotes.js';
import { prng } from '../../src/geo/ops/split.js';

const require = createRequire(import.meta.url);

/** A repository in a fresh temp folder with a local remote 'store' (default) chunked in `mode`. */
export function chunkedRepo(mode: 'tiles' | 'cdc', prefix = 'geodvc-chunk-'): { tmp: string; root: string; remote: string } {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  const root = join(tmp, 'repo');
  const remote = join(tmp, 'remote');
  gitInit(root);
  initRepo(root);
  addRemote('store', remote, { root, cwd: root, default: true });
  modifyRemote('store', 'chunking', mode, { root, cwd: root });
  return { tmp, root, remote };
}

/**
 * Writes a `width` x `height` UInt16 GeoTIFF, tiled `block`² and DEFLATE-compressed, from generated
 * terrain-like data (a gradient plus noise, so tiles compress somewhat, as real rasters do).
 */
export function makeTiledTiff(path: string, width: number, height: number, o: { block?: number; seed?: number } = {}): void {
  const raw = `${path}.raw`;
  const next = prng(o.seed ?? 1);
  const fd = openSync(raw, 'w');
  const row = Buffer.allocUnsafe(width * 2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) row.writeUInt16LE(((x + y) * 3 + Math.floor(next() * 4096)) & 0xffff, x * 2);
    writeSync(fd, row);
  }
  closeSync(fd);
  writeFileSync(`${raw}.hdr`, `ENVI\nsamples = ${width}\nlines = ${height}\nbands = 1\nheader offset = 0\nfile type = ENVI Standard\ndata type = 12\ninterleave = bsq\nbyte order = 0\nmap info = {UTM, 1, 1, 500000, 4000000, 10, 10, 33, North, WGS-84}\n`);
  const b = String(o.block ?? 256);
  execFileSync('gdal_translate', ['-q', '-of', 'GTiff', '-co', 'TILED=YES', '-co', 'COMPRESS=DEFLATE', '-co', `BLOCKXSIZE=${b}`, '-co', `BLOCKYSIZE=${b}`, '-co', 'BIGTIFF=IF_SAFER', raw, path], { stdio: 'pipe' });
  rmSync(raw, { force: true });
  rmSync(`${raw}.hdr`, { force: true });
  rmSync(`${path}.aux.xml`, { force: true });
}

/**
 * Rewrites `count` whole tiles of band 1 in place with GDAL (update mode, as a re-run cloud mask
 * or a relabelled area would): GDAL writes each new tile over the old one when it fits, else at
 * the end of the file, and rewrites the tile offset tables. Returns the tiles rewritten.
 */
export function rewriteTiles(path: string, count: number, seed = 7): { x: number; y: number }[] {
  const gdal = require('gdal-async') as typeof import('gdal-async');
  const ds = gdal.open(path, 'r+');
  try {
    const band = ds.bands.get(1);
    const bs = band.blockSize;
    const nx = Math.ceil(ds.rasterSize.x / bs.x);
    const ny = Math.ceil(ds.rasterSize.y / bs.y);
    const next = prng(seed);
    const picked = new Map<number, { x: number; y: number }>();
    while (picked.size < Math.min(count, nx * ny)) {
      const i = Math.floor(next() * nx * ny);
      picked.set(i, { x: i % nx, y: Math.floor(i / nx) });
    }
    for (const t of picked.values()) {
      const w = Math.min(bs.x, ds.rasterSize.x - t.x * bs.x);
      const h = Math.min(bs.y, ds.rasterSize.y - t.y * bs.y);
      const data = new Uint16Array(w * h);
      for (let i = 0; i < data.length; i++) data[i] = Math.floor(next() * 60000);
      band.pixels.write(t.x * bs.x, t.y * bs.y, w, h, data);
    }
    ds.flush();
    return [...picked.values()];
  } finally {
    ds.close();
  }
}

/** Writes `size` bytes of seeded pseudo-random data (NetCDF-like payload for CDC tests; xorshift32). */
export function writeSeeded(path: string, size: number, seed: number): void {
  let x = (seed * 2654435761) >>> 0 || 1;
  const fd = openSync(path, 'w');
  const buf = Buffer.allocUnsafe(1 << 20);
  const u = new Uint32Array(buf.buffer, buf.byteOffset, buf.length >>> 2);
  for (let left = size; left > 0;) {
    for (let i = 0; i < u.length; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; u[i] = x; }
    const n = Math.min(left, buf.length);
    writeSync(fd, buf, 0, n);
    left -= n;
  }
  closeSync(fd);
}

/**
 * Rewrites a local chunked remote in the layout of geodvc before pack files (one object per chunk
 * under chunked/data/<algo>/xx/rest, no packs, no indexes), as a remote pushed by that version.
 */
export function toPerChunkLayout(remote: string): number {
  const indexDir = join(remote, 'chunked', 'index');
  let n = 0;
  for (const id of readdirSync(indexDir)) {
    const ix = JSON.parse(readFileSync(join(indexDir, id), 'utf8')) as { chunk_hash: string; chunks: [string, number, number][] };
    const pack = readFileSync(join(remote, 'chunked', 'packs', id));
    for (const [h, off, size] of ix.chunks) {
      const dir = join(remote, 'chunked', 'data', ix.chunk_hash, h.slice(0, 2));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, h.slice(2)), pack.subarray(off, off + size));
      n++;
    }
  }
  rmSync(join(remote, 'chunked', 'packs'), { recursive: true, force: true });
  rmSync(indexDir, { recursive: true, force: true });
  return n;
}
