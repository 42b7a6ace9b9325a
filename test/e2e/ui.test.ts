/**
 * `geodvc ui` end to end, as a user sees it: a small demo-like repository (two revisions of corpus
 * rasters in different places, a generated 10980² COG, a chip index split by `geo split --buffer`,
 * an annotation edit, a pipeline stage output, two experiments), the real CLI serving it on
 * 127.0.0.1, driven by Debian's headless Chromium through playwright-core. Screenshots of each view
 * go to test-artifacts/ui/ and are checked by pixel analysis (decoded with GDAL): the offline
 * basemap's land shows through the footprints, a clicked feature and a clicked change are
 * highlighted, the split view draws the split buffer. Every request the page makes is recorded
 * (request events): all go to the ui server. Tile latency at zoom 14
 * over the 10980² COG is measured. Without /usr/bin/chromium it skips locally and fails under CI=true.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, CORPUS, REPO_ROOT, cliOk, runCli } from '../helpers/cli.js';
import { makeTmpDir, gitInit, git, writeTree } from '../helpers/tmp.js';
import { loadNativeGdal } from '../../src/geo/engine/native.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'ui');
const LAND: RGB = [0xef, 0xe9, 0xdc];
const HIGHLIGHT: RGB = [0xfa, 0xcc, 0x15];
type RGB = [number, number, number];

/** A decoded screenshot: RGBA rows (GDAL decodes the PNG). */
interface Shot { w: number; h: number; px: Uint8Array[] }
function decodePng(png: Buffer): Shot {
  const gdal = loadNativeGdal();
  assert.ok(gdal, 'gdal-async decodes the screenshots');
  const p = `/vsimem/ui-shot-${Math.random().toString(36).slice(2)}.png`;
  gdal.vsimem.set(png, p);
  try {
    const ds = gdal.open(p);
    const { x: w, y: h } = ds.rasterSize;
    const px: Uint8Array[] = [];
    for (let b = 1; b <= 3; b++) px.push(ds.bands.get(b).pixels.read(0, 0, w, h, new Uint8Array(w * h)));
    ds.close();
    return { w, h, px };
  } finally { gdal.vsimem.release(p); }
}
/** Pixels in the screen rectangle within `tol` of `c` (per channel). */
function countColour(s: Shot, c: RGB, rect: { x0: number; y0: number; x1: number; y1: number }, tol = 6): number {
  let n = 0;
  for (let y = Math.max(0, Math.floor(rect.y0)); y < Math.min(s.h, Math.ceil(rect.y1)); y++) {
    for (let x = Math.max(0, Math.floor(rect.x0)); x < Math.min(s.w, Math.ceil(rect.x1)); x++) {
      const i = y * s.w + x;
      if (Math.abs(s.px[0]![i]! - c[0]) <= tol && Math.abs(s.px[1]![i]! - c[1]) <= tol && Math.abs(s.px[2]![i]! - c[2]) <= tol) n++;
    }
  }
  return n;
}
const blend = (under: RGB, over: RGB, a: number): RGB => [0, 1, 2].map((i) => Math.round(under[i]! * (1 - a) + over[i]! * a)) as RGB;
const hex = (h: string): RGB => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)) as RGB;
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
/** [minLon, minLat, maxLon, maxLat] of a GeoJSON feature's polygon. */
function bboxOf(f: { geometry: { coordinates: number[][][] } }): number[] {
  const ring = f.geometry.coordinates[0]!;
  return [Math.min(...ring.map((p) => p[0]!)), Math.min(...ring.map((p) => p[1]!)), Math.max(...ring.map((p) => p[0]!)), Math.max(...ring.map((p) => p[1]!))];
}
/** Web Mercator tile of (lon, lat) at zoom z. */
function tileAt(lon: number, lat: number, z: number): [number, number] {
  const n = 2 ** z;
  return [Math.floor(((lon + 180) / 360) * n), Math.floor(((1 - Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360)) / Math.PI) / 2) * n)];
}

/** A square polygon of `d` degrees at (lon, lat). */
function square(lon: number, lat: number, d: number): number[][][] {
  return [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]];
}
function fc(features: { id: string | number; props: Record<string, unknown>; coords: number[][][] }[]): string {
  return JSON.stringify({ type: 'FeatureCollection', features: features.map((f) => ({ type: 'Feature', id: f.id, properties: f.props, geometry: { type: 'Polygon', coordinates: f.coords } })) }, null, 1);
}

/** 3 x 3 chips over RGB.byte.tif (Bahamas, UTM 18N); `geo split` assigns train/val/test. */
const SPLIT_BUFFER = 5000;
function chipIndex(): string {
  const feats = [];
  for (let i = 0; i < 9; i++) {
    const lon = -78.8 + (i % 3) * 0.7, lat = 23.75 + Math.floor(i / 3) * 0.6;
    feats.push({ id: `chip_${i}`, props: { chip: `chip_${i}.tif` }, coords: square(lon, lat, 0.6) });
  }
  return fc(feats);
}

