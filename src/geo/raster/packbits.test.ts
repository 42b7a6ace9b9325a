import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePackBits } from './packbits.js';
import { compareCorpusBlocks } from '../../../test/helpers/corpus-blocks.js';

test('decodePackBits: the TIFF 6.0 example, the -128 no-op, output capped at the declared size', () => {
  const packed = Uint8Array.from([0xfe, 0xaa, 0x02, 0x80, 0x00, 0x2a, 0xfd, 0xaa, 0x03, 0x80, 0x00, 0x2a, 0x22, 0xf7, 0xaa]);
  const unpacked = Uint8Array.from([0xaa, 0xaa, 0xaa, 0x80, 0x00, 0x2a, 0xaa, 0xaa, 0xaa, 0xaa, 0x80, 0x00, 0x2a, 0x22, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa]);
  assert.deepEqual(decodePackBits(packed, 24), unpacked);
  assert.deepEqual(decodePackBits(packed, 100), unpacked);
  assert.deepEqual(decodePackBits(packed, 5), unpacked.subarray(0, 5));
  assert.deepEqual(decodePackBits(Uint8Array.from([0x80, 0x00, 0x07]), 10), Uint8Array.from([7]));
  // truncated literal run and repeat without its byte: keep what is there
  assert.deepEqual(decodePackBits(Uint8Array.from([0x05, 1, 2]), 10), Uint8Array.from([1, 2]));
  assert.deepEqual(decodePackBits(Uint8Array.from([0xff]), 10), new Uint8Array(0));
  // a bomb: 1 MB of "repeat 128 times" decodes into the declared 64 KiB only
  const bomb = new Uint8Array(1 << 20).map((_, k) => (k % 2 ? 9 : 0x81));
  const out = decodePackBits(bomb, 65536);
  assert.equal(out.length, 65536);
  assert.ok(out.every((b) => b === 9));
});

test('decodePackBits agrees with geotiff.js on the corpus PackBits blocks', async (t) => {
  const blocks = await compareCorpusBlocks(t, { compression: 32773, maxFileSize: 1e6, blocksPerFile: 8, skipBrokenLayouts: true, decode: decodePackBits });
  if (blocks === undefined) return;
  assert.ok(blocks > 0, 'some PackBits blocks compared');
});
