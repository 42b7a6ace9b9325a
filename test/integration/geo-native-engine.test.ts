/**
 * The native engine (gdal-async) as a whole: byte-stable outputs (same inputs -> same md5, for
 * `repro` and the run-cache), COG and tiled GTiff outputs, Ctrl-C during a warp (exit 252, no temp
 * files, no output), and the gdal3.js fallback giving the same pixels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir } from '../helpers/tmp.js';
import { BIN, CORPUS, runCli, REPO_ROOT } from '../helpers/cli.js';
import { needNative, gdalinfo, pixels, compare, run, makeScene } from './geo-ops-native.js';
import { reproject, formatArgs } from '../../src/geo/ops/reproject.js';
import { rasterize } from '../../src/geo/ops/rasterize.js';
import { buildVrtFile } from '../../src/geo/ops/vrt.js';

const md5 = (p: string) => createHash('md5').update(readFileSync(p)).digest('hex');

test('native outputs are byte-stable across runs (reproject COG/GTiff, rasterize, vrt)', async (t) => {
  if (!needNative(t)) return;
  const { dir, cleanup } = makeTmpDir('geo-native-engine-');
  t.after(cleanup);
  const inDir = join(dir, 'in');
  mkdirSync(inDir);
  makeScene(join(inDir, 'scene.tif'), 768, 2);
  const labels = join(dir, 'labels.geojson');
  writeFileSync(labels, JSON.stringify({
    type: 'FeatureCollection', crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::32632' } },
    features: [0, 1, 2].map((i) => ({ type: 'Feature', properties: { class: i + 1 }, geometry: { type: 'Polygon', coordinates: [[[600500 + i * 1500, 4995000], [602000 + i * 1500, 4995000], [601200 + i * 1500, 4998000], [600500 + i * 1500, 4995000]]] } })),
  }));
  const sums: Record<string, string[]> = {};
  let warpArgs: string[] = [];
  for (const runNo of [1, 2]) {
    for (const format of ['COG', 'GTiff'] as const) {
      const r = await reproject({ input: inDir, output: join(dir, `r${runNo}-${format}`), crs: 'EPSG:32633', res: 10, resampling: 'bilinear', format, jobs: 2 });
      assert.match(r.engine, /native/);
      const f = r.files[0]!.output;
      warpArgs = r.files[0]!.warpArgs;
      (sums[`reproject-${format}`] ??= []).push(md5(f));
      const info = gdalinfo(f);
      if (format === 'COG') assert.equal(info.metadata?.IMAGE_STRUCTURE?.LAYOUT, 'COG');
      else {
        assert.notEqual(info.metadata?.IMAGE_STRUCTURE?.LAYOUT, 'COG');
        assert.deepEqual(info.bands[0].block, [512, 512], 'tiled GTiff');
        assert.equal(info.bands[0].overviews?.length ?? 0, 0);
      }
    }
    const m = await rasterize({ annotations: labels, grid: join(dir, `r${runNo}-GTiff`), output: join(dir, `m${runNo}`), classField: 'class' });
    (sums.rasterize ??= []).push(md5(m.masks[0]!.mask));
    const v = await buildVrtFile({ output: join(dir, `v${runNo}`, 'mosaic.vrt'), inputs: [join(dir, `r${runNo}-COG`)] });
    // the VRTs differ only in the folder name they point to
    (sums.vrt ??= []).push(readFileSync(v.output, 'utf8').replace(/r[12]-COG/g, 'rN-COG'));
  }
  for (const [k, [a, b]] of Object.entries(sums)) assert.equal(a, b, `${k} differs between two runs`);
  // each format holds the pixels native gdalwarp writes in that format with the same arguments
  // (COG and GTiff differ from each other: GDAL warps COG output through 512-block chunks)
  for (const format of ['COG', 'GTiff'] as const) {
    const ours = join(dir, `r1-${format}`, 'scene.tif'), theirs = join(dir, `gdalwarp-${format}.tif`);
    run('gdalwarp', ['-q', ...warpArgs, ...formatArgs(format), join(inDir, 'scene.tif'), theirs]);
    const c = compare(pixels(ours), pixels(theirs));
    assert.equal(c.differing, 0, `${format}: ${c.differing}/${c.total} pixels differ from gdalwarp`);
  }
  t.diagnostic(`md5 reproject COG ${sums['reproject-COG']![0]}, GTiff ${sums['reproject-GTiff']![0]}, mask ${sums.rasterize![0]}`);
});

test('Ctrl-C during a native warp: exit 252 within seconds, no temp files, no output', async (t) => {
  if (!needNative(t)) return;
  const { dir, cleanup } = makeTmpDir('geo-native-engine-');
  t.after(cleanup);
  const inDir = join(dir, 'in');
  mkdirSync(inDir);
  // big enough that the multithreaded warp outlasts the signal's delay on a quiet machine (5000² took < 0.3 s)
  run('gdal_translate', ['-q', '-outsize', '12000', '12000', '-co', 'TILED=YES', join(CORPUS, 'byte.tif'), join(inDir, 'big.tif')]);
  const out = join(dir, 'out');
  const child = spawn(process.execPath, [BIN, 'geo', 'reproject', '--input', inDir, '--output', out, '--crs', 'EPSG:4326', '--resampling', 'cubic'],
    { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1', CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let sentAt = 0;
  // The warp is under way once its private temp folder exists in the output folder (progress lines
  // are throttled, so "warping" on stderr can arrive only when the warp is over on a loaded machine).
  const poll = setInterval(() => {
    if (sentAt || child.exitCode !== null) return;
    const entries = existsSync(out) ? readdirSync(out) : [];
    if (entries.some((n) => n.startsWith('.geodvc-tmp'))) { sentAt = Date.now(); child.kill('SIGINT'); }
  }, 20);
  const code = await new Promise<number | null>((resolve) => {
    child.stderr.setEncoding('utf8').on('data', (d) => { err += d; });
    child.on('close', (c) => { clearInterval(poll); resolve(c); });
  });
  assert.ok(sentAt > 0, `the warp never started: ${err}`);
  assert.equal(code, 252, err);
  const took = Date.now() - sentAt;
  assert.ok(took < 10_000, `exit ${took} ms after SIGINT`);
  const left = existsSync(out) ? readdirSync(out) : [];
  assert.deepEqual(left.filter((n) => n !== '_reproject.json'), [], 'no temp files and no partial output');
  t.diagnostic(`exited ${took} ms after SIGINT`);
});

test('gdal3.js fallback (GEODVC_GDAL_ENGINE=wasm) gives the pixels of the native engine', async (t) => {
  if (!needNative(t)) return;
  const { dir, cleanup } = makeTmpDir('geo-native-engine-');
  t.after(cleanup);
  const args = ['geo', 'reproject', '--input', join(CORPUS, 'RGB.byte.tif'), '--crs', 'EPSG:4326', '--res', '0.005', '--tap', '--json'];
  const nat = await runCli([...args, '--output', join(dir, 'native')], { cwd: REPO_ROOT });
  const wasm = await runCli([...args, '--output', join(dir, 'wasm')], { cwd: REPO_ROOT, env: { GEODVC_GDAL_ENGINE: 'wasm' } });
  assert.equal(nat.code, 0, nat.stderr);
  assert.equal(wasm.code, 0, wasm.stderr);
  const a = JSON.parse(nat.stdout), b = JSON.parse(wasm.stdout);
  assert.match(a.engine, /native/);
  assert.match(b.engine, /wasm/);
  assert.deepEqual(a.files[0].geoTransform, b.files[0].geoTransform);
  const d = compare(pixels(a.files[0].output), pixels(b.files[0].output));
  assert.equal(d.differing, 0, `${d.differing}/${d.total} pixels differ between engines`);
  const v = await runCli(['version', '--json'], { cwd: REPO_ROOT });
  assert.equal(JSON.parse(v.stdout).geoEngine.engine, 'native');
  const vw = await runCli(['version', '--json'], { cwd: REPO_ROOT, env: { GEODVC_GDAL_ENGINE: 'wasm' } });
  assert.equal(JSON.parse(vw.stdout).geoEngine.engine, 'wasm');
});
