/**
 * Point clouds through the CLI: every LAS/LAZ/COPC sample of the shared corpus (formats/) in
 * `geo info`, `geo check`, `geo validate` and `geo chip` (tiling). Good files must give the values
 * of formats.json and the independent header reader's truth (truth/*.lasheader.json); broken files
 * must exit non-zero naming the file. Tiles are re-read with our header reader and point decoder:
 * their counts add up to the source's, and every point lies in its tile's cell.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS, cliOk, runCli } from '../helpers/cli.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { readLasHeader } from '../../src/geo/pointcloud/header.js';
import { scanPoints } from '../../src/geo/pointcloud/check.js';

const FORMATS = join(CORPUS, 'formats');
const manifest = JSON.parse(readFileSync(join(CORPUS, 'formats.json'), 'utf8')).files.filter((f: any) => f.kind === 'pointcloud') as any[];
const name = (f: any) => f.file.split('/').pop() as string;
const good = manifest.filter((f) => !f.broken);
const broken = manifest.filter((f) => f.broken);
const truth = (f: any) => JSON.parse(readFileSync(join(FORMATS, 'truth', `${name(f)}.lasheader.json`), 'utf8')).header;

test('corpus has good and broken point clouds', () => {
  assert.ok(good.length >= 8, `good samples: ${good.length}`);
  assert.ok(broken.length >= 2, `broken samples: ${broken.length}`);
});

test('geo info --json: every good sample equals formats.json and the LAS header truth', async () => {
  const r = await cliOk(['geo', 'info', '--json', ...good.map((f) => join(FORMATS, name(f)))], { cwd: FORMATS });
  const items = JSON.parse(r.stdout) as any[];
  assert.equal(items.length, good.length);
  for (const f of good) {
    const it = items.find((i) => i.path.endsWith(name(f)));
    assert.ok(it, `no item for ${name(f)}`);
    assert.equal(it.kind, 'pointcloud', name(f));
    const i = it.info;
    const t = truth(f);
    assert.equal(i.pointCount, f.pointCount, `${name(f)} pointCount`);
    assert.deepEqual(i.bounds, f.bounds, `${name(f)} bounds`);
    assert.equal(i.pointFormat, f.pointFormat, `${name(f)} pointFormat`);
    assert.equal(i.pointRecordLength, f.pointRecordLength, `${name(f)} pointRecordLength`);
    assert.equal(i.lasVersion, f.lasVersion, `${name(f)} lasVersion`);
    assert.equal(i.epsg, f.epsg, `${name(f)} epsg`);
    assert.deepEqual(i.scale, t.scale, `${name(f)} scale`);
    assert.deepEqual(i.offset.map((v: number) => v + 0), t.offset.map((v: number) => v + 0), `${name(f)} offset`);
    assert.equal(i.compressed, t.is_laz, `${name(f)} compressed`);
    assert.equal(i.copc, t.is_copc, `${name(f)} copc`);
    assert.deepEqual(i.vlrs.map((v: any) => [v.userId, v.recordId, v.length]), t.vlrs.map((v: any) => [v.user_id, v.record_id, v.length]), `${name(f)} vlrs`);
    assert.equal(i.driverShortName, t.is_copc ? 'COPC' : t.is_laz ? 'LAZ' : 'LAS');
  }
});

test('geo info --classes: classification counts add up to the point count (LAZ and COPC decode)', async () => {
  const files = good.filter((f) => f.compressed || f.copc).map((f) => join(FORMATS, name(f)));
  assert.ok(files.length >= 2);
  const items = JSON.parse((await cliOk(['geo', 'info', '--json', '--classes', ...files], { cwd: FORMATS })).stdout) as any[];
  for (const it of items) {
    assert.ok(it.info.classification?.length, `${it.path}: no classification`);
    assert.equal(it.info.classification.reduce((s: number, c: any) => s + c.count, 0), it.info.pointCount, it.path);
  }
  // simple.laz and simple.las hold the same points: the same classes
  const las = JSON.parse((await cliOk(['geo', 'info', '--json', join(FORMATS, 'simple.las')], { cwd: FORMATS })).stdout);
  const laz = items.find((i) => i.path.endsWith('simple.laz'));
  assert.deepEqual(laz.info.classification, las.info.classification);
});

test('geo info, check, validate, chip: each broken sample exits non-zero naming the file', async () => {
  const { dir: out, cleanup } = makeTmpDir('pc-broken-');
  try {
    // info, check and validate take every broken file at once and must name each of them
    const all = broken.map((f) => join(FORMATS, name(f)));
    const runs = [['geo', 'info', ...all], ['geo', 'check', ...all], ['geo', 'validate', ...all]].map((args) => ({ args, names: broken.map(name) }));
    for (const f of broken) runs.push({ args: ['geo', 'chip', '--input', join(FORMATS, name(f)), '--output', join(out, name(f)), '--size', '50'], names: [name(f)] });
    for (const { args, names } of runs) {
      const r = await runCli(args, { cwd: FORMATS });
      assert.notEqual(r.code, 0, `${args.slice(0, 2).join(' ')} exited 0\n${r.stdout}${r.stderr}`);
      for (const n of names) assert.match(r.stdout + r.stderr, new RegExp(n.replace(/\./g, '\\.')), `${args[1]} ${n}: ${r.stdout}${r.stderr}`);
    }
  } finally { cleanup(); }
});

test('geo check: good samples pass with every point decoded, broken ones list the problem', async () => {
  const r = await cliOk(['geo', 'check', '--json', ...good.map((f) => join(FORMATS, name(f)))], { cwd: FORMATS });
  const j = JSON.parse(r.stdout);
  assert.equal(j.ok, true);
  for (const f of good) {
    const c = j.files.find((x: any) => x.file.endsWith(name(f)));
    assert.equal(c.kind, 'pointcloud');
    assert.equal(c.pointsDecoded, f.pointCount, name(f));
  }
  const b = await runCli(['geo', 'check', '--json', ...broken.map((f) => join(FORMATS, name(f)))], { cwd: FORMATS });
  assert.equal(b.code, 1);
  const bj = JSON.parse(b.stdout);
  assert.equal(bj.failed, broken.length);
  const laz = bj.files.find((x: any) => x.file.endsWith('simple_truncated.laz'));
  assert.match(laz.problems[0].message, /chunk table offset 18203 outside the file \(10019 bytes\)/);
  const clipped = bj.files.find((x: any) => x.file.endsWith('1.2-with-color-clipped.las'));
  assert.match(clipped.problems[0].message, /1065 points.*36439.*36405 bytes/);
});

test('geo validate: the CRS gate on point clouds', async () => {
  const withCrs = good.filter((f) => f.epsg !== null);
  const noCrs = good.filter((f) => f.epsg === null);
  const first = withCrs[0];
  const ok = await cliOk(['geo', 'validate', '--json', '--crs', `EPSG:${first.epsg}`, join(FORMATS, name(first))], { cwd: FORMATS });
  assert.equal(JSON.parse(ok.stdout).ok, true);
  const other = withCrs.find((f) => f.epsg !== first.epsg);
  const bad = await runCli(['geo', 'validate', '--json', '--crs', `EPSG:${first.epsg}`, join(FORMATS, name(other))], { cwd: FORMATS });
  assert.equal(bad.code, 1);
  const v = JSON.parse(bad.stdout).violations;
  assert.equal(v[0].rule, 'crs');
  assert.equal(v[0].actual.split(' ')[0], `EPSG:${other.epsg}`);
  const none = await runCli(['geo', 'validate', '--json', '--crs', `EPSG:${first.epsg}`, join(FORMATS, name(noCrs[0]))], { cwd: FORMATS });
  assert.equal(none.code, 1);
  assert.equal(JSON.parse(none.stdout).violations[0].rule, 'georef');
});

test('geo chip on point clouds: tiles conserve every point, each inside its cell; buffers apart', async () => {
  const { dir: out, cleanup } = makeTmpDir('pc-tiles-');
  try {
    for (const f of good.filter((x) => ['ellipsoid.copc.laz', 'simple.laz', 'test1_4.las'].includes(name(x)))) {
      const size = Math.max(1, Math.ceil((f.bounds[3] - f.bounds[0]) / 4));
      const buffer = size / 10;
      const dir = join(out, name(f));
      const r = JSON.parse((await cliOk(['geo', 'chip', '--json', '--input', join(FORMATS, name(f)), '--output', dir, '--size', String(size), '--buffer', String(buffer)], { cwd: FORMATS })).stdout);
      assert.equal(r.points, f.pointCount);
      const index = JSON.parse(readFileSync(join(dir, 'tiles.json'), 'utf8'));
      assert.equal(index.tiles.length, r.tiles);
      let sum = 0;
      for (const t of index.tiles) {
        const p = join(dir, t.file);
        const h = readLasHeader(p);
        assert.equal(h.problems.length, 0, `${t.file}: ${JSON.stringify(h.problems)}`);
        assert.equal(h.compressed, false);
        assert.equal(h.pointFormat, f.pointFormat);
        assert.equal(h.pointCount, t.points);
        const s = await scanPoints(p, h);
        assert.equal(s.count, t.points, t.file);
        assert.ok(s.bounds[0]! >= t.cell[0] && s.bounds[3]! < t.cell[2] && s.bounds[1]! >= t.cell[1] && s.bounds[4]! < t.cell[3], `${t.file}: points ${s.bounds} outside cell ${t.cell}`);
        assert.deepEqual(h.bounds, s.bounds, `${t.file}: header bounds`);
        sum += t.points;
        if (t.buffer) {
          const bh = readLasHeader(join(dir, t.buffer.file));
          const bs = await scanPoints(join(dir, t.buffer.file), bh);
          assert.equal(bs.count, t.buffer.points);
          // buffer points lie outside the cell but within `buffer` of it
          assert.ok(bs.bounds[0]! >= t.cell[0] - buffer - 1e-6 && bs.bounds[3]! < t.cell[2] + buffer + 1e-6, `${t.buffer.file} x`);
        }
      }
      assert.equal(sum, f.pointCount, `${name(f)}: tile counts add up`);
    }
  } finally { cleanup(); }
});
