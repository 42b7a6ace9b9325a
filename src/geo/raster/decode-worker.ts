/**
 * Child-process entry point that decodes TIFF blocks with geotiff.js decoders. It is run by
 * `check.ts` with a heap cap and a timeout, because a corrupt block can make a decoder allocate
 * until V8 aborts (reference/geo-libs.md §1.3). Input: one JSON job on argv[2]. Output: one JSON
 * line per event on stdout: {"start":i} before block i, {"done":i,"bytes":n} or
 * {"error":i,"message":...} after it, and {"end":true}.
 */
import { openSync, readSync, closeSync } from 'node:fs';

export interface DecodeImage {
  compression: number;
  params: Record<string, unknown>;
  /** [blockIndex, offset, byteCount, expectedBytes (0 = do not check)] */
  blocks: [number, number, number, number][];
}
export interface DecodeJob { path: string; images: DecodeImage[] }

function emit(o: unknown): void { process.stdout.write(JSON.stringify(o) + '\n'); }

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]!) as DecodeJob;
  const { getDecoder } = await import('geotiff');
  const fd = openSync(job.path, 'r');
  try {
    for (let im = 0; im < job.images.length; im++) {
      const image = job.images[im]!;
      const tables = image.params.JPEGTablesArray as number[] | undefined;
      if (tables) { image.params.JPEGTables = new Uint8Array(tables).buffer; delete image.params.JPEGTablesArray; }
      let decoder: { decode(buf: ArrayBuffer): Promise<ArrayBuffer> };
      try {
        decoder = await getDecoder(image.compression, image.params as never) as never;
      } catch (e) {
        emit({ image: im, unsupported: (e as Error).message });
        continue;
      }
      for (const [i, off, len, expected] of image.blocks) {
        emit({ image: im, start: i });
        const buf = Buffer.alloc(len);
        readSync(fd, buf, 0, len, off);
        try {
          const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
          const out = await decoder.decode(ab);
          const n = out.byteLength;
          if (expected > 0 && n < expected) emit({ image: im, error: i, message: `decoded ${n} bytes, expected ${expected}` });
          else emit({ image: im, done: i, bytes: n });
        } catch (e) {
          const msg = (e as Error)?.message ?? String(e);
          if (/createImageBitmap|not supported|unsupported/i.test(msg)) { emit({ image: im, unsupported: msg }); break; }
          emit({ image: im, error: i, message: msg });
        }
      }
    }
  } finally { closeSync(fd); }
  emit({ end: true });
}

main().then(() => { process.exitCode = 0; }, (e) => { emit({ fatal: String(e?.message ?? e) }); process.exitCode = 1; });
