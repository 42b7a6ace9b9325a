import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { crc32, encodePng } from './png.js';

function chunks(png: Buffer): { type: string; data: Buffer; crcOk: boolean }[] {
  const out = [];
  let o = 8;
  while (o < png.length) {
    const len = png.readUInt32BE(o);
    const type = png.toString('latin1', o + 4, o + 8);
    const data = png.subarray(o + 8, o + 8 + len);
    out.push({ type, data, crcOk: png.readUInt32BE(o + 8 + len) === crc32(png.subarray(o + 4, o + 8 + len)) });
    o += 12 + len;
  }
  return out;
}

/** Undoes filters 0 (None) and 1 (Sub), the only ones the encoder writes. */
function unfilter(raw: Buffer, w: number, h: number, ch: number): Uint8Array {
  const stride = w * ch, out = new Uint8Array(stride * h);
  for (let y = 0; y < h; y++) {
    const f = raw[y * (stride + 1)]!;
    assert.ok(f === 0 || f === 1);
    for (let i = 0; i < stride; i++) {
      const v = raw[y * (stride + 1) + 1 + i]!;
      out[y * stride + i] = f === 0 ? v : (v + (i >= ch ? out[y * stride + i - ch]! : 0)) & 0xff;
    }
  }
  return out;
}

test('crc32 matches the standard check value', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
});

test('encodePng round-trips grey, RGB and RGBA pixels; chunks carry valid CRCs', () => {
  for (const ch of [1, 3, 4] as const) {
    const w = 37, h = 11;
    const px = new Uint8Array(w * h * ch);
    for (let i = 0; i < px.length; i++) px[i] = (i * 7 + (i >> 5)) & 0xff; // gradients favour Sub
    const png = encodePng(w, h, ch, px);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const cs = chunks(png);
    assert.deepEqual(cs.map((c) => c.type), ['IHDR', 'IDAT', 'IEND']);
    assert.ok(cs.every((c) => c.crcOk));
    assert.equal(cs[0]!.data.readUInt32BE(0), w);
    assert.equal(cs[0]!.data.readUInt32BE(4), h);
    assert.equal(cs[0]!.data[9], { 1: 0, 3: 2, 4: 6 }[ch]);
    assert.deepEqual(unfilter(inflateSync(cs[1]!.data), w, h, ch), px);
  }
  assert.throws(() => encodePng(2, 2, 3, new Uint8Array(5)), RangeError);
});

test('GDAL reads the PNG with the same pixel values', (t) => {
  try { execFileSync('gdalinfo', ['--version']); } catch { t.skip('gdalinfo missing'); return; }
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-png-'));
  try {
    const w = 16, h = 8, px = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) { px[(y * w + x) * 3] = x * 16; px[(y * w + x) * 3 + 1] = y * 32; px[(y * w + x) * 3 + 2] = 200; }
    writeFileSync(join(dir, 'a.png'), encodePng(w, h, 3, px));
    const info = JSON.parse(execFileSync('gdalinfo', ['-json', '-stats', join(dir, 'a.png')], { encoding: 'utf8' }));
    assert.deepEqual(info.size, [16, 8]);
    assert.equal(info.bands.length, 3);
    assert.equal(info.bands[0].minimum, 0); assert.equal(info.bands[0].maximum, 240);
    assert.equal(info.bands[1].maximum, 224);
    assert.equal(info.bands[2].minimum, 200); assert.equal(info.bands[2].maximum, 200);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
