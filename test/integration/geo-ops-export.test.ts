import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir } from '../helpers/tmp.js';
import { runCli, REPO_ROOT } from '../helpers/cli.js';
import { needGdal, run, makeScene } from './geo-ops-native.js';
import { chip } from '../../src/geo/ops/chip.js';
import { exportLabels } from '../../src/geo/ops/export.js';
import { clipRing, yoloLines } from '../../src/geo/export/coco.js';

const rect = (x0: number, y0: number, x1: number, y1: number) => [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]];

test('clipRing and yolo lines (pure)', () => {
  const sq = clipRing([-5, -5, 5, -5, 5, 5, -5, 5], 10, 10);
  const pts = new Set<string>();
  for (let i = 0; i < sq.length; i += 2) pts.add(`${sq[i]},${sq[i + 1]}`);
  assert.deepEqual([...pts].sort(), ['0,0', '0,5', '5,0', '5,5']);
  assert.deepEqual(clipRing([20, 20, 30, 20, 30, 30], 10, 10), []);
  const c = clipRing([-5, 2, 5, 2, 5, 4, -5, 4], 10, 10);
  assert.equal(Math.min(...c.filter((_, i) => i % 2 === 0)), 0);
  const line = yoloLines({ id: 1, fileName: 'a.tif', width: 100, height: 50 }, [{ imageId: 1, categoryId: 7, polygons: [[10, 10, 30, 10, 30, 20, 10, 20]] }], [{ id: 3, name: 'x' }, { id: 7, name: 'y' }]);
  assert.equal(line, '1 0.200000 0.300000 0.200000 0.200000\n');
});

test('geo export coco|yolo: pixel boxes of known labels on chips, across chip borders and CRSs', async (t) => {
  if (!needGdal(t)) return;
  const { dir, cleanup } = makeTmpDir('geo-export-');
  t.after(cleanup);
  const scene = join(dir, 'scene.tif');
  makeScene(scene, 1024, 1);
  const chips = join(dir, 'chips');
  const rc = await chip({ input: scene, output: chips, size: 512 });
  const X = 600000, Y = 5000040;
  const fc = { type: 'FeatureCollection', crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::32632' } }, features: [
    { type: 'Feature', properties: { kind: 'field' }, geometry: { type: 'Polygon', coordinates: rect(X + 1000, Y - 2600, X + 1500, Y - 2000) } },
    { type: 'Feature', properties: { kind: 'tree' }, geometry: { type: 'Polygon', coordinates: rect(X + 5000, Y - 700, X + 5300, Y - 300) } },
  ] };
  const ann = join(dir, 'ann');
  mkdirSync(ann);
  writeFileSync(join(ann, 'labels.geojson'), JSON.stringify(fc));
  const map = join(dir, 'map.json');
  writeFileSync(map, JSON.stringify({ field: 1, tree: 2 }));
  const out = join(dir, 'coco.json');
  const r = await exportLabels({ format: 'coco', index: rc.index, annotations: ann, output: out, classField: 'kind', classMap: map });
  const coco = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(r.objects, 3);
  assert.deepEqual(coco.categories.map((c: any) => c.name), ['field', 'tree']);
  const byImage = (name: string) => coco.annotations.filter((a: any) => a.image_id === coco.images.find((i: any) => i.file_name === name).id);
  assert.deepEqual(byImage('scene_r0_c0.tif').map((a: any) => [a.category_id, a.bbox]).sort(), [[1, [100, 200, 50, 60]], [2, [500, 30, 12, 40]]].sort());
  assert.deepEqual(byImage('scene_r0_c1.tif').map((a: any) => [a.category_id, a.bbox]), [[2, [0, 30, 18, 40]]]);
  assert.equal(byImage('scene_r0_c1.tif')[0].area, 18 * 40);

  // the same labels in EPSG:4326 give the same boxes within half a pixel
  const ann4326 = join(dir, 'ann4326.geojson');
  run('ogr2ogr', ['-f', 'GeoJSON', '-t_srs', 'EPSG:4326', '-lco', 'COORDINATE_PRECISION=12', ann4326, join(ann, 'labels.geojson')]);
  const out2 = join(dir, 'coco2.json');
  await exportLabels({ format: 'coco', index: rc.index, annotations: ann4326, output: out2, classField: 'kind', classMap: map });
  const coco2 = JSON.parse(readFileSync(out2, 'utf8'));
  assert.equal(coco2.annotations.length, 3);
  coco2.annotations.forEach((a: any, i: number) => a.bbox.forEach((v: number, k: number) => assert.ok(Math.abs(v - coco.annotations[i].bbox[k]) < 0.5, `${v} vs ${coco.annotations[i].bbox[k]}`)));

  const yolo = join(dir, 'yolo');
  const cli = await runCli(['geo', 'export', 'yolo', '--index', rc.index, '--annotations', ann, '--output', yolo, '--class-field', 'kind', '--class-map', map, '--json'], { cwd: REPO_ROOT });
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal(readFileSync(join(yolo, 'scene_r0_c1.txt'), 'utf8'), `1 ${(9 / 512).toFixed(6)} ${(50 / 512).toFixed(6)} ${(18 / 512).toFixed(6)} ${(40 / 512).toFixed(6)}\n`);
  assert.equal(readFileSync(join(yolo, 'classes.txt'), 'utf8'), 'field\ntree\n');
});
