/**
 * geo info over N GeoTIFF chips (cold reads of every header vs the per-directory index) and
 * geo check of a large tiled GeoTIFF (sampled and --deep), beside native gdalinfo on the same
 * files in the same run. BENCH_SCALE=small: 100 chips and a 32 MiB file; default: 1,000 chips
 * and a 1 GiB file. Needs gdal-bin (gdal_translate, gdal_create, gdalinfo).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, timeRuns, fmt, table } from './lib.js';
import { readRasterInfo } from '../src/geo/raster/info.js';
import { extractGeoMeta } from '../src/geo/meta.js';
import { readDirIndex, geoIndexPath } from '../src/core/api/geo-info.js';
import { checkRaster } from '../src/geo/raster/check.js';

const small = process.env.BENCH_SCALE === 'small';
const N = small ? 100 : 1000;
const BIG = small ? 2048 : 16384; // 4 bands Byte: 2048² = 16 MiB, 16384² = 1 GiB
const CORPUS = process.env.GEODVC_CORPUS ?? join(import.meta.dirname, '..', '..', 'shared', 'corpus');
const have = spawnSync('gdalinfo', ['--version']).status === 0;
if (!have) { console.log('geo-info bench: gdal-bin not installed, skipped'); process.exit(0); }

const dir = mkdtempSync(join(tmpdir(), 'geodvc-bench-geo-'));
try {
  const chips = join(dir, 'chips');
  mkdirSync(chips);
  const seed = join(dir, 'seed.tif');
  spawnSync('gdal_translate', ['-q', '-co', 'TILED=YES', '-co', 'COMPRESS=DEFLATE', '-outsize', '256', '256', join(CORPUS, 'RGB.byte.tif'), seed]);
  const files: string[] = [];
  for (let i = 0; i < N; i++) { const p = join(chips, `chip_${String(i).padStart(5, '0')}.tif`); copyFileSync(seed, p); files.push(p); }
  // Index, written as geo info writes it for a tracked directory.
  const cache = join(dir, 'cache');
  const oid = 'd41d8cd98f00b204e9800998ecf8427e.dir';
  const idx: Record<string, unknown> = {};
  for (const f of files) idx[f.slice(chips.length + 1)] = await extractGeoMeta(f);
  mkdirSync(join(cache, 'geo'), { recursive: true });
  writeFileSync(geoIndexPath(cache, oid), JSON.stringify({ version: 1, dir: oid, files: idx }));

  const cold = await timeRuns(3, async () => { for (const f of files) await readRasterInfo(f); });
  const fromIndex = await timeRuns(5, () => { const m = readDirIndex(cache, oid)!; if (Object.keys(m).length !== N) throw new Error('index size'); });
  const gdalN = Math.min(N, 100);
  const gdal = await timeRuns(3, () => { for (const f of files.slice(0, gdalN)) spawnSync('gdalinfo', ['-json', f]); });
  const gdalPer = median(gdal) / gdalN;

  const big = join(dir, 'big.tif');
  spawnSync('gdal_create', ['-q', '-outsize', String(BIG), String(BIG), '-bands', '4', '-ot', 'Byte', '-burn', '7', '-co', 'TILED=YES', big]);
  const chk = await timeRuns(3, async () => { const r = await checkRaster(big); if (!r.ok) throw new Error('check failed'); });
  const deep = await timeRuns(1, async () => { const r = await checkRaster(big, { deep: true, timeoutMs: 600_000 }); if (!r.ok) throw new Error('deep check failed'); });
  const gdalChk = await timeRuns(1, () => { spawnSync('gdalinfo', ['-checksum', big]); });

  console.log(`\n## geo info / geo check (${small ? 'small' : 'full'} scale)\n`);
  console.log(table(['workload', 'geodvc median s', 'gdalinfo median s', 'ratio geodvc/gdal'], [
    [`geo info ${N} chips, cold (every header)`, fmt(median(cold)), fmt(gdalPer * N) + (gdalN < N ? ` (${gdalN} timed ×${N / gdalN})` : ''), fmt(median(cold) / (gdalPer * N), 3)],
    [`geo info ${N} chips, from the index`, fmt(median(fromIndex), 4), fmt(gdalPer * N), fmt(median(fromIndex) / (gdalPer * N), 4)],
    [`geo check ${BIG}² x4 tiled (${(BIG * BIG * 4 / 2 ** 20).toFixed(0)} MiB), sampled`, fmt(median(chk)), `${fmt(median(gdalChk))} (gdalinfo -checksum, all blocks)`, fmt(median(chk) / median(gdalChk), 3)],
    [`geo check --deep same file`, fmt(median(deep)), fmt(median(gdalChk)), fmt(median(deep) / median(gdalChk), 3)],
  ]));
  console.log(`\ntarget: ${N} chips from the index under 0.5 s -> ${median(fromIndex) < 0.5 ? 'met' : 'NOT met'} (${fmt(median(fromIndex), 4)} s)`);
} finally { rmSync(dir, { recursive: true, force: true }); }
