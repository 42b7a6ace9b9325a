/**
 * `geodvc ui` raster previews: a 256-px PNG of a COG through its overviews (what the server does)
 * vs a decimated read of the full-resolution image with the same library, and GDAL's
 * `gdal_translate -outsize 256 0 -of PNG` (which also picks an overview) on the same file in the
 * same run. Medians of 7 runs. Input: corpus cog.tif (2658 x 2667, 4 overviews); with
 * BENCH_SCALE unset also a 8192² 3-band tiled DEFLATE COG built by gdal_translate.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, timeRuns, fmt, table } from './lib.js';
import { rasterPreview } from '../src/core/ui/data.js';
import { encodePng } from '../src/core/ui/png.js';

const CORPUS = process.env.GEODVC_CORPUS ?? join(import.meta.dirname, '..', '..', 'shared', 'corpus');
const have = spawnSync('gdal_translate', ['--version']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'geodvc-bench-ui-'));
try {
  const files = [join(CORPUS, 'cog.tif')];
  if (process.env.BENCH_SCALE !== 'small' && have) {
    const big = join(dir, 'big.tif');
    spawnSync('gdal_translate', ['-q', '-of', 'COG', '-co', 'COMPRESS=DEFLATE', '-outsize', '8192', '8192', join(CORPUS, 'RGB.byte.tif'), big]);
    files.push(big);
  }
  const rows: (string | number)[][] = [];
  for (const f of files) {
    const ours = median(await timeRuns(7, async () => { await rasterPreview(f, 256); }));
    const { fromFile } = await import('geotiff');
    const full = median(await timeRuns(7, async () => {
      const tiff = await fromFile(f);
      const img = await tiff.getImage(0);
      const s = 256 / Math.max(img.getWidth(), img.getHeight());
      const w = Math.round(img.getWidth() * s), h = Math.round(img.getHeight() * s);
      const r = await img.readRasters({ samples: [0], width: w, height: h, resampleMethod: 'nearest' }) as any;
      encodePng(w, h, 1, Uint8Array.from(r[0] as ArrayLike<number>, (v) => v & 255));
    }));
    const gdal = have ? median(await timeRuns(7, () => { spawnSync('gdal_translate', ['-q', '-of', 'PNG', '-outsize', '256', '0', f, join(dir, 'g.png')]); })) : NaN;
    rows.push([f.split('/').pop()!, fmt(ours), fmt(full), fmt(full / ours, 1), have ? fmt(gdal) : '-', have ? fmt(ours / gdal, 2) : '-']);
  }
  console.log('ui preview (256 px PNG), median seconds of 7 runs');
  console.log(table(['file', 'ours (overview)', 'full-res decimated', 'full/ours', 'gdal_translate', 'ours/gdal'], rows));
} finally { rmSync(dir, { recursive: true, force: true }); }
