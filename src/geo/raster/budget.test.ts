import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TiffFile, Tag } from './tiff.js';
import { checkBlockRange, checkDecodeBudget, decodeBudgetBytes, DEFAULT_DECODE_BUDGET, formatBytes, layoutWarnings, parseByteSize, tiffLayout } from './budget.js';
import { AppError, ConfigError, InvalidFileError } from '../../lib/errors.js';

type Entry = [tag: number, type: number, values: number[]];

/** A little-endian classic TIFF header (one IFD at 8, values after it); no pixel data. */
function header(entries: Entry[]): Buffer {
  const sorted = [...entries].sort((a, b) => a[0] - b[0]);
  const ifdSize = 2 + sorted.length * 12 + 4;
  const ifd = Buffer.alloc(ifdSize);
  ifd.writeUInt16LE(sorted.length, 0);
  const extra: Buffer[] = [];
  let off = 8 + ifdSize;
  sorted.forEach(([tag, type, values], k) => {
    const sz = type === 3 ? 2 : 4;
    const b = Buffer.alloc(values.length * sz);
    values.forEach((v, i) => (sz === 2 ? b.writeUInt16LE(v, i * 2) : b.writeUInt32LE(v, i * 4)));
    ifd.writeUInt16LE(tag, 2 + k * 12); ifd.writeUInt16LE(type, 4 + k * 12); ifd.writeUInt32LE(values.length, 6 + k * 12);
    if (b.length <= 4) b.copy(ifd, 10 + k * 12); else { ifd.writeUInt32LE(off, 10 + k * 12); extra.push(b); off += b.length; }
  });
  return Buffer.concat([Buffer.from([0x49, 0x49, 42, 0, 8, 0, 0, 0]), ifd, ...extra]);
}

function withTiff<T>(entries: Entry[], fn: (t: TiffFile) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'budget-'));
  const p = join(dir, 'crafted.tif');
  writeFileSync(p, header(entries));
  const t = TiffFile.open(p);
  try { return fn(t); } finally { t.close(); rmSync(dir, { recursive: true, force: true }); }
}

const tiledImage = (w: number, h: number, tw: number, th: number, blocks: number, extra: Entry[] = []): Entry[] => [
  [Tag.ImageWidth, 4, [w]], [Tag.ImageLength, 4, [h]], [Tag.BitsPerSample, 3, [16, 16, 16]], [Tag.Compression, 3, [8]],
  [Tag.SamplesPerPixel, 3, [3]], [Tag.TileWidth, 4, [tw]], [Tag.TileLength, 4, [th]],
  [Tag.TileOffsets, 4, new Array(blocks).fill(8)], [Tag.TileByteCounts, 4, new Array(blocks).fill(1)], ...extra,
];

test('parseByteSize and decodeBudgetBytes: binary suffixes, default 1 GiB, a bad value is a ConfigError', () => {
  assert.equal(parseByteSize('1073741824'), 1024 ** 3);
  assert.equal(parseByteSize('512M'), 512 * 1024 ** 2);
  assert.equal(parseByteSize('4G'), 4 * 1024 ** 3);
  assert.equal(parseByteSize('2GiB'), 2 * 1024 ** 3);
  assert.equal(parseByteSize('1.5k'), 1536);
  assert.equal(parseByteSize('lots'), undefined);
  assert.equal(parseByteSize('0'), undefined);
  assert.equal(parseByteSize('-5'), undefined);
  assert.equal(decodeBudgetBytes({}), DEFAULT_DECODE_BUDGET);
  assert.equal(DEFAULT_DECODE_BUDGET, 1024 ** 3);
  assert.equal(decodeBudgetBytes({ GEODVC_DECODE_BUDGET: '64M' }), 64 * 1024 ** 2);
  assert.throws(() => decodeBudgetBytes({ GEODVC_DECODE_BUDGET: 'huge' }), (e: unknown) => e instanceof ConfigError && /GEODVC_DECODE_BUDGET=huge/.test(e.message) && !!e.hint);
  assert.equal(formatBytes(2 * 1024 ** 3), '2.0 GiB');
  assert.equal(formatBytes(900), '900 B');
});

test('tiffLayout: block and image bytes from the header (pixel-interleaved tiles, planar strips)', () => {
  withTiff(tiledImage(1000, 600, 256, 256, 12), (t) => {
    const L = tiffLayout(t);
    assert.equal(L.file, 'crafted.tif');
    assert.equal(L.image, 'IFD #0');
    assert.deepEqual([L.blocksAcross, L.blocksDown, L.blockCount], [4, 3, 12]);
    assert.equal(L.blockBytes, 256 * 256 * 3 * 2);
    assert.equal(L.imageBytes, 1000 * 600 * 3 * 2);
    assert.equal(L.offsetsCount, 12);
  });
  // planar = 2 strips of 10 rows: blocks per band × 3 bands, each one sample wide
  withTiff([[Tag.ImageWidth, 4, [100]], [Tag.ImageLength, 4, [25]], [Tag.BitsPerSample, 3, [8, 8, 8]], [Tag.SamplesPerPixel, 3, [3]], [Tag.PlanarConfig, 3, [2]], [Tag.RowsPerStrip, 4, [10]], [Tag.StripOffsets, 4, new Array(9).fill(8)], [Tag.StripByteCounts, 4, new Array(9).fill(1)]], (t) => {
    const L = tiffLayout(t);
    assert.equal(L.tiled, false);
    assert.deepEqual([L.blockW, L.blockH, L.blockCount, L.blockBytes], [100, 10, 9, 1000]);
    assert.equal(checkDecodeBudget(L, { budgetBytes: 1000 }).blockCount, 9);
  });
});

