import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkStreamDeclared, jpegFrameSize, lercBlobSize, zstdContentSize } from './codec-guard.js';
import { Tag, TiffFile } from './tiff.js';
import { tiffLayout } from './budget.js';
import { InvalidFileError } from '../../lib/errors.js';

const CORPUS = process.env.GEODVC_CORPUS ?? join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..', 'shared', 'corpus');

/** A JPEG head: SOI, an APP0 segment, then SOF0 of `w`×`h`. */
const jpegHead = (w: number, h: number) => Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, h >> 8, h & 0xff, w >> 8, w & 0xff, 0x03, 0xff, 0xda]);

test('stream sizes: JPEG SOF, LERC2 header, ZSTD frame content size', () => {
  assert.deepEqual(jpegFrameSize(jpegHead(256, 128)), { width: 256, height: 128 });
  assert.equal(jpegFrameSize(Uint8Array.from([0xff, 0xd8, 0xff, 0xda, 0, 2])), undefined); // scan before any frame: not stated
  const lerc = new Uint8Array(40); lerc.set(Buffer.from('Lerc2 ')); const dv = new DataView(lerc.buffer);
  dv.setInt32(6, 3, true); dv.setInt32(14, 300, true); dv.setInt32(18, 200, true);
  assert.deepEqual(lercBlobSize(lerc), { height: 300, width: 200 });
  // single-segment frame with a 4-byte content size (FCS flag 2)
  assert.deepEqual(zstdContentSize(Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0x00, 0x00, 0x00, 0x40, 0, 0])), { bytes: 0x40000000 });
  assert.deepEqual(zstdContentSize(Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0x60, 0x10, 0x00, 0, 0])), { bytes: 256 + 0x10 }); // 2-byte FCS is offset by 256
  assert.equal(zstdContentSize(Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58, 0, 0])), undefined); // size not stated
});

test('checkStreamDeclared refuses a block whose stream declares more than the tile, naming file and tile', () => {
  const L = { file: 'j.tif', image: 'IFD #0', tiled: true, blockW: 256, blockH: 256, blockBytes: 256 * 256 * 3, compression: 7 };
  assert.doesNotThrow(() => checkStreamDeclared(L, 0, jpegHead(256, 256)));
  assert.throws(() => checkStreamDeclared(L, 5, jpegHead(65535, 65535)), (e: unknown) => e instanceof InvalidFileError && /^j\.tif: IFD #0 tile 5: its compressed stream declares 65535×65535 pixels, more than the tile holds \(256×256\)/.test(e.message));
  const z = { ...L, compression: 50000 };
  assert.throws(() => checkStreamDeclared(z, 1, Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0x00, 0x00, 0x00, 0x40, 0, 0])), /tile 1: its compressed stream declares 1073741824 decoded bytes, more than the tile holds \(196608 bytes\)/);
});

test('no corpus JPEG, LERC or ZSTD block is refused (no false positives)', (t) => {
  const files = existsSync(CORPUS) ? readdirSync(CORPUS).filter((f) => /\.tiff?$/i.test(f) && statSync(join(CORPUS, f)).size < 2e6) : [];
  if (!files.length) { if (process.env.CI === 'true') throw new Error(`no corpus at ${CORPUS}`); t.skip('no corpus'); return; }
  let checked = 0;
  for (const f of files) {
    let tf: TiffFile;
    try { tf = TiffFile.open(join(CORPUS, f)); } catch { continue; }
    try {
      for (const ifd of tf.ifds) {
        const c = tf.value(ifd, Tag.Compression);
        if (c !== 7 && c !== 34887 && c !== 50000) continue;
        let L; try { L = tiffLayout(tf, ifd); } catch { continue; }
        const offE = ifd.entries.get(L.tiled ? Tag.TileOffsets : Tag.StripOffsets), cntE = ifd.entries.get(L.tiled ? Tag.TileByteCounts : Tag.StripByteCounts);
        if (!offE || !cntE) continue;
        const offs = tf.array(offE), cnts = tf.array(cntE);
        for (let i = 0; i < Math.min(offs.length, 16); i++) {
          if (!cnts[i] || offs[i]! + cnts[i]! > tf.size) continue;
          assert.doesNotThrow(() => checkStreamDeclared(L, i, tf.read(offs[i]!, cnts[i]!)), `${f} ${L.image} block ${i}`);
          checked++;
        }
      }
    } finally { tf.close(); }
  }
  assert.ok(checked > 10, `${checked} blocks checked`);
});
