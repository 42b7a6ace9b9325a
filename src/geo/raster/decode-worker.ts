/**
 * Entry of the child process that decodes TIFF blocks with geotiff.js decoders. `check.ts` runs it
 * with `node --max-old-space-size=N decode-worker.js JOB`, with a timeout, because a corrupt block
 * can make a decoder allocate until V8 aborts (reference/geo-libs.md §1.3). From dist/ it is plain
 * JavaScript (no TypeScript loader), so the child starts in ~0.1 s.
 *
 * JOB (last argv): {"path": "...", "budget": largest decoded block in bytes, "images": [{compression,
 * params, blocks: [[index, offset, byteCount, expectedBytes (0: unchecked)], ...]}]}.
 * Output, one JSON line each: {"image","start"} before a block, {"image","done","bytes"} or
 * {"image","error","message"} after it, {"image","unsupported"} when the codec has no decoder,
 * {"end":true} at the end, {"fatal"} on an unexpected failure.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { addDecoder, BaseDecoder, getDecoder } from 'geotiff';

/** One image's decode job, as check.ts sends it. */
export interface DecodeJobImage {
  compression: number;
  params: Record<string, unknown> & { JPEGTablesArray?: number[]; JPEGTables?: ArrayBuffer };
  blocks: [number, number, number, number][];
}
export interface DecodeJob { path: string; budget: number; images: DecodeJobImage[] }

// This is the child's own stdout (its protocol channel), not the CLI's.
const { stdout: channel } = process;
const emit = (o: Record<string, unknown>) => channel.write(`${JSON.stringify(o)}\n`);
const message = (e: unknown) => String((e as Error)?.message ?? e);

async function main(job: DecodeJob): Promise<void> {
  // DEFLATE through node:zlib, never inflating past the block the header declares (nor the
  // budget): pako's output lives outside the capped V8 heap, so a bomb would not be stopped there.
  class BoundedZlib extends BaseDecoder {
    override decodeBlock(buffer: ArrayBufferLike): ArrayBufferLike {
      const p = this.parameters as unknown as { bitsPerSample: number | number[]; tileWidth: number; tileHeight: number; planarConfiguration?: number; samplesPerPixel?: number };
      const bits = Math.max(...([] as number[]).concat(p.bitsPerSample));
      const expected = Math.ceil((p.tileWidth * (p.planarConfiguration === 2 ? 1 : (p.samplesPerPixel || 1)) * bits) / 8) * p.tileHeight;
      const cap = Math.max(1, Math.min(expected || job.budget, job.budget || expected));
      let out: Buffer;
      try { out = inflateSync(new Uint8Array(buffer), { maxOutputLength: cap }); }
      catch (e) {
        if ((e as NodeJS.ErrnoException)?.code === 'ERR_BUFFER_TOO_LARGE') throw new Error(`inflates to more than the ${cap} bytes the header declares for the block`);
        throw e;
      }
      return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength);
    }
  }
  addDecoder([8, 32946], () => Promise.resolve(BoundedZlib), undefined, false);
  const fd = openSync(job.path, 'r');
  try {
    for (let im = 0; im < job.images.length; im++) {
      const image = job.images[im]!;
      if (image.params.JPEGTablesArray) { image.params.JPEGTables = new Uint8Array(image.params.JPEGTablesArray).buffer; delete image.params.JPEGTablesArray; }
      let decoder: BaseDecoder;
      try { decoder = await getDecoder(image.compression, image.params as never); }
      catch (e) { emit({ image: im, unsupported: message(e) }); continue; }
      for (const [i, off, len, expected] of image.blocks) {
        emit({ image: im, start: i });
        const buf = Buffer.alloc(len);
        readSync(fd, buf, 0, len, off);
        try {
          const out = await decoder.decode(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
          const n = out.byteLength;
          if (expected > 0 && n < expected) emit({ image: im, error: i, message: `decoded ${n} bytes, expected ${expected}` });
          else emit({ image: im, done: i, bytes: n });
        } catch (e) {
          const msg = message(e);
          if (/createImageBitmap|not supported|unsupported/i.test(msg)) { emit({ image: im, unsupported: msg }); break; }
          emit({ image: im, error: i, message: msg });
        }
      }
    }
  } finally { closeSync(fd); }
  emit({ end: true });
}

try {
  await main(JSON.parse(process.argv[process.argv.length - 1]!) as DecodeJob);
} catch (e) { emit({ fatal: message(e) }); process.exitCode = 1; }