const LABELS_V1 = fc([
  { id: 1, props: { class: 'field' }, coords: square(-78.5, 24.0, 0.2) },
  { id: 2, props: { class: 'field' }, coords: square(-77.8, 24.4, 0.25) },
  { id: 3, props: { class: 'forest' }, coords: square(-77.2, 25.0, 0.2) },
  { id: 4, props: { class: 'water' }, coords: square(-78.2, 25.1, 0.15) },
]);
// v2: 2 moved (geometry change), 4 removed, 5 added, 1 and 3 unchanged.
const LABELS_V2 = fc([
  { id: 1, props: { class: 'field' }, coords: square(-78.5, 24.0, 0.2) },
  { id: 2, props: { class: 'field' }, coords: square(-77.6, 24.2, 0.3) },
  { id: 3, props: { class: 'forest' }, coords: square(-77.2, 25.0, 0.2) },
  { id: 5, props: { class: 'urban' }, coords: square(-76.95, 23.8, 0.2) },
]);

let bigPath: string | undefined;
/**
 * A 10980 x 10980 tiled COG with overviews (the size of a Sentinel-2 10 m band) over the Bahamas
 * scene's extent, made once per test file with gdal_translate (nearest upsampling of band 1 of
 * RGB.byte.tif: DEFLATE keeps it ~9 MB). Asynchronous: it is made while the CLI builds v1.
 */
function bigCog(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-ui-cog-'));
  const out = join(dir, 'scene_10980.tif');
  bigPath = out;
  return new Promise((resolve, reject) => {
    const c = spawn('gdal_translate', ['-q', '-of', 'COG', '-b', '1', '-co', 'COMPRESS=DEFLATE', '-co', 'LEVEL=1', '-co', 'NUM_THREADS=ALL_CPUS', '-co', 'BLOCKSIZE=512', '-co', 'OVERVIEW_RESAMPLING=NEAREST', '-outsize', '10980', '10980', '-r', 'near', join(CORPUS, 'RGB.byte.tif'), out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr!.setEncoding('utf8').on('data', (d) => { err += d; });
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`gdal_translate exited ${code}: ${err}`))));
  });
}

/** Phase timings of the test (reported as one diagnostic line). */
const PH: [string, number][] = [];
let PT = performance.now();
const mark = (name: string) => { const n = performance.now(); PH.push([name, n - PT]); PT = n; };

async function buildRepo(dir: string): Promise<{ rev1: string; rev2: string; rev3: string }> {
  const cog = bigCog();
  cog.catch(() => { /* awaited below */ });
  gitInit(dir);
  mkdirSync(join(dir, 'scenes'), { recursive: true });
  copyFileSync(join(CORPUS, 'RGB.byte.tif'), join(dir, 'scenes', 'bahamas_utm18.tif'));
  writeTree(dir, { 'chips/index.geojson': chipIndex(), 'labels/labels.geojson': LABELS_V1, '.gitignore': '' });
  // geo split writes chips/splits.json: train/val/test with a 5 km buffer (some chips dropped for it)
  await Promise.all([
    cliOk(['init', '-q'], { cwd: dir }),
    cliOk(['geo', 'split', '-q', '--index', 'chips/index.geojson', '--method', 'random', '--buffer', String(SPLIT_BUFFER), '--seed', '0'], { cwd: dir }),
  ]);
  await cliOk(['add', '-q', 'scenes', 'chips', 'labels'], { cwd: dir });
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'v1: Bahamas scene, chips, labels');
  const rev1 = git(dir, 'rev-parse', 'HEAD').trim();
  // A pipeline with a param and a metric, for experiments.
  writeTree(dir, {
    'params.yaml': 'lr: 0.1\nepochs: 3\n',
    'train.mjs': "import { readFileSync, writeFileSync } from 'node:fs';\nconst lr = Number(/lr: *([0-9.e-]+)/.exec(readFileSync('params.yaml', 'utf8'))[1]);\nwriteFileSync('metrics.json', JSON.stringify({ iou: Number((0.8 - Math.abs(Math.log10(lr) + 1.5) * 0.2).toFixed(4)) }));\n",
    'masks.mjs': "import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';\nconst fc = JSON.parse(readFileSync('labels/labels.geojson', 'utf8'));\nconst shift = (c) => (typeof c[0] === 'number' ? [c[0] + 0.3, c[1]] : c.map(shift));\nfor (const f of fc.features) { f.geometry.coordinates = shift(f.geometry.coordinates); f.properties.mask = true; }\nmkdirSync('masks', { recursive: true });\nwriteFileSync('masks/masks.geojson', JSON.stringify(fc));\n",
    'dvc.yaml': 'stages:\n  train:\n    cmd: node train.mjs\n    deps: [train.mjs]\n    params: [lr]\n    metrics:\n    - metrics.json:\n        cache: false\n  masks:\n    cmd: node masks.mjs\n    deps: [masks.mjs, labels/labels.geojson]\n    outs: [masks/masks.geojson]\n',
  });
  await cliOk(['repro', '-q'], { cwd: dir });
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'pipeline: train stage');
  const rev2 = git(dir, 'rev-parse', 'HEAD').trim();
  mark('v1+pipeline');
  // v2: a second scene 12 degrees north (Virginia NAIP, UTM 17N) and an annotation edit.
  copyFileSync(join(CORPUS, 'm_3607824_se_17_1_20160620_sub.tif'), join(dir, 'scenes', 'virginia_naip.tif'));
  writeTree(dir, { 'labels/labels.geojson': LABELS_V2 });
  mkdirSync(join(dir, 'big'), { recursive: true });
  copyFileSync(await cog, join(dir, 'big', 'scene_10980.tif'));
  mark('10980² COG');
  await cliOk(['add', '-q', 'scenes', 'labels', 'big/scene_10980.tif'], { cwd: dir });
  await cliOk(['repro', '-q'], { cwd: dir });
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'v2: Virginia scene, label edit');
  const rev3 = git(dir, 'rev-parse', 'HEAD').trim();
  await cliOk(['exp', 'run', '-q', '-S', 'lr=0.01', '-n', 'lr-0.01'], { cwd: dir });
  await cliOk(['exp', 'run', '-q', '-S', 'lr=0.3', '-n', 'lr-0.3'], { cwd: dir });
  mark('v2+experiments');
  return { rev1, rev2, rev3 };
}

