import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { makeTmpDir } from '../helpers/tmp.js';
import { CORPUS, runCli, REPO_ROOT } from '../helpers/cli.js';
import { needGdal, needNative, makeScene } from './geo-ops-native.js';
import { chip, chipEngine } from '../../src/geo/ops/chip.js';

/** The chip tests run on both readers: native GDAL (when installed) and the own TIFF reader (GEODVC_GDAL_ENGINE=wasm). */
const ENGINES = ['native', 'wasm'] as const;
async function withEngine<T>(engine: (typeof ENGINES)[number], fn: () => Promise<T>): Promise<T> {
  const before = process.env.GEODVC_GDAL_ENGINE;
  process.env.GEODVC_GDAL_ENGINE = engine;
  try { return await fn(); } finally { if (before === undefined) delete process.env.GEODVC_GDAL_ENGINE; else process.env.GEODVC_GDAL_ENGINE = before; }
}

const CHECK_PY = `
import sys, json
from osgeo import gdal
gdal.UseExceptions()
out = []
for c in json.load(open(sys.argv[1])):
    ref = c['ours'] + '.ref.tif'
    gdal.Translate(ref, c['src'], srcWin=c['window'], bandList=c.get('bands'))
    a, b = gdal.Open(c['ours']), gdal.Open(ref)
    def desc(d): return [[d.RasterXSize, d.RasterYSize], list(d.GetGeoTransform()), d.GetProjectionRef(),
                         [[gdal.GetDataTypeName(d.GetRasterBand(i).DataType), d.GetRasterBand(i).GetNoDataValue()] for i in range(1, d.RasterCount + 1)]]
    for what, x, y in zip(['size', 'geotransform', 'CRS', 'bands'], desc(a), desc(b)):
        if x != y: out.append('%s %s: ours %s gdal_translate %s' % (c['ours'], what, json.dumps(x)[:200], json.dumps(y)[:200]))
    if a.ReadRaster() != b.ReadRaster(): out.append('%s: pixels differ from gdal_translate -srcwin' % c['ours'])
print(json.dumps({'checked': len(json.load(open(sys.argv[1]))), 'diffs': out}))
`;

interface ChipCheck { ours: string; src: string; window: number[]; bands?: number[] }

/** Sampled chips of `src` in an index: `sample` of them, evenly spread. */
function sampleChips(dir: string, src: string, index: any, sample: number, bands?: number[]): ChipCheck[] {
  const feats = index.features.filter((f: any) => f.properties.source === src.split('/').pop());
  assert.ok(feats.length > 0, `${src}: no chip`);
  const step = Math.max(1, Math.floor(feats.length / sample));
  const out: ChipCheck[] = [];
  for (let i = 0; i < feats.length; i += step) out.push({ ours: join(dir, feats[i].properties.chip), src, window: feats[i].properties.window, bands });
  return out;
}

/**
 * Each chip equals `gdal_translate -srcwin` on the same window (size, geotransform, CRS, band types and
 * nodata, every pixel), checked by one python3-gdal process (GDAL's own bindings) for all chips.
 */
function checkChips(checks: ChipCheck[]): number {
  const { dir, cleanup } = makeTmpDir('geo-chip-check-');
  try {
    writeFileSync(join(dir, 'checks.json'), JSON.stringify(checks));
    writeFileSync(join(dir, 'check.py'), CHECK_PY);
    const r = spawnSync('/usr/bin/python3', [join(dir, 'check.py'), join(dir, 'checks.json')], { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, GDAL_PAM_ENABLED: 'NO' } });
    assert.equal(r.status, 0, `python3-gdal check failed: ${r.stderr}`);
    const res = JSON.parse(r.stdout);
    assert.equal(res.checked, checks.length);
    assert.deepEqual(res.diffs, []);
    return res.checked;
  } finally { cleanup(); }
}

