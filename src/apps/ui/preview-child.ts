/**
 * Entry of the child process that renders raster previews for `geodvc ui` (see preview.ts): run
 * as `node --max-old-space-size=N preview-child.js`, it stays up and renders one job at a time (so
 * geotiff.js is loaded once, not per preview); the parent kills it when a job runs past the time
 * limit and starts a new one. From dist/ it is plain JavaScript (no TypeScript loader).
 *
 * Nothing is decoded before the header says it fits: the image to read (the smallest overview at
 * least as large as the preview, else the full image) must hold at most `budget` bytes of samples
 * (width x height x bands x bytes per sample, which geotiff.js allocates for a read), and one
 * tile/strip at most half of that. DEFLATE tiles are inflated with node:zlib capped at the tile's
 * declared size (pako would inflate a 2 MB tile to gigabytes whatever the header says).
 *
 * Jobs on stdin, one JSON line each:
 * {"path", "maxSize", "budget"}. For each job, on the child's stdout: one JSON line, then `bytes`
 * bytes of RGBA (width x height x 4) when it has "width". The JSON line is
 * {"width","height","fromOverview","bytes"}, {"refused": message} (over budget or malformed
 * header) or {"failed": message} (a decoder error).
 */
import { inflateRawSync, inflateSync, type ZlibOptions } from 'node:zlib';
import { addDecoder, BaseDecoder, fromFile, type GeoTIFF, type GeoTIFFImage } from 'geotiff';
import { bandsToRgba } from './rgba.js';

/** One preview request. */
export interface PreviewJob { path: string; maxSize: number; budget: number }

// This is the child's own stdout (its protocol channel), not the CLI's.
const { stdout: channel } = process;
const mib = (n: number) => `${(n / 1048576).toFixed(n < 10 * 1048576 ? 1 : 0)} MiB`;
class Refused extends Error {}
const finish = (obj: Record<string, unknown>, rgba?: Buffer) => new Promise<void>((resolve) => {
  channel.write(`${JSON.stringify(rgba ? { ...obj, bytes: rgba.length } : obj)}\n`);
  if (rgba) channel.write(rgba, () => resolve()); else resolve();
});

class BoundedInflate extends BaseDecoder {
  override decodeBlock(buffer: ArrayBufferLike): ArrayBufferLike {
    const p = this.parameters as unknown as { bitsPerSample?: number | number[]; planarConfiguration?: number; tileWidth: number; tileHeight: number };
    const bits = Array.isArray(p.bitsPerSample) ? p.bitsPerSample : [p.bitsPerSample || 8];
    const perPixel = p.planarConfiguration === 2 ? bits[0]! : bits.reduce((a, b) => a + b, 0);
    const max = Math.ceil((p.tileWidth * p.tileHeight * perPixel) / 8) + 1024;
    const input = Buffer.from(buffer as ArrayBuffer);
    const run = (fn: (b: Buffer, o: ZlibOptions) => Buffer) => fn(input, { maxOutputLength: Math.max(1, max) });
    const bomb = () => new Refused(`a DEFLATE tile inflates to more than its declared ${mib(max)} (a decompression bomb?)`);
    let out: Buffer;
    try { out = run(inflateSync); }
    catch (e) {
      if ((e as NodeJS.ErrnoException)?.code === 'ERR_BUFFER_TOO_LARGE') throw bomb();
      try { out = run(inflateRawSync); }
      catch (e2) {
        if ((e2 as NodeJS.ErrnoException)?.code === 'ERR_BUFFER_TOO_LARGE') throw bomb();
        throw e;
      }
    }
    return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength);
  }
}
addDecoder([8, 32946], async () => BoundedInflate);

async function render(job: PreviewJob): Promise<{ head: Record<string, unknown>; rgba: Buffer }> {
  const tiff = await fromFile(job.path);
  try { return await renderTiff(job, tiff); } finally { try { await (tiff as { close?: () => Promise<void> | void }).close?.(); } catch { /* closing is best effort */ } }
}

/** What is read of an image (geotiff.js typings leave some of these out). */
type Image = GeoTIFFImage & { planarConfiguration?: number; isTiled?: boolean };

