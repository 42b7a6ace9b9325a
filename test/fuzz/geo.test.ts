/**
 * Fuzz: geospatial file readers (owned by the geo engineer; this file only checks them): TIFF /
 * BigTIFF headers and IFDs, GeoJSON, Shapefile, GeoPackage. Seeds are small real files from the
 * shared corpus, mutated (byte flips, smashed 32-bit fields, truncation, insertions). Property:
 * the public reader returns or throws an AppError (InvalidFileError), within bounded time.
 */
import { test, before, after } from 'node:test';
import fc from 'fast-check';
import { copyFileSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS } from '../helpers/cli.js';
import { makeShmTmpDir } from '../helpers/tmp.js';
import { readRasterInfo } from '../../src/geo/raster/info.js';
import { readVectorInfo } from '../../src/geo/vector/info.js';
import { parseGpkgGeometry } from '../../src/geo/vector/geopackage.js';
import { check, checkAsync, mutated, mutatedBytes, params, RUNS, tolerate, tolerateAsync } from './_fuzz.js';

let tmp: ReturnType<typeof makeShmTmpDir>;
// each case is written to a file: in memory (tmpfs), the cost is the parser's, not ext4's
before(() => { tmp = makeShmTmpDir('fuzz-geo-'); });
after(() => tmp.cleanup());

const corpusFiles = (re: RegExp, maxBytes: number) => existsSync(CORPUS) ? readdirSync(CORPUS).filter((f) => re.test(f) && statSync(join(CORPUS, f)).size <= maxBytes).sort() : [];

test('TIFF/BigTIFF reader: mutated headers never crash', { timeout: 180_000 }, async (t) => {
  const names = corpusFiles(/\.(tif|tiff)$/i, 8192);
  if (!names.length) { if (process.env.CI === 'true') throw new Error(`no corpus at ${CORPUS}`); t.skip('no corpus'); return; }
  const seeds = names.map((n) => readFileSync(join(CORPUS, n)));
  const p = join(tmp.dir, 'f.tif');
  // keep the byte-order mark so every case exercises the TIFF parser (anything else goes to gdal3.js, fuzzed elsewhere)
  await checkAsync(fc.asyncProperty(mutatedBytes(seeds), fc.constantFrom('II', 'MM'), async (bytes, bom) => {
    const b = Buffer.concat([bytes, Buffer.alloc(Math.max(0, 8 - bytes.length))]);
    b.write(bom, 0, 'latin1');
    writeFileSync(p, b);
    await tolerateAsync(() => readRasterInfo(p), 'readRasterInfo');
  }), params());
});

test('GeoJSON reader: mutated documents never crash', { timeout: 180_000 }, async (t) => {
  const names = corpusFiles(/\.(geo)?json$/i, 3000).filter((n) => n !== 'corpus.json');
  if (!names.length) { if (process.env.CI === 'true') throw new Error(`no corpus at ${CORPUS}`); t.skip('no corpus'); return; }
  const seeds = names.map((n) => readFileSync(join(CORPUS, n), 'utf8'));
  const p = join(tmp.dir, 'f.geojson');
  const structured = fc.record({ type: fc.constantFrom('FeatureCollection', 'Feature', 'Point', 'Polygon', 'GeometryCollection', 'x'), features: fc.option(fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 3 })), geometry: fc.option(fc.jsonValue({ maxDepth: 4 })), coordinates: fc.option(fc.jsonValue({ maxDepth: 4 })), crs: fc.option(fc.record({ type: fc.constantFrom('name', 'EPSG'), properties: fc.record({ name: fc.oneof(fc.string(), fc.constantFrom('EPSG:4326', 'urn:ogc:def:crs:EPSG::99999', 'urn:ogc:def:crs:OGC:1.3:CRS84')), code: fc.integer() }) })) }, { requiredKeys: ['type'] }).map((v) => JSON.stringify(v));
  await checkAsync(fc.asyncProperty(fc.oneof(mutated(seeds), structured), async (text) => {
    writeFileSync(p, text);
    await tolerateAsync(() => readVectorInfo(p), 'readVectorInfo(geojson)');
  }), params());
});

