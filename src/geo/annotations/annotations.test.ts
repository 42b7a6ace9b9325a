import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTolerance } from './tolerance.js';
import { layerFromFeatureSet } from './load.js';
import { crsFromText } from '../crs/crs.js';
import { fingerprintLayers, type NamedLayer } from './fingerprint.js';
import { compareLayers } from './diff.js';
import { polygonSelfIntersection } from './validity.js';
import { formatManifest, parseManifest } from './manifest.js';
import { changesToGeoJson } from './changes-geojson.js';
import { AppError } from '../../lib/errors.js';

const tol = parseTolerance('0.5m');

function layer(features: any[], crs = 'EPSG:4326'): NamedLayer {
  return { path: 'labels.geojson', layer: layerFromFeatureSet({ layer: 'labels', crs: crsFromText(crs), features: JSON.parse(JSON.stringify(features)) }, 'GeoJSON') };
}
const feat = (geometry: unknown, properties: Record<string, unknown> = {}, id?: number) => ({ type: 'Feature', ...(id !== undefined ? { id } : {}), properties, geometry });
// a ~110 m square near (10E, 45N), counter-clockwise, closed
const sq = (x0: number, y0: number, d = 0.001): number[][] => [[x0, y0], [x0 + d, y0], [x0 + d, y0 + d], [x0, y0 + d], [x0, y0]];

test('parseTolerance: units, default and errors', () => {
  assert.deepEqual(parseTolerance('0.5'), { value: 0.5, unit: 'm', text: '0.5m' });
  assert.equal(parseTolerance('50cm').value, 0.5);
  assert.equal(parseTolerance('1e-6deg').unit, 'deg');
  assert.equal(parseTolerance('2u').unit, 'units');
  assert.equal(parseTolerance(undefined).text, '0.1m');
  assert.throws(() => parseTolerance('-1'), AppError);
  assert.throws(() => parseTolerance('fast'), /invalid tolerance/);
});

test('fingerprint ignores ring orientation, start vertex, closing/duplicate vertices, part, feature and field order', () => {
  const a = layer([
    feat({ type: 'Polygon', coordinates: [sq(10, 45)] }, { class: 'field', area: 1.5 }),
    feat({ type: 'MultiPolygon', coordinates: [[sq(10.01, 45)], [sq(10.02, 45)]] }, { class: 'forest' }),
    feat({ type: 'Point', coordinates: [10.5, 45.5] }, { class: 'tree' }),
  ]);
  const ring = sq(10, 45).slice(0, 4).reverse(); // clockwise, no closing vertex yet
  const rotated = [...ring.slice(2), ...ring.slice(0, 2)];
  const withDup = [rotated[0]!, rotated[0]!, ...rotated.slice(1), rotated[0]!];
  const b = layer([
    feat({ type: 'Point', coordinates: [10.5, 45.5] }, { class: 'tree' }),
    feat({ type: 'MultiPolygon', coordinates: [[sq(10.02, 45)], [sq(10.01, 45)]] }, { class: 'forest' }),
    feat({ type: 'MultiPolygon', coordinates: [[withDup]] }, { area: 1.5, class: 'field' }),
  ]);
  const fa = fingerprintLayers([a], { tolerance: tol });
  const fb = fingerprintLayers([b], { tolerance: tol });
  assert.match(fa.fingerprint, /^geo1-0\.5m-[0-9a-f]{64}$/);
  assert.equal(fa.fingerprint, fb.fingerprint);
  assert.equal(fa.issues.length, 0);

  const c = layer([
    feat({ type: 'Polygon', coordinates: [sq(10, 45)] }, { class: 'forest', area: 1.5 }),
    feat({ type: 'MultiPolygon', coordinates: [[sq(10.01, 45)], [sq(10.02, 45)]] }, { class: 'forest' }),
    feat({ type: 'Point', coordinates: [10.5, 45.5] }, { class: 'tree' }),
  ]);
  assert.notEqual(fingerprintLayers([c], { tolerance: tol }).fingerprint, fa.fingerprint);
});