for (const engine of ENGINES) test(`chip (${engine}): corpus rasters in three CRSs + generated scene equal gdal_translate -srcwin`, async (t) => {
  if (engine === 'native' ? !needNative(t) : !needGdal(t)) return;
  await withEngine(engine, async () => {
  const { dir, cleanup } = makeTmpDir('geo-chip-');
  t.after(cleanup);
  const inDir = join(dir, 'in');
  mkdirSync(inDir);
  // EPSG:32618 Byte strips/uncompressed nodata 0; EPSG:3857 tiled 256 nodata 255; EPSG:4326 LZW strips; EPSG:32621 UInt16 tiled DEFLATE
  for (const f of ['RGB.byte.tif', 'shade.tif', 'world.rgb.tif', 'cog.tif']) copyFileSync(join(CORPUS, f), join(inDir, f));
  const out = join(dir, 'chips');
  assert.equal(chipEngine({ input: inDir, output: out, size: 200 }), engine === 'native' ? 'native' : 'own');
  const r = await chip({ input: inDir, output: out, size: 200, overlap: 40, edge: 'pad' });
  const index = JSON.parse(readFileSync(r.index, 'utf8'));
  assert.equal(index.features.length, r.chips.length);
  const n = checkChips(['RGB.byte.tif', 'shade.tif', 'world.rgb.tif', 'cog.tif'].flatMap((f) => sampleChips(out, join(inDir, f), index, 6)));
  t.diagnostic(`${r.chips.length} chips, ${n} compared with gdal_translate -srcwin`);
  // footprints are lon/lat polygons; nodata fractions in [0, 1]
  for (const f of index.features) {
    assert.equal(f.geometry.type, 'Polygon');
    assert.ok(f.properties.nodata_fraction >= 0 && f.properties.nodata_fraction <= 1);
    assert.match(f.properties.source_md5, /^[0-9a-f]{32}$/);
  }

  // generated scene: tiled 512 DEFLATE+predictor, size 512 on the tile grid -> compressed tiles copied verbatim
  const scene = join(dir, 'scene.tif');
  makeScene(scene, 2048);
  const out2 = join(dir, 'chips2');
  const r2 = await chip({ input: scene, output: out2, size: 512, edge: 'drop', maxNodata: 0.2 });
  if (engine === 'wasm') assert.ok(r2.chips.every((c) => c.fastPath), 'own reader: tiles copied verbatim');
  assert.ok(r2.skippedNodata > 0, 'the nodata wedge chips are skipped');
  const checks = sampleChips(out2, scene, JSON.parse(readFileSync(r2.index, 'utf8')), 5);
  // bands subset + unaligned windows (decode path)
  const out3 = join(dir, 'chips3');
  const r3 = await chip({ input: scene, output: out3, size: 300, stride: 700, bands: [3, 2, 1], edge: 'shift' });
  const idx3 = JSON.parse(readFileSync(r3.index, 'utf8'));
  for (const f of idx3.features.slice(0, 3)) checks.push({ ours: join(out3, f.properties.chip), src: scene, window: f.properties.window, bands: [3, 2, 1] });
  assert.equal(checkChips(checks), checks.length);
  assert.ok(idx3.features.some((f: any) => f.properties.window[0] === 2048 - 300), 'shift puts the last chip flush with the edge');
  });
});

for (const engine of ENGINES) test(`chip (${engine}): idempotent rerun, AOI filter, and clear errors`, async (t) => {
  if (engine === 'native' ? !needNative(t) : !needGdal(t)) return;
  await withEngine(engine, async () => {
  const { dir, cleanup } = makeTmpDir('geo-chip-');
  t.after(cleanup);
  const src = join(CORPUS, 'RGB.byte.tif');
  const out = join(dir, 'c');
  const r1 = await chip({ input: src, output: out, size: 256 });
  const m = statSync(join(out, r1.chips[0]!.chip)).mtimeMs;
  const r2 = await chip({ input: src, output: out, size: 256 });
  assert.equal(r2.written, 0);
  assert.equal(r2.unchanged, r1.chips.length);
  assert.equal(statSync(join(out, r1.chips[0]!.chip)).mtimeMs, m);
  // a different size replaces the old chips
  const r3 = await chip({ input: src, output: out, size: 300 });
  assert.equal(r3.removed, r1.chips.length - r3.chips.filter((c) => r1.chips.some((o) => o.chip === c.chip)).length);
  for (const c of r3.chips) assert.ok(existsSync(join(out, c.chip)));

  // AOI: a small lon/lat box in the raster's north-west corner keeps only chips that touch it
  const aoi = join(dir, 'aoi.geojson');
  const fc = { type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[[-78.9, 25.5], [-78.85, 25.5], [-78.85, 25.55], [-78.9, 25.55], [-78.9, 25.5]]] } }] };
  writeFileSync(aoi, JSON.stringify(fc));
  const ra = await chip({ input: src, output: join(dir, 'aoi-out'), size: 128, aoi });
  assert.ok(ra.chips.length >= 1 && ra.skippedAoi > 0);
  const empty = join(dir, 'empty.geojson');
  writeFileSync(empty, JSON.stringify({ type: 'FeatureCollection', features: [] }));

  const cases: [string[], RegExp][] = [
    [['--size', '4096'], /chip size 4096 is larger than/],
    [['--size', '128', '--aoi', empty], /is empty/],
    [['--size', '128', '--bands', '7'], /band 7 does not exist/],
    [['--size', '128', '--overlap', '128'], /stride must be a positive integer/],
  ];
  for (const [args, re] of cases) {
    const r = await runCli(['geo', 'chip', '--input', src, '--output', join(dir, 'x'), ...args], { cwd: REPO_ROOT, env: { GEODVC_GDAL_ENGINE: engine } });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, re);
    assert.match(r.stderr, /hint:/);
  }
  const ok = await runCli(['geo', 'chip', '--input', src, '--output', join(dir, 'y'), '--size', '300', '--json'], { cwd: REPO_ROOT, env: { GEODVC_GDAL_ENGINE: engine } });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).chips, 4);
  });
});

