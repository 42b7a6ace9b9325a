/**
 * Raster integrity walk: TIFF header and every IFD, tag types, required tags, compression codec,
 * block counts, every strip/tile offset + byte count against the file size, then a decode of a
 * sample of blocks (all with `deep`) in a child process with a heap cap and a timeout. VRT: the
 * XML and every source file. Each problem names the structure and the byte offset.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { Tag, TiffFile, TiffFormatError, tagName, TYPE_NAME, type TiffIfd } from './tiff.js';
import { COMPRESSION_NAMES, gdalDataType } from './geotiff-info.js';
import { sniffRaster } from './info.js';
import { readVrtXml } from './vrt-info.js';
import type { DecodeJob } from './decode-worker.js';
import { childModuleArgs } from '../../lib/worker.js';
import { decodeBudgetBytes, formatBytes, tiffLayout, DECODE_BUDGET_ENV, type TiffLayout } from './budget.js';
import { checkStreamDeclared } from './codec-guard.js';

/** Codecs whose blocks state their decoded size in the stream (JPEG, LERC, ZSTD). */
const STREAM_SIZED = new Set([7, 34887, 50000]);
import { AppError } from '../../lib/errors.js';

export interface CheckProblem {
  /** Stable code: `strip-beyond-eof`, `unknown-compression`, `decode-failed`, ... */
  code: string;
  /** The failing structure: "IFD #0 StripOffsets[3]", "header", "feature 12". */
  structure: string;
  offset?: number;
  message: string;
  severity: 'error' | 'warning';
  /** A block GDAL cannot decode: band (0 = the internal mask), overview (0 = full resolution), subdataset, block column and row, its pixels [x0, y0, x1, y1] (inclusive). */
  block?: { band: number; overview: number; subdataset?: string; column: number; row: number; pixels: [number, number, number, number] };
}

export interface FileCheck {
  file: string;
  kind: 'raster' | 'vector' | 'pointcloud' | 'other';
  format?: string;
  ok: boolean;
  problems: CheckProblem[];
  blocksTotal?: number;
  blocksDecoded?: number;
  featuresParsed?: number;
  /** Point clouds: points decoded (src/geo/pointcloud/check.ts). */
  pointsDecoded?: number;
  /**
   * How the pixels were checked: `gdal` every block through GDAL's checksum (`geo check`'s default
   * with native GDAL), `own` every block by geodvc's own decoder, `gdal+own` both (`--deep`),
   * `sample` a sample of blocks (`--quick`).
   */
  decode?: 'gdal' | 'own' | 'gdal+own' | 'sample';
  /** Set when the time limit stopped the check early: what was not reached. */
  notReached?: string;
}

export interface RasterCheckOptions {
  deep?: boolean;
  /**
   * Run geodvc's own decoder over the sampled (or, with `deep`, every) block; default true.
   * `geo check` turns it off when native GDAL decodes every block instead (src/core/api/geo-check.ts).
   */
  decode?: boolean;
  /** Blocks decoded per image when not deep (default 16). */
  sample?: number;
  /** CPU seconds the decoder child may spend on one block (default 4). */
  cpuLimitS?: number;
  /** Wall-clock cap of a decoder child (default 60 s; deep 600 s). */
  timeoutMs?: number;
  heapMiB?: number;
  signal?: AbortSignal;
  /** Epoch ms after which no more blocks are decoded (the overall time limit of `geo check`). */
  deadline?: number;
  /** Largest decoded block allowed (default: GEODVC_DECODE_BUDGET, 1 GiB). */
  budgetBytes?: number;
}

/** Codecs GDAL (libtiff) can decode; anything else means GDAL cannot open the file. */
const KNOWN_CODECS = new Set([1, 2, 3, 4, 5, 6, 7, 8, 32946, 32773, 34676, 34677, 34712, 34887, 34925, 50000, 50001, 32908, 32909]);
/** GDAL's limit on blocks per band (nBlocksPerRow * nBlocksPerColumn must fit in an int). */
const MAX_BLOCKS = 0x7fffffff;

