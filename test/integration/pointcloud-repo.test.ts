/**
 * Point clouds in a repository: `add` records header-only metadata in the .dvc `meta`, `geo info`
 * of a tracked directory serves it from the index, `geo stac` publishes pointcloud-extension items
 * (pc:count/type/encoding/schemas, proj:*) with a footprint checked against gdaltransform (PROJ),
 * and a broken point cloud stops `geo stac` naming the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { makeTmpDir, gitInit } from '../helpers/tmp.js';
import { cliOk, runCli, CORPUS } from '../helpers/cli.js';
import { validateStac } from '../../src/geo/stac/validate.js';

const FORMATS = join(CORPUS, 'formats');

function gdaltransform(srs: string, pts: [number, number][]): [number, number][] {
  const out = execFileSync('gdaltransform', ['-s_srs', srs, '-t_srs', 'EPSG:4326', '-output_xy'], { input: pts.map((p) => `${p[0]} ${p[1]}`).join('\n') }).toString();
  // gdaltransform prints x y (longitude, latitude: GIS order)
  return out.trim().split('\n').map((l) => { const [a, b] = l.trim().split(/\s+/).map(Number); return [a!, b!]; });
}

test('add records point cloud meta; geo stac writes valid pointcloud items; a broken file stops geo stac', async () => {
  const { dir, cleanup } = makeTmpDir('pc-repo-');
  try {
    gitInit(dir);
    await cliOk(['init', '-q'], { cwd: dir });
    mkdirSync(join(dir, 'lidar'));
    for (const f of ['ellipsoid.copc.laz', 'test1_4.las', 'simple.laz']) copyFileSync(join(FORMATS, f), join(dir, 'lidar', f));
    copyFileSync(join(FORMATS, 'mvk-thin.las'), join(dir, 'mvk.las'));
    await cliOk(['add', '-q', 'lidar', 'mvk.las'], { cwd: dir });
    const dvc = parseYaml(readFileSync(join(dir, 'mvk.las.dvc'), 'utf8'));
    const meta = dvc.outs[0].meta;
    assert.equal(meta.kind, 'pointcloud');
    assert.equal(meta.points, 6280);
    assert.equal(meta.crs, 'EPSG:26995');
    assert.equal(meta.las_version, '1.2');
    assert.equal(meta.point_format, 1);
    // a tracked directory: geo info answers from the per-directory index
    const info = JSON.parse((await cliOk(['geo', 'info', '--json', 'lidar'], { cwd: dir })).stdout) as any[];
    const copc = info.find((i) => i.path.endsWith('ellipsoid.copc.laz'));
    assert.equal(copc.kind, 'pointcloud');
    assert.equal(copc.meta.points, 100000);
    assert.equal(copc.meta.crs, 'EPSG:3857');
    assert.equal(copc.meta.driver, 'COPC');

    const r = JSON.parse((await cliOk(['geo', 'stac', '--output', 'site', '--json'], { cwd: dir })).stdout);
    const paths = r.items.map((i: any) => i.path).sort();
    assert.deepEqual(paths, ['lidar/ellipsoid.copc.laz', 'lidar/test1_4.las', 'mvk.las']);
    assert.ok(r.skipped.some((s: any) => s.path === 'lidar/simple.laz'), 'a point cloud without CRS has no footprint');
    for (const it of r.items) {
      const doc = JSON.parse(readFileSync(it.file, 'utf8'));
      assert.deepEqual(await validateStac(doc), []);
      assert.ok(doc.stac_extensions.includes('https://stac-extensions.github.io/pointcloud/v1.0.0/schema.json'));
      const p = doc.properties;
      const src = JSON.parse(readFileSync(join(FORMATS, 'truth', `${it.path.split('/').pop().replace(/^mvk\.las$/, 'mvk-thin.las')}.lasheader.json`), 'utf8')).header;
      assert.equal(p['pc:count'], src.pointCount);
      assert.equal(p['pc:type'], 'lidar');
      assert.equal(p['pc:encoding'], src.is_copc ? 'COPC' : src.is_laz ? 'LASzip' : 'LAS');
      assert.equal(p['pc:schemas'].reduce((s: number, d: any) => s + d.size, 0) - p['pc:schemas'].filter((d: any) => /Flag|Return|Edge|Channel|ClassFlags/.test(d.name)).reduce((s: number, d: any) => s + d.size, 0) + (src.pointFormat >= 6 ? 2 : 1), src.pointRecordLength, `${it.path}: dimension sizes add up to the record length`);
      assert.equal(p['proj:code'], `EPSG:${src.epsg}`);
      assert.deepEqual(p['proj:bbox'], src.bounds);
      // footprint: the header bounds' corners through PROJ (gdaltransform)
      const b = src.bounds;
      const ll = gdaltransform(`EPSG:${src.epsg}`, [[b[0], b[1]], [b[3], b[1]], [b[3], b[4]], [b[0], b[4]]]);
      const xs = ll.map((q) => q[0]), ys = ll.map((q) => q[1]);
      const tol = 1e-4;
      assert.ok(Math.abs(doc.bbox[0] - Math.min(...xs)) < tol && Math.abs(doc.bbox[2] - Math.max(...xs)) < tol, `${it.path}: bbox x ${doc.bbox} vs ${xs}`);
      assert.ok(Math.abs(doc.bbox[1] - Math.min(...ys)) < tol && Math.abs(doc.bbox[3] - Math.max(...ys)) < tol, `${it.path}: bbox y ${doc.bbox} vs ${ys}`);
      assert.equal(doc.assets.data.type, src.is_copc ? 'application/vnd.laszip+copc' : src.is_laz ? 'application/vnd.laszip' : 'application/vnd.las');
    }

    copyFileSync(join(FORMATS, '1.2-with-color-clipped.las'), join(dir, 'clipped.las'));
    await cliOk(['add', '-q', 'clipped.las'], { cwd: dir });
    const bad = await runCli(['geo', 'stac', '--output', 'site2', 'clipped.las'], { cwd: dir });
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.match(bad.stderr, /clipped\.las: the header declares 1065 points/);
  } finally { cleanup(); }
});
