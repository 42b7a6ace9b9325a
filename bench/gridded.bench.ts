/**
 * Gridded files (issue 21): what the metadata of JPEG2000/NetCDF/HDF5 costs `add`. Each sample is
 * added to a fresh repository by the built CLI, with metadata (default: the header readers of
 * src/geo/gridded/fast-meta.ts where they are sure, else native GDAL opens the file) and with
 * `GEODVC_NO_META=1` (the peer: the same add without the meta hook), alternating, median of RUNS
 * each, wall and CPU (user+sys of the CLI, GNU time); the ratio is meta/no-meta. The `meta by`
 * column says which path answered. Samples: the corpus files (KBs: fixed costs dominate: JPEG2000,
 * NetCDF-3, NetCDF-4, HDF5) and generated files of SIZE_MB (hashing dominates): NetCDF-3, NetCDF-4
 * and NetCDF-4 with DEFLATE by gdal_translate, a plain HDF5 by h5import. Prints the load average
 * before and after (the machine is shared). Also: the metadata alone in-process (header reader vs
 * GDAL path, median ms; GDAL already loaded), and `geo info` of each family beside `gdalinfo`.
 */
import { mkdtempSync, rmSync, writeFileSync, copyFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { median, runProc, fmt, table } from './lib.js';
import { griddedFastMeta } from '../src/geo/gridded/fast-meta.js';

/** Wall and CPU seconds (user+sys, GNU time) of a command. */
function runCpu(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): { wall: number; cpu: number; code: number; stderr: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'CPU %U %S', cmd, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const m = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr ?? '');
  return { wall, cpu: m ? Number(m[1]) + Number(m[2]) : Number.NaN, code: r.status ?? 1, stderr: r.stderr };
}
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

const small = process.env.BENCH_SCALE === 'small';
const RUNS = Number(process.env.BENCH_RUNS) || (small ? 3 : 5);
const SIZE_MB = small ? 64 : 512;
const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'geodvc.js');
const FORMATS = join(ROOT, '..', 'shared', 'corpus', 'formats');

