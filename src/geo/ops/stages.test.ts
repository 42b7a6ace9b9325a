import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeGeoStage } from './stages.js';
import { describeIO as chipIO } from './chip.js';
import { describeIO as splitIO } from './split.js';

test('describeGeoStage: deps and outs of each geo stage', () => {
  assert.deepEqual(describeGeoStage('geo chip', { input: 'data/cog', output: 'data/chips', aoi: 'aoi.geojson' }), { deps: ['data/cog', 'aoi.geojson'], outs: ['data/chips'] });
  assert.deepEqual(describeGeoStage('geo chip', { input: 'a', output: 'b', aoi: 'c' }), chipIO({ input: 'a', output: 'b', aoi: 'c' }));
  assert.deepEqual(describeGeoStage('geo split', { index: 'data/chips/chips.geojson' }), { deps: ['data/chips/chips.geojson'], outs: ['data/chips/splits.json'] });
  assert.deepEqual(describeGeoStage('geo split', { index: 'data/chips/chips.geojson' })!.outs, splitIO({ index: 'data/chips/chips.geojson' }).outs);
  assert.deepEqual(describeGeoStage('geo vrt', { output: 'm.vrt', inputs: ['a.tif', 'b.tif'] }), { deps: ['a.tif', 'b.tif'], outs: ['m.vrt'] });
  assert.deepEqual(describeGeoStage('geo rasterize', { annotations: 'l', grid: 'g', output: 'm', classMap: 'c.json' }), { deps: ['l', 'g', 'c.json'], outs: ['m'] });
  assert.equal(describeGeoStage('geo nope', {}), undefined);
});
