import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jp2Blocks, jp2FastMeta } from './jp2-meta.js';
import { griddedFastMeta } from './fast-meta.js';

const FORMATS = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'corpus', 'formats');
const BYTE = join(FORMATS, 'byte.jp2');

test('block size and overview count follow the JP2OpenJPEG rules (tiles, small tiles, single big tile, resolution levels)', () => {
  assert.deepEqual(jp2Blocks(100, 100, 100, 100, 5), { block: [100, 100], overviews: 0 });
  assert.deepEqual(jp2Blocks(400, 200, 400, 200, 5), { block: [400, 200], overviews: 2 });
  assert.deepEqual(jp2Blocks(256, 256, 16, 16, 5), { block: [256, 256], overviews: 1 }, 'tiles under 32 px: one block');
  assert.deepEqual(jp2Blocks(2000, 1500, 1024, 1024, 5), { block: [1024, 1024], overviews: 4 });
  assert.deepEqual(jp2Blocks(2000, 1500, 2000, 1500, 5), { block: [1024, 1024], overviews: 4 }, 'a single tile over 1024 px is read in 1024 blocks');
  assert.deepEqual(jp2Blocks(2000, 1500, 1024, 1024, 1), { block: [1024, 1024], overviews: 1 }, 'no more overviews than resolution levels');
  assert.deepEqual(jp2Blocks(300, 300, 1024, 1024, 5), { block: [300, 300], overviews: 2 }, 'tile larger than the image');
  assert.deepEqual(jp2Blocks(1000, 1000, 100, 100, 5), { block: [100, 100], overviews: 2 }, 'odd half tiles stop the overviews');
});

test('GeoJP2 file: size, type, block, EPSG and geotransform from the boxes; unsure cases return undefined', (t) => {
  if (!existsSync(BYTE)) {
    if (process.env.CI === 'true') throw new Error(`corpus sample missing: ${BYTE}`);
    t.skip('corpus not present');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-jp2m-'));
  try {
    const m = jp2FastMeta(BYTE)!;
    assert.deepEqual({ ...m }, { kind: 'gridded', format: 'jp2', driver: 'JP2OpenJPEG', size: [100, 100], bands: 1, dtype: 'Byte', block: [100, 100], overviews: undefined, crs: 'EPSG:26711', geotransform: [440720, 60, 0, 3751320, 0, -60], resolution: [60, 60] });
    assert.deepEqual(griddedFastMeta(BYTE), m, 'the dispatcher sniffs the JP2 signature');
    assert.equal(m.overviews, undefined);
    // a sidecar GDAL would read (PAM): GDAL answers
    const copy = join(dir, 'b.jp2');
    copyFileSync(BYTE, copy);
    assert.ok(jp2FastMeta(copy));
    writeFileSync(`${copy}.aux.xml`, '<PAMDataset/>');
    assert.equal(jp2FastMeta(copy), undefined);
    // a codestream cut short (its box runs to the end of the file): GDAL reads the header only and
    // reports the same; a file cut inside the header boxes is left to GDAL
    const bytes = readFileSync(BYTE);
    const cut = join(dir, 'cut.jp2');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    assert.deepEqual(jp2FastMeta(cut), m);
    writeFileSync(cut, bytes.subarray(0, 300));
    assert.equal(jp2FastMeta(cut), undefined);
    // GDAL-only mode for comparisons
    process.env.GEODVC_GRIDDED_META = 'gdal';
    try { assert.equal(griddedFastMeta(BYTE), undefined); } finally { delete process.env.GEODVC_GRIDDED_META; }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('damaged headers never make the readers throw (300 seeded byte flips and cuts of a JPEG2000 and a NetCDF-3 file)', (t) => {
  const nc = join(FORMATS, 'cf_geog.nc');
  if (!existsSync(BYTE) || !existsSync(nc)) {
    if (process.env.CI === 'true') throw new Error('corpus samples missing');
    t.skip('corpus not present');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-jp2f-'));
  try {
    let seed = 21;
    const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
    for (const [src, ext] of [[BYTE, 'jp2'], [nc, 'nc']] as const) {
      const orig = readFileSync(src);
      const p = join(dir, `x.${ext}`);
      for (let i = 0; i < 150; i++) {
        const b = Buffer.from(orig);
        // damage the header area (first 1 KiB) where the readers look
        for (let k = 0, n = 1 + rnd(4); k < n; k++) b[rnd(Math.min(1024, b.length))] = rnd(256);
        writeFileSync(p, i % 10 === 0 ? b.subarray(0, rnd(b.length)) : b);
        assert.doesNotThrow(() => griddedFastMeta(p), `mutation ${i} of ${ext}`);
      }
    }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
