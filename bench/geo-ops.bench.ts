/**
 * geo ops benchmark: reproject and chip a generated 10980x10980x4 UInt16 scene (tiled 512,
 * DEFLATE+predictor, like a Sentinel-2 tile; BENCH_SCALE=small uses 2048x2048), beside native
 * gdalwarp (single-threaded) and a native `gdal_translate -srcwin` loop, in the same script.
 * Wall time and peak RSS come from /usr/bin/time around each process.
 * Targets (issue 6): reprojection <= 1.5x native, chips <= 20 ms each, peak memory < 1.5 GiB.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, table, fmt } from './lib.js';
import { makeScene } from '../test/integration/geo-ops-native.js';
import { COG_CO } from '../src/geo/ops/reproject.js';
import { chip } from '../src/geo/ops/chip.js';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = join(here, '..', 'bin', 'geodvc.js');
const small = process.env.BENCH_SCALE === 'small';
const SIZE = small ? 2048 : 10980;
const RUNS = Number(process.env.BENCH_RUNS ?? (small ? 3 : 1));

function timed(cmd: string, args: string[]): { wall: number; cpu: number; rssMiB: number; stdout: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, GDAL_PAM_ENABLED: 'NO' } });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  const [rss, u, sy] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { wall, cpu: u! + sy!, rssMiB: rss! / 1024, stdout: r.stdout };
}

const haveGdal = spawnSync('gdalinfo', ['--version']).status === 0;
if (!haveGdal) {
  process.stdout.write('gdal-bin is not installed: native peers unavailable, skipping geo-ops bench\n');
  process.exit(0);
}

const work = join(tmpdir(), `geodvc-bench-geo-${SIZE}`);
mkdirSync(work, { recursive: true });
const scene = join(work, 'scene.tif');
if (!existsSync(scene)) {
  process.stdout.write(`generating ${SIZE}x${SIZE}x4 UInt16 scene in ${work} ...\n`);
  makeScene(scene, SIZE, 4);
}
process.stdout.write(`scene: ${SIZE}x${SIZE}x4 UInt16, ${(statSync(scene).size / 2 ** 20).toFixed(0)} MiB, EPSG:32632 -> EPSG:4326 bilinear\n\n`);

// ---- reprojection ----
const ours: number[] = [], native: number[] = [], oursCpu: number[] = [], nativeCpu: number[] = [];
let oursRss = 0, nativeRss = 0;
for (let i = 0; i < RUNS; i++) {
  const out = join(work, 'reproj');
  rmSync(out, { recursive: true, force: true });
  const r = timed(process.execPath, [BIN, 'geo', 'reproject', '--input', scene, '--output', out, '--crs', 'EPSG:4326', '--resampling', 'bilinear', '-j', '2', '--json', '-q']);
  ours.push(r.wall); oursCpu.push(r.cpu); oursRss = Math.max(oursRss, r.rssMiB);
  const f = JSON.parse(r.stdout).files[0];
  const nat = join(work, 'native-warp.tif');
  rmSync(nat, { force: true });
  const n = timed('gdalwarp', ['-q', ...f.warpArgs, '-of', 'COG', ...COG_CO, scene, nat]);
  native.push(n.wall); nativeCpu.push(n.cpu); nativeRss = Math.max(nativeRss, n.rssMiB);
}
const ratio = median(ours) / median(native);
process.stdout.write(table(['reproject (same grid, COG DEFLATE + overviews)', 'median wall s', 'median CPU s', 'peak RSS MiB'], [
  ['geodvc geo reproject -j 2 (gdal3.js, 2 workers, strips)', fmt(median(ours), 1), fmt(median(oursCpu), 1), oursRss.toFixed(0)],
  ['native gdalwarp, 1 thread', fmt(median(native), 1), fmt(median(nativeCpu), 1), nativeRss.toFixed(0)],
  ['ratio ours / native', fmt(ratio, 2), fmt(median(oursCpu) / median(nativeCpu), 2), ''],
]) + '\n\n');

// ---- chips ----
const chipRows: (string | number)[][] = [];
const cores = availableParallelism();
for (const [label, extra] of [
  ['tile-aligned (size 512, stride 512: verbatim tile copy), 1 thread', { jobs: 1 }],
  [`tile-aligned, ${cores} worker threads`, { jobs: cores }],
  ['unaligned (size 512, stride 500: decode + DEFLATE), 1 thread', { stride: 500, jobs: 1 }],
  [`unaligned, ${cores} worker threads`, { stride: 500, jobs: cores }],
] as const) {
  const times: number[] = [], cpus: number[] = [];
  let n = 0;
  for (let i = 0; i < RUNS; i++) {
    const out = join(work, 'chips');
    rmSync(out, { recursive: true, force: true });
    // in-process: the figure is the chipping itself (window reads, encoding, writes, index, source md5), not node start-up
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const r = await chip({ input: scene, output: out, size: 512, ...extra });
    n = r.chips.length;
    const c = process.cpuUsage(c0);
    times.push(Number(process.hrtime.bigint() - t0) / 1e9 / n);
    cpus.push((c.user + c.system) / 1e6 / n);
  }
  chipRows.push([`geodvc chip() in-process, ${label}`, n, fmt(median(times) * 1000, 1), fmt(median(cpus) * 1000, 1), '']);
}
{
  const out = join(work, 'chips');
  rmSync(out, { recursive: true, force: true });
  const r = timed(process.execPath, [BIN, 'geo', 'chip', '--input', scene, '--output', out, '--size', '512', '--json', '-q']);
  const n = JSON.parse(r.stdout).chips;
  chipRows.push(['geodvc geo chip CLI (incl. start-up), tile-aligned', n, fmt((r.wall / n) * 1000, 1), fmt((r.cpu / n) * 1000, 1), r.rssMiB.toFixed(0)]);
}
const nChipsNative = small ? 16 : 40;
const natTimes: number[] = [], natCpu: number[] = [];
for (let k = 0; k < nChipsNative; k++) {
  const x = (k * 512 * 7) % (SIZE - 512), y = Math.floor((k * 512 * 7) / (SIZE - 512)) * 512 % (SIZE - 512);
  const out = join(work, `native-chip.tif`);
  const r = timed('gdal_translate', ['-q', '-srcwin', String(x), String(y), '512', '512', scene, out]);
  natTimes.push(r.wall); natCpu.push(r.cpu);
}
chipRows.push(['native gdal_translate -srcwin, one process per chip', nChipsNative, fmt(median(natTimes) * 1000, 1), fmt(median(natCpu) * 1000, 1), '']);
process.stdout.write(table(['chips 512x512x4 UInt16', 'chips', 'wall ms per chip (median)', 'CPU ms per chip', 'peak RSS MiB'], chipRows) + '\n\n');
process.stdout.write(`targets: reprojection ratio ${fmt(ratio, 2)} (<= 1.5), peak RSS ${Math.max(oursRss, ...chipRows.map((r) => Number(r[4]) || 0)).toFixed(0)} MiB (< 1536)\n`);
process.stdout.write(`load average during the run: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} on ${(await import('node:os')).availableParallelism()} CPUs\n`);
rmSync(join(work, 'reproj'), { recursive: true, force: true });
rmSync(join(work, 'chips'), { recursive: true, force: true });
rmSync(join(work, 'native-warp.tif'), { force: true });
rmSync(join(work, 'native-chip.tif'), { force: true });