test('Shapefile reader: mutated .shp/.shx/.dbf never crash', { timeout: 180_000 }, async (t) => {
  if (!existsSync(join(CORPUS, 'box.shp'))) { if (process.env.CI === 'true') throw new Error(`no corpus at ${CORPUS}`); t.skip('no corpus'); return; }
  const base = ['box', 'poly'].filter((b) => existsSync(join(CORPUS, `${b}.shp`)));
  const seeds = base.map((b) => readFileSync(join(CORPUS, `${b}.shp`)));
  const shx = base.map((b) => readFileSync(join(CORPUS, `${b}.shx`)));
  const dbf = base.map((b) => readFileSync(join(CORPUS, `${b}.dbf`)));
  const p = join(tmp.dir, 's.shp');
  copyFileSync(join(CORPUS, 'box.prj'), join(tmp.dir, 's.prj'));
  await readVectorInfo(join(CORPUS, 'box.shp')); // loads the reader's modules once, outside the per-case time limit
  await checkAsync(fc.asyncProperty(fc.nat({ max: base.length - 1 }), fc.constantFrom('shp', 'shx', 'dbf'), mutatedBytes(seeds), fc.integer({ min: 0, max: 1000 }), async (i, which, mshp, salt) => {
    const pick = (arr: Buffer[]) => arr[i]!;
    writeFileSync(p, which === 'shp' ? mshp : pick(seeds));
    const flip = (b: Buffer) => { const c = Buffer.from(b); if (c.length) { const k = salt % c.length; c.writeUInt8(c.readUInt8(k) ^ 0xff, k); } if (c.length > 4 && salt % 3 === 0) return c.subarray(0, salt % c.length); return c; };
    writeFileSync(join(tmp.dir, 's.shx'), which === 'shx' ? flip(pick(shx)) : pick(shx));
    writeFileSync(join(tmp.dir, 's.dbf'), which === 'dbf' ? flip(pick(dbf)) : pick(dbf));
    await tolerateAsync(() => readVectorInfo(p), 'readVectorInfo(shapefile)');
  }), params());
});

test('GeoPackage geometry blobs: never crash', { timeout: 120_000 }, () => {
  const wkbPoint = Buffer.from('4750000100000000' + '0101000000' + '000000000000f03f' + '0000000000000040', 'hex');
  const wkbPoly = Buffer.concat([Buffer.from('47500001e6100000', 'hex'), Buffer.from('010300000001000000040000000000000000000000000000000000000000000000000000000000000000f03f000000000000f03f000000000000f03f0000000000000000000000000000000000000000', 'hex')]);
  check(fc.property(fc.oneof(mutatedBytes([wkbPoint, wkbPoly]), fc.uint8Array({ maxLength: 64 })), (blob) => {
    // parseGpkgGeometry is internal: readGpkgInfo wraps its errors. A plain Error with a message is its contract;
    // what must never happen is a hang or an out-of-bounds RangeError escaping as anything but an Error.
    try { parseGpkgGeometry(blob); } catch (err) { if (!(err instanceof Error)) throw err; }
  }), params());
});

test('GeoPackage files: corrupted pages never crash', { timeout: 180_000 }, async (t) => {
  const names = corpusFiles(/\.gpkg$/i, 10_000); // small seeds: each case writes the whole file
  if (!names.length) { if (process.env.CI === 'true') throw new Error(`no corpus at ${CORPUS}`); t.skip('no corpus'); return; }
  const seeds = names.map((n) => readFileSync(join(CORPUS, n)));
  const p = join(tmp.dir, 'f.gpkg');
  await checkAsync(fc.asyncProperty(mutatedBytes(seeds), async (bytes) => {
    writeFileSync(p, bytes);
    await tolerateAsync(() => readVectorInfo(p), 'readVectorInfo(gpkg)');
  }), params());
});
void tolerate;

