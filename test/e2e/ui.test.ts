/**
 * `geodvc ui` end to end: a small demo-like repository (two revisions of corpus rasters in
 * different places, a chip index with splits, an annotation edit, two experiments), the real
 * CLI serving it on 127.0.0.1, driven by Debian's headless Chromium through playwright-core.
 * Asserts on what the page reports it drew (layer data-count attributes, window.geodvcUi), and
 * saves screenshots to test-artifacts/ui/. Without /usr/bin/chromium it skips locally and fails
 * under CI=true.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, CORPUS, REPO_ROOT, cliOk, runCli } from '../helpers/cli.js';
import { makeTmpDir, gitInit, git, writeTree } from '../helpers/tmp.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'ui');

/** A square polygon of `d` degrees at (lon, lat). */
function square(lon: number, lat: number, d: number): number[][][] {
  return [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]];
}
function fc(features: { id: string | number; props: Record<string, unknown>; coords: number[][][] }[]): string {
  return JSON.stringify({ type: 'FeatureCollection', features: features.map((f) => ({ type: 'Feature', id: f.id, properties: f.props, geometry: { type: 'Polygon', coordinates: f.coords } })) }, null, 1);
}

/** 3 x 3 chips over RGB.byte.tif (Bahamas, UTM 18N) with train/val/test. */
function chipIndex(): string {
  const splits = ['train', 'train', 'val', 'train', 'test', 'train', 'val', 'train', 'test'];
  const feats = [];
  for (let i = 0; i < 9; i++) {
    const lon = -78.8 + (i % 3) * 0.7, lat = 23.75 + Math.floor(i / 3) * 0.6;
    feats.push({ id: `chip_${i}`, props: { chip: `chip_${i}.tif`, split: splits[i] }, coords: square(lon, lat, 0.6) });
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

async function buildRepo(dir: string): Promise<{ rev1: string; rev2: string; rev3: string }> {
  gitInit(dir);
  await cliOk(['init', '-q'], { cwd: dir });
  mkdirSync(join(dir, 'scenes'), { recursive: true });
  copyFileSync(join(CORPUS, 'RGB.byte.tif'), join(dir, 'scenes', 'bahamas_utm18.tif'));
  writeTree(dir, { 'chips/index.geojson': chipIndex(), 'labels/labels.geojson': LABELS_V1, '.gitignore': '' });
  await cliOk(['add', '-q', 'scenes', 'chips', 'labels'], { cwd: dir });
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'v1: Bahamas scene, chips, labels');
  const rev1 = git(dir, 'rev-parse', 'HEAD').trim();
  // A pipeline with a param and a metric, for experiments.
  writeTree(dir, {
    'params.yaml': 'lr: 0.1\nepochs: 3\n',
    'train.mjs': "import { readFileSync, writeFileSync } from 'node:fs';\nconst lr = Number(/lr: *([0-9.e-]+)/.exec(readFileSync('params.yaml', 'utf8'))[1]);\nwriteFileSync('metrics.json', JSON.stringify({ iou: Number((0.8 - Math.abs(Math.log10(lr) + 1.5) * 0.2).toFixed(4)) }));\n",
    'dvc.yaml': 'stages:\n  train:\n    cmd: node train.mjs\n    deps: [train.mjs]\n    params: [lr]\n    metrics:\n    - metrics.json:\n        cache: false\n',
  });
  await cliOk(['repro', '-q'], { cwd: dir });
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'pipeline: train stage');
  const rev2 = git(dir, 'rev-parse', 'HEAD').trim();
  // v2: a second scene 12 degrees north (Virginia NAIP, UTM 17N) and an annotation edit.
  copyFileSync(join(CORPUS, 'm_3607824_se_17_1_20160620_sub.tif'), join(dir, 'scenes', 'virginia_naip.tif'));
  writeTree(dir, { 'labels/labels.geojson': LABELS_V2 });
  await cliOk(['add', '-q', 'scenes', 'labels'], { cwd: dir });
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'v2: Virginia scene, label edit');
  const rev3 = git(dir, 'rev-parse', 'HEAD').trim();
  await cliOk(['exp', 'run', '-q', '-S', 'lr=0.01', '-n', 'lr-0.01'], { cwd: dir });
  await cliOk(['exp', 'run', '-q', '-S', 'lr=0.3', '-n', 'lr-0.3'], { cwd: dir });
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