/** Tags without which the pixels cannot be located or decoded. */
const DATA_TAGS = [Tag.StripOffsets, Tag.StripByteCounts, Tag.TileOffsets, Tag.TileByteCounts, Tag.BitsPerSample, Tag.SampleFormat, Tag.JPEGTables, Tag.LercParameters, Tag.YCbCrSubSampling, Tag.ColorMap];
const INTEGER_TYPES = new Set([1, 3, 4, 6, 8, 9, 16, 17]);

const EXPECTED_TYPES: Record<number, number[]> = {
  [Tag.ImageWidth]: [3, 4, 16], [Tag.ImageLength]: [3, 4, 16], [Tag.BitsPerSample]: [3], [Tag.Compression]: [3],
  [Tag.StripOffsets]: [3, 4, 16], [Tag.StripByteCounts]: [3, 4, 16], [Tag.TileOffsets]: [3, 4, 16], [Tag.TileByteCounts]: [3, 4, 16],
  [Tag.TileWidth]: [3, 4], [Tag.TileLength]: [3, 4], [Tag.RowsPerStrip]: [3, 4, 16], [Tag.SamplesPerPixel]: [3],
  [Tag.ModelPixelScale]: [12], [Tag.ModelTiepoint]: [12], [Tag.ModelTransformation]: [12], [Tag.GeoKeyDirectory]: [3],
  [Tag.GeoDoubleParams]: [12], [Tag.GeoAsciiParams]: [2],
};

interface ImagePlan {
  ifd: TiffIfd;
  compression: number;
  params: Record<string, unknown>;
  offsets: Float64Array;
  counts: Float64Array;
  expected: (i: number) => number;
}

