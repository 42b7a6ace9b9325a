import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWkb, ogrTypeName, Extent, WkbError } from './geometry.js';
import { parseGpkgGeometry } from './geopackage.js';

function wkbPolygonZ(): Buffer {
  const b = Buffer.alloc(1 + 4 + 4 + 4 + 4 * 24);
  let o = 0;
  b[o++] = 1; b.writeUInt32LE(1003, o); o += 4; b.writeUInt32LE(1, o); o += 4; b.writeUInt32LE(4, o); o += 4;
  for (const [x, y, z] of [[0, 0, 1], [2, 0, 1], [2, 3, 1], [0, 0, 1]]) { b.writeDoubleLE(x!, o); b.writeDoubleLE(y!, o + 8); b.writeDoubleLE(z!, o + 16); o += 24; }
  return b;
}

test('WKB polygon Z parses; truncation is reported with an offset', () => {
  const r = parseWkb(wkbPolygonZ());
  assert.equal(r.geometry.type, 'Polygon');
  assert.equal(r.z, true);
  assert.deepEqual((r.geometry.coordinates as number[][][])[0]![2], [2, 3, 1]);
  assert.throws(() => parseWkb(wkbPolygonZ().subarray(0, 40)), WkbError);
});

test('GeoPackage blob with envelope, OGR type names, extents', () => {
  const wkb = wkbPolygonZ();
  const head = Buffer.alloc(8 + 32);
  head.write('GP', 0, 'latin1'); head[2] = 0; head[3] = (1 << 1) | 1; // envelope xy, little endian
  const g = parseGpkgGeometry(Buffer.concat([head, wkb]));
  assert.equal(g.geometry?.type, 'Polygon');
  assert.equal(ogrTypeName('LineString', true, true), '3D Measured Line String');
  assert.equal(ogrTypeName('MultiPolygon'), 'Multi Polygon');
  const e = new Extent();
  e.addGeometry(g.geometry);
  assert.deepEqual(e.toArray(), [0, 0, 2, 3]);
});
