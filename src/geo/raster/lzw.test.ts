import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeLzw } from './lzw.js';
import { compareCorpusBlocks } from '../../../test/helpers/corpus-blocks.js';

/** An LZW encoder (TIFF flavour) for the tests: width grows when the next code needs it, ClearCode before the table fills. */
function encodeLzw(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  let acc = 0, nacc = 0, width = 9;
  const put = (code: number) => { acc = ((acc << width) | code) >>> 0; nacc += width; while (nacc >= 8) { out.push((acc >>> (nacc - 8)) & 0xff); nacc -= 8; } acc &= (1 << nacc) - 1; };
  let dict = new Map<number, number>();
  let next = 258;
  put(256);
  let w = -1;
  for (const b of data) {
    if (w < 0) { w = b; continue; }
    const key = w * 256 + b;
    const hit = dict.get(key);
    if (hit !== undefined) { w = hit; continue; }
    put(w);
    dict.set(key, next++);
    if (next > (1 << width) - 1 && width < 12) width++;
    if (next >= 4093) { put(256); dict = new Map(); next = 258; width = 9; }
    w = b;
  }
  if (w >= 0) put(w);
  put(257);
  if (nacc) out.push((acc << (8 - nacc)) & 0xff);
  return Uint8Array.from(out);
}

/** 9-bit codes packed MSB-first. */
function pack9(codes: number[]): Uint8Array {
  const bits = codes.map((c) => c.toString(2).padStart(9, '0')).join('').padEnd(Math.ceil((codes.length * 9) / 8) * 8, '0');
  return Uint8Array.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
}

test('decodeLzw round-trips random data across table resets', () => {
  let x = 12345;
  const data = new Uint8Array(60000).map(() => { x = (x * 1103515245 + 12345) >>> 0; return (x >>> 16) & 0x3f; });
  assert.deepEqual(decodeLzw(encodeLzw(data), data.length), data);
});

test('decodeLzw round-trips the encoder, including the KwKwK case and table resets', () => {
  const data = new Uint8Array(20000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 5)) & 0xff;
  data.fill(9, 5000, 9000); // long runs exercise KwKwK codes
  const enc = encodeLzw(data);
  assert.deepEqual(decodeLzw(enc, data.length), data);
  // a smaller output stops early, a larger one keeps only what the stream holds
  assert.deepEqual(decodeLzw(enc, 100), data.subarray(0, 100));
  assert.equal(decodeLzw(enc, data.length + 50).length, data.length);
});

test('an LZW bomb (one repeated byte) decodes into no more than the declared size, quickly', () => {
  const enc = encodeLzw(new Uint8Array(400_000).fill(3));
  const t0 = performance.now();
  const out = decodeLzw(enc, 65536);
  assert.equal(out.length, 65536);
  assert.ok(out.every((b) => b === 3));
  assert.ok(performance.now() - t0 < 500);
  assert.throws(() => decodeLzw(pack9([256, 65, 300]), 10), /LZW code 300 is not in the table \(next free code 258\)/);
  assert.throws(() => decodeLzw(pack9([256, 300]), 10), /LZW code 300 after a ClearCode/);
  assert.deepEqual(decodeLzw(pack9([256, 65, 66, 258, 257]), 10), Uint8Array.from([65, 66, 65, 66]));
});

test('decodeLzw agrees with geotiff.js on every LZW block of the corpus', async (t) => {
  const blocks = await compareCorpusBlocks(t, { compression: 5, maxFileSize: 100_000, blocksPerFile: 2, decode: decodeLzw });
  if (blocks === undefined) return;
  assert.ok(blocks > 0, 'some LZW blocks compared');
});