function checkIfd(t: TiffFile, ifd: TiffIfd, problems: CheckProblem[], budgetBytes: number): ImagePlan | undefined {
  const where = ifd.parent === undefined ? `IFD #${ifd.index}` : `SubIFD #${ifd.index} (of IFD #${ifd.parent})`;
  const err = (code: string, structure: string, message: string, offset?: number) => problems.push({ code, structure: `${where} ${structure}`.trim(), offset, message, severity: 'error' });
  for (const [tag, types] of Object.entries(EXPECTED_TYPES)) {
    const e = ifd.entries.get(Number(tag));
    if (!e || types.includes(e.type)) continue;
    // libtiff converts between integer types (range-checked): only a non-integer type where an
    // integer is needed (or a non-float where a float is needed) makes the tag unreadable.
    const wantsInt = types.some((x) => INTEGER_TYPES.has(x));
    const readable = wantsInt ? INTEGER_TYPES.has(e.type) : types.includes(12) ? e.type === 11 || e.type === 12 : false;
    problems.push({ code: 'tag-bad-type', structure: `${where} ${tagName(e.tag)}`, offset: e.entryOffset, message: `tag ${tagName(e.tag)} has field type ${TYPE_NAME[e.type] ?? e.type}, expected ${types.map((x) => TYPE_NAME[x]).join('/')}`, severity: readable ? 'warning' : 'error' });
  }
  for (const e of ifd.entries.values()) {
    if (e.outOfFile) err('tag-out-of-file', tagName(e.tag), `tag ${tagName(e.tag)}: ${e.count} × ${TYPE_NAME[e.type]} at offset ${e.valueOffset} extends past the end of the file (${t.size} bytes)`, e.entryOffset);
  }
  const width = t.value(ifd, Tag.ImageWidth);
  const height = t.value(ifd, Tag.ImageLength);
  if (!width || !height) { err('missing-tag', 'ImageWidth/ImageLength', 'image size tags missing or zero', ifd.offset); return undefined; }
  const compression = t.value(ifd, Tag.Compression) ?? 1;
  if (!KNOWN_CODECS.has(compression)) {
    err('unknown-compression', 'Compression', `unknown compression code ${compression}: no decoder (GDAL refuses the file: missing codec)`, ifd.entries.get(Tag.Compression)?.entryOffset);
    return undefined;
  }
  const tiled = ifd.entries.has(Tag.TileOffsets) || ifd.entries.has(Tag.TileWidth);
  const spp = t.value(ifd, Tag.SamplesPerPixel) ?? 1;
  const planar = t.value(ifd, Tag.PlanarConfig) ?? 1;
  const bitsE = ifd.entries.get(Tag.BitsPerSample);
  const bits = bitsE && !bitsE.outOfFile ? t.values(bitsE, 1)[0]! : 1;
  const sampleFormat = t.value(ifd, Tag.SampleFormat) ?? 1;
  if (!gdalDataType(bits, sampleFormat)) {
    err('unsupported-sample', 'BitsPerSample/SampleFormat', `${bits}-bit samples with SampleFormat ${sampleFormat}: GDAL cannot read them (it refuses the file: unsupported TIFF configuration)`, bitsE?.entryOffset);
    return undefined;
  }
  let bw: number, bh: number;
  if (tiled) {
    bw = t.value(ifd, Tag.TileWidth) ?? 0; bh = t.value(ifd, Tag.TileLength) ?? 0;
    if (!bw || !bh) { err('missing-tag', 'TileWidth/TileLength', 'tiled image without a tile size', ifd.offset); return undefined; }
  } else {
    bw = width;
    bh = Math.min(t.value(ifd, Tag.RowsPerStrip) ?? height, height) || height;
  }
  const across = Math.ceil(width / bw);
  const down = Math.ceil(height / bh);
  const perPlane = across * down;
  if (perPlane > MAX_BLOCKS) { err('too-many-blocks', tiled ? 'TileWidth/TileLength' : 'RowsPerStrip', `too many blocks: ${across} x ${down} (${perPlane}) per band exceeds ${MAX_BLOCKS}`, ifd.offset); return undefined; }
  const nBlocks = perPlane * (planar === 2 ? spp : 1);
  // Header-declared decoded block size against the budget, before any block is read or decoded.
  try {
    const L = tiffLayout(t, ifd);
    if (L.blockBytes > budgetBytes) {
      err('decode-budget', `${tiled ? 'tile' : 'strip'} 0`, `${tiled ? 'tiles' : 'strips'} of ${L.blockW}×${L.blockH} pixels × ${L.planar === 2 ? 1 : L.samplesPerPixel} sample(s) × ${L.bitsPerSample} bits would decode to ${formatBytes(L.blockBytes)} each, over the decode budget of ${formatBytes(budgetBytes)} (${DECODE_BUDGET_ENV}): not decoded`, ifd.offset);
      return undefined;
    }
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    err('bad-layout', 'header', e.message.replace(/^[^:]*: /, ''), ifd.offset);
    return undefined;
  }
  const offE = ifd.entries.get(tiled ? Tag.TileOffsets : Tag.StripOffsets);
  const cntE = ifd.entries.get(tiled ? Tag.TileByteCounts : Tag.StripByteCounts);
  const offName = tiled ? 'TileOffsets' : 'StripOffsets';
  const cntName = tiled ? 'TileByteCounts' : 'StripByteCounts';
  if (!offE) { err('missing-tag', offName, `required tag ${offName} is missing`, ifd.offset); return undefined; }
  if (!cntE) { err('missing-tag', cntName, `required tag ${cntName} is missing (GDAL estimates it; the data cannot be trusted)`, ifd.offset); return undefined; }
  if (offE.outOfFile || cntE.outOfFile) return undefined; // already reported: offsets/sizes unreadable
  if (offE.count < nBlocks) { err('block-count', offName, `${offName} has ${offE.count} entries, the image needs ${nBlocks}`, offE.entryOffset); return undefined; }
  if (cntE.count < nBlocks) { err('block-count', cntName, `${cntName} has ${cntE.count} entries, the image needs ${nBlocks}`, cntE.entryOffset); return undefined; }
  const offsets = t.array(offE);
  const counts = t.array(cntE);
  let reported = 0;
  for (let i = 0; i < nBlocks; i++) {
    const o = offsets[i]!; const c = counts[i]!;
    if (c === 0 && o === 0) continue; // sparse block (GDAL SPARSE_OK)
    if (o + c > t.size) {
      if (reported++ < 5) err(tiled ? 'tile-beyond-eof' : 'strip-beyond-eof', `${offName}[${i}]`, `${tiled ? 'tile' : 'strip'} ${i}: ${c} bytes at offset ${o} end at ${o + c}, past the end of the file (${t.size} bytes)`, o);
    }
  }
  if (reported > 5) err('blocks-beyond-eof', offName, `${reported} blocks in all extend past the end of the file`);
  if (reported) return undefined;
  const sub = ifd.entries.get(Tag.YCbCrSubSampling);
  const photometric = t.value(ifd, Tag.Photometric);
  const checkSize = compression !== 7 && compression !== 6 && compression !== 50001 && !(photometric === 6 && sub);
  const samplesPerBlock = planar === 2 ? 1 : spp;
  const rowBytes = Math.ceil((bw * samplesPerBlock * bits) / 8);
  const expected = (i: number): number => {
    if (!checkSize) return 0;
    // Blocks on the bottom edge may hold only the rows inside the image (libtiff accepts that).
    const row = Math.floor((i % perPlane) / across) * bh;
    return rowBytes * Math.min(bh, height - row);
  };
  const params: Record<string, unknown> = {
    tileWidth: bw, tileHeight: bh, planarConfiguration: planar, bitsPerSample: Array(spp).fill(bits),
    predictor: t.value(ifd, Tag.Predictor) ?? 1, samplesPerPixel: spp,
  };
  const jt = ifd.entries.get(Tag.JPEGTables);
  if (jt && !jt.outOfFile) { const b = t.read(jt.valueOffset, jt.count); params.JPEGTables = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength); }
  const lp = ifd.entries.get(Tag.LercParameters);
  if (lp && !lp.outOfFile) params.LercParameters = t.values(lp, 2);
  return { ifd, compression, params, offsets, counts, expected };
}