function startUi(dir: string): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'ui', '--port', '0', '--no-open', '--json'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`ui did not start\n${err}`)); }, 60_000);
    child.stdout!.setEncoding('utf8').on('data', (d) => {
      out += d;
      let doc: { url?: string } | undefined;
      try { doc = JSON.parse(out); } catch { return; /* not complete yet */ }
      clearTimeout(timer);
      if (doc?.url) resolve({ url: doc.url, child });
      else { child.kill('SIGKILL'); reject(new Error(`unexpected ui output: ${out}`)); }
    });
    child.stderr!.setEncoding('utf8').on('data', (d) => { err += d; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`ui exited ${code}\n${err}`)); });
  });
}

test('geodvc ui: a real map (offline basemap, layers, tiles from the cache, diff on the map, split view, experiments) in headless Chromium', { timeout: 600_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI === 'true') assert.fail(`${CHROMIUM} is missing: apt-get install -y chromium (listed in .ci/apt-packages.txt)`);
    t.skip(`${CHROMIUM} is not installed (apt-get install -y chromium)`);
    return;
  }
  const { chromium } = await import('playwright-core');
  const { dir, cleanup } = makeTmpDir('geodvc-ui-');
  let child: ChildProcess | undefined;
  const profile = mkdtempSync(join(tmpdir(), 'geodvc-ui-chromium-'));
  let context: Awaited<ReturnType<typeof chromium.launchPersistentContext>> | undefined;
  // the browser starts while the repository is built
  const launched = chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1400, height: 860 },
    // no DNS: a request to another host fails at once (and is still recorded below)
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic', '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'],
  });
  launched.catch(() => { /* awaited below */ });
  try {
    PT = performance.now();
    const { rev1, rev2, rev3 } = await buildRepo(dir);
    const started = await startUi(dir);
    child = started.child;
    mark('ui started');
    const url = started.url;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const origin = new URL(url).origin;

    // ---- the JSON API on its own ----
    const revs = await (await fetch(new URL('/api/revisions', url))).json() as { sha: string }[];
    assert.deepEqual(revs.map((r) => r.sha), [rev3, rev2, rev1]);
    const config = await (await fetch(new URL('/api/config', url))).json() as any;
    assert.deepEqual(config, { basemap: null, tiles: true });
    // the page's first requests, in parallel (the server keeps footprints and diffs per commit)
    const [fp, diff, basemap] = await Promise.all([`/api/footprints?rev=${rev3}`, `/api/diff?a=${rev2}&b=${rev3}`, '/api/basemap.json']
      .map(async (p) => { const r = await fetch(new URL(p, url)); assert.equal(r.status, 200, p); return await r.json() as any; }));
    assert.deepEqual(fp.missing, []);
    assert.equal(diff.geojson.features.length, 6, 'the label edit and the same edit in the derived masks');
    assert.ok(basemap.land.features.length > 0 && basemap.coastline.geometry.coordinates.length > 100, 'Natural Earth land and coastlines');
    // geo split's file: its buffer, the chips it dropped, and a buffer zone around each val/test chip
    const splitsDoc = JSON.parse(readFileSync(join(dir, 'chips', 'splits.json'), 'utf8'));
    const allChips = fp.features.filter((f: any) => f.properties.out === 'chips').map((f: any) => f.properties.chip as string);
    const zoned = allChips.filter((c: string) => ['val', 'test'].includes(splitsDoc.assignments[c])).sort();
    const droppedChips = allChips.filter((c: string) => splitsDoc.assignments[c] === undefined).sort();
    assert.ok(zoned.length >= 2 && droppedChips.length >= 1 && splitsDoc.dropped === droppedChips.length, `the fixture's split: ${JSON.stringify(splitsDoc.assignments)}`);
    assert.deepEqual(fp.splitFiles.map((s: any) => [s.path, s.buffer, s.dropped, [...s.droppedChips].sort()]), [['chips/splits.json', SPLIT_BUFFER, droppedChips.length, droppedChips]]);
    assert.deepEqual(fp.buffers.map((b: any) => b.properties.chip).sort(), zoned);
    assert.ok(fp.buffers.every((b: any) => b.properties.split === splitsDoc.assignments[b.properties.chip] && b.properties.buffer === SPLIT_BUFFER));
    assert.deepEqual(fp.features.filter((f: any) => f.properties.dropped).map((f: any) => f.properties.chip).sort(), droppedChips);
    assert.ok(fp.features.filter((f: any) => f.properties.out === 'chips' && !f.properties.dropped).every((f: any) => f.properties.split === splitsDoc.assignments[f.properties.chip]));
    // 3 rasters (2 scenes + the 10980² COG), 9 chips, 4 labels, 4 masks (a stage output)
    assert.equal(fp.features.length, 20);
    const mask = fp.features.find((f: any) => f.properties.out === 'masks/masks.geojson');
    assert.equal(mask.properties.trackedBy, 'dvc.lock:masks');
    assert.equal(mask.properties.stage, 'masks');
    assert.equal(mask.properties.attributes.mask, true);
    const naip = fp.features.find((f: any) => f.properties.path === 'scenes/virginia_naip.tif');
    // Footprint corners against GDAL's wgs84Extent of the NAIP file (corpus truth): within 1e-4 degree.
    const ring = naip.geometry.coordinates[0] as number[][];
    const lons = ring.map((c) => c[0]!), lats = ring.map((c) => c[1]!);
    assert.ok(Math.abs(Math.min(...lons) - -78.0001648) < 1e-4 && Math.abs(Math.max(...lons) - -77.9967095) < 1e-4, `lon ${Math.min(...lons)} ${Math.max(...lons)}`);
    assert.ok(Math.abs(Math.min(...lats) - 36.6206498) < 1e-4 && Math.abs(Math.max(...lats) - 36.623435) < 1e-4, `lat ${Math.min(...lats)} ${Math.max(...lats)}`);
    const timeline = await (await fetch(new URL('/api/timeline', url))).json() as any[];
    assert.deepEqual(timeline.map((e) => e.sha), [rev3, rev2, rev1]);
    const ch3 = Object.fromEntries(timeline[0].changes.map((c: any) => [c.out, c]));
    assert.equal(ch3.scenes.status, 'modified');
    assert.deepEqual(ch3.scenes.files, { added: 1, removed: 0, modified: 0 });
    assert.equal(ch3.labels.status, 'modified');
    assert.equal(ch3['big/scene_10980.tif'].status, 'added');
    assert.equal(ch3['masks/masks.geojson'].stage, 'masks');
    assert.deepEqual(timeline[2].changes.map((c: any) => c.status), ['added', 'added', 'added']);
    const png = await fetch(new URL(`/api/preview.png?rev=${rev3}&path=scenes/bahamas_utm18.tif&size=128`, url));
    assert.equal(png.status, 200);
    assert.equal(png.headers.get('x-preview-size'), '128x116');
    const bad = await fetch(new URL(`/api/tiles/3/1/1.png?rev=${rev3}&path=nope.tif`, url));
    assert.equal(bad.status, 404);
    assert.match((await bad.json() as any).error.hint, /footprint/);

    mark('api');
    // ---- tile latency at zoom 14 over the 10980² COG, read from the cache ----
    const info = await (await fetch(new URL(`/api/raster?rev=${rev3}&path=big/scene_10980.tif`, url))).json() as any;
    assert.equal(info.bands, 1);
    const [clon, clat] = [(info.bounds[0] + info.bounds[2]) / 2, (info.bounds[1] + info.bounds[3]) / 2];
    const [tx, ty] = tileAt(clon, clat, 14);
    const tileUrl = (z: number, x: number, y: number) => new URL(`/api/tiles/${z}/${x}/${y}.png?rev=${rev3}&path=big/scene_10980.tif`, url);
    const t0 = performance.now();
    const first = await fetch(tileUrl(14, tx, ty));
    const cold = performance.now() - t0;
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('content-type'), 'image/png');
    await first.arrayBuffer();
    const warm: number[] = [];
    for (let i = 1; i <= 7; i++) {
      const s = performance.now();
      const r = await fetch(tileUrl(14, tx + (i % 3) - 1, ty + Math.floor(i / 3) - 1));
      assert.equal(r.status, 200);
      await r.arrayBuffer();
      warm.push(performance.now() - s);
    }
    t.diagnostic(`zoom-14 tile over a 10980² COG: first ${cold.toFixed(0)} ms (opens the dataset), then median ${median(warm).toFixed(1)} ms of 7 (max ${Math.max(...warm).toFixed(0)} ms)`);
    assert.ok(median(warm) <= 200, `median zoom-14 tile ${median(warm).toFixed(0)} ms`);
    // 8 tiles at once (as a map asks for them): two dataset handles warp in parallel, all answer
    const sp = performance.now();
    const par = await Promise.all(Array.from({ length: 8 }, (_, i) => fetch(tileUrl(14, tx + (i % 4) - 2, ty + 2 + Math.floor(i / 4))).then(async (r) => { await r.arrayBuffer(); return r.status; })));
    assert.deepEqual(par, Array(8).fill(200));
    t.diagnostic(`8 zoom-14 tiles requested together: ${(performance.now() - sp).toFixed(0)} ms for all`);
    // zoom 6: the whole scene fits a tile, read from an overview
    const s6 = performance.now();
    const [x6, y6] = tileAt(clon, clat, 6);
    assert.equal((await fetch(tileUrl(6, x6, y6))).status, 200);
    t.diagnostic(`zoom-6 tile (overview): ${(performance.now() - s6).toFixed(0)} ms`);

    mark('tiles');
    // ---- the page ----
    mkdirSync(ARTIFACTS, { recursive: true });
    context = await launched;
    // every request the page makes is recorded (listening, not routing: routing sent each tile
    // through playwright and made zoom-14 tiles take seconds in the page)
    const requests: string[] = [];
    context.on('request', (r) => { requests.push(r.url()); });
    const page = context.pages()[0] ?? await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    const tileStatus: number[] = [];
    page.on('response', (r) => { if (r.url().includes('/api/tiles/14/')) tileStatus.push(r.status()); });
    await page.goto(url);
    await page.waitForSelector(`body[data-state="ready"][data-rev="${rev3}"][data-experiments="ready"]`, { timeout: 120_000 });
    mark('page ready');
    const mapBox = (await page.locator('#map').boundingBox())!;
    /** Screen rectangle (page pixels) of a lon/lat box on the main map. */
    const screenRect = async (bb: number[]) => {
      const [a, b] = await page.evaluate((bb) => { const m = (window as any).geodvcUi.map; return [m.project([bb[0], bb[3]]), m.project([bb[2], bb[1]])]; }, bb);
      return { x0: mapBox.x + a.x, y0: mapBox.y + a.y, x1: mapBox.x + b.x, y1: mapBox.y + b.y };
    };
    const idle = () => page.evaluate(() => new Promise<void>((r) => { const m = (window as any).geodvcUi.map; if (m.loaded() && !m.isMoving()) { m.once('idle', () => r()); m.triggerRepaint(); } else m.once('idle', () => r()); }));

    // Layers: one per tracked output and stage output, with counts.
    const layers = await page.locator('#layers li').evaluateAll((ls) => ls.map((l) => [l.getAttribute('data-out'), l.getAttribute('data-rasters'), l.getAttribute('data-vectors')]));
    assert.deepEqual(layers.sort(), [['big/scene_10980.tif', '1', '0'], ['chips', '0', '9'], ['labels', '0', '4'], ['masks/masks.geojson', '0', '4'], ['scenes', '2', '0']]);
    assert.match(await page.locator('#layers li[data-out="masks/masks.geojson"] .meta').innerText(), /stage masks/);
    const counts = await page.evaluate(() => (window as any).geodvcUi.counts);
    assert.equal(counts.rasters, 3);
    assert.equal(counts.tiles, 3, 'each raster is drawn from tiles');
    // Graticule labels, scale bar, attribution of the offline basemap.
    assert.ok(await page.locator('#graticule-labels .glabel.lon').count() >= 2);
    assert.ok(await page.locator('#graticule-labels .glabel.lat').count() >= 2);
    assert.match(await page.locator('.maplibregl-ctrl-scale').innerText(), /\d+\s(km|m)\b/);
    // Cursor coordinates follow the mouse.
    await page.mouse.move(mapBox.x + mapBox.width / 2, mapBox.y + mapBox.height / 2);
    const centre = await page.evaluate(() => (window as any).geodvcUi.map.getCenter());
    const cursor = (await page.locator('#cursor').innerText()).split(/[ ,]+/).map(Number);
    assert.ok(Math.abs(cursor[0]! - centre.lat) < 0.05 && Math.abs(cursor[1]! - centre.lng) < 0.05, `cursor ${cursor} vs centre ${JSON.stringify(centre)}`);
    await idle();
    const shot1 = await page.screenshot({ path: join(ARTIFACTS, '1-head-layers-tiles.png') });
    // The basemap is drawn: land pixels on screen, in the overview.
    const whole = { x0: mapBox.x, y0: mapBox.y, x1: mapBox.x + mapBox.width, y1: mapBox.y + mapBox.height };
    assert.ok(countColour(decodePng(shot1), LAND, whole) > 2000, 'land visible in the overview');

    mark('layers+shot1');
    // Hide the rasters: the land of Andros and New Providence shows through the chip footprints.
    for (const out of ['scenes', 'big/scene_10980.tif']) await page.locator(`#layers li[data-out="${out}"] input.toggle`).uncheck();
    assert.equal(await page.locator('#layers li[data-out="scenes"]').getAttribute('data-visible'), '0');
    const chipsBox = [-78.8, 23.75, -76.7, 25.55];
    await page.evaluate((bb) => { (window as any).geodvcUi.map.fitBounds([[bb[0], bb[1]], [bb[2], bb[3]]], { duration: 0, padding: 20 }); }, chipsBox);
    await idle();
    const shot2 = decodePng(await page.screenshot({ path: join(ARTIFACTS, '2-land-under-chips.png') }));
    const chipColour = hex(await page.locator('#layers li[data-out="chips"] input.colour').inputValue());
    const landUnderChip = countColour(shot2, blend(LAND, chipColour, 0.3), await screenRect(chipsBox), 8);
    t.diagnostic(`land pixels under chip footprints: ${landUnderChip}`);
    assert.ok(landUnderChip > 200, `land under chips: ${landUnderChip}`);

    mark('shot2');
    // Click label 1 (a field, inside chip 4): it is picked over the chip, highlighted, and its popup says what it is.
    const label1 = [-78.5, 24.0, -78.3, 24.2];
    const r1 = await screenRect(label1);
    assert.equal(countColour(shot2, HIGHLIGHT, r1, 12), 0, 'nothing highlighted before the click');
    await page.mouse.click((r1.x0 + r1.x1) / 2, (r1.y0 + r1.y1) / 2);
    await page.waitForSelector('body[data-selected="labels/labels.geojson"]');
    const popup = await page.locator('.maplibregl-popup').innerText();
    assert.match(popup, /field/);
    assert.match(popup, /labels\.dvc/);
    assert.match(popup, new RegExp(`version\\s+${rev3.slice(0, 7)}`), 'the labels file changed at v2 (rev3)');
    await page.keyboard.press('Escape');
    await idle();
    const shot3 = decodePng(await page.screenshot({ path: join(ARTIFACTS, '3-clicked-label-highlighted.png') }));
    const lit = countColour(shot3, HIGHLIGHT, { x0: r1.x0 - 4, y0: r1.y0 - 4, x1: r1.x1 + 4, y1: r1.y1 + 4 }, 12);
    t.diagnostic(`highlight pixels on the clicked label: ${lit}`);
    assert.ok(lit > 40, `clicked label highlighted: ${lit} pixels`);

    mark('click');
    // Versions: timeline and the diff list; a click flies to the change and highlights it.
    await page.locator('#tabs button[data-tab="versions"]').click();
    assert.equal(await page.locator('#timeline > li').count(), 3);
    assert.match(await page.locator(`#timeline > li[data-sha="${rev3}"]`).innerText(), /added big\/scene_10980\.tif/);
    assert.match(await page.locator(`#timeline > li[data-sha="${rev3}"]`).innerText(), /modified scenes \(\+1 file\)/);
    // the label edit, and the same edit in the masks the stage made from the labels
    assert.equal(await page.locator('#diff-list li').count(), 6);
    const labelChanges = page.locator('#diff-list li', { hasText: 'labels/labels.geojson' });
    assert.deepEqual((await labelChanges.evaluateAll((ls) => ls.map((l) => l.getAttribute('data-status')))).sort(), ['added', 'changed', 'removed']);
    assert.equal(await page.locator('#diff-list li', { hasText: 'masks/masks.geojson' }).count(), 3);
    await labelChanges.and(page.locator('[data-status="added"]')).click();
    await page.waitForFunction(() => !(window as any).geodvcUi.map.isMoving());
    await idle();
    const z = await page.evaluate(() => (window as any).geodvcUi.map.getZoom());
    assert.ok(z > 8, `flew in to the change (zoom ${z})`);
    const added = [-76.95, 23.8, -76.75, 24.0];
    const ra = await screenRect(added);
    const shot4 = decodePng(await page.screenshot({ path: join(ARTIFACTS, '4-diff-change-flown-to.png') }));
    assert.ok(countColour(shot4, HIGHLIGHT, { x0: ra.x0 - 4, y0: ra.y0 - 4, x1: ra.x1 + 4, y1: ra.y1 + 4 }, 12) > 40, 'the clicked change is highlighted');
    assert.ok(ra.x1 - ra.x0 > 60, `the change fills the view: ${JSON.stringify(ra)}`);

    mark('diff');
    // Zoom to the pixels of the 10980² scene at zoom 14: tiles from the cache, timed by the browser.
    await page.locator('#tabs button[data-tab="layers"]').click();
    await page.locator('#layers li[data-out="big/scene_10980.tif"] input.toggle').check();
    await page.evaluate(() => performance.clearResourceTimings());
    await page.evaluate(([lon, lat]) => { (window as any).geodvcUi.map.jumpTo({ center: [lon, lat], zoom: 14 }); }, [clon, clat]);
    await idle();
    await page.screenshot({ path: join(ARTIFACTS, '5-zoom14-tiles.png') });
    // the page's own resource timings, with the server's time (Server-Timing: handle wait + warp + PNG)
    const z14 = await page.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/tiles/14/') && e.name.includes('scene_10980'))
      .map((e) => ({ ms: (e as PerformanceResourceTiming).duration, server: (e as PerformanceResourceTiming).serverTiming.find((x) => x.name === 'tile')?.duration ?? -1 })));
    assert.ok(z14.length >= 4, `zoom-14 tiles requested: ${z14.length}`);
    assert.ok(z14.every((x) => x.server >= 0), 'each tile names its server time');
    assert.ok(tileStatus.length >= z14.length && tileStatus.every((x) => x === 200), `tile answers: ${tileStatus}`);
    t.diagnostic(`browser: ${z14.length} zoom-14 tiles of the COG requested together: median ${median(z14.map((x) => x.ms)).toFixed(0)} ms in the page, ${median(z14.map((x) => x.server)).toFixed(0)} ms in the server`);

    mark('z14');
    // Split view: the diff base on a second map, moving with the first.
    // coloured by split before the second map opens (one redraw of both maps, not two)
    await page.check('input[name=colour][value=split]');
    await page.locator('#split-view').check();
    await page.waitForSelector('body[data-split="1"][data-state="ready"]', { timeout: 60_000 });
    const split = await page.evaluate(() => { const s = (window as any).geodvcUi; return { base: s.baseFootprints.features.length, a: s.map.getCenter(), b: s.mapB.getCenter(), z: s.map.getZoom() }; });
    assert.ok(Math.abs(split.z - 14) < 1e-6, `opening the split view keeps the view (zoom ${split.z})`);
    assert.equal(split.base, 9 + 4 + 4 + 1, 'rev2: chips, labels, masks, one scene');
    assert.ok(Math.abs(split.a.lng - split.b.lng) < 1e-6 && Math.abs(split.a.lat - split.b.lat) < 1e-6);
    assert.match(await page.locator('#label-b').innerText(), new RegExp(`diff base: ${rev2.slice(0, 7)}`));
    assert.match(await page.locator('#label-a').innerText(), new RegExp(rev3.slice(0, 7)));
    // geo split's buffer on both maps: zones around the val/test chips, coloured by split
    await page.evaluate((bb) => { (window as any).geodvcUi.map.fitBounds([[bb[0], bb[1]], [bb[2], bb[3]]], { duration: 0, padding: 40 }); }, chipsBox);
    await idle();
    const sc = await page.evaluate(() => { const s = (window as any).geodvcUi; return { a: s.map.getCenter(), b: s.mapB.getCenter(), counts: s.counts }; });
    assert.ok(Math.abs(sc.a.lng - sc.b.lng) < 1e-6 && Math.abs(sc.a.lat - sc.b.lat) < 1e-6, 'the second map follows');
    assert.equal(sc.counts.buffers, zoned.length);
    assert.equal(sc.counts.bufferedB, zoned.length, 'the base revision has the same split file');
    assert.equal(sc.counts.dropped, droppedChips.length);
    const legend = await page.locator('#legend').innerText();
    assert.match(legend, new RegExp(`chips/splits\\.json: buffer ${SPLIT_BUFFER} m around val/test chips`));
    assert.match(legend, new RegExp(`dropped for the buffer \\(${droppedChips.length}\\)`));
    const shotOn = decodePng(await page.screenshot({ path: join(ARTIFACTS, '6-split-view-buffers.png') }));
    const showBuffers = (on: boolean) => page.evaluate((on) => { const s = (window as any).geodvcUi; for (const m of [s.map, s.mapB]) for (const id of ['buffer-fill', 'buffer-line']) m.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none'); }, on);
    await showBuffers(false);
    await idle();
    const shotOff = decodePng(await page.screenshot());
    await showBuffers(true);
    const boxA = (await page.locator('#map').boundingBox())!, boxB = (await page.locator('#map-b').boundingBox())!;
    const onA = async (bb: number[]) => {
      const [p, q] = await page.evaluate((bb) => { const m = (window as any).geodvcUi.map; return [m.project([bb[0], bb[3]]), m.project([bb[2], bb[1]])]; }, bb);
      return { x0: boxA.x + p.x, y0: boxA.y + p.y, x1: boxA.x + q.x, y1: boxA.y + q.y };
    };
    const changed = (x: number, y: number) => { const i = y * shotOn.w + x; return [0, 1, 2].some((b) => Math.abs(shotOn.px[b]![i]! - shotOff.px[b]![i]!) > 6); };
    const zoneRects = await Promise.all(fp.buffers.map((z: any) => onA(bboxOf(z))));
    let band = 0, bandChanged = 0;
    for (const z of fp.buffers) {
      // the ring between the chip and its zone's edge (2 px in from both): drawn with the buffer only
      const c = await onA(bboxOf(fp.features.find((f: any) => f.properties.chip === z.properties.chip)));
      const e = await onA(bboxOf(z));
      assert.ok(c.x0 - e.x0 > 8 && e.y1 - c.y1 > 8, `the ${SPLIT_BUFFER} m buffer is wider than 8 px on screen: ${JSON.stringify([c, e])}`);
      for (let y = Math.ceil(Math.max(e.y0 + 2, boxA.y)); y < Math.min(e.y1 - 2, boxA.y + boxA.height); y++) for (let x = Math.ceil(Math.max(e.x0 + 2, boxA.x)); x < Math.min(e.x1 - 2, boxA.x + boxA.width); x++) {
        if ((x > c.x0 - 2 && x < c.x1 + 2 && y > c.y0 - 2 && y < c.y1 + 2)) continue;
        // corners are round: only the straight sides
        if ((x < c.x0 || x > c.x1) && (y < c.y0 || y > c.y1)) continue;
        band++; if (changed(x, y)) bandChanged++;
      }
    }
    let outside = 0;
    for (let y = Math.ceil(boxA.y); y < boxA.y + boxA.height; y++) for (let x = Math.ceil(boxA.x); x < boxA.x + boxA.width; x++) {
      if (zoneRects.some((r) => x > r.x0 - 3 && x < r.x1 + 3 && y > r.y0 - 3 && y < r.y1 + 3)) continue;
      if (changed(x, y)) outside++;
    }
    let onB = 0;
    for (let y = Math.ceil(boxB.y); y < boxB.y + boxB.height; y++) for (let x = Math.ceil(boxB.x); x < boxB.x + boxB.width; x++) if (changed(x, y)) onB++;
    t.diagnostic(`split buffer: ${bandChanged} of ${band} pixels of the ${SPLIT_BUFFER} m rings around ${zoned.length} val/test chips drawn, ${outside} changed outside the zones, ${onB} on the base map`);
    assert.ok(band > 500 && bandChanged / band > 0.8, `buffer ring drawn: ${bandChanged} of ${band}`);
    assert.ok(outside <= 20, `nothing drawn outside the buffer zones: ${outside}`);
    assert.ok(onB > 500, `the base map draws its buffer: ${onB}`);
    await page.locator('#split-view').uncheck();

    mark('split');
    // Experiments: the plot and a table that scrolls, the varying column first.
    await page.locator('#tabs button[data-tab="experiments"]').click();
    assert.equal(await page.locator('#exp-plot').getAttribute('data-points'), '3');
    assert.deepEqual((await page.locator('#exp-plot circle.exp-point').evaluateAll((cs) => cs.map((c) => c.getAttribute('data-name')))).sort(), ['lr-0.01', 'lr-0.3', 'main']);
    assert.ok(Number(await page.locator('#exp-table').getAttribute('data-rows')) >= 3);
    assert.deepEqual(await page.locator('#exp-table th.differs').evaluateAll((hs) => hs.map((h) => h.textContent)), ['iou', 'lr']);
    assert.equal(await page.locator('#exp-table-wrap').evaluate((e) => getComputedStyle(e).overflowX), 'auto');
    await page.screenshot({ path: join(ARTIFACTS, '7-experiments.png') });

    mark('exp');
    // Colour by version at HEAD; then the oldest revision.
    await page.check('input[name=colour][value=version]');
    assert.match(await page.locator('#legend').innerText(), new RegExp(rev3.slice(0, 7)));
    await page.selectOption('#rev', rev1);
    await page.waitForSelector(`body[data-state="ready"][data-rev="${rev1}"]`, { timeout: 120_000 });
    const c1 = await page.evaluate(() => (window as any).geodvcUi.counts);
    assert.equal(c1.rasters, 1);
    assert.equal(c1.layers, 3);
    assert.equal(c1.diff, 0);
    await page.screenshot({ path: join(ARTIFACTS, '8-v1-by-version.png') });

    mark('v1');
    t.diagnostic(PH.map(([n, ms]) => `${n}: ${(ms / 1000).toFixed(1)} s`).join('; '));
    const offHost = requests.filter((u) => new URL(u).origin !== origin);
    assert.deepEqual(offHost, [], 'no request leaves the ui server');
    assert.ok(requests.some((u) => u.includes('/vendor/maplibre/maplibre-gl.mjs')));
    assert.deepEqual(consoleErrors, []);
    // the recorder sees a request to another host (and the resolver rules stop it)
    const probe = 'http://off-host.example/probe.png';
    assert.equal(await page.evaluate((u) => fetch(u).then(() => 'loaded', () => 'failed'), probe), 'failed');
    assert.ok(requests.includes(probe), 'an off-host request is recorded');
  } finally {
    await (context ?? await launched.catch(() => undefined))?.close();
    rmSync(profile, { recursive: true, force: true });
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGINT');
      await exited;
    }
    cleanup();
    if (bigPath) rmSync(join(bigPath, '..'), { recursive: true, force: true });
  }
});

