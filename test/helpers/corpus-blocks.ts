/**
 * The corpus-block walk shared by the codec tests (src/geo/raster/lzw.test.ts, packbits.test.ts):
 * the first blocks of every corpus TIFF in one compression, decoded by geotiff.js's decoder as the
 * reference and by ours, compared over the declared block size.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tag, TiffFile } from '../../src/geo/raster/tiff.js';
import { tiffLayout } from '../../src/geo/raster/budget.js';

/** The shared corpus (as test/helpers/cli.ts has it; not imported from there: it builds dist/ on load). */
const CORPUS = process.env.GEODVC_CORPUS ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'corpus');

export interface CorpusBlockOptions {
  /** TIFF Compression tag value (5 LZW, 32773 PackBits). */
  compression: number;
  /** Files at most this large are read. */
  maxFileSize: number;
  /** Blocks compared per file (the first ones). */
  blocksPerFile: number;
  /** Skip files whose layout or block tables cannot be read instead of failing on them. */
  skipBrokenLayouts?: boolean;
  /** Our decoder: the raw block and its declared decoded size. */
  decode: (raw: Uint8Array, blockBytes: number) => Uint8Array;
}

/** Compares our decoder with geotiff.js's on the corpus blocks; returns how many were compared. */
export async function compareCorpusBlocks(t: TestContext, o: CorpusBlockOptions): Promise<number | undefined> {
  const files = existsSync(CORPUS) ? readdirSync(CORPUS).filter((f) => /\.tiff?$/i.test(f) && statSync(join(CORPUS, f)).size < o.maxFileSize) : [];
  if (!files.length) { if (process.env.CI === 'true') throw new Error(`no corpus at ${CORPUS}`); t.skip('no corpus'); return undefined; }
  const g: any = await import('geotiff');
  let blocks = 0;
  for (const f of files) {
    let tf: TiffFile;
    try { tf = TiffFile.open(join(CORPUS, f)); } catch { continue; }
    try {
      const ifd = tf.ifds[0]!;
      if (tf.value(ifd, Tag.Compression) !== o.compression) continue;
      let L: ReturnType<typeof tiffLayout>;
      try { L = tiffLayout(tf, ifd); } catch (e) { if (o.skipBrokenLayouts) continue; throw e; }
      const offE = ifd.entries.get(L.tiled ? Tag.TileOffsets : Tag.StripOffsets);
      const cntE = ifd.entries.get(L.tiled ? Tag.TileByteCounts : Tag.StripByteCounts);
      if (o.skipBrokenLayouts && (!offE || !cntE || offE.outOfFile || cntE.outOfFile)) continue;
      const offs = tf.array(offE!), cnts = tf.array(cntE!);
      const dec = await g.getDecoder(o.compression, { tileWidth: L.blockW, tileHeight: L.blockH, predictor: 1, bitsPerSample: [L.bitsPerSample], planarConfiguration: L.planar });
      for (let i = 0; i < Math.min(offs.length, o.blocksPerFile); i++) {
        if (!cnts[i] || offs[i]! + cnts[i]! > tf.size) continue;
        const raw = tf.read(offs[i]!, cnts[i]!);
        let ref: Uint8Array;
        try { ref = new Uint8Array(dec.decodeBlock(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength))); } catch { continue; }
        const n = Math.min(ref.length, L.blockBytes);
        assert.deepEqual(o.decode(raw, L.blockBytes).subarray(0, n), ref.subarray(0, n), `${f} block ${i}`);
        blocks++;
      }
    } finally { tf.close(); }
  }
  return blocks;
}