/** CPU seconds (user + system) used by a process, from /proc (Linux); undefined elsewhere. */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch { return undefined; }
}

interface WorkerOutcome {
  /** true when the overall deadline stopped the decoder. */
  stopped?: boolean;
  /** true when the wall-clock cap was hit without the CPU limit (a starved machine, not a bad file). */
  starved?: boolean;
  decoded: number;
  errors: { image: number; block: number; message: string }[];
  unsupported: Map<number, string>;
  crashed?: string;
  started?: { image: number; block: number };
}

function runDecodeWorker(absPath: string, work: { plan: ImagePlan; blocks: number[] }[], opts: RasterCheckOptions): Promise<WorkerOutcome> {
  return new Promise((resolve) => {
    const job: DecodeJob = {
      path: absPath,
      budget: opts.budgetBytes ?? decodeBudgetBytes(),
      images: work.map(({ plan, blocks }) => {
        const params: Record<string, unknown> = { ...plan.params, JPEGTables: undefined };
        // ArrayBuffers do not survive JSON: JPEG tables travel as a byte array.
        if (plan.params.JPEGTables) params.JPEGTablesArray = Array.from(new Uint8Array(plan.params.JPEGTables as ArrayBuffer));
        return { compression: plan.compression, params, blocks: blocks.map((i): [number, number, number, number] => [i, plan.offsets[i]!, plan.counts[i]!, plan.expected(i)]) };
      }),
    };
    const heap = opts.heapMiB ?? 96;
    const child = spawn(process.execPath, [`--max-old-space-size=${heap}`, ...childModuleArgs(import.meta.url, 'decode-worker'), JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: WorkerOutcome = { decoded: 0, errors: [], unsupported: new Map() };
    let buf = '';
    let ended = false;
    let stderr = '';
    let blockCpu0 = 0;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl); buf = buf.slice(nl + 1);
        let m: any; try { m = JSON.parse(line); } catch { continue; }
        if (m.start !== undefined) { out.started = { image: m.image, block: m.start }; blockCpu0 = cpuSeconds(child.pid) ?? blockCpu0; }
        else if (m.done !== undefined) out.decoded++;
        else if (m.error !== undefined) out.errors.push({ image: m.image, block: m.error, message: m.message });
        else if (m.unsupported) out.unsupported.set(m.image, m.unsupported);
        else if (m.fatal) out.crashed = m.fatal;
        else if (m.end) ended = true;
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < 4000) stderr += d; });
    // A runaway decoder is caught by its CPU time (so a loaded machine does not turn slow into
    // "corrupt"); the wall-clock cap only bounds the wait. Without /proc the wall cap decides.
    const cpuLimit = opts.cpuLimitS ?? 4;
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const t0 = Date.now();
    const hasProc = cpuSeconds(child.pid) !== undefined;
    const timer = setInterval(() => {
      const cpu = cpuSeconds(child.pid);
      if (cpu !== undefined && cpu - blockCpu0 > cpuLimit) {
        out.crashed = `decoder used more than ${cpuLimit} s of CPU on one block without finishing (runaway decode)`;
        child.kill('SIGKILL');
      } else if (opts.deadline !== undefined && Date.now() >= opts.deadline) {
        out.stopped = true;
        child.kill('SIGKILL');
      } else if (Date.now() - t0 > (hasProc ? timeoutMs : Math.min(timeoutMs, cpuLimit * 1500))) {
        if (hasProc) { out.starved = true; out.crashed = `decoder did not finish within ${Math.round((Date.now() - t0) / 1000)} s (machine too busy; ${cpu?.toFixed(1)} s CPU used)`; }
        else out.crashed = `decoder timed out after ${Date.now() - t0} ms`;
        child.kill('SIGKILL');
      }
    }, 200);
    const onAbort = () => { child.kill('SIGKILL'); };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('close', (code, sig) => {
      clearInterval(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (!ended && !out.crashed && !out.stopped) {
        const oom = /heap out of memory|Allocation failed|JavaScript heap/i.test(stderr);
        out.crashed = oom ? `decoding needed more than the ${heap} MiB memory cap: the block is corrupt or claims an absurd decoded size` : `decoder process died (${sig ? `signal ${sig}` : `exit ${code}`})${stderr ? `: ${stderr.split('\n').filter(Boolean).slice(-1)[0]}` : ''}`;
      }
      resolve(out);
    });
  });
}