test('geodvc ui: footprints by split and version, revision switch, annotation diff, preview, experiments plot (headless Chromium)', { timeout: 600_000 }, async (t) => {
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
  try {
    const { rev1, rev2, rev3 } = await buildRepo(dir);
    const started = await startUi(dir);
    child = started.child;
    const url = started.url;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);

    // The JSON API on its own.
    const revs = await (await fetch(new URL('/api/revisions', url))).json() as { sha: string }[];
    assert.deepEqual(revs.map((r) => r.sha), [rev3, rev2, rev1]);
    const png = await fetch(new URL(`/api/preview.png?rev=${rev3}&path=scenes/bahamas_utm18.tif&size=128`, url));
    assert.equal(png.status, 200);
    assert.equal(png.headers.get('content-type'), 'image/png');
    const bytes = Buffer.from(await png.arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.equal(png.headers.get('x-preview-size'), '128x116');
    const fp = await (await fetch(new URL(`/api/footprints?rev=${rev3}`, url))).json() as any;
    assert.equal(fp.type, 'FeatureCollection');
    assert.deepEqual(fp.missing, []);
    assert.equal(fp.features.length, 15);
    const naip = fp.features.find((f: any) => f.properties.path === 'scenes/virginia_naip.tif');
    // Footprint corners against GDAL's wgs84Extent of the NAIP file (corpus truth): within 1e-4 degree.
    const ring = naip.geometry.coordinates[0] as number[][];
    const lons = ring.map((c) => c[0]!), lats = ring.map((c) => c[1]!);
    assert.ok(Math.abs(Math.min(...lons) - -78.0001648) < 1e-4 && Math.abs(Math.max(...lons) - -77.9967095) < 1e-4, `lon ${Math.min(...lons)} ${Math.max(...lons)}`);
    assert.ok(Math.abs(Math.min(...lats) - 36.6206498) < 1e-4 && Math.abs(Math.max(...lats) - 36.623435) < 1e-4, `lat ${Math.min(...lats)} ${Math.max(...lats)}`);
    const bad = await fetch(new URL(`/api/preview.png?rev=${rev3}&path=nope.tif`, url));
    assert.equal(bad.status, 404);
    assert.match((await bad.json() as any).error.hint, /footprint/);

    mkdirSync(ARTIFACTS, { recursive: true });
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, viewport: { width: 1400, height: 860 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
    });
    const page = context.pages()[0] ?? await context.newPage();
    const external: string[] = [];
    page.on('request', (r) => { if (!r.url().startsWith(url)) external.push(r.url()); });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(url);
    await page.waitForSelector(`body[data-state="ready"][data-rev="${rev3}"][data-experiments="ready"]`, { timeout: 120_000 });

    // HEAD (v2): 2 raster footprints, 9 chips + 4 labels, coloured by split; diff v1 -> v2 drawn.
    const counts = await page.evaluate(() => (window as any).geodvcUi.counts);
    assert.equal(counts.rasters, 2);
    assert.equal(counts.vectors, 13);
    assert.equal(await page.locator('#layer-footprints path.fp').count(), 15);
    assert.equal(await page.locator('#layer-footprints path[data-split="train"]').count(), 5);
    assert.equal(await page.locator('#layer-footprints path[data-split="test"]').count(), 2);
    assert.equal(await page.locator('#layer-footprints path[data-split="val"]').count(), 2);
    const fill = await page.locator('#layer-footprints path[data-split="test"]').first().getAttribute('fill');
    assert.equal(fill, '#db2777');
    assert.equal(await page.locator('#layer-diff').getAttribute('data-added'), '1');
    assert.equal(await page.locator('#layer-diff').getAttribute('data-removed'), '1');
    assert.equal(await page.locator('#layer-diff').getAttribute('data-changed'), '1');
    assert.equal(await page.locator('#layer-diff path.chg').count(), 3);
    assert.equal(await page.locator('#base').inputValue(), rev2);
    // The Virginia scene (300 m wide, 12 degrees from the rest) is a few pixels: a marker shows it.
    const marker = page.locator('#layer-footprints circle.fp-marker').nth(1);
    assert.equal(await page.locator('#layer-footprints circle.fp-marker:visible').count(), 1);
    assert.ok(await marker.isVisible());
    // A drawn footprint has a real on-screen size (the map fitted the data).
    const box = await page.locator('#layer-footprints path.raster').first().boundingBox();
    assert.ok(box && box.width > 20 && box.height > 20, `raster footprint box ${JSON.stringify(box)}`);

    // Experiments: baseline + 2 experiments plotted (iou against lr), table rows.
    assert.equal(await page.locator('#metric').inputValue(), 'iou');
    assert.equal(await page.locator('#param').inputValue(), 'lr');
    assert.equal(await page.locator('#exp-plot').getAttribute('data-points'), '3');
    assert.equal(await page.locator('#exp-plot circle.exp-point').count(), 3);
    assert.deepEqual((await page.locator('#exp-plot circle.exp-point').evaluateAll((cs) => cs.map((c) => c.getAttribute('data-name')))).sort(), ['lr-0.01', 'lr-0.3', 'main']);
    assert.ok(Number(await page.locator('#exp-table').getAttribute('data-rows')) >= 4);
    await page.screenshot({ path: join(ARTIFACTS, '1-head-by-split-with-diff.png') });

    // Click the Bahamas raster: details and a preview PNG decoded by the browser.
    await page.locator('#layer-footprints path[data-path="scenes/bahamas_utm18.tif"]').click();
    await page.waitForSelector('#preview[data-loaded="1"]', { timeout: 60_000 });
    const natural = await page.locator('#preview').evaluate((img) => [(img as HTMLImageElement).naturalWidth, (img as HTMLImageElement).naturalHeight]);
    assert.deepEqual(natural, [384, 349]);
    assert.match(await page.locator('#details').innerText(), /EPSG:32618/);
    await page.screenshot({ path: join(ARTIFACTS, '2-raster-preview.png') });

    // Switch to v1: one raster, chips + 4 labels, no older revision to diff against.
    await page.selectOption('#rev', rev1);
    await page.waitForSelector(`body[data-state="ready"][data-rev="${rev1}"]`, { timeout: 120_000 });
    const c1 = await page.evaluate(() => (window as any).geodvcUi.counts);
    assert.equal(c1.rasters, 1);
    assert.equal(await page.locator('#preview').count(), 0, 'the selection of the previous revision is cleared');
    assert.equal(c1.vectors, 13);
    assert.equal(await page.locator('#layer-diff').getAttribute('data-count'), '0');
    assert.equal(await page.locator('#layer-footprints path[data-path="scenes/virginia_naip.tif"]').count(), 0);
    // Diff v2 -> v1 picked explicitly: the same edit reversed.
    await page.selectOption('#base', rev3);
    await page.waitForSelector(`body[data-state="ready"][data-rev="${rev1}"]`);
    await page.waitForFunction(() => (window as any).geodvcUi.counts.diff === 3, undefined, { timeout: 120_000 });
    assert.equal(await page.locator('#layer-diff').getAttribute('data-added'), '1');
    assert.equal(await page.locator('#layer-diff').getAttribute('data-removed'), '1');
    await page.screenshot({ path: join(ARTIFACTS, '3-v1-diff-against-v2.png') });

    // Colour by version at HEAD: the Virginia scene and the labels are from v2, chips from v1.
    await page.selectOption('#rev', rev3);
    await page.waitForSelector(`body[data-state="ready"][data-rev="${rev3}"]`, { timeout: 120_000 });
    await page.check('input[name=colour][value=version]');
    const byVersion = await page.locator('#layer-footprints path.fp').evaluateAll((ps) => ps.map((p) => [p.getAttribute('data-path'), p.getAttribute('data-version'), p.getAttribute('fill')]));
    const v3 = rev3.slice(0, 7), v1 = rev1.slice(0, 7);
    assert.ok(byVersion.filter((x) => x[0] === 'chips/index.geojson').every((x) => x[1] === v1));
    assert.ok(byVersion.filter((x) => x[0] === 'labels/labels.geojson').every((x) => x[1] === v3));
    // Files of one tracked directory keep their own versions: the Bahamas scene is unchanged since v1.
    assert.deepEqual(byVersion.filter((x) => x[0]!.startsWith('scenes/')).map((x) => [x[0], x[1]]).sort(), [['scenes/bahamas_utm18.tif', v1], ['scenes/virginia_naip.tif', v3]]);
    const fills = new Set(byVersion.map((x) => x[2]));
    assert.equal(fills.size, 2, `two versions, two colours: ${[...fills]}`);
    assert.match(await page.locator('#legend').innerText(), new RegExp(v3));
    await page.screenshot({ path: join(ARTIFACTS, '4-head-by-version.png') });

    assert.deepEqual(external, [], 'the page loads nothing from outside the ui server');
    assert.deepEqual(pageErrors, []);
  } finally {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGINT');
      await exited;
    }
    cleanup();
  }
});

test('geodvc ui: --check answers once and stops; outside a repository a clear error', { timeout: 120_000 }, async () => {
  const { dir, cleanup } = makeTmpDir('geodvc-ui-check-');
  try {
    const r = await runCli(['ui', '--json'], { cwd: dir });
    assert.equal(r.code, 254);
    assert.match(r.stderr, /repository/);
    gitInit(dir);
    await cliOk(['init', '-q'], { cwd: dir });
    const ok = JSON.parse((await cliOk(['ui', '--check', '--port', '0', '--json'], { cwd: dir })).stdout);
    assert.equal(ok.ok, true);
    assert.equal(ok.revisions, 0);
    // A port already taken: a clear error with a hint, not a stack trace.
    const { createServer } = await import('node:http');
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    try {
      const taken = await runCli(['ui', '--check', '--port', String((busy.address() as any).port)], { cwd: dir });
      assert.equal(taken.code, 1);
      assert.match(taken.stderr, /already in use/);
      assert.match(taken.stderr, /--port 0/);
    } finally { busy.close(); }
    const badPort = await runCli(['ui', '--port', 'x'], { cwd: dir });
    assert.equal(badPort.code, 254);
    assert.match(badPort.stderr, /--port/);
  } finally { cleanup(); }
});
