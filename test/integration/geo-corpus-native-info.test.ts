/**
 * Issue 18, corpus x native GDAL, through the CLI: `geo info` of every corpus raster against GDAL's
 * answers (truth/: size, geotransform, CRS present with a WKT, EPSG, bands, types, nodata); every
 * file GDAL cannot open makes info, check, vrt and reproject exit non-zero naming it, and every
 * file it cannot decode makes check and reproject do so; `geo vrt` of the rasters with colour
 * tables, alpha or mask bands, EPSG:4326 or a CRS without EPSG code equals gdalbuildvrt's VRT
 * (grid, CRS, bands, colour interpretation and table, mask flags, pixels), and a warp from it lands
 * where a warp from the source lands; `geo stac` of the corpus rasters contains gdalinfo's
 * wgs84Extent in every item's bbox, has gdalinfo's EPSG code, shape and geotransform in its proj
 * fields, and skips only rasters GDAL has no lon/lat extent for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { makeShmTmpDir, gitInit } from '../helpers/tmp.js';
import { cliOk, runCli, CORPUS } from '../helpers/cli.js';
import { needNative, run, gdalinfo } from './geo-ops-native.js';
import { GdalTools } from '../helpers/gdal-tools.js';

interface Raster { file: string; truth: any; readable: boolean; decodable: boolean }

function corpusRasters(): Raster[] {
  const c = JSON.parse(readFileSync(join(CORPUS, 'corpus.json'), 'utf8'));
  return c.files.filter((f: any) => f.kind === 'raster').map((f: any) => {
    const truth = JSON.parse(readFileSync(join(CORPUS, 'truth', `${f.file}.gdalinfo.json`), 'utf8'));
    const readable = Array.isArray(truth.bands);
    return { file: f.file, truth, readable, decodable: readable && truth.bands.every((b: any) => b.checksum !== -1) };
  });
}

/** The dataset's <GeoTransform> of a VRT (the first one: warp options carry Src/DstGeoTransform under other names). */
function vrtGeoTransform(xml: string, path: string): number[] {
  const m = /<GeoTransform>([^<]*)<\/GeoTransform>/.exec(xml);
  if (!m) throw new Error(`${path}: no <GeoTransform> in the VRT gdalwarp wrote`);
  const gt = m[1]!.split(',').map((v) => Number(v.trim()));
  if (gt.length !== 6 || gt.some((v) => !Number.isFinite(v))) throw new Error(`${path}: bad <GeoTransform> ${m[1]}`);
  return gt;
}

const relEq = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
const ndKey = (v: unknown) => (v === undefined || v === null ? null : String(v).toLowerCase().replace(/^(-?)inf$/, '$1infinity'));

test('geo info of every corpus raster = gdalinfo; unreadable files fail every command, undecodable ones check and reproject', async (t) => {
  if (!needNative(t)) return;
  const rasters = corpusRasters();
  const { dir, cleanup } = makeShmTmpDir();
  try {
    const readable = rasters.filter((r) => r.readable);
    const r = await runCli(['geo', 'info', '--json', ...readable.map((x) => join(CORPUS, x.file))], { cwd: dir, timeoutMs: 300_000 });
    const items = JSON.parse(r.stdout) as any[];
    const diffs: string[] = [];
    for (const x of readable) {
      const it = items.find((i) => i.path === join(CORPUS, x.file));
      if (!it || it.error) { diffs.push(`${x.file}: ${it?.error?.message ?? 'missing'}`); continue; }
      const o = it.info, g = x.truth;
      const eq = (f: string, a: unknown, b: unknown) => { if (JSON.stringify(a) !== JSON.stringify(b)) diffs.push(`${x.file} ${f}: ours ${JSON.stringify(a)} gdal ${JSON.stringify(b)}`); };
      eq('size', o.size, g.size);
      eq('types', o.bands.map((b: any) => b.type), g.bands.map((b: any) => b.type));
      eq('nodata', o.bands.map((b: any) => ndKey(b.noDataValue)), g.bands.map((b: any) => ndKey(b.noDataValue)));
      if (!(o.geoTransform ?? null) !== !(g.geoTransform ?? null) || (g.geoTransform && !o.geoTransform.every((v: number, i: number) => relEq(v, g.geoTransform[i])))) eq('geoTransform', o.geoTransform ?? null, g.geoTransform ?? null);
      eq('crs with WKT', !!o.coordinateSystem?.wkt, !!g.coordinateSystem?.wkt);
      eq('epsg', o.epsg ?? null, g.stac?.['proj:epsg'] ?? null);
    }
    assert.deepEqual(diffs, []);

    const unreadable = rasters.filter((x) => !x.readable);
    const undecodable = rasters.filter((x) => x.readable && !x.decodable);
    assert.ok(unreadable.length && undecodable.length);
    const fails = async (args: string[], file: string) => {
      const out = await runCli(args, { cwd: dir });
      assert.notEqual(out.code, 0, `geodvc ${args.join(' ')} exited 0`);
      assert.ok(out.stderr.includes(basename(file)) || out.stdout.includes(basename(file)), `geodvc ${args.join(' ')} does not name ${file}: ${out.stderr}`);
    };
    for (const x of unreadable) {
      const p = join(CORPUS, x.file);
      await fails(['geo', 'info', p], x.file);
      await fails(['geo', 'check', p], x.file);
      await fails(['geo', 'vrt', join(dir, 'u.vrt'), p], x.file);
      await fails(['geo', 'reproject', '--input', p, '--output', join(dir, 'u'), '--crs', 'EPSG:4326'], x.file);
    }
    for (const x of undecodable) await fails(['geo', 'check', join(CORPUS, x.file)], x.file);
  } finally { cleanup(); }
});