function pickBlocks(plan: ImagePlan, n: number, deep: boolean): number[] {
  const all: number[] = [];
  const total = plan.offsets.length;
  const nonSparse = (i: number) => plan.counts[i]! > 0;
  if (deep) { for (let i = 0; i < total; i++) if (nonSparse(i)) all.push(i); return all; }
  const set = new Set<number>();
  for (let k = 0; k < n && set.size < n; k++) {
    const i = Math.min(total - 1, Math.floor((k * (total - 1)) / Math.max(1, n - 1)));
    if (nonSparse(i)) set.add(i);
  }
  return [...set].sort((a, b) => a - b);
}

export async function checkRaster(absPath: string, opts: RasterCheckOptions = {}): Promise<FileCheck> {
  const file = absPath;
  const problems: CheckProblem[] = [];
  let kind: 'tiff' | 'vrt' | undefined;
  try { kind = sniffRaster(absPath); } catch (e) {
    return { file, kind: 'raster', ok: false, problems: [{ code: 'unreadable', structure: 'file', message: (e as Error).message, severity: 'error' }] };
  }
  if (kind === 'vrt') return checkVrt(absPath);
  if (kind !== 'tiff') return { file, kind: 'raster', ok: false, problems: [{ code: 'unknown-format', structure: 'header', offset: 0, message: 'not a TIFF or VRT file (no II/MM or <VRTDataset> signature)', severity: 'error' }] };
  let t: TiffFile;
  try { t = TiffFile.open(absPath); } catch (e) {
    const off = e instanceof TiffFormatError ? e.offset : undefined;
    return { file, kind: 'raster', format: 'GTiff', ok: false, problems: [{ code: 'bad-header', structure: 'header', offset: off, message: (e as Error).message, severity: 'error' }] };
  }
  let blocksTotal = 0;
  let blocksDecoded = 0;
  let notReached: string | undefined;
  try {
    for (const i of t.issues) {
      // A next-IFD pointer or IFD that cannot be read makes libtiff fail the directory read.
      const fatal = i.fatal || i.code === 'ifd-beyond-eof' || i.code === 'ifd-truncated' || i.code === 'ifd-bad-count';
      if (i.code === 'tag-out-of-file') continue; // reported per IFD below
      problems.push({ code: i.code, structure: 'IFD chain', offset: i.offset, message: i.message, severity: fatal ? 'error' : 'warning' });
    }
    const plans: ImagePlan[] = [];
    for (const ifd of t.ifds) {
      const before = problems.length;
      const plan = checkIfd(t, ifd, problems, opts.budgetBytes ?? decodeBudgetBytes());
      // Cut-off tags are ignored by libtiff/GDAL with a warning, except those needed to locate and
      // decode the pixels.
      for (let k = before; k < problems.length; k++) {
        const p = problems[k]!;
        if (p.code === 'tag-out-of-file' && !DATA_TAGS.some((t) => p.structure.includes(tagName(t)))) p.severity = 'warning';
      }
      if (plan) plans.push(plan);
    }
    const hasError = problems.some((p) => p.severity === 'error');
    if (!hasError && plans.length) {
      for (const p of plans) blocksTotal += p.offsets.length;
      // Main image: `sample` blocks (all with deep); overviews/masks: a few each. One child per batch.
      const work = plans.map((plan, k) => ({ plan, blocks: pickBlocks(plan, k === 0 ? (opts.sample ?? 16) : 4, !!opts.deep) })).filter((w) => w.blocks.length);
      // JPEG/LERC/ZSTD blocks state their decoded size in their stream: checked here, before the decoder trusts it
      for (const w of work) {
        if (!STREAM_SIZED.has(w.plan.compression)) continue;
        let L: TiffLayout;
        try { L = tiffLayout(t, w.plan.ifd); } catch { continue; }
        for (const i of w.blocks) {
          try { checkStreamDeclared(L, i, t.read(w.plan.offsets[i]!, Math.min(w.plan.counts[i]!, 65536))); } catch (e) {
            if (!(e instanceof AppError)) throw e;
            problems.push({ code: 'stream-size', structure: `${L.image} ${L.tiled ? 'tile' : 'strip'} ${i}`, offset: w.plan.offsets[i], message: e.message.replace(/^[^:]*: /, ''), severity: 'error' });
            break;
          }
        }
      }
      if (problems.some((p) => p.severity === 'error') || opts.decode === false) work.length = 0;
      const LIMIT = opts.deep ? 4096 : Infinity;
      const batches: { plan: ImagePlan; blocks: number[] }[][] = [];
      let cur: { plan: ImagePlan; blocks: number[] }[] = [];
      let n = 0;
      for (const w of work) {
        for (let s = 0; s < w.blocks.length; s += Math.min(LIMIT, w.blocks.length)) {
          const part = w.blocks.slice(s, s + Math.min(LIMIT, w.blocks.length));
          if (n + part.length > LIMIT && cur.length) { batches.push(cur); cur = []; n = 0; }
          cur.push({ plan: w.plan, blocks: part }); n += part.length;
        }
      }
      if (cur.length) batches.push(cur);
      const planned = batches.reduce((a, b) => a + b.reduce((x, w) => x + w.blocks.length, 0), 0);
      for (const batch of batches) {
        if (opts.signal?.aborted) break;
        if (opts.deadline !== undefined && Date.now() >= opts.deadline) break;
        const r = await runDecodeWorker(absPath, batch, { ...opts, timeoutMs: opts.timeoutMs ?? (opts.deep ? 3_600_000 : 60_000) });
        blocksDecoded += r.decoded;
        if (r.stopped) break;
        const describeImage = (k: number) => {
          const plan = batch[k]!.plan;
          return {
            plan,
            where: plan.ifd.parent === undefined ? `IFD #${plan.ifd.index}` : `SubIFD #${plan.ifd.index}`,
            kindName: plan.ifd.entries.has(Tag.TileOffsets) ? 'tile' : 'strip',
            codec: COMPRESSION_NAMES[plan.compression] ?? String(plan.compression),
          };
        };
        const seenUnsupported = new Set<string>();
        for (const [k, msg] of r.unsupported) {
          const d = describeImage(k);
          if (seenUnsupported.has(d.codec)) continue;
          seenUnsupported.add(d.codec);
          problems.push({ code: 'codec-unsupported', structure: `${d.where} Compression`, message: `${d.codec} blocks not decoded (no decoder in this build: ${msg})`, severity: 'warning' });
        }
        for (const e of r.errors.slice(0, 5)) {
          const d = describeImage(e.image);
          // geotiff.js's JPEG decoder is not libjpeg: its failures are reported, but not as corruption.
          const trusted = d.plan.compression !== 7;
          problems.push({ code: trusted ? 'decode-failed' : 'decode-suspect', structure: `${d.where} ${d.kindName} ${e.block}`, offset: d.plan.offsets[e.block], message: `${d.codec} ${d.kindName} ${e.block} (${d.plan.counts[e.block]} bytes at offset ${d.plan.offsets[e.block]}) does not decode${trusted ? '' : ' with geotiff.js (libjpeg may still read it)'}: ${e.message}`, severity: trusted ? 'error' : 'warning' });
        }
        if (r.crashed) {
          const st = r.started;
          const d = st ? describeImage(st.image) : undefined;
          problems.push({
            code: r.starved ? 'decode-unfinished' : 'decode-crashed', structure: d && st ? `${d.where} ${d.kindName} ${st.block}` : 'decoder', offset: d && st ? d.plan.offsets[st.block] : undefined,
            message: d && st ? `${d.codec} ${d.kindName} ${st.block} (${d.plan.counts[st.block]} bytes at offset ${d.plan.offsets[st.block]}): ${r.crashed}` : r.crashed, severity: r.starved ? 'warning' : 'error',
          });
        }
        if (problems.some((p) => p.severity === 'error')) break;
      }
      const errored = problems.some((p) => p.severity === 'error');
      if (!errored && blocksDecoded < planned && opts.deadline !== undefined && Date.now() >= opts.deadline) {
        notReached = `${planned - blocksDecoded} of ${planned} block(s) not decoded`;
        problems.push({ code: 'time-limit', structure: 'decoder', message: `stopped by the time limit: ${notReached}`, severity: 'warning' });
      }
    }
  } finally { t.close(); }
  return { file, kind: 'raster', format: 'GTiff', ok: !problems.some((p) => p.severity === 'error'), problems, blocksTotal, blocksDecoded, ...(notReached ? { notReached } : {}) };
}

