/**
 * Remote COG benchmark (issue 9): `geo chip` cutting chips straight from a COG on a remote over
 * loopback (the node:http test server with Range, through geodvc's HTTP backend and the chip
 * command's remote input path: header by ranged reads, each chip's tiles requested together and the
 * next 2 chips' tiles ahead) with 1, 4 and 16 range requests in flight, beside `geo chip` on the
 * local file (positional reads). Time to first chip: a fresh chip run whose AOI selects one chip
 * (header + one chip). Chips/s: a run whose AOI selects NCHIPS chips.
 * Full scale: a 1 GiB COG (32768x32768 Byte, tiles 512, uncompressed, with overviews) and 1024x1024
 * chips (decoded, DEFLATE-written); BENCH_SCALE=small: 8192x8192 (85 MiB) and 512x512 chips.
 */
import { spawnSync, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, table, fmt } from './lib.js';
import { startHttpServer } from '../test/helpers/servers/http-server.js';
import { openBackend } from '../src/storage/registry.js';
import { remoteObjectReader } from '../src/core/api/open-inputs.js';
import { chip, type ChipInput } from '../src/geo/ops/chip.js';

const small = process.env.BENCH_SCALE === 'small';
const SIZE = small ? 8192 : 32768;
const CHIP = small ? 512 : 1024;
const COLS = small ? 6 : 8, ROWS = small ? 4 : 6;
const NCHIPS = COLS * ROWS;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
if (spawnSync('gdal_translate', ['--version']).status !== 0) { process.stdout.write('gdal-bin missing: skipping remote-cog bench\n'); process.exit(0); }

const work = join(tmpdir(), `geodvc-bench-remote-cog-${SIZE}`);
mkdirSync(work, { recursive: true });
const cog = join(work, 'scene.tif');
if (!existsSync(cog)) {
  process.stdout.write(`generating ${SIZE}x${SIZE} COG...\n`);
  const r = spawnSync('gdal_translate', ['-q', '-of', 'COG', '-co', 'COMPRESS=NONE', '-co', 'BLOCKSIZE=512', '-co', 'OVERVIEW_RESAMPLING=NEAREST', '-co', 'BIGTIFF=IF_NEEDED', '-b', '1', '-outsize', String(SIZE), String(SIZE), '-r', 'nearest', join(process.cwd(), '..', 'shared', 'corpus', 'RGB.byte.tif'), cog], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('gdal_translate failed');
}
const size = statSync(cog).size;
const info = JSON.parse(execFileSync('gdalinfo', ['-json', cog], { encoding: 'utf8', maxBuffer: 1 << 26 }));
const [ox, rx, , oy, , ry] = info.geoTransform as number[];
const epsg = Number(info.stac?.['proj:epsg'] ?? 32618);

/** An AOI (GeoJSON in the raster CRS) strictly inside chips [c0, c0+cols) x [r0, r0+rows) of the chip grid. */
function aoi(name: string, c0: number, r0: number, cols: number, rows: number): string {
  const x0 = ox! + (c0 * CHIP + 1) * rx!, x1 = ox! + ((c0 + cols) * CHIP - 1) * rx!;
  const y0 = oy! + (r0 * CHIP + 1) * ry!, y1 = oy! + ((r0 + rows) * CHIP - 1) * ry!;
  const p = join(work, name);
  writeFileSync(p, JSON.stringify({ type: 'FeatureCollection', crs: { type: 'name', properties: { name: `urn:ogc:def:crs:EPSG::${epsg}` } },
    features: [{ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] } }] }));
  return p;
}
const c0 = Math.floor(SIZE / CHIP / 3), r0 = Math.floor(SIZE / CHIP / 4);
const aoiOne = aoi('aoi-one.geojson', c0, r0, 1, 1);
const aoiMany = aoi('aoi-many.geojson', c0, r0, COLS, ROWS);

async function cut(input: () => { inp: ChipInput; stats?: () => { bytes: number; requests: number } }, aoiPath: string): Promise<{ s: number; chips: number; bytes: number; requests: number }> {
  const out = join(work, 'chips');
  rmSync(out, { recursive: true, force: true });
  const t0 = performance.now();
  const { inp, stats } = input();
  const r = await chip({ input: cog, output: out, size: CHIP, aoi: aoiPath, inputs: [inp] });
  const s = (performance.now() - t0) / 1000;
  return { s, chips: r.chips.length, ...(stats?.() ?? { bytes: 0, requests: 0 }) };
}

const srv = await startHttpServer();
try {
  mkdirSync(join(srv.dataDir, 'dvc-data', 'files', 'md5', 'ab'), { recursive: true });
  const key = 'files/md5/ab/cdef0123456789abcdef0123456789';
  copyFileSync(cog, join(srv.dataDir, 'dvc-data', key));
  const backend = await openBackend(srv.url, {});
  const md5 = 'abcdef0123456789abcdef0123456789';
  const local = () => ({ inp: { name: 'scene.tif', file: cog, md5 } });
  const remote = (c: number) => () => {
    const reader = remoteObjectReader(backend, key, size, { concurrency: c, cacheBlocks: 64 });
    return { inp: { name: 'scene.tif', remote: reader, md5 }, stats: () => reader.source.stats };
  };
  const rows: (string | number)[][] = [];
  const measure = async (mk: () => { inp: ChipInput; stats?: () => { bytes: number; requests: number } }) => {
    const first: number[] = [], cps: number[] = [];
    let last = { bytes: 0, requests: 0, chips: 0 };
    for (let i = 0; i < RUNS; i++) {
      first.push((await cut(mk, aoiOne)).s);
      const m = await cut(mk, aoiMany);
      if (m.chips !== NCHIPS) throw new Error(`expected ${NCHIPS} chips, got ${m.chips}`);
      cps.push(m.chips / m.s);
      last = m;
    }
    return { first: median(first), cps: median(cps), ...last };
  };
  await cut(local, aoiMany); // warm-up (module loading, JIT) before any timed run
  const l = await measure(local);
  rows.push(['local file (geo chip)', '-', fmt(l.first), fmt(l.cps, 1), '1.00', '-', '-']);
  for (const c of [1, 4, 16]) {
    const m = await measure(remote(c));
    rows.push(['HTTP loopback (geo chip --remote)', String(c), fmt(m.first), fmt(m.cps, 1), fmt(m.cps / l.cps, 2), `${(m.bytes / size * 100).toFixed(2)} %`, String(m.requests)]);
  }
  await backend.close();
  process.stdout.write(`\n## remote COG: geo chip, ${SIZE}x${SIZE} Byte COG (${(size / 2 ** 20).toFixed(0)} MiB), ${NCHIPS} chips of ${CHIP}x${CHIP} selected by an AOI, medians of ${RUNS} runs\n\n`);
  process.stdout.write(table(['source', 'range requests in flight', 'time to first chip s', 'chips/s', 'chips/s ratio vs local', 'bytes read / file', 'GETs'], rows) + '\n');
} finally {
  await srv.stop();
  rmSync(join(work, 'chips'), { recursive: true, force: true });
}
