import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chipCreationArgs, chipParams, chipParamsKey, rasterRuns, fitGeoTransform, planWindows, windows, chipIndexGeoJson } from './plan.js';

test('windows(): drop, pad and shift edges', () => {
  assert.deepEqual(windows(1000, 512, 512, 'drop'), [0]);
  assert.deepEqual(windows(1000, 512, 512, 'pad'), [0, 512]);
  assert.deepEqual(windows(1000, 512, 512, 'shift'), [0, 488]);
  assert.deepEqual(windows(1024, 512, 256, 'drop'), [0, 256, 512]);
  assert.deepEqual(windows(1024, 512, 512, 'shift'), [0, 512]);
  assert.deepEqual(windows(20, 32, 5000, 'pad'), [0], 'a raster smaller than a chip gets one padded chip');
  assert.deepEqual(windows(20, 32, 32, 'drop'), []);
});

test('chipParams(): defaults and usage errors', () => {
  assert.deepEqual(chipParams({ size: 256 }), { size: 256, stride: 256, edge: 'drop', maxNodata: 1, format: 'GTiff' });
  assert.equal(chipParams({ size: 256, overlap: 56 }).stride, 200);
  assert.equal(chipParams({ size: 256, format: 'cog' as never }).format, 'COG');
  assert.throws(() => chipParams({ size: 0 }), /--size must be a positive integer/);
  assert.throws(() => chipParams({ size: 64, overlap: 64 }), /stride must be a positive integer/);
  assert.throws(() => chipParams({ size: 64, overlap: 1, stride: 2 }), /mutually exclusive/);
  assert.throws(() => chipParams({ size: 64, edge: 'wrap' as never }), /unknown --edge/);
  assert.throws(() => chipParams({ size: 64, format: 'PNG' as never }), /unknown chip format/);
});

test('planWindows(): names, row-major order and bounds for north-up, south-up and rotated grids', () => {
  const params = chipParams({ size: 10, edge: 'drop' });
  const north = planWindows({ stem: 's', width: 25, height: 20, gt: [1000, 2, 0, 5000, 0, -2], params });
  assert.deepEqual(north.map((w) => [w.name, w.k, w.x0, w.y0]), [['s_r0_c0.tif', 0, 0, 0], ['s_r0_c1.tif', 1, 10, 0], ['s_r1_c0.tif', 2, 0, 10], ['s_r1_c1.tif', 3, 10, 10]]);
  assert.deepEqual(north[3]!.bounds, [1020, 4960, 1040, 4980]);
  // south-up (positive y pixel size): row 0 is the southern edge, bounds grow northwards
  const south = planWindows({ stem: 's', width: 20, height: 20, gt: [-180, 0.5, 0, -90, 0, 0.5], params });
  assert.deepEqual(south[0]!.bounds, [-180, -90, -175, -85]);
  assert.deepEqual(south[2]!.bounds, [-180, -85, -175, -80]);
  assert.deepEqual(south[0]!.corners[0], [-180, -90]);
  // rotated (ModelTransformation): bounds enclose the rotated window
  const rot = planWindows({ stem: 'r', width: 10, height: 10, gt: [0, 1, 1, 0, 1, -1], params });
  assert.deepEqual(rot[0]!.bounds, [0, -10, 20, 10]);
  // AOI boxes select intersecting windows only
  const aoi = planWindows({ stem: 's', width: 25, height: 20, gt: [1000, 2, 0, 5000, 0, -2], params, boxes: [[1001, 4990, 1002, 4995]] });
  assert.deepEqual(aoi.filter((w) => w.inAoi).map((w) => w.name), ['s_r0_c0.tif']);
});

test('fitGeoTransform(): exact for affine GCPs, undefined when degenerate', () => {
  const gt = [500000, 30, 0.5, 4000000, -0.25, -30];
  const gcps = [[0, 0], [100, 0], [0, 80], [100, 80], [37, 12]].map(([p, l]) => ({ pixel: p!, line: l!, x: gt[0]! + p! * gt[1]! + l! * gt[2]!, y: gt[3]! + p! * gt[4]! + l! * gt[5]! }));
  const fit = fitGeoTransform(gcps)!;
  fit.forEach((v, i) => assert.ok(Math.abs(v - gt[i]!) < 1e-6, `coefficient ${i}: ${v} vs ${gt[i]}`));
  assert.equal(fitGeoTransform(gcps.slice(0, 2)), undefined);
  assert.equal(fitGeoTransform([{ pixel: 0, line: 0, x: 0, y: 0 }, { pixel: 1, line: 1, x: 1, y: 1 }, { pixel: 2, line: 2, x: 2, y: 2 }]), undefined);
});

