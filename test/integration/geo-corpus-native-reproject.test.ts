/**
 * Issue 18, corpus x native GDAL: every raster of the corpus that GDAL decodes and can warp goes
 * through `geo reproject` to EPSG:4326 and to UTM (`--crs utm`), nearest and bilinear. The grid
 * must be the one native `gdalwarp` chooses alone for the same input and target CRS (size and
 * geotransform); the pixels must be those of native `gdalwarp` run with the arguments we report
 * (`warpArgs`: the pinned -te/-tr; GDAL 3.6 fills a few edge pixels differently when it computes
 * the extent itself), with the same CRS and nodata: nearest pixel-exact, bilinear within 1 for
 * integers, 1e-6 relative for floats.
 *
 * To stay fast: big rasters are warped through a 256x256 window (a VRT made by gdal_translate
 * -srcwin), the files take the four combinations in turn (each combination is one CLI call over a
 * quarter of the corpus with --per-file-grid), and pixels are read
 * back with gdal-async. Plus files made here: lon/lat on a sphere to UTM, a polar stereographic
 * raster holding the pole to 4326. A file gdalwarp cannot warp makes `geo reproject` exit non-zero
 * naming it; so does every file GDAL cannot decode (gdalwarp exits 0 on read errors).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { makeShmTmpDir } from '../helpers/tmp.js';
import { runCli, CORPUS } from '../helpers/cli.js';
import { needNative, run } from './geo-ops-native.js';
import { mapLimit } from '../../src/lib/pool.js';
import { loadNativeGdal } from '../../src/geo/engine/native.js';
import { GdalTools } from '../helpers/gdal-tools.js';

const ENV = { ...process.env, GDAL_PAM_ENABLED: 'NO' };

interface Entry { file: string; truth: any }

/** Corpus rasters with GDAL's answers; `decodable`: GDAL read every band (no checksum -1). */
function corpusRasters(): (Entry & { readable: boolean; decodable: boolean })[] {
  const c = JSON.parse(readFileSync(join(CORPUS, 'corpus.json'), 'utf8'));
  return c.files.filter((f: any) => f.kind === 'raster').map((f: any) => {
    const truth = JSON.parse(readFileSync(join(CORPUS, 'truth', `${f.file}.gdalinfo.json`), 'utf8'));
    const readable = Array.isArray(truth.bands);
    return { file: f.file, truth, readable, decodable: readable && truth.bands.every((b: any) => b.checksum !== -1) };
  });
}

/** Links `file` and its sidecars (`file.*`) into `dir` under `name` (a corpus VRT becomes a wrapper VRT: its sources are relative). */
function stage(file: string, dir: string, name: string, big: boolean): string {
  const src = join(CORPUS, file);
  if (big || /\.vrt$/i.test(file)) {
    const out = join(dir, `${name}.vrt`);
    run('gdal_translate', ['-q', '-of', 'VRT', ...(big ? ['-srcwin', '0', '0', '256', '256'] : []), src, out]);
    return out;
  }
  const ext = file.slice(file.lastIndexOf('.'));
  const out = join(dir, `${name}${ext}`);
  symlinkSync(src, out);
  for (const s of readdirSync(CORPUS)) if (s.startsWith(`${file}.`)) symlinkSync(join(CORPUS, s), `${out}${s.slice(file.length)}`);
  return out;
}

const COMBOS = [['EPSG:4326', 'nearest'], ['EPSG:4326', 'bilinear'], ['utm', 'bilinear'], ['utm', 'nearest']] as const;

function readAll(gdal: any, path: string): { type: string; bands: ArrayLike<number>[]; nodata: (number | null)[]; size: [number, number]; gt: number[]; srs: any } {
  const ds = gdal.open(path);
  try {
    const w = ds.rasterSize.x, h = ds.rasterSize.y;
    const bands: ArrayLike<number>[] = [], nodata: (number | null)[] = [];
    let type = '';
    for (let i = 1; i <= ds.bands.count(); i++) {
      const b = ds.bands.get(i);
      type = b.dataType;
      bands.push(/^C/.test(type) ? b.pixels.read(0, 0, w, h, undefined, { type: gdal.GDT_Float64 }) : b.pixels.read(0, 0, w, h));
      nodata.push(b.noDataValue ?? null);
    }
    return { type, bands, nodata, size: [w, h], gt: ds.geoTransform, srs: ds.srs };
  } finally { ds.close(); }
}

