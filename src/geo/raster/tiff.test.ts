import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TiffFile, TiffFormatError, Tag } from './tiff.js';
import { readGeoTiffInfo, gdalDataType, parseNodata } from './geotiff-info.js';
import { checkRaster } from './check.js';

type Entry = [tag: number, type: number, values: number[] | string];

/** Builds a little-endian classic TIFF with one IFD at offset 8 and out-of-line values after it. */
function buildTiff(entries: Entry[], opts: { data?: Buffer; truncateTo?: number; nextIfd?: number } = {}): Buffer {
  const sorted = [...entries].sort((a, b) => a[0] - b[0]);
  const ifdSize = 2 + sorted.length * 12 + 4;
  const extra: Buffer[] = [];
  let extraOff = 8 + ifdSize;
  const ifd = Buffer.alloc(ifdSize);
  ifd.writeUInt16LE(sorted.length, 0);
  const size: Record<number, number> = { 2: 1, 3: 2, 4: 4, 12: 8 };
  sorted.forEach(([tag, type, values], k) => {
    const o = 2 + k * 12;
    const bytes = typeof values === 'string' ? Buffer.from(values + '\0', 'latin1') : Buffer.alloc(values.length * size[type]!);
    if (typeof values !== 'string') values.forEach((v, i) => { if (type === 3) bytes.writeUInt16LE(v, i * 2); else if (type === 4) bytes.writeUInt32LE(v, i * 4); else bytes.writeDoubleLE(v, i * 8); });
    ifd.writeUInt16LE(tag, o); ifd.writeUInt16LE(type, o + 2); ifd.writeUInt32LE(typeof values === 'string' ? bytes.length : values.length, o + 4);
    if (bytes.length <= 4) bytes.copy(ifd, o + 8);
    else { ifd.writeUInt32LE(extraOff, o + 8); extra.push(bytes); extraOff += bytes.length; }
  });
  ifd.writeUInt32LE(opts.nextIfd ?? 0, ifdSize - 4);
  const head = Buffer.from([0x49, 0x49, 42, 0, 8, 0, 0, 0]);
  const all = Buffer.concat([head, ifd, ...extra, opts.data ?? Buffer.alloc(0)]);
  return opts.truncateTo !== undefined ? all.subarray(0, opts.truncateTo) : all;
}

function withFile(buf: Buffer, fn: (p: string) => Promise<void> | void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tiff-'));
  const p = join(dir, 'x.tif');
  writeFileSync(p, buf);
  return Promise.resolve(fn(p)).finally(() => rmSync(dir, { recursive: true, force: true }));
}

const base = (dataOffset: number, bytes = 16): Entry[] => [
  [Tag.ImageWidth, 3, [4]], [Tag.ImageLength, 3, [4]], [Tag.BitsPerSample, 3, [8]], [Tag.Compression, 3, [1]],
  [Tag.Photometric, 3, [1]], [Tag.StripOffsets, 4, [dataOffset]], [Tag.SamplesPerPixel, 3, [1]], [Tag.RowsPerStrip, 3, [4]],
  [Tag.StripByteCounts, 4, [bytes]],
];

test('geotransform from tiepoint + scale, PixelIsPoint shift, EPSG from keys, nodata', async () => {
  const geo: Entry[] = [
    [Tag.ModelPixelScale, 12, [10, 10, 0]], [Tag.ModelTiepoint, 12, [0, 0, 0, 500000, 4000000, 0]],
    [Tag.GeoKeyDirectory, 3, [1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 2, 3072, 0, 1, 32632]],
    [Tag.GdalNodata, 2, '-9999'],
  ];
  const probe = buildTiff([...base(0), ...geo]);
  const buf = buildTiff([...base(probe.length), ...geo], { data: Buffer.alloc(16, 7) });
  await withFile(buf, async (p) => {
    const info = readGeoTiffInfo(p);
    assert.deepEqual(info.size, [4, 4]);
    assert.equal(info.epsg, 32632);
    assert.equal(info.areaOrPoint, 'Point');
    assert.deepEqual(info.geoTransform, [499995, 10, 0, 4000005, 0, -10]);
    assert.equal(info.bands[0]!.noDataValue, -9999);
    assert.deepEqual(info.bands[0]!.block, [4, 4]);
    const r = await checkRaster(p);
    assert.equal(r.ok, true, JSON.stringify(r.problems));
    assert.equal(r.blocksDecoded, 1);
  });
});

test('strip past the end of the file is reported with its offset', async () => {
  const probe = buildTiff(base(0));
  const buf = buildTiff(base(probe.length, 16), { data: Buffer.alloc(6) });
  await withFile(buf, async (p) => {
    const r = await checkRaster(p);
    assert.equal(r.ok, false);
    const e = r.problems.find((x) => x.code === 'strip-beyond-eof')!;
    assert.equal(e.offset, probe.length);
    assert.match(e.structure, /StripOffsets\[0\]/);
  });
});

test('cut-off IFD, unknown compression, loops and non-TIFF input', async () => {
  await withFile(Buffer.from('hello world, not a tiff'), (p) => assert.throws(() => TiffFile.open(p), TiffFormatError));
  const full = buildTiff(base(200));
  await withFile(full.subarray(0, 40), async (p) => {
    const t = TiffFile.open(p);
    assert.ok(t.issues.some((i) => i.code === 'ifd-truncated'));
    t.close();
    const r = await checkRaster(p);
    assert.equal(r.ok, false);
  });
  const unk = base(0).map((e): Entry => (e[0] === Tag.Compression ? [Tag.Compression, 3, [65535]] : e));
  await withFile(buildTiff(unk, { data: Buffer.alloc(16) }), async (p) => {
    const r = await checkRaster(p);
    assert.equal(r.problems[0]!.code, 'unknown-compression');
  });
  await withFile(buildTiff(base(100), { data: Buffer.alloc(100), nextIfd: 8 }), (p) => {
    const t = TiffFile.open(p);
    assert.equal(t.ifds.length, 1);
    assert.ok(t.issues.some((i) => i.code === 'ifd-loop'));
    t.close();
  });
});

test('GDAL data type and nodata rules', () => {
  assert.equal(gdalDataType(1, 1), 'Byte');
  assert.equal(gdalDataType(8, 2), 'Byte');
  assert.equal(gdalDataType(12, 1), 'UInt16');
  assert.equal(gdalDataType(16, 3), 'Float32');
  assert.equal(gdalDataType(32, 5), 'CInt16');
  assert.equal(gdalDataType(64, 6), 'CFloat32');
  assert.equal(gdalDataType(64, 2), 'Int64');
  // GDAL 3.6: signed only at exactly 16/32/64 bits; 33..63 bits unreadable
  assert.equal(gdalDataType(12, 2), 'UInt16');
  assert.equal(gdalDataType(24, 2), 'UInt32');
  assert.equal(gdalDataType(32, 2), 'Int32');
  assert.equal(gdalDataType(33, 1), undefined);
  assert.equal(parseNodata('nan', 'Float32'), 'NaN');
  assert.equal(parseNodata('-inf', 'Float64'), '-Infinity');
  assert.equal(parseNodata(' 255 ', 'Byte'), 255);
  assert.equal(parseNodata('', 'Byte'), undefined);
});
