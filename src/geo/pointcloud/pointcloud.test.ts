/**
 * Unit tests of the LAS header/VLR reader (against the independent reader's truth files of the
 * shared corpus), the CRS records, the LAS writer and the tiler's conservation of points.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLasHeader } from './header.js';
import { wktEpsg } from './crs.js';
import { openPointCloud, readPointCloudInfo, pointCloudMeta } from './info.js';
import { checkPointCloud, scanPoints } from './check.js';

import { tilePointCloud } from './tile.js';

const CORPUS = process.env.GEODVC_CORPUS ?? join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'corpus');
const FORMATS = join(CORPUS, 'formats');
const samples = (JSON.parse(readFileSync(join(CORPUS, 'formats.json'), 'utf8')).files as any[]).filter((f) => f.kind === 'pointcloud');
const nameOf = (f: any) => String(f.file).split('/').pop()!;

test('LAS header reader: every corpus sample equals the independent reader (version, format, counts, scale/offset, bounds, VLRs, EPSG, problems)', () => {
  assert.ok(samples.length >= 10);
  for (const f of samples) {
    const t = JSON.parse(readFileSync(join(FORMATS, 'truth', `${nameOf(f)}.lasheader.json`), 'utf8')).header;
    const p = join(FORMATS, nameOf(f));
    const h = readLasHeader(p);
    const { crs } = openPointCloud(p);
    const n = nameOf(f);
    assert.equal(h.lasVersion, t.lasVersion, n);
    assert.equal(h.pointFormat, t.pointFormat, n);
    assert.equal(h.pointFormatRaw, t.point_format_id_raw, n);
    assert.equal(h.pointRecordLength, t.pointRecordLength, n);
    assert.equal(h.pointCount, t.pointCount, n);
    assert.equal(h.legacyPointCount, t.legacy_point_count, n);
    assert.deepEqual(h.scale, t.scale, n);
    assert.deepEqual(h.offset.map((v) => v + 0), t.offset.map((v: number) => v + 0), n);
    assert.deepEqual(h.bounds, t.bounds, n);
    assert.equal(h.headerSize, t.header_size, n);
    assert.equal(h.offsetToPointData, t.offset_to_point_data, n);
    assert.equal(h.globalEncoding, t.global_encoding ?? 0, n); // LAS 1.0 has no global encoding field
    assert.equal(h.generatingSoftware, t.generating_software, n);
    assert.deepEqual(h.vlrs.map((v) => [v.userId, v.recordId, v.length, v.description, v.dataOffset - 54]), t.vlrs.map((v: any) => [v.user_id, v.record_id, v.length, v.description, v.offset]), n);
    assert.deepEqual(h.evlrs.map((v) => [v.userId, v.recordId, v.length]), t.evlrs.map((v: any) => [v.user_id, v.record_id, v.length]), n);
    assert.equal(h.compressed, t.is_laz, n);
    assert.equal(!!h.copc, t.is_copc, n);
    if (t.laszip) assert.equal(h.laszip?.chunkSize ?? null, t.laszip.chunk_size === 4294967295 ? null : t.laszip.chunk_size, n);
    assert.equal(crs?.epsg ?? null, t.epsg, n);
    assert.equal(h.problems.length > 0, t.problems.length > 0, `${n}: ${JSON.stringify(h.problems)} vs ${JSON.stringify(t.problems)}`);
    if (t.pointCount !== undefined && t.point_count_64 !== undefined) assert.equal(h.pointCount, t.point_count_64, n);
  }
});

test('wktEpsg: root authority, else the horizontal part of a compound CRS', () => {
  const projcs = 'PROJCS["NAD83 / UTM zone 15N",GEOGCS["NAD83",AUTHORITY["EPSG","4269"]],AUTHORITY["EPSG","26915"]]';
  assert.deepEqual(wktEpsg(projcs), { epsg: 26915 });
  const compd = `COMPD_CS["x + y",${projcs},VERT_CS["NAVD88 height",VERT_DATUM["North American Vertical Datum 1988",2005],AUTHORITY["EPSG","5703"]]]`;
  assert.deepEqual(wktEpsg(compd), { epsg: 26915, vertical: 5703 });
  assert.deepEqual(wktEpsg('LOCAL_CS["arbitrary"]'), { epsg: undefined });
});

test('a broken header is an error naming the file; the header check names truncation and the LAZ chunk table', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-unit-'));
  try {
    writeFileSync(join(dir, 'tiny.las'), Buffer.from('LASF\0\0\0\0'));
    assert.throws(() => readLasHeader(join(dir, 'tiny.las')), /tiny\.las: truncated LAS header/);
    writeFileSync(join(dir, 'not.las'), Buffer.alloc(400));
    assert.throws(() => readLasHeader(join(dir, 'not.las')), /not\.las: not a LAS\/LAZ file/);
    await assert.rejects(readPointCloudInfo(join(FORMATS, 'simple_truncated.laz')), /simple_truncated\.laz: LAZ chunk table offset 18203 outside the file/);
    const c = await checkPointCloud(join(FORMATS, '1.2-with-color-clipped.las'));
    assert.equal(c.ok, false);
    assert.equal(c.problems[0]!.code, 'points-beyond-eof');
    // a LAS cut inside its point data: not deep-decodable, reported as such
    const src = readFileSync(join(FORMATS, 'simple.las'));
    writeFileSync(join(dir, 'cut.las'), src.subarray(0, src.length - 100));
    const cut = await checkPointCloud(join(dir, 'cut.las'));
    assert.equal(cut.ok, false);
    assert.match(cut.problems[0]!.message, /1065 points of 34 bytes/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('meta for add is header-only and deterministic; info counts classes for small LAS', async () => {
  const m = pointCloudMeta(join(FORMATS, 'test1_4.las'));
  assert.equal(m.kind, 'pointcloud');
  assert.equal(m.crs, 'EPSG:2903');
  assert.equal(m.points, 1000);
  assert.deepEqual(pointCloudMeta(join(FORMATS, 'test1_4.las')), m);
  const i = await readPointCloudInfo(join(FORMATS, 'mvk-thin.las'));
  assert.equal(i.classification?.reduce((s, c) => s + c.count, 0), 6280);
  assert.equal(i.epsg, 26995);
  const laz = await readPointCloudInfo(join(FORMATS, 'simple.laz'));
  assert.equal(laz.classification, undefined, 'LAZ classes only when asked');
});

test('tiling: every point in exactly one tile, tiles inside their cells, buffer parts apart; LAS 1.4 64-bit counts written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-tile-'));
  try {
    for (const [file, size, buffer] of [['simple.las', 1500, 100], ['test1_4.las', 100, 10], ['permutations_1.0_0.las', 10, 0]] as const) {
      const src = join(FORMATS, file);
      const h = readLasHeader(src);
      const out = join(dir, file);
      const r = await tilePointCloud({ input: src, output: out, size, buffer });
      assert.equal(r.points, h.pointCount);
      assert.equal(r.tiles.reduce((s, t) => s + t.points, 0), h.pointCount, file);
      let bufferPts = 0;
      for (const t of r.tiles) {
        const th = readLasHeader(join(out, t.file));
        assert.equal(th.pointCount, t.points);
        assert.equal(th.lasVersion, h.lasVersion);
        if (h.versionMinor >= 4) assert.equal(th.legacyPointCount, h.pointFormat >= 6 ? 0 : t.points);
        assert.equal(th.pointsByReturn.reduce((s, v) => s + v, 0), t.points, `${t.file}: returns`);
        const s = await scanPoints(join(out, t.file), th);
        assert.ok(s.bounds[0]! >= t.cell[0] && s.bounds[3]! < t.cell[2] && s.bounds[1]! >= t.cell[1] && s.bounds[4]! < t.cell[3], t.file);
        if (t.buffer) {
          bufferPts += t.buffer.points;
          const bs = await scanPoints(join(out, t.buffer.file), readLasHeader(join(out, t.buffer.file)));
          assert.equal(bs.count, t.buffer.points);
        }
      }
      assert.equal(bufferPts, r.bufferPoints);
      if (!buffer) assert.equal(r.bufferPoints, 0);
      // the CRS records travel with the tiles
      if (openPointCloud(src).crs) assert.equal(openPointCloud(join(out, r.tiles[0]!.file)).crs?.epsg, openPointCloud(src).crs?.epsg);
    }
    // a directory of point clouds: each tiled on the same grid, stems keep them apart
    copyFileSync(join(FORMATS, 'simple.las'), join(dir, 'a.las'));
    await assert.rejects(tilePointCloud({ input: join(dir, 'a.las'), output: join(dir, 'o'), size: 0 }), /--size must be a positive number/);
    await assert.rejects(tilePointCloud({ input: join(dir, 'a.las'), output: join(dir, 'o'), size: 10, buffer: 6 }), /--buffer must be/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