test('decode budget: random header sizes give a layout within budget or an AppError, never NaN sizes', { timeout: 120_000 }, async () => {
  const { TiffFile } = await import('../../src/geo/raster/tiff.js');
  const { checkDecodeBudget } = await import('../../src/geo/raster/budget.js');
  const p = join(tmp.dir, 'h.tif');
  const u32 = fc.oneof(fc.constantFrom(0, 1, 255, 256, 46336, 65535, 1_000_000, 0xffffffff), fc.nat());
  check(fc.property(u32, u32, u32, u32, fc.integer({ min: 0, max: 70000 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 20 }), fc.boolean(), (w, h, tw, th, spp, bits, nblocks, isTiled) => {
    const entries: [number, number, number[]][] = [[256, 4, [w]], [257, 4, [h]], [258, 3, [bits]], [277, 3, [spp]],
      ...(isTiled ? [[322, 4, [tw]], [323, 4, [th]], [324, 4, new Array(nblocks).fill(8)], [325, 4, new Array(nblocks).fill(1)]] as [number, number, number[]][]
        : [[278, 4, [th]], [273, 4, new Array(nblocks).fill(8)], [279, 4, new Array(nblocks).fill(1)]] as [number, number, number[]][])];
    entries.sort((a, b) => a[0] - b[0]);
    const ifd = Buffer.alloc(2 + entries.length * 12 + 4);
    ifd.writeUInt16LE(entries.length, 0);
    const extra: Buffer[] = [];
    let off = 8 + ifd.length;
    entries.forEach(([tag, type, vals], k) => {
      const sz = type === 3 ? 2 : 4;
      const b = Buffer.alloc(vals.length * sz);
      vals.forEach((v, i) => (sz === 2 ? b.writeUInt16LE(v & 0xffff, i * 2) : b.writeUInt32LE(v >>> 0, i * 4)));
      ifd.writeUInt16LE(tag, 2 + k * 12); ifd.writeUInt16LE(type, 4 + k * 12); ifd.writeUInt32LE(vals.length, 6 + k * 12);
      if (b.length <= 4) b.copy(ifd, 10 + k * 12); else { ifd.writeUInt32LE(off, 10 + k * 12); extra.push(b); off += b.length; }
    });
    writeFileSync(p, Buffer.concat([Buffer.from([0x49, 0x49, 42, 0, 8, 0, 0, 0]), ifd, ...extra]));
    const t = TiffFile.open(p);
    try {
      const L = tolerate(() => checkDecodeBudget({ tiff: t }, { budgetBytes: 1 << 30 }), 'checkDecodeBudget');
      if (L) {
        for (const v of [L.blockBytes, L.blockCount, L.imageBytes]) if (!Number.isFinite(v) || v <= 0) throw new Error(`bad layout ${JSON.stringify(L)}`);
        if (L.blockBytes > 1 << 30 || L.offsetsCount < L.blockCount) throw new Error(`accepted over budget: ${JSON.stringify(L)}`);
      }
    } finally { t.close(); }
  }), params(Math.min(RUNS, 2000)));
});

test('XML guard and JSON depth scan: random and mutated text never throw, and stay linear', { timeout: 120_000 }, async () => {
  const { xmlStructureProblem } = await import('../../src/geo/raster/xml-guard.js');
  const { jsonDepthExceeded } = await import('../../src/geo/vector/geojson.js');
  const vrt = existsSync(join(CORPUS, 'byte.vrt')) ? readFileSync(join(CORPUS, 'byte.vrt'), 'utf8') : '<VRTDataset rasterXSize="1" rasterYSize="1"><VRTRasterBand band="1"/></VRTDataset>';
  check(fc.property(fc.oneof(mutated([vrt, '{"type":"Point","coordinates":[1,2]}']), fc.string({ maxLength: 200 })), (s) => {
    const t0 = performance.now();
    xmlStructureProblem(s);
    jsonDepthExceeded(s);
    if (performance.now() - t0 > 2000) throw new Error('slow'); // inputs are <= 200 chars: only a blow-up gets near this
  }), params());
});
