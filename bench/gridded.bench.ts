/**
 * Gridded files (issue 21): what the metadata of JPEG2000/NetCDF/HDF5 costs `add`. Each sample is
 * added to a fresh repository by the built CLI, with metadata (default: native GDAL opens the file)
 * and with `GEODVC_NO_META=1` (the peer: the same add without the meta hook), alternating, median
 * of RUNS each; the ratio is meta/no-meta. Samples: the corpus files (KBs: the fixed cost of loading
 * GDAL dominates) and a generated NetCDF-3 and NetCDF-4 of SIZE_MB (hashing dominates).
 * Also: `geo info` of each family (median wall of the CLI) beside `gdalinfo` of the same file.
 */
import { mkdtempSync, rmSync, writeFileSync, copyFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { median, runProc, fmt, table } from './lib.js';

const small = process.env.BENCH_SCALE === 'small';
const RUNS = small ? 3 : 5;
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
  const samples = [
    join(FORMATS, 'byte.jp2'), join(FORMATS, 'torchgeo_sentinel2_T16TFM_20220412T162841_B02.jp2'),
    join(FORMATS, 'trmm-nc4.nc'), join(FORMATS, 'cf_geog.nc'), join(FORMATS, 'groups.h5'),
    nc3, nc4,
  ];
  const addOnce = (file: string, meta: boolean): number => {
    const repo = mkdtempSync(join(work, 'repo-'));
    try {
      execFileSync('git', ['init', '-q'], { cwd: repo });
      execFileSync(process.execPath, [BIN, 'init', '-q'], { cwd: repo });
      const dst = join(repo, basename(file));
      copyFileSync(file, dst);
      const r = runProc(process.execPath, [BIN, 'add', '-q', basename(file)], { cwd: repo, env: meta ? { GEODVC_NO_META: '' } : { GEODVC_NO_META: '1' } });
      if (r.code !== 0) throw new Error(`add ${file} failed: ${r.stderr}`);
      return r.wall;
    } finally { rmSync(repo, { recursive: true, force: true }); }
  };
  const rows: (string | number)[][] = [];
  for (const f of samples) {
    const withMeta: number[] = [], without: number[] = [];
    addOnce(f, true); // warm the page cache
    for (let i = 0; i < RUNS; i++) { without.push(addOnce(f, false)); withMeta.push(addOnce(f, true)); }
    const a = median(withMeta), b = median(without);
    rows.push([basename(f), `${(statSync(f).size / 1048576).toFixed(2)} MB`, fmt(b), fmt(a), fmt(a - b), `${fmt(a / b, 2)}x`]);
  }
  process.stdout.write(`add with gridded metadata vs add with GEODVC_NO_META=1 (median of ${RUNS}, seconds)\n\n`);
  process.stdout.write(`${table(['file', 'size', 'add, no meta', 'add, meta', 'meta cost', 'ratio'], rows)}\n\n`);

  const info: (string | number)[][] = [];
  for (const f of [samples[1]!, samples[2]!, samples[4]!, nc4]) {
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
