import { test } from 'node:test';
import assert from 'node:assert/strict';
import { footprintFromBoundary, geoFootprint } from './stac.js';

const box = (x0: number, y0: number, x1: number, y1: number): [number, number][] => [[x0, y1], [x1, y1], [x1, y0], [x0, y0]];

test('footprint: a plain outline is closed, counter-clockwise, with its bbox', () => {
  const fp = footprintFromBoundary({ ring: box(10, 40, 12, 41), north: false, south: false })!;
  assert.deepEqual(fp.bbox, [10, 40, 12, 41]);
  assert.deepEqual(fp.ring[0], fp.ring[fp.ring.length - 1]);
  let area = 0;
  for (let i = 0; i + 1 < fp.ring.length; i++) area += fp.ring[i]![0] * fp.ring[i + 1]![1] - fp.ring[i + 1]![0] * fp.ring[i]![1];
  assert.ok(area > 0, 'counter-clockwise');
  assert.equal(fp.parts, undefined);
});

test('footprint: across the antimeridian, two parts split at +-180 and west > east', () => {
  const fp = footprintFromBoundary({ ring: [[178, 53], [-179, 53], [-179, 50], [178, 50]], north: false, south: false })!;
  assert.deepEqual(fp.bbox, [178, 50, -179, 53]);
  assert.equal(fp.parts!.length, 2);
  const xs = fp.parts!.map((p) => p.map((q) => q[0]));
  assert.ok(xs[0]!.every((x) => x >= 178 && x <= 180));
  assert.ok(xs[1]!.every((x) => x >= -180 && x <= -179));
});

test('footprint: a pole inside gives the polar cap down to the lowest latitude', () => {
  const ring: [number, number][] = [[-135, 60], [-45, 61], [45, 62], [135, 60.5]];
  assert.deepEqual(footprintFromBoundary({ ring, north: true, south: false })!.bbox, [-180, 60, 180, 90]);
  const south: [number, number][] = ring.map(([x, y]) => [x, -y]);
  assert.deepEqual(footprintFromBoundary({ ring: south, north: false, south: true })!.bbox, [-180, -90, 180, -60]);
  assert.equal(footprintFromBoundary({ ring: [null, null, [1, 2]], north: false, south: false }), undefined);
});

test('footprint from meta (proj4js): a polar stereographic raster holding the pole reaches it', () => {
  const fp = geoFootprint({ kind: 'raster', crs: 'EPSG:3413', size: [10, 10], geotransform: [-1e6, 2e5, 0, 1e6, 0, -2e5] })!;
  assert.equal(fp.bbox[3], 90);
  assert.deepEqual([fp.bbox[0], fp.bbox[2]], [-180, 180]);
});