const work = mkdtempSync(join(tmpdir(), 'geodvc-bench-gridded-'));
try {
  // a big grid: random Float32 (incompressible) written by GDAL as NetCDF-3 and as NetCDF-4
  const side = Math.floor(Math.sqrt((SIZE_MB * 1024 * 1024) / 4));
  const raw = join(work, 'grid.raw');
  execFileSync('sh', ['-c', `head -c ${side * side * 4} /dev/urandom > ${raw}`]);
  writeFileSync(`${raw.slice(0, -4)}.hdr`, `ENVI\nsamples = ${side}\nlines = ${side}\nbands = 1\nheader offset = 0\nfile type = ENVI Standard\ndata type = 4\ninterleave = bsq\nbyte order = 0\nmap info = {UTM, 1, 1, 500000, 4000000, 10, 10, 33, North, WGS-84}\n`);
  const nc3 = join(work, `grid_${SIZE_MB}MB.nc`), nc4 = join(work, `grid_${SIZE_MB}MB_nc4.nc`);
  execFileSync('gdal_translate', ['-q', '-of', 'netCDF', raw, nc3]);
  execFileSync('gdal_translate', ['-q', '-of', 'netCDF', '-co', 'FORMAT=NC4', raw, nc4]);
  const nc4z = join(work, `grid_${SIZE_MB}MB_nc4_deflate.nc`), h5 = join(work, `grid_${SIZE_MB}MB.h5`);
  execFileSync('gdal_translate', ['-q', '-of', 'netCDF', '-co', 'FORMAT=NC4', '-co', 'COMPRESS=DEFLATE', '-co', 'ZLEVEL=1', raw, nc4z]);
  writeFileSync(join(work, 'h5import.conf'), `PATH grid\nINPUT-CLASS FP\nINPUT-SIZE 32\nINPUT-BYTE-ORDER LE\nRANK 2\nDIMENSION-SIZES ${side} ${side}\nOUTPUT-CLASS FP\nOUTPUT-SIZE 32\nOUTPUT-ARCHITECTURE IEEE\nOUTPUT-BYTE-ORDER LE\n`);
  execFileSync('h5import', [raw, '-c', join(work, 'h5import.conf'), '-o', h5]);
  const samples = [
    join(FORMATS, 'byte.jp2'), join(FORMATS, 'torchgeo_sentinel2_T16TFM_20220412T162841_B02.jp2'),
    join(FORMATS, 'trmm-nc4.nc'), join(FORMATS, 'cf_geog.nc'), join(FORMATS, 'groups.h5'),
    join(FORMATS, 'sentinel_2_L1C_geographic.nc'), join(FORMATS, 'torchgeo_digital_typhoon_0.h5'),
    nc3, nc4, nc4z, h5,
  ];
  const only = process.env.BENCH_GRIDDED_ONLY ? new RegExp(process.env.BENCH_GRIDDED_ONLY) : undefined;
  if (only) samples.splice(0, samples.length, ...samples.filter((f) => only.test(basename(f))));
  const addOnce = (file: string, meta: boolean): { wall: number; cpu: number } => {
    const repo = mkdtempSync(join(work, 'repo-'));
    try {
      execFileSync('git', ['init', '-q'], { cwd: repo });
      execFileSync(process.execPath, [BIN, 'init', '-q'], { cwd: repo });
      const dst = join(repo, basename(file));
      copyFileSync(file, dst);
      const r = runCpu(process.execPath, [BIN, 'add', '-q', basename(file)], { cwd: repo, env: meta ? { GEODVC_NO_META: '' } : { GEODVC_NO_META: '1' } });
      if (r.code !== 0) throw new Error(`add ${file} failed: ${r.stderr}`);
      return { wall: r.wall, cpu: r.cpu };
    } finally { rmSync(repo, { recursive: true, force: true }); }
  };
  const rows: (string | number)[][] = [];
  const loadBefore = load();
  for (const f of samples) {
    const withMeta: { wall: number; cpu: number }[] = [], without: { wall: number; cpu: number }[] = [];
    addOnce(f, true); // warm the page cache
    for (let i = 0; i < RUNS; i++) { without.push(addOnce(f, false)); withMeta.push(addOnce(f, true)); }
    const a = median(withMeta.map((x) => x.wall)), b = median(without.map((x) => x.wall));
    const ac = median(withMeta.map((x) => x.cpu)), bc = median(without.map((x) => x.cpu));
    const by = griddedFastMeta(f) ? 'header reader' : 'GDAL';
    rows.push([basename(f), `${(statSync(f).size / 1048576).toFixed(2)} MB`, by, fmt(b), fmt(a), `${fmt(a / b, 2)}x`, fmt(bc), fmt(ac), `${fmt(ac / bc, 2)}x`]);
  }
  process.stdout.write(`add with gridded metadata vs add with GEODVC_NO_META=1 (median of ${RUNS}; wall and CPU seconds; load average ${loadBefore} before, ${load()} after)\n\n`);
  process.stdout.write(`${table(['file', 'size', 'meta by', 'wall, no meta', 'wall, meta', 'wall ratio', 'CPU, no meta', 'CPU, meta', 'CPU ratio'], rows)}\n\n`);

  // the metadata alone, in this process: header reader vs the GDAL path (GDAL loaded beforehand)
  const { griddedMeta } = await import('../src/geo/gridded/meta.js');
  const inproc: (string | number)[][] = [];
  for (const f of samples) {
    if (!griddedFastMeta(f)) continue;
    try { griddedMeta(f); } catch { continue; }
    const fast: number[] = [], gdal: number[] = [];
    for (let i = 0; i < Math.max(RUNS, 5); i++) {
      let t0 = performance.now(); griddedFastMeta(f); fast.push(performance.now() - t0);
      t0 = performance.now(); griddedMeta(f); gdal.push(performance.now() - t0);
    }
    inproc.push([basename(f), fmt(median(gdal)), fmt(median(fast)), `${fmt(median(gdal) / median(fast), 1)}x`]);
  }
  process.stdout.write(`metadata alone in-process (median of ${Math.max(RUNS, 5)}, ms; GDAL path with gdal-async already loaded)\n\n`);
  process.stdout.write(`${table(['file', 'GDAL path', 'header reader', 'speed-up'], inproc)}\n\n`);

  const info: (string | number)[][] = [];
  for (const f of only ? [] : [samples[1]!, samples[2]!, samples[4]!, nc4]) {
    const ours: number[] = [], gdal: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      ours.push(runProc(process.execPath, [BIN, 'geo', 'info', '--json', f]).wall);
      gdal.push(runProc('gdalinfo', ['-json', f]).wall);
    }
    info.push([basename(f), fmt(median(gdal)), fmt(median(ours)), `${fmt(median(ours) / median(gdal), 2)}x`]);
  }
  process.stdout.write(`geo info (CLI, incl. Node start and variables/dims) vs gdalinfo -json (median of ${RUNS}, seconds)\n\n`);
  process.stdout.write(`${table(['file', 'gdalinfo', 'geo info', 'ratio'], info)}\n`);
} finally { rmSync(work, { recursive: true, force: true }); }
