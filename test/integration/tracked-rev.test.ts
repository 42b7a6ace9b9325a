/**
 * "What is tracked at revision R" through the one index (src/core/workspace/tracked.ts), as seen by
 * geo diff, history, pull --bbox and import sources (outsAt): `.dvc` outputs, root `dvc.lock` stage outputs and the outputs of
 * a `sub/dvc.yaml` stage (recorded in `sub/dvc.lock`), in hand-built repositories (no CLI spawn).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { openRepo } from '../../src/core/repo/repo.js';
import { geoDiff } from '../../src/core/api/geo-diff.js';
import { history } from '../../src/core/api/history.js';
import { selectByBbox } from '../../src/core/api/bbox.js';
import { outsAt } from '../../src/core/imports/source.js';
import { geoStac } from '../../src/core/api/stac.js';
import { Git } from '../../src/core/scm/git.js';
import { trackFile, commitAll, storeObject, md5, gitDvcRepo } from './repo-fixture.js';
import { CORPUS } from '../helpers/cli.js';

const fc = (x: number, cls = 'field') => JSON.stringify({
  type: 'FeatureCollection',
  features: [{ type: 'Feature', id: 1, properties: { cls }, geometry: { type: 'Polygon', coordinates: [[[x, 0], [x + 1, 0], [x + 1, 1], [x, 1], [x, 0]]] } }],
});

/** Writes the output, its cache object and a one-stage dvc.yaml + dvc.lock in `dir` ('' = root). */
function stageOut(root: string, cache: string, dir: string, out: string, content: string): string {
  const base = dir ? join(root, dir) : root;
  mkdirSync(join(base, dirname(out)), { recursive: true });
  writeFileSync(join(base, out), content);
  const oid = storeObject(cache, content);
  writeFileSync(join(base, 'dvc.yaml'), `stages:\n  make:\n    cmd: echo make\n    outs:\n    - ${out}\n`);
  writeFileSync(join(base, 'dvc.lock'), `schema: '2.0'\nstages:\n  make:\n    cmd: echo make\n    outs:\n    - path: ${out}\n      hash: md5\n      md5: ${oid}\n      size: ${Buffer.byteLength(content)}\n`);
  writeFileSync(join(base, '.gitignore'), `/${out}\n`);
  return oid;
}

async function fixture() {
  const { t, root, cache } = gitDvcRepo('geodvc-tracked-rev-');
  trackFile(root, cache, 'labels/a.geojson', fc(0));
  stageOut(root, cache, '', 'out/b.geojson', fc(10));
  stageOut(root, cache, 'sub', 'c.geojson', fc(20));
  const c1 = commitAll(root, 'v1');
  trackFile(root, cache, 'labels/a.geojson', fc(0.5));
  stageOut(root, cache, '', 'out/b.geojson', fc(10, 'forest'));
  stageOut(root, cache, 'sub', 'c.geojson', fc(21));
  const c2 = commitAll(root, 'v2');
  return { t, root, cache, c1, c2 };
}

test('geo diff REV REV shows .dvc outputs, dvc.lock outputs and sub/dvc.lock outputs that changed', async () => {
  const { t, root, c1, c2 } = await fixture();
  try {
    const r = await geoDiff({ cwd: root, args: [c1, c2], classFields: ['cls'] });
    const byPath = Object.fromEntries(r.files.map((f) => [f.path, f]));
    assert.deepEqual(Object.keys(byPath).sort(), ['labels/a.geojson', 'out/b.geojson', 'sub/c.geojson']);
    assert.equal(byPath['labels/a.geojson']!.counts.geometry, 1);
    assert.equal(byPath['out/b.geojson']!.counts.class, 1);
    assert.equal(byPath['sub/c.geojson']!.counts.geometry, 1);
    // REV against the workspace: the workspace holds v2, so only v1 -> v2 changes show
    const w = await geoDiff({ cwd: root, args: [c1] });
    assert.deepEqual(w.files.filter((f) => f.status === 'semantic').map((f) => f.path).sort(), ['labels/a.geojson', 'out/b.geojson', 'sub/c.geojson']);
    // import/get/ls of this repository as a source see the same outputs (sub/dvc.lock included)
    const src = { root, git: Git.open(root)! };
    for (const rev of [c1, c2, 'workspace']) {
      assert.deepEqual(outsAt(src, rev).map((o) => o.absPath.slice(root.length + 1)).sort(), ['labels/a.geojson', 'out/b.geojson', 'sub/c.geojson'], rev);
    }
    const same = await geoDiff({ cwd: root, args: [c2] });
    assert.deepEqual(same.files.map((f) => [f.path, f.status]).sort(), [['labels/a.geojson', 'byte-identical'], ['out/b.geojson', 'byte-identical'], ['sub/c.geojson', 'byte-identical']]);
  } finally { t.cleanup(); }
});

test('history follows a root dvc.lock output and a sub/dvc.lock output through commits', async () => {
  const { t, root, c1, c2 } = await fixture();
  try {
    const repo = await openRepo(root);
    const b = await history(repo, 'out/b.geojson', { noRaster: true });
    assert.equal(b.trackedBy, 'dvc.lock');
    assert.deepEqual(b.versions.map((v) => v.rev), [c2, c1]);
    const c = await history(repo, 'sub/c.geojson', { noRaster: true });
    assert.equal(c.trackedBy, 'sub/dvc.lock');
    assert.deepEqual(c.versions.map((v) => v.rev), [c2, c1]);
  } finally { t.cleanup(); }
});

