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
import { rasterPreview } from '../src/apps/ui/data.js';
import { encodePng } from '../src/apps/ui/png.js';

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

/*
 * `geodvc ui` XYZ tiles (src/apps/ui/tiles.ts): one 256² Web Mercator PNG tile over a 10980²
 * tiled COG with overviews (the size of a Sentinel-2 10 m band; built here by gdal_translate),
 * rendered in-process by the tile renderer with the dataset already open (as the server keeps
 * it), against the same window cut by Debian's GDAL CLI in the same run: `gdalwarp -te (tile
 * bounds in EPSG:3857) -ts 256 256` and `gdal_translate -projwin (the tile's bounds in the
 * scene's CRS) -outsize 256 256 -of PNG`. The CLI times include starting the process, which a
 * tile server avoids: the ratio says what serving tiles from a warm process buys. Medians of 9.
 */
{
  const { TileRenderer, tileBounds } = await import('../src/apps/ui/tiles.js');
  const { loadNativeGdal } = await import('../src/geo/engine/native.js');
  const r = new TileRenderer();
  const gdal = loadNativeGdal();
  if (!have || !r.available() || !gdal) console.log('ui tiles: skipped (needs gdal-async and gdal-bin)');
  else {
    const tdir = mkdtempSync(join(tmpdir(), 'geodvc-bench-tiles-'));
    try {
      const big = join(tdir, 'scene_10980.tif');
      const mk = spawnSync('gdal_translate', ['-q', '-of', 'COG', '-b', '1', '-co', 'COMPRESS=DEFLATE', '-co', 'LEVEL=1', '-co', 'BLOCKSIZE=512', '-co', 'OVERVIEW_RESAMPLING=NEAREST', '-outsize', '10980', '10980', '-r', 'near', join(CORPUS, 'RGB.byte.tif'), big], { encoding: 'utf8' });
      if (mk.status !== 0) throw new Error(`gdal_translate: ${mk.stderr}`);
      const { extent } = await r.extent(big, 'scene');
      const HALF = 20037508.342789244;
      const cx = (extent[0] + extent[2]) / 2, cy = (extent[1] + extent[3]) / 2;
      const ds = gdal.open(big);
      const ct = new gdal.CoordinateTransformation(gdal.SpatialReference.fromEPSG(3857), ds.srs);
      ds.close();
      const rows: (string | number)[][] = [];
      for (const z of [14, 12, 10]) {
        const n = 2 ** z;
        const x = Math.floor(((cx + HALF) / (2 * HALF)) * n), y = Math.floor(((HALF - cy) / (2 * HALF)) * n);
        const tb = tileBounds(z, x, y);
        await r.render(big, 'scene', z, x, y);
        const ours = median(await timeRuns(9, async () => { await r.render(big, 'scene', z, x, y); }));
        const warp = median(await timeRuns(9, () => { spawnSync('gdalwarp', ['-q', '-overwrite', '-t_srs', 'EPSG:3857', '-te', ...tb.map(String), '-ts', '256', '256', '-r', 'near', '-dstalpha', big, join(tdir, 'w.tif')]); }));
        const a = ct.transformPoint(tb[0], tb[3]), b = ct.transformPoint(tb[2], tb[1]);
        const proj = median(await timeRuns(9, () => { spawnSync('gdal_translate', ['-q', '-projwin', String(a.x), String(a.y), String(b.x), String(b.y), '-outsize', '256', '256', '-of', 'PNG', big, join(tdir, 't.png')]); }));
        rows.push([z, fmt(ours * 1000, 1), fmt(warp * 1000, 1), fmt(warp / ours, 1), fmt(proj * 1000, 1), fmt(proj / ours, 1)]);
      }
      console.log('ui tiles: one 256² PNG tile over a 10980² COG, median ms of 9');
      console.log(table(['zoom', 'tiles.ts (warm)', 'gdalwarp -te', 'gdalwarp/ours', 'gdal_translate -projwin', 'translate/ours'], rows));
    } finally { r.close(); rmSync(tdir, { recursive: true, force: true }); }
  }
}
