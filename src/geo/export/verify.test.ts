import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeFailure } from './verify.js';

const base = { band: 1, level: 0, blockX: 0, blockY: 0, blockW: 256, blockH: 256, strips: false, whole: false, message: '' };

test('describeFailure names band, overview, subdataset, tile or strip and the pixel window', () => {
  assert.equal(describeFailure({ ...base, band: 2, blockX: 3, blockY: 1 }), 'band 2, tile (3, 1) (column, row) (pixels x 768..1023, y 256..511)');
  assert.equal(describeFailure({ ...base, blockW: 791, blockH: 16, blockY: 20, strips: true }), 'band 1, strip 20 (pixels x 0..790, y 320..335)');
  assert.equal(describeFailure({ ...base, level: 2 }), 'band 1 of overview 2, tile (0, 0) (column, row) (pixels x 0..255, y 0..255)');
  assert.equal(describeFailure({ ...base, blockX: 3, blockY: 2, width: 791, height: 718 }), 'band 1, tile (3, 2) (column, row) (pixels x 768..790, y 512..717)');
  assert.equal(describeFailure({ ...base, band: 0, whole: true }), 'the mask band, its only block (pixels x 0..255, y 0..255)');
  assert.equal(describeFailure({ ...base, subdataset: 'NETCDF:"/d/f.nc":tas', whole: true }), 'band 1 of tas, its only block (pixels x 0..255, y 0..255)');
});
