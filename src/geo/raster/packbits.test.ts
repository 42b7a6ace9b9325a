import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodePackBits } from './packbits.js';
import { Tag, TiffFile } from './tiff.js';
import { tiffLayout } from './budget.js';

const CORPUS = process.env.GEODVC_CORPUS ?? join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..', 'shared', 'corpus');

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
  const files = existsSync(CORPUS) ? readdirSync(CORPUS).filter((f) => /\.tiff?$/i.test(f) && statSync(join(CORPUS, f)).size < 1e6) : [];
  if (!files.length) { if (process.env.CI === 'true') throw new Error(`no corpus at ${CORPUS}`); t.skip('no corpus'); return; }
  const g: any = await import('geotiff');
  let blocks = 0;
  for (const f of files) {
    let tf: TiffFile;
    try { tf = TiffFile.open(join(CORPUS, f)); } catch { continue; }
    try {
      const ifd = tf.ifds[0]!;
      if (tf.value(ifd, Tag.Compression) !== 32773) continue;
      let L; try { L = tiffLayout(tf, ifd); } catch { continue; }
      const offE = ifd.entries.get(L.tiled ? Tag.TileOffsets : Tag.StripOffsets), cntE = ifd.entries.get(L.tiled ? Tag.TileByteCounts : Tag.StripByteCounts);
      if (!offE || !cntE || offE.outOfFile || cntE.outOfFile) continue;
      const offs = tf.array(offE), cnts = tf.array(cntE);
      const dec = await g.getDecoder(32773, { tileWidth: L.blockW, tileHeight: L.blockH, predictor: 1, bitsPerSample: [L.bitsPerSample], planarConfiguration: L.planar });
      for (let i = 0; i < Math.min(offs.length, 8); i++) {
        if (!cnts[i] || offs[i]! + cnts[i]! > tf.size) continue;
        const raw = tf.read(offs[i]!, cnts[i]!);
        let ref: Uint8Array;
        try { ref = new Uint8Array(dec.decodeBlock(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength))); } catch { continue; }
        const n = Math.min(ref.length, L.blockBytes);
        assert.deepEqual(decodePackBits(raw, L.blockBytes).subarray(0, n), ref.subarray(0, n), `${f} block ${i}`);
        blocks++;
      }
    } finally { tf.close(); }
  }
  assert.ok(blocks > 0, 'some PackBits blocks compared');
});