function checkVrt(absPath: string): FileCheck {
  const problems: CheckProblem[] = [];
  let xml: string;
  try { xml = readVrtXml(absPath); } catch (e) {
    if (!(e instanceof AppError)) throw e;
    return { file: absPath, kind: 'raster', format: 'VRT', ok: false, problems: [{ code: 'bad-vrt', structure: 'XML', offset: e.details?.offset as number | undefined, message: e.message.replace(/^[^:]*: /, ''), severity: 'error' }] };
  }
  if (!/<VRTDataset\b[^>]*rasterXSize="\d+"[^>]*rasterYSize="\d+"/.test(xml) && !/<VRTDataset\b[^>]*rasterYSize="\d+"[^>]*rasterXSize="\d+"/.test(xml)) {
    problems.push({ code: 'bad-vrt', structure: 'VRTDataset', offset: xml.indexOf('<VRTDataset'), message: 'VRTDataset without rasterXSize/rasterYSize', severity: 'error' });
  }
  const opens = (xml.match(/<VRTRasterBand\b/g) ?? []).length;
  const closes = (xml.match(/<\/VRTRasterBand>/g) ?? []).length;
  if (opens !== closes) problems.push({ code: 'bad-vrt', structure: 'VRTRasterBand', message: `unbalanced VRTRasterBand elements (${opens} opened, ${closes} closed): truncated XML?`, severity: 'error' });
  for (const m of xml.matchAll(/<SourceFilename([^>]*)>([^<]*)<\/SourceFilename>/g)) {
    const rel = /relativeToVRT\s*=\s*"1"/.test(m[1]!);
    const name = m[2]!.trim();
    if (/^\/vsi/.test(name)) continue;
    const p = rel && !isAbsolute(name) ? join(dirname(absPath), name) : name;
    if (!existsSync(p)) problems.push({ code: 'vrt-source-missing', structure: `SourceFilename ${name}`, offset: m.index, message: `source file ${name} does not exist (resolved to ${p})`, severity: 'error' });
  }
  return { file: absPath, kind: 'raster', format: 'VRT', ok: !problems.some((p) => p.severity === 'error'), problems };
}

