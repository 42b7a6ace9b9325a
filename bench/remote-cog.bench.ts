/**
 * Remote COG benchmark (issue 9): time to first chip and chips per second when cutting windows of a
 * COG straight from a remote over loopback (the node:http test server with Range, through geodvc's
 * HTTP backend) with 1, 4 and 16 range requests in flight, beside the same windows read from the
 * local file through the same reader code. Full scale: a 1 GiB COG (32768x32768 Byte, tiles 512,
 * uncompressed) and 1024x1024 chips; BENCH_SCALE=small: 8192x8192 (85 MiB) and 512x512 chips.
 * Chips are cut 4 at a time; each chip is decoded and written as a GeoTIFF (tmp file).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, table, fmt } from './lib.js';
import { startHttpServer } from '../test/helpers/servers/http-server.js';
import { openBackend } from '../src/storage/registry.js';
import { RangeSource, backendReader, fileReader, type RangeReader } from '../src/core/api/open-source.js';
import { readWindow, writeWindowTiff } from '../src/core/api/read-window.js';
import { mapLimit } from '../src/lib/pool.js';

const small = process.env.BENCH_SCALE === 'small';
const SIZE = small ? 8192 : 32768;
const CHIP = small ? 512 : 1024;
const NCHIPS = small ? 24 : 48;
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

// deterministic windows
let seed = 42;
const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const windows: [number, number, number, number][] = Array.from({ length: NCHIPS }, () => [Math.floor(rnd() * (SIZE - CHIP)), Math.floor(rnd() * (SIZE - CHIP)), CHIP, CHIP]);

async function run(reader: () => RangeReader, concurrency: number): Promise<{ first: number; chipsPerS: number; bytes: number; requests: number }> {
  const t0 = performance.now();
  const source = new RangeSource(reader(), { size, concurrency });
  const g = await import('geotiff');
  const tiff = await (g as any).GeoTIFF.fromSource(source);
  const opened = { tiff, source, from: '', size, close: () => source.close() };
  const out = join(work, 'chips');
  mkdirSync(out, { recursive: true });
  const first = await readWindow(opened, windows[0]!);
  await writeWindowTiff(opened, first, join(out, 'c0.tif'));
  const tFirst = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  await mapLimit(windows.slice(1), 4, async (w, i) => { const wr = await readWindow(opened, w); await writeWindowTiff(opened, wr, join(out, `c${i + 1}.tif`)); });
  const rest = (performance.now() - t1) / 1000;
  await opened.close();
  return { first: tFirst, chipsPerS: (windows.length - 1) / rest, bytes: source.stats.bytes, requests: source.stats.requests };
}

const srv = await startHttpServer();
try {
  mkdirSync(join(srv.dataDir, 'dvc-data', 'files', 'md5', 'ab'), { recursive: true });
  const key = 'files/md5/ab/cdef0123456789abcdef0123456789';
  copyFileSync(cog, join(srv.dataDir, 'dvc-data', key));
  const backend = await openBackend(srv.url, {});
  const rows: (string | number)[][] = [];
  const localRes: Awaited<ReturnType<typeof run>>[] = [];
  for (let i = 0; i < RUNS; i++) localRes.push(await run(() => fileReader(cog), 4));
  const lf = median(localRes.map((r) => r.first)), lc = median(localRes.map((r) => r.chipsPerS));
  rows.push(['local file (same reader)', '4', fmt(lf), fmt(lc, 1), '1.00', '-', '-']);
  for (const c of [1, 4, 16]) {
    const res: Awaited<ReturnType<typeof run>>[] = [];
    for (let i = 0; i < RUNS; i++) res.push(await run(() => backendReader(backend, key), c));
    const f = median(res.map((r) => r.first)), cps = median(res.map((r) => r.chipsPerS));
    rows.push([`HTTP loopback`, String(c), fmt(f), fmt(cps, 1), fmt(cps / lc, 2), `${(res[0]!.bytes / size * 100).toFixed(1)} %`, String(res[0]!.requests)]);
  }
  await backend.close();
  process.stdout.write(`\n## remote COG: ${SIZE}x${SIZE} Byte COG (${(size / 2 ** 20).toFixed(0)} MiB), ${NCHIPS} chips of ${CHIP}x${CHIP}, 4 chips at a time, medians of ${RUNS} runs\n\n`);
  process.stdout.write(table(['source', 'range requests in flight', 'time to first chip s', 'chips/s', 'chips/s ratio vs local', 'bytes read / file', 'GETs'], rows) + '\n');
} finally {
  await srv.stop();
  rmSync(join(work, 'chips'), { recursive: true, force: true });
}