test('fingerprint: reprojection to the canonical CRS makes UTM and lon/lat copies equal', () => {
  // EPSG:32632 coordinates of a point and their WGS 84 equivalent (from GDAL gdaltransform)
  const utm = layer([feat({ type: 'Point', coordinates: [500000, 5000000] }, { k: 1 })], 'EPSG:32632');
  const ll = layer([feat({ type: 'Point', coordinates: [9, 45.153477183356] }, { k: 1 })]);
  const t = parseTolerance('5m');
  assert.equal(fingerprintLayers([utm], { tolerance: t }).fingerprint, fingerprintLayers([ll], { tolerance: t }).fingerprint);
});

test('diff: a vertex moved 2 m at tolerance 0.5 m, a deleted feature and a class change are named', async () => {
  const base = [
    feat({ type: 'Polygon', coordinates: [sq(10, 45)] }, { class: 'field' }, 1),
    feat({ type: 'Polygon', coordinates: [sq(10.01, 45)] }, { class: 'field' }, 2),
    feat({ type: 'Polygon', coordinates: [sq(10.02, 45)] }, { class: 'field' }, 3),
    feat({ type: 'Polygon', coordinates: [sq(10.03, 45)] }, { class: 'field' }, 4),
  ];
  const a = layer(base);
  const moved = JSON.parse(JSON.stringify(base));
  moved[0].geometry.coordinates[0][2][1] += 2 / 111132; // 2 m north
  const d1 = await compareLayers('labels.geojson', a, layer(moved), { tolerance: tol });
  assert.equal(d1.status, 'semantic');
  assert.equal(d1.features.length, 1);
  assert.equal(d1.features[0]!.a, 'id=1');
  assert.deepEqual(d1.features[0]!.changes, ['geometry']);
  assert.ok(Math.abs(d1.features[0]!.maxVertexShift! - 2) < 0.05, `shift ${d1.features[0]!.maxVertexShift}`);
  assert.ok(d1.features[0]!.iou! > 0.9 && d1.features[0]!.iou! < 1);
  assert.ok(d1.features[0]!.areaChange! > 0);

  const d2 = await compareLayers('labels.geojson', a, layer(base.filter((f) => f.id !== 3)), { tolerance: tol });
  assert.deepEqual(d2.features.map((f) => [f.status, f.a]), [['removed', 'id=3']]);
  assert.equal(d2.counts.removed, 1);

  const cls = JSON.parse(JSON.stringify(base));
  cls[3].properties.class = 'orchard';
  const d3 = await compareLayers('labels.geojson', a, layer(cls), { tolerance: tol });
  assert.deepEqual(d3.features.map((f) => [f.status, f.a, f.changes.join(), f.classOld, f.classNew]), [['changed', 'id=4', 'class', 'field', 'orchard']]);

  // 0.2 m noise everywhere, features shuffled and ids renumbered: precision-only, matched without ids
  const noisy = JSON.parse(JSON.stringify(base)).reverse().map((f: any, k: number) => {
    f.id = 100 + k;
    f.geometry.coordinates[0] = f.geometry.coordinates[0].map(([x, y]: [number, number]) => [x + 0.2 / 78846, y - 0.2 / 111132]);
    return f;
  });
  const d4 = await compareLayers('labels.geojson', a, layer(noisy), { tolerance: tol });
  assert.equal(d4.status, 'precision-only');
  assert.equal(d4.counts.precisionOnly, 4);

  const gj = JSON.parse(changesToGeoJson([d1, d2]));
  assert.equal(gj.features.length, 2);
  assert.equal(gj.features[0].properties.status, 'changed');
  assert.equal(gj.features[1].properties.status, 'removed');
  assert.equal(gj.features[1].geometry.type, 'Polygon');
});