async function renderTiff(job: PreviewJob, tiff: GeoTIFF): Promise<{ head: Record<string, unknown>; rgba: Buffer }> {
  const count = Math.min(await tiff.getImageCount(), 64);
  const first = (await tiff.getImage(0)) as Image;
  const W = first.getWidth(), H = first.getHeight();
  if (!(W > 0 && H > 0) || !Number.isSafeInteger(W) || !Number.isSafeInteger(H)) throw new Refused(`the header declares an invalid size ${W}x${H}`);
  const scale = Math.min(1, job.maxSize / Math.max(W, H));
  const width = Math.max(1, Math.round(W * scale)), height = Math.max(1, Math.round(H * scale));
  const bands = first.getSamplesPerPixel();
  const samples = bands >= 3 ? [0, 1, 2] : [0];
  // the image geotiff.js would read: the smallest reduced-resolution image at least as wide as the preview
  const candidates: Image[] = [first];
  for (let i = 1; i < count; i++) {
    const im = (await tiff.getImage(i)) as Image;
    const fd = im.fileDirectory as unknown as { getValue(tag: string): number | undefined };
    const nst = fd.getValue('NewSubfileType') || 0;
    const st = fd.getValue('SubfileType');
    if (((nst & 1) || st === 2) && !(nst & 4) && im.getSamplesPerPixel() === bands) candidates.push(im);
  }
  candidates.sort((a, b) => a.getWidth() - b.getWidth());
  const image = candidates.find((im) => im.getWidth() >= width && im.getHeight() >= height) ?? first;
  const w = image.getWidth(), h = image.getHeight();
  let sampleBytes = 0;
  for (const s of samples) sampleBytes += image.getSampleByteSize(s);
  const tw = image.getTileWidth(), th = image.getTileHeight();
  const planar = image.planarConfiguration === 2;
  const blockBytes = tw * th * (planar ? Math.max(...samples.map((s) => image.getSampleByteSize(s))) : image.getBytesPerPixel());
  const readBytes = w * h * sampleBytes;
  const blocks = Math.ceil(w / Math.max(1, tw)) * Math.ceil(h / Math.max(1, th));
  if (!(tw > 0 && th > 0) || !Number.isFinite(blockBytes)) throw new Refused(`the header declares an invalid tile or strip size ${tw}x${th}`);
  if (blockBytes > job.budget / 2) throw new Refused(`one ${image.isTiled ? 'tile' : 'strip'} of ${tw}x${th} pixels holds ${mib(blockBytes)} decoded, over the preview limit of ${mib(job.budget / 2)} per block`);
  if (readBytes > job.budget) throw new Refused(`a ${w}x${h} image with ${samples.length} band(s) of ${sampleBytes / samples.length} byte(s) needs ${mib(readBytes)} to preview, over the limit of ${mib(job.budget)}${image === first && count === 1 ? '; add overviews (gdaladdo) so a small one can be read' : ''}`);
  if (blocks > 4_000_000) throw new Refused(`the image declares ${blocks} tiles/strips`);

  const rasters = (await image.readRasters({ samples, width, height, resampleMethod: 'nearest' })) as unknown as ArrayLike<number>[];
  const nd = first.getGDALNoData();
  const nodata = nd === null ? undefined : nd;
  const out = Buffer.alloc(width * height * 4);
  bandsToRgba(rasters.slice(0, samples.length), nodata, width * height, out);
  return { head: { width, height, fromOverview: image !== first }, rgba: out };
}

let pending = '';
let queue = Promise.resolve();
process.stdin.setEncoding('utf8').on('data', (d: string) => {
  pending += d;
  let nl: number;
  while ((nl = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, nl);
    pending = pending.slice(nl + 1);
    queue = queue.then(async () => {
      try {
        const r = await render(JSON.parse(line) as PreviewJob);
        await finish(r.head, r.rgba);
      } catch (e) {
        const msg = String((e as Error)?.message ?? e);
        if (e instanceof Refused || /decompression bomb/.test(msg)) await finish({ refused: msg });
        else if (/Cannot create a Buffer larger|Array buffer allocation failed|Invalid typed array length|out of memory/i.test(msg)) await finish({ refused: `decoding needs more memory than allowed (${msg})` });
        else await finish({ failed: msg });
      }
    });
  }
});
process.stdin.on('end', () => { void queue.then(() => { process.exitCode = 0; }); });