/** A directory output of a stage in `dir` ('' = root): files, cache objects, `.dir` manifest, dvc.yaml + dvc.lock. */
function stageDir(root: string, cache: string, dir: string, out: string, files: Record<string, Buffer>): void {
  const base = dir ? join(root, dir) : root;
  const names = Object.keys(files).sort();
  for (const n of names) {
    mkdirSync(dirname(join(base, out, n)), { recursive: true });
    writeFileSync(join(base, out, n), files[n]!);
    storeObject(cache, files[n]!);
  }
  const manifest = `[${names.map((n) => `{"md5": "${md5(files[n]!)}", "relpath": "${n}"}`).join(', ')}]`;
  const oid = storeObject(cache, manifest, `${md5(manifest)}.dir`);
  writeFileSync(join(base, 'dvc.yaml'), `stages:\n  tiles:\n    cmd: echo tiles\n    outs:\n    - ${out}\n`);
  writeFileSync(join(base, 'dvc.lock'), `schema: '2.0'\nstages:\n  tiles:\n    cmd: echo tiles\n    outs:\n    - path: ${out}\n      hash: md5\n      md5: ${oid}\n      nfiles: ${names.length}\n`);
}

test('pull --bbox selection sees rasters in dvc.lock and sub/dvc.lock directory outputs (footprints as gdalinfo gives them)', async () => {
  const { t, root, cache } = gitDvcRepo('geodvc-tracked-bbox-');
  try {
    const src = { 'ca.tif': 'byte.tif', 'wy.tif': 'WGS_1984_Web_Mercator_Auxiliary_Sphere.tif' } as const;
    const bytes = (f: string) => readFileSync(join(CORPUS, f));
    stageDir(root, cache, '', 'tiles', { 'ca.tif': bytes(src['ca.tif']), 'wy.tif': bytes(src['wy.tif']) });
    stageDir(root, cache, 'sub', 'more', { 'x/ca.tif': bytes(src['ca.tif']) });
    // the area: around byte.tif's footprint (California), far from the Wyoming one
    const area: [number, number, number, number] = [-117.7, 33.85, -117.6, 33.95];
    const overlaps = (f: string) => {
      const ring = JSON.parse(readFileSync(join(CORPUS, 'truth', `${f}.gdalinfo.json`), 'utf8')).wgs84Extent.coordinates[0] as number[][];
      const xs = ring.map((p) => p[0]!), ys = ring.map((p) => p[1]!);
      return Math.min(...xs) < area[2] && Math.max(...xs) > area[0] && Math.min(...ys) < area[3] && Math.max(...ys) > area[1];
    };
    const expected = [['tiles/ca.tif', src['ca.tif']], ['tiles/wy.tif', src['wy.tif']], ['sub/more/x/ca.tif', src['ca.tif']]]
      .filter(([, f]) => overlaps(f!)).map(([p]) => p!).sort();
    assert.ok(expected.length === 2, 'the truth files give two overlapping rasters');
    const sel = await selectByBbox({ cwd: root, bbox: area });
    assert.equal(sel.considered, 3);
    assert.deepEqual(sel.selected, expected);
    const sub = await selectByBbox({ cwd: root, bbox: area, targets: ['sub'] });
    assert.deepEqual(sub.selected, ['sub/more/x/ca.tif']);
    // history of a raster inside the sub stage's directory output resolves the member via the manifest
    commitAll(root, 'tiles');
    const h = await history(await openRepo(root), 'sub/more/x/ca.tif', { noRaster: true });
    assert.equal(h.trackedBy, 'sub/dvc.lock');
    assert.equal(h.member, 'x/ca.tif');
    assert.equal(h.versions[0]!.oid, md5(bytes(src['ca.tif'])));
  } finally { t.cleanup(); }
});

test('geo stac publishes .dvc, dvc.lock and sub/dvc.lock outputs, in the workspace and at --rev', async () => {
  const { t, root, c1 } = await fixture();
  try {
    for (const rev of [undefined, c1]) {
      const output = join(t.dir, `stac-${rev ?? 'ws'}`);
      const r = await geoStac({ cwd: root, output, ...(rev ? { rev } : {}) });
      assert.deepEqual(r.items.map((i) => i.path).sort(), ['labels/a.geojson', 'out/b.geojson', 'sub/c.geojson'], rev ?? 'workspace');
      // each item's bbox is the feature's extent at that revision (sub/c.geojson: x 20..21 at c1, 21..22 now)
      const sub = r.items.find((i) => i.path === 'sub/c.geojson')!;
      const item = JSON.parse(readFileSync(resolve(output, sub.file), 'utf8')) as { bbox: number[] };
      assert.deepEqual(item.bbox.map((v) => Math.round(v * 1e6) / 1e6), rev ? [20, 0, 21, 1] : [21, 0, 22, 1]);
    }
    // a broken dvc.lock is reported as skipped, the other outputs are still published
    writeFileSync(join(root, 'sub', 'dvc.lock'), 'stages: [unclosed');
    const r = await geoStac({ cwd: root, output: join(t.dir, 'stac-broken') });
    assert.deepEqual(r.items.map((i) => i.path).sort(), ['labels/a.geojson', 'out/b.geojson']);
    assert.ok(r.skipped.some((s) => s.path === 'sub/dvc.lock' && s.reason === 'invalid dvc.lock'), JSON.stringify(r.skipped));
  } finally { t.cleanup(); }
});
