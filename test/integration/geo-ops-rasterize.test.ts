import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeShmTmpDir } from '../helpers/tmp.js';
import { CORPUS, runCli, REPO_ROOT } from '../helpers/cli.js';
import { needGdal, gdalinfo, pixels, compare, run, makeScene } from './geo-ops-native.js';
import { rasterize } from '../../src/geo/ops/rasterize.js';
import { chip } from '../../src/geo/ops/chip.js';

/** Native gdal_rasterize onto the grid of `grid` (same extent and size). */
function nativeMask(vector: string, grid: string, out: string, burn: string[], extra: string[] = []) {
  const g = gdalinfo(grid);
  const [x0, rx, , y0, , ry] = g.geoTransform;
  const te = [x0, y0 + g.size[1] * ry, x0 + g.size[0] * rx, y0].map(String);
  run('gdal_rasterize', ['-q', ...burn, '-te', ...te, '-ts', String(g.size[0]), String(g.size[1]), '-ot', 'Byte', '-init', '0', ...extra, vector, out]);
}

function labels(n: number, seed: number): any {
  let s = seed;
  const rnd = () => { s = (s * 16807) % 2147483647; return s / 2147483647; };
  const features = [];
  for (let i = 0; i < n; i++) {
    const x = 600000 + rnd() * 9000, y = 5000040 - 1000 - rnd() * 9000, w = 100 + rnd() * 900, h = 100 + rnd() * 900;
    const ring = rnd() < 0.5
      ? [[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]
      : [[x, y], [x + w, y + h * 0.3], [x + w * 0.4, y + h], [x, y]];
    features.push({ type: 'Feature', properties: { class: 1 + Math.floor(rnd() * 5), name: `c${i % 3}` }, geometry: { type: 'Polygon', coordinates: [ring] } });
  }
  return { type: 'FeatureCollection', crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::32632' } }, features };
}

test('rasterize: masks on chips of a generated scene and on a corpus raster equal gdal_rasterize (≤ 0.5% pixels)', async (t) => {
  if (!needGdal(t)) return;
  const { dir, cleanup } = makeShmTmpDir('geo-rasterize-');
  t.after(cleanup);
  const scene = join(dir, 'scene.tif');
  makeScene(scene, 1024);
  const chips = join(dir, 'chips');
  await chip({ input: scene, output: chips, size: 512 });
  const ann = join(dir, 'labels.geojson');
  writeFileSync(ann, JSON.stringify(labels(60, 7)));
  // the same labels in EPSG:4326: reprojected on the fly by geo rasterize
  const ann4326 = join(dir, 'ann4326', 'labels4326.geojson');
  mkdirSync(join(dir, 'ann4326'));
  run('ogr2ogr', ['-f', 'GeoJSON', '-t_srs', 'EPSG:4326', '-lco', 'COORDINATE_PRECISION=10', ann4326, ann]);
  // native reference: features sorted by class so the highest class wins, as our documented rule says
  const sorted = join(dir, 'sorted.geojson');
  const fc = labels(60, 7);
  fc.features.sort((a: any, b: any) => a.properties.class - b.properties.class);
  writeFileSync(sorted, JSON.stringify(fc));

  for (const [src, tag, at] of [[ann, 'same-crs', false], [ann, 'same-crs', true], [join(dir, 'ann4326'), 'reprojected', false]] as const) {
    {
      const out = join(dir, `masks-${tag}-${at}`);
      const r = await rasterize({ annotations: src, grid: chips, output: out, classField: 'class', allTouched: at });
      assert.equal(r.masks.length, readdirSync(chips).filter((f) => f.endsWith('.tif')).length);
      let diff = 0, total = 0, burnt = 0;
      for (const m of r.masks) {
        const native = join(dir, `native-${tag}-${at}-${m.mask.split('/').pop()}`);
        nativeMask(sorted, m.grid, native, ['-a', 'class'], at ? ['-at'] : []);
        const a = gdalinfo(m.mask), b = gdalinfo(native);
        assert.deepEqual(a.geoTransform, b.geoTransform);
        assert.deepEqual(a.size, b.size);
        const pa = pixels(m.mask), pb = pixels(native);
        const d = compare(pa, pb);
        diff += d.differing; total += d.total;
        for (const v of pa.bands[0]! as Uint8Array) if (v) burnt++;
      }
      t.diagnostic(`${tag} all-touched=${at}: ${diff}/${total} pixels differ from gdal_rasterize, ${burnt} labelled`);
      assert.ok(burnt > total * 0.05, 'labels were burnt');
      assert.ok(diff <= total * 0.005, `${diff} of ${total} pixels differ (> 0.5%)`);
      if (tag === 'same-crs') assert.equal(diff, 0);
    }
  }

  // corpus: box.shp onto the RGB.byte.tif grid (EPSG:32618), burn 1
  const out = join(dir, 'box');
  const r = await rasterize({ annotations: join(CORPUS, 'box.shp'), grid: join(CORPUS, 'RGB.byte.tif'), output: out });
  const native = join(dir, 'box-native.tif');
  nativeMask(join(CORPUS, 'box.shp'), join(CORPUS, 'RGB.byte.tif'), native, ['-burn', '1']);
  const d = compare(pixels(r.masks[0]!.mask), pixels(native));
  assert.ok(d.differing <= d.total * 0.005, `box.shp: ${d.differing}/${d.total} differ`);
});

test('rasterize: class map, vector without CRS, bad class values', async (t) => {
  if (!needGdal(t)) return;
  const { dir, cleanup } = makeShmTmpDir('geo-rasterize-');
  t.after(cleanup);
  const scene = join(dir, 'scene.tif');
  makeScene(scene, 512, 1);
  const ann = join(dir, 'labels.geojson');
  writeFileSync(ann, JSON.stringify(labels(20, 3)));
  const map = join(dir, 'map.json');
  writeFileSync(map, JSON.stringify({ c0: 10, c1: 20, c2: 30 }));
  const r = await rasterize({ annotations: ann, grid: scene, output: join(dir, 'm'), classField: 'name', classMap: map });
  assert.deepEqual(r.classes, [10, 20, 30]);
  const vals = new Set(pixels(r.masks[0]!.mask).bands[0]! as Uint8Array);
  for (const v of vals) assert.ok([0, 10, 20, 30].includes(v), `unexpected value ${v}`);

  const nocrs = join(dir, 'nocrs.shp');
  run('ogr2ogr', ['-f', 'ESRI Shapefile', '-a_srs', 'EPSG:32632', nocrs, ann]);
  for (const ext of ['prj']) { try { (await import('node:fs')).rmSync(nocrs.replace(/shp$/, ext)); } catch { /* none */ } }
  const bad = await runCli(['geo', 'rasterize', '--annotations', nocrs, '--grid', scene, '--output', join(dir, 'x')], { cwd: REPO_ROOT });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /have no CRS/);
  const bad2 = await runCli(['geo', 'rasterize', '--annotations', ann, '--grid', scene, '--output', join(dir, 'y'), '--class-field', 'name'], { cwd: REPO_ROOT });
  assert.notEqual(bad2.code, 0);
  assert.match(bad2.stderr, /not a non-negative integer class/);
  const ok = await runCli(['geo', 'rasterize', '--annotations', ann, '--grid', scene, '--output', join(dir, 'z'), '--class-field', 'class', '--json'], { cwd: REPO_ROOT });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).masks, 1);
});