test('geo vrt = gdalbuildvrt on corpus rasters with colour tables, alpha/masks, EPSG:4326 or CRSs without EPSG code', async (t) => {
  if (!needNative(t)) return;
  const picked = corpusRasters().filter((x) => x.decodable && x.truth.geoTransform && x.truth.geoTransform[2] === 0 && x.truth.geoTransform[4] === 0 && x.truth.geoTransform[5] < 0)
    .filter((x) => {
      const b = x.truth.bands;
      return b.some((y: any) => y.colorTable || y.colorInterpretation === 'Alpha' || (y.mask?.flags ?? []).some((f: string) => f === 'PER_DATASET' || f === 'ALPHA'))
        || x.truth.stac?.['proj:epsg'] === 4326 || (x.truth.coordinateSystem?.wkt && !x.truth.stac?.['proj:epsg']);
    })
    .filter((x) => x.truth.size[0] * x.truth.size[1] <= 4_000_000);
  assert.ok(picked.length >= 8, `picked ${picked.map((x) => x.file)}`);
  const { dir, cleanup } = makeShmTmpDir();
  // gdalbuildvrt and gdalwarp as GDALBuildVRT/GDALWarp calls in one process (test/helpers/gdal-tools.ts)
  // instead of three processes per raster; gdalinfo stays the command (its WKT can depend on what a
  // long-lived process resolved before)
  const tools = new GdalTools();
  try {
    // sources beside the VRTs, under their own names (VRTs in the corpus name theirs relative to them)
    for (const f of readdirSync(CORPUS)) if (/\.(tiff?|vrt|msk|ovr)$/i.test(f)) copyFileSync(join(CORPUS, f), join(dir, f));
    const diffs: string[] = [];
    for (const x of picked) {
      const ours = join(dir, `ours_${x.file}.vrt`), ref = join(dir, `ref_${x.file}.vrt`);
      // --no-verify: the decode check of these same files is geo-corpus-vrt's (one runner for all);
      // here each `geo vrt` would start a GDAL runner child only to repeat it
      await cliOk(['geo', 'vrt', '--no-verify', ours, join(dir, x.file)], { cwd: dir });
      await tools.run('gdalbuildvrt', ['-q', ref, join(dir, x.file)]);
      const a = JSON.parse(run('gdalinfo', ['-json', '-checksum', ours])), b = JSON.parse(run('gdalinfo', ['-json', '-checksum', ref]));
      const band = (j: any) => j.bands.map((y: any) => ({ type: y.type, ci: y.colorInterpretation, ct: y.colorTable ?? null, mask: y.mask?.flags ?? null, nd: y.noDataValue ?? null, cs: y.checksum }));
      for (const [f, va, vb] of [['size', a.size, b.size], ['geoTransform', a.geoTransform, b.geoTransform], ['crs', a.coordinateSystem?.wkt, b.coordinateSystem?.wkt], ['bands', band(a), band(b)]] as const) {
        if (JSON.stringify(va) !== JSON.stringify(vb)) diffs.push(`${x.file} ${f}: ours ${JSON.stringify(va)?.slice(0, 300)} gdalbuildvrt ${JSON.stringify(vb)?.slice(0, 300)}`);
      }
      // a warp from the VRT lands where a warp from the source lands (axis order of the VRT's CRS)
      // (gdalwarp writes the grid it chose into the warped VRT's <GeoTransform>: read there rather
      // than through one more gdalinfo process per warp)
      const w = async (src: string, out: string) => {
        await tools.run('gdalwarp', ['-q', '-of', 'VRT', '-t_srs', 'EPSG:3857', src, out]);
        return vrtGeoTransform(readFileSync(out, 'utf8'), out);
      };
      let wb: number[];
      try { wb = await w(join(dir, x.file), join(dir, `wb_${x.file}.vrt`)); } catch { continue; } // GDAL cannot warp the source itself (a Mars CRS)
      const wa = await w(ours, join(dir, `wa_${x.file}.vrt`));
      if (!wa.every((v: number, i: number) => wb[i] !== undefined && relEq(v, wb[i]))) diffs.push(`${x.file}: warp from the VRT lands at ${wa}, from the source at ${wb}`);
    }
    assert.deepEqual(diffs, []);
  } finally { await tools.close(); cleanup(); }
});