function gridOf(gdal: any, path: string): { size: [number, number]; gt: number[] } {
  const ds = gdal.open(path);
  try { return { size: [ds.rasterSize.x, ds.rasterSize.y], gt: ds.geoTransform }; } finally { ds.close(); }
}

test('geo reproject on every warpable corpus raster = gdalwarp (4326 and UTM, nearest and bilinear)', async (t) => {
  if (!needNative(t)) return;
  const gdal = loadNativeGdal();
  const { dir, cleanup } = makeShmTmpDir();
  try {
    const rasters = corpusRasters();
    const inputs: { name: string; path: string; combos: number[] }[] = [];
    const refused: { file: string; path: string }[] = [];
    mkdirSync(join(dir, 'stage'));
    let k = 0;
    for (const r of rasters) {
      const cs = r.truth.coordinateSystem?.wkt || r.truth.gcps?.coordinateSystem?.wkt;
      if (!r.readable) continue;
      const name = `f${String(k).padStart(3, '0')}_${r.file.replace(/\W/g, '_')}`;
      if (!r.decodable) { refused.push({ file: r.file, path: stage(r.file, join(dir, 'stage'), name, false) }); k++; continue; }
      if (!cs || !(r.truth.geoTransform || r.truth.gcps?.gcpList?.length)) continue; // gdalwarp needs a CRS and georeferencing
      const big = r.truth.size[0] * r.truth.size[1] > 1_000_000;
      const path = stage(r.file, join(dir, 'stage'), name, big);
      // gdalwarp's answer for the grid: a file it cannot warp must be refused by us too
      const probe = spawnSync('gdalwarp', ['-q', '-of', 'VRT', '-t_srs', 'EPSG:4326', path, join(dir, `${name}.probe.vrt`)], { env: ENV, encoding: 'utf8' });
      if (probe.status !== 0 || /ERROR/.test(probe.stderr)) { refused.push({ file: r.file, path }); k++; continue; }
      inputs.push({ name, path, combos: [k % 4] });
      k++;
    }
    // made here: lon/lat on a sphere (to UTM), polar stereographic holding the pole (to 4326)
    const byte = join(CORPUS, 'byte.tif');
    run('gdal_translate', ['-q', '-outsize', '40', '40', '-a_srs', '+proj=longlat +R=6371000 +no_defs', '-a_ullr', '10', '50', '11', '49', byte, join(dir, 'stage', 'made_sphere.tif')]);
    run('gdal_translate', ['-q', '-outsize', '40', '40', '-a_srs', 'EPSG:3413', '-a_ullr', '-1000000', '1000000', '1000000', '-1000000', byte, join(dir, 'stage', 'made_polar.tif')]);
    inputs.push({ name: 'made_sphere', path: join(dir, 'stage', 'made_sphere.tif'), combos: [2, 3] });
    inputs.push({ name: 'made_polar', path: join(dir, 'stage', 'made_polar.tif'), combos: [0, 1] });
    assert.ok(inputs.length >= 60, `expected most of the corpus to be warpable, got ${inputs.length}`);

    const problems: string[] = [];
    const jobs: { input: (typeof inputs)[number]; combo: number; ours: string; crs: string; args: string[] }[] = [];
    const t0 = Date.now();
    for (const [c, [crs, resampling]] of COMBOS.entries()) {
      const sel = inputs.filter((i) => i.combos.includes(c));
      const inDir = join(dir, `in${c}`);
      mkdirSync(inDir);
      for (const i of sel) {
        for (const f of readdirSync(join(dir, 'stage'))) if (f.startsWith(`${i.name}.`) && !f.endsWith('.probe.vrt')) symlinkSync(join(dir, 'stage', f), join(inDir, f));
      }
      const r = await runCli(['geo', 'reproject', '--input', inDir, '--output', join(dir, `out${c}`), '--crs', crs, '--resampling', resampling, '--per-file-grid', '--format', 'GTiff', '-j', '2', '--json'], { cwd: dir, timeoutMs: 300_000 });
      assert.equal(r.code, 0, `geo reproject ${crs} ${resampling}: ${r.stderr}`);
      const res = JSON.parse(r.stdout);
      for (const f of res.files) {
        const input = sel.find((i) => f.input.includes(`/${i.name}.`))!;
        jobs.push({ input, combo: c, ours: f.output, crs: f.crs, args: f.warpArgs });
      }
      assert.equal(res.files.length, sel.length);
    }
    t.diagnostic(`geo reproject x4: ${Date.now() - t0} ms`);
    const t1 = Date.now();
    // the references: gdalwarp's grid alone for the target CRS, and gdalwarp's pixels with our
    // arguments, as GDALWarp calls in one process (test/helpers/gdal-tools.ts) instead of ~110
    // gdalwarp processes (the probes above stay gdalwarp runs: they read its stderr)
    const tools = new GdalTools();
    try {
      await mapLimit(jobs, 2, async (j) => {
        const [, resampling] = COMBOS[j.combo]!;
        const ref = join(dir, `ref${j.combo}_${j.input.name}.tif`);
        const grid = j.combo < 2 && existsSync(join(dir, `${j.input.name}.probe.vrt`)) ? join(dir, `${j.input.name}.probe.vrt`) : join(dir, `grid${j.combo}_${j.input.name}.vrt`);
        if (!existsSync(grid)) await tools.run('gdalwarp', ['-q', '-of', 'VRT', '-t_srs', j.crs, j.input.path, grid]);
        await tools.run('gdalwarp', ['-q', ...j.args, '-of', 'GTiff', j.input.path, ref]);
        const a = readAll(gdal, j.ours), b = readAll(gdal, ref), g = gridOf(gdal, grid);
        const what = `${j.input.name} -> ${j.crs} ${resampling}`;
        if (JSON.stringify(a.size) !== JSON.stringify(g.size)) { problems.push(`${what}: size ${a.size} vs gdalwarp ${g.size}`); return; }
        const tol = Math.max(Math.abs(g.gt[1]!), Math.abs(g.gt[5]!)) * 1e-6;
        if (!a.gt.every((v, i) => Math.abs(v - g.gt[i]!) <= tol)) problems.push(`${what}: geotransform ${a.gt} vs gdalwarp ${g.gt}`);
        if (!a.srs || !b.srs || !a.srs.isSame(b.srs)) problems.push(`${what}: CRS differs`);
        if (JSON.stringify(a.nodata) !== JSON.stringify(b.nodata)) problems.push(`${what}: nodata ${a.nodata} vs ${b.nodata}`);
        if (a.bands.length !== b.bands.length) { problems.push(`${what}: ${a.bands.length} bands vs ${b.bands.length}`); return; }
        const float = /Float|^C/.test(b.type);
        let bad = 0, worst = 0;
        for (let n = 0; n < a.bands.length; n++) {
          const x = a.bands[n]!, y = b.bands[n]!;
          for (let i = 0; i < x.length; i++) {
            const p = x[i]!, q = y[i]!;
            if (p === q || (Number.isNaN(p) && Number.isNaN(q))) continue;
            const d = Math.abs(p - q);
            const ok = resampling === 'nearest' ? false : float ? d <= 1e-6 * Math.max(Math.abs(p), Math.abs(q)) : d <= 1;
            if (!ok) { bad++; worst = Math.max(worst, d); }
          }
        }
        if (bad) problems.push(`${what}: ${bad} pixels differ (max ${worst})`);
      });
    } finally { await tools.close(); }
    t.diagnostic(`gdalwarp references and compare: ${Date.now() - t1} ms`);
    assert.deepEqual(problems, []);

    // what gdalwarp cannot warp, or GDAL cannot decode: non-zero exit naming the file
    for (const r of refused) {
      const out = await runCli(['geo', 'reproject', '--input', r.path, '--output', join(dir, 'refused'), '--crs', 'EPSG:4326', '--format', 'GTiff'], { cwd: dir });
      assert.notEqual(out.code, 0, `${r.file} was warped`);
      assert.ok(out.stderr.includes(r.path.slice(r.path.lastIndexOf('/') + 1)), `${r.file}: the error names the file: ${out.stderr}`);
    }
    assert.ok(!existsSync(join(dir, 'refused')) || readdirSync(join(dir, 'refused')).every((f) => !f.endsWith('.tif')), 'nothing written for refused files');
  } finally { cleanup(); }
});
