import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cornerCoordinates, printfRound } from './grid.js';

test('printfRound rounds as C printf("%.*f"): exact ties to even (toFixed rounds them away from zero)', () => {
  // expected values: Python's '%.*f' % (p, x), i.e. glibc printf
  const cases: [number, number, number][] = [
    [733706.4375, 3, 733706.438], [0.0625, 3, 0.062], [-0.0625, 3, -0.062], [1.5625, 3, 1.562],
    [2.4375, 3, 2.438], [0.1234567891, 7, 0.1234568], [1e-9, 3, 0], [-1e-9, 3, 0], [440720.1234, 3, 440720.123],
  ];
  for (const [x, p, want] of cases) assert.ok(Object.is(printfRound(x, p), want), `${x} to ${p}: ${printfRound(x, p)} (want ${want})`);
  assert.equal((0.0625).toFixed(3), '0.063', 'toFixed differs on this tie, which is why printfRound exists');
});

test('cornerCoordinates: GDAL\'s corner order, the centre, 3 or 7 decimals by magnitude, pixel/line without a geotransform', () => {
  // gdalinfo -json of byte.tif (20x20, 60 m, UTM 11N)
  assert.deepEqual(cornerCoordinates([20, 20], [440720, 60, 0, 3751320, 0, -60]), {
    upperLeft: [440720, 3751320], lowerLeft: [440720, 3750120], lowerRight: [441920, 3750120], upperRight: [441920, 3751320], center: [441320, 3750720],
  });
  // no geotransform: pixel/line (gdalinfo on byte_nogeoref.tif)
  assert.deepEqual(cornerCoordinates([20, 20], undefined).center, [10, 10]);
  // gdalinfo -json of byte.tif re-referenced with gdal_translate -a_ullr, geographic and projected
  // values (a corner gets 7 decimals when |x| < 181 and |y| < 91, whatever the CRS)
  const geo = cornerCoordinates([20, 20], [-44.1234567891, (-43.1111111111 + 44.1234567891) / 20, 0, -22.9876543219, 0, (-23.5555555555 + 22.9876543219) / 20]);
  assert.deepEqual(geo.upperLeft, [-44.1234568, -22.9876543]);
  assert.deepEqual(geo.center, [-43.617284, -23.2716049]);
  const mixed = cornerCoordinates([20, 20], [170.1234567891, (190.5555555555 - 170.1234567891) / 20, 0, 95.9876543219, 0, (85.4444444444 - 95.9876543219) / 20]);
  assert.deepEqual(mixed.upperLeft, [170.123, 95.988]);
  assert.deepEqual(mixed.lowerLeft, [170.1234568, 85.4444444]);
  assert.deepEqual(mixed.center, [180.3395062, 90.7160494]);
});