// Files GDAL opens but cannot decode make geo stac fail (test/integration/geo-undecodable-stac.test.ts).
test('geo stac of the corpus rasters: every bbox holds gdalinfo\'s wgs84Extent, proj fields = gdalinfo\'s EPSG, shape and geotransform', async (t) => {
  if (!needNative(t)) return;
  const picked = corpusRasters().filter((x) => x.decodable && x.truth.coordinateSystem?.wkt && x.truth.geoTransform && !/\.vrt$/i.test(x.file))
    .filter((x) => readFileSync(join(CORPUS, x.file)).length <= 3_000_000);
  const { dir, cleanup } = makeShmTmpDir();
  try {
    gitInit(dir);
    await cliOk(['init', '-q'], { cwd: dir });
    for (const x of picked) copyFileSync(join(CORPUS, x.file), join(dir, x.file));
    await cliOk(['add', '-q', ...picked.map((x) => x.file)], { cwd: dir });
    const r = JSON.parse((await cliOk(['geo', 'stac', '--output', 'site', '--json'], { cwd: dir })).stdout);
    const diffs: string[] = [];
    for (const x of picked) {
      const ring: number[][] = x.truth.wgs84Extent?.coordinates?.[0] ?? [];
      const item = r.items.find((i: any) => i.path === x.file);
      if (!item) {
        if (ring.length) diffs.push(`${x.file}: skipped (${r.skipped.find((s: any) => s.path === x.file)?.reason}) though gdalinfo has a lon/lat extent`);
        continue;
      }
      const doc = JSON.parse(readFileSync(item.file, 'utf8'));
      // proj fields against gdalinfo: the EPSG code, and the grid in the STAC projection extension's
      // order (GDAL 3.6's gdalinfo writes proj:shape as [x, y] and proj:transform in geotransform
      // order; the extension wants [rows, cols] and the affine [a, b, c, d, e, f])
      const pr = doc.properties, g = x.truth, gt: number[] = g.geoTransform;
      const epsg = g.stac?.['proj:epsg'];
      if ((pr['proj:code'] ?? null) !== (epsg ? `EPSG:${epsg}` : null)) diffs.push(`${x.file}: proj:code ${pr['proj:code']}, gdalinfo proj:epsg ${epsg}`);
      if (JSON.stringify(pr['proj:shape']) !== JSON.stringify([g.size[1], g.size[0]])) diffs.push(`${x.file}: proj:shape ${pr['proj:shape']}, gdalinfo size ${g.size}`);
      const affine = [gt[1], gt[2], gt[0], gt[4], gt[5], gt[3]];
      if (!(pr['proj:transform'] ?? []).every((v: number, i: number) => relEq(v, affine[i]!)) || pr['proj:transform']?.length !== 6) diffs.push(`${x.file}: proj:transform ${pr['proj:transform']}, gdalinfo geotransform ${gt}`);
      const b = doc.bbox;
      for (const [lon, lat] of ring) {
        const inLon = b[0] <= b[2] ? lon! >= b[0] - 1e-7 && lon! <= b[2] + 1e-7 : lon! >= b[0] - 1e-7 || lon! <= b[2] + 1e-7;
        if (!inLon || lat! < b[1] - 1e-7 || lat! > b[3] + 1e-7) diffs.push(`${x.file}: gdalinfo corner ${lon},${lat} outside bbox ${b}`);
      }
    }
    assert.deepEqual(diffs, []);
    void gdalinfo;
  } finally { cleanup(); }
});