test('diff: the same features in another order are format-only; identical bytes are byte-identical', async () => {
  const fs = [feat({ type: 'Point', coordinates: [1, 2] }, { a: 1, b: 'x' }), feat({ type: 'LineString', coordinates: [[0, 0], [1, 1]] }, { a: 2 })];
  const a = layer(fs);
  const b = layer([feat({ type: 'LineString', coordinates: [[1, 1], [0, 0]] }, { a: 2 }), feat({ type: 'Point', coordinates: [1, 2] }, { b: 'x', a: 1 })]);
  assert.equal((await compareLayers('x', a, b, { tolerance: tol })).status, 'format-only');
  assert.equal((await compareLayers('x', a, a, { tolerance: tol }, { bytesEqual: true })).status, 'byte-identical');
});

test('invalid geometries are reported, not thrown', async () => {
  const bowtie = [[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]];
  const unclosed = [[5, 5], [6, 5], [6, 6], [5, 6]];
  const l = layer([feat({ type: 'Polygon', coordinates: [bowtie] }, {}, 7), feat({ type: 'Polygon', coordinates: [unclosed] }, {}, 8), feat({ type: 'Weird', coordinates: [] }, {}, 9)]);
  const r = fingerprintLayers([l], { tolerance: tol });
  const problems = r.issues.map((i) => `${i.feature}:${i.problem}`).sort();
  assert.deepEqual(problems, ['id=7:self-intersection', 'id=8:unclosed-ring', 'id=9:unknown-geometry-type']);
  const d = await compareLayers('x', l, l, { tolerance: tol });
  assert.equal(d.status, 'format-only');
  assert.ok(d.issues.length >= 6);
});

test('polygonSelfIntersection: shared edge between parts, touching at a vertex is fine', () => {
  const f = (r: number[][]) => Float64Array.from(r.slice(0, -1).flat());
  assert.equal(polygonSelfIntersection([f(sq(0, 0, 1))]), null);
  assert.notEqual(polygonSelfIntersection([f(sq(0, 0, 1)), f(sq(0.5, 0, 1))]), null); // overlapping parts
  assert.equal(polygonSelfIntersection([f(sq(0, 0, 1)), f(sq(1, 1, 1))]), null); // touch at (1,1)
  assert.notEqual(polygonSelfIntersection([f(sq(0, 0, 1)), f(sq(1, 0, 1))]), null); // shared edge
});

test('mixed CRSs without declaration: error with a hint', async () => {
  const withCrs = layer([feat({ type: 'Point', coordinates: [1, 2] })]);
  const noCrs: NamedLayer = { path: 'b.shp', layer: { features: [{ index: 0, properties: {}, geometry: { type: 'Point', coordinates: [1, 2] } }], crs: null, format: 'ESRI Shapefile' } };
  await assert.rejects(compareLayers('x', withCrs, noCrs, { tolerance: tol }), (e: AppError) => e.code === 'mixed-crs' && /--crs/.test(e.hint ?? ''));
  const d = await compareLayers('x', withCrs, noCrs, { tolerance: tol, assumeCrs: withCrs.layer.crs! });
  assert.equal(d.status, 'format-only');
});

test('manifest text is sha256sum format and parses back, escaped names included', () => {
  const entries = [{ path: 'a b/labels.geojson', sha256: 'a'.repeat(64), size: 1 }, { path: 'odd\\name.shp', sha256: 'b'.repeat(64), size: 2 }];
  const text = formatManifest(entries);
  assert.equal(text, `${'a'.repeat(64)}  a b/labels.geojson\n\\${'b'.repeat(64)}  odd\\\\name.shp\n`);
  assert.deepEqual(parseManifest(text).map((e) => [e.path, e.sha256]), entries.map((e) => [e.path, e.sha256]));
  assert.throws(() => parseManifest('nonsense\n'), /not a sha256sum line/);
});