test('checkDecodeBudget refuses a tile over the budget before anything is decoded, naming file, image and tile', () => {
  withTiff(tiledImage(46336, 46336, 46336, 46336, 1), (t) => {
    assert.throws(() => checkDecodeBudget({ tiff: t }), (e: unknown) => {
      assert.ok(e instanceof InvalidFileError);
      assert.match(e.message, /^crafted\.tif: IFD #0 tile 0 \(of 1\) would decode to 12\.0 GiB \(46336×46336 pixels × 3 sample\(s\) × 16 bits\), over the decode budget of 1\.0 GiB/);
      assert.match(e.hint ?? '', /GEODVC_DECODE_BUDGET/);
      assert.equal(e.details?.blockBytes, 46336 * 46336 * 6);
      return true;
    });
    // a larger budget lets it through; so does the file name given by the caller
    assert.equal(checkDecodeBudget({ tiff: t, file: 'remote#x.tif' }, { budgetBytes: 16 * 1024 ** 3 }).file, 'remote#x.tif');
    assert.match(layoutWarnings(t).join('\n'), /would decode to 12\.0 GiB .*\(pixel reads refuse it\)/);
    assert.deepEqual(layoutWarnings(t, 16 * 1024 ** 3), []);
  });
});

test('checkDecodeBudget refuses offset tables shorter than the declared grid (1e6 × 1e6 with two offsets)', () => {
  withTiff(tiledImage(1_000_000, 1_000_000, 256, 256, 2), (t) => {
    assert.throws(() => checkDecodeBudget({ tiff: t }), /crafted\.tif: IFD #0 TileOffsets has 2 entries, but the declared 1000000×1000000 image in 256×256 tiles needs 15264649 \(tile 2 and on have no data\)/);
  });
  // the byte counts table is checked too
  withTiff([...tiledImage(512, 512, 256, 256, 4).filter((e) => e[0] !== Tag.TileByteCounts), [Tag.TileByteCounts, 4, [1, 1, 1]]], (t) => {
    assert.throws(() => checkDecodeBudget({ tiff: t }), /TileByteCounts has 3 entries, .* needs 4/);
  });
});

test('checkDecodeBudget: a read window over the budget is refused; missing or zero sizes are InvalidFileErrors, not NaN', () => {
  withTiff(tiledImage(1000, 1000, 256, 256, 16), (t) => {
    const L = tiffLayout(t);
    assert.throws(() => checkDecodeBudget(L, { budgetBytes: 1 << 20, windowBytes: 2 << 20, windowLabel: 'a 1024×1024 chip of 1 band(s)' }), /crafted\.tif: reading a 1024×1024 chip of 1 band\(s\) would take 2\.0 MiB, over the decode budget of 1\.0 MiB/);
    assert.equal(checkDecodeBudget(L, { budgetBytes: 1 << 20, windowBytes: 1 << 20 }), L);
  });
  withTiff(tiledImage(1000, 1000, 0, 256, 16), (t) => {
    assert.throws(() => tiffLayout(t), (e: unknown) => e instanceof InvalidFileError && /tiled without a valid tile size \(TileWidth 0, TileLength 256\)/.test(e.message));
  });
  withTiff(tiledImage(1000, 1000, 256, 256, 16).filter((e) => e[0] !== Tag.ImageLength), (t) => {
    assert.throws(() => tiffLayout(t), /crafted\.tif: IFD #0 has no valid image size \(ImageWidth 1000, ImageLength missing\)/);
  });
});

test('checkBlockRange: past EOF, NaN and negative ranges name the file, image and block', () => {
  const L = { file: 'a.tif', image: 'IFD #0', tiled: true };
  assert.doesNotThrow(() => checkBlockRange(L, 0, 100, 50, 150));
  assert.throws(() => checkBlockRange(L, 3, 100, 51, 150), /InvalidFileError: a\.tif: IFD #0 tile 3: 51 bytes at offset 100 end at 151, past the end of the file \(150 bytes\)$/);
  assert.throws(() => checkBlockRange({ ...L, tiled: false }, 7, undefined, 5, 150), (e: unknown) => e instanceof AppError && /a\.tif: IFD #0 strip 7 has no valid offset/.test(e.message));
  assert.throws(() => checkBlockRange(L, 1, NaN, 5, 150), /tile 1 has no valid offset/);
  assert.throws(() => checkBlockRange(L, 1, 5, -1, 150), /tile 1 has no valid offset/);
});