test('rasterRuns(): runs of whole window rows aligned to source block rows, about four per job', () => {
  // 8 rows of 8 windows, blocks two windows high, 2 jobs: runs of 2 rows (16 windows)
  assert.deepEqual(rasterRuns(64, 8, 2, 2), [[0, 16], [16, 32], [32, 48], [48, 64]]);
  // strips (one window row per block row): 40 rows, 2 jobs -> 5 rows per run, 8 runs
  const r = rasterRuns(400, 10, 1, 2);
  assert.equal(r.length, 8);
  assert.deepEqual(r[0], [0, 50]);
  // a partial last row, one huge block row: a single run
  assert.deepEqual(rasterRuns(10, 4, 8, 2), [[0, 10]]);
  // single windows per row: at least four windows per run
  assert.deepEqual(rasterRuns(10, 1, 1, 2), [[0, 4], [4, 8], [8, 10]]);
  assert.deepEqual(rasterRuns(0, 4, 1, 2), []);
  // every window exactly once, in order
  for (const [n, c, b, j] of [[7, 3, 1, 2], [50, 7, 3, 4], [13, 13, 2, 1]] as const) {
    const seen: number[] = [];
    for (const [s, e] of rasterRuns(n, c, b, j)) for (let i = s; i < e; i++) seen.push(i);
    assert.deepEqual(seen, Array.from({ length: n }, (_, i) => i));
  }
});

test('chipCreationArgs(): tiles of the chip size, predictor by data type, COG', () => {
  assert.deepEqual(chipCreationArgs('GTiff', 256, 'UInt16').join(' '), '-of GTiff -co TILED=YES -co BLOCKXSIZE=256 -co BLOCKYSIZE=256 -co COMPRESS=DEFLATE -co ZLEVEL=1 -co INTERLEAVE=BAND -co NUM_THREADS=1 -co PREDICTOR=2');
  assert.ok(chipCreationArgs('GTiff', 200, 'Float32').includes('BLOCKXSIZE=208'));
  assert.ok(chipCreationArgs('GTiff', 200, 'Float32').includes('PREDICTOR=3'));
  assert.ok(!chipCreationArgs('GTiff', 64, 'CFloat32').some((a) => a.startsWith('PREDICTOR')));
  assert.ok(!chipCreationArgs('GTiff', 64, 'Byte', 1).some((a) => a.startsWith('PREDICTOR')), 'no predictor for 1-bit data');
  assert.ok(chipCreationArgs('GTiff', 64, 'UInt16', 16).includes('PREDICTOR=2'));
  assert.deepEqual(chipCreationArgs('COG', 1024, 'Byte').slice(0, 2), ['-of', 'COG']);
  assert.ok(chipCreationArgs('COG', 1024, 'Byte').includes('BLOCKSIZE=512'));
});

test('chipParamsKey() and chipIndexGeoJson(): stable text', () => {
  const k = chipParamsKey({ input: 'x', output: 'y', size: 64 });
  assert.equal(k, '{"size":64,"stride":64,"edge":"drop","maxNodata":1,"bands":null,"aoi":null,"v":1}');
  assert.notEqual(chipParamsKey({ input: 'x', output: 'y', size: 64 }, true), k);
  assert.notEqual(chipParamsKey({ input: 'x', output: 'y', size: 64, format: 'COG' }, true), chipParamsKey({ input: 'x', output: 'y', size: 64 }, true));
  const text = chipIndexGeoJson([{ chip: 'a_r0_c0.tif', source: 'a.tif', sourceMd5: 'm', window: [0, 0, 1, 1], row: 0, col: 0, nodataFraction: 0, bounds: [0, 0, 1, 1], crs: '', footprint: [], fastPath: false }], k);
  assert.equal(JSON.parse(text).features[0].geometry, null);
  assert.ok(text.endsWith('}\n'));
});