test('geodvc ui: --check answers once and stops; outside a repository a clear error', { timeout: 120_000 }, async () => {
  const { dir, cleanup } = makeTmpDir('geodvc-ui-check-');
  const outside = makeTmpDir('geodvc-ui-outside-');
  const { createServer } = await import('node:http');
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  try {
    // the CLI runs are independent: they run at once (two rounds instead of seven spawns in a row)
    gitInit(dir);
    const [r] = await Promise.all([runCli(['ui', '--json'], { cwd: outside.dir }), cliOk(['init', '-q'], { cwd: dir })]);
    assert.equal(r.code, 254);
    assert.match(r.stderr, /repository/);
    const osm = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';
    // (the default, no online basemap, is checked through /api/config in the test above)
    const [okR, wasmR, badMap, taken, badPort] = await Promise.all([
      cliOk(['ui', '--check', '--port', '0', '--json', '--basemap', osm], { cwd: dir }),
      // Without native GDAL the page falls back to previews: the server says so.
      cliOk(['ui', '--check', '--port', '0', '--json'], { cwd: dir, env: { ...process.env, GEODVC_GDAL_ENGINE: 'wasm' } }),
      runCli(['ui', '--check', '--port', '0', '--basemap', 'file:///etc/passwd'], { cwd: dir }),
      // A port already taken: a clear error with a hint, not a stack trace.
      runCli(['ui', '--check', '--port', String((busy.address() as any).port)], { cwd: dir }),
      runCli(['ui', '--port', 'x'], { cwd: dir }),
    ]);
    const ok = JSON.parse(okR.stdout);
    assert.equal(ok.ok, true);
    assert.equal(ok.revisions, 0);
    assert.equal(ok.tiles, true, 'native GDAL renders tiles');
    assert.equal(ok.basemap, osm);
    assert.equal(JSON.parse(wasmR.stdout).tiles, false);
    assert.equal(badMap.code, 254);
    assert.match(badMap.stderr, /XYZ/);
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /already in use/);
    assert.match(taken.stderr, /--port 0/);
    assert.equal(badPort.code, 254);
    assert.match(badPort.stderr, /--port/);
  } finally { busy.close(); cleanup(); outside.cleanup(); }
});
