/**
 * The decode check run inside the native GDAL runner child (`engine/runner.ts`, task op 'verify')
 * before `geo vrt` and `geo stac` publish a raster: every block of every band, of every overview
 * and of an internal mask is read through GDAL's checksum (the call behind `gdalinfo -checksum`,
 * so a file passes exactly when GDAL can read all of its pixels). A part of the file is one range
 * of block rows (each part opens its own handle, so parts of one file run in parallel); windows
 * span several block rows, and a failed window is searched block by block for the first block GDAL
 * cannot decode. No imports: the child has gdal-async loaded already.
 */
export interface VerifySpec {
  input: string;
  /** This task's share of the block rows: part `part` of `parts`. */
  part: number;
  parts: number;
  /** Largest block (all bands of a pixel-interleaved block) allowed to be decoded, in bytes. */
  budgetBytes: number;
  /** Pixels read per window over all bands of a level (several block rows; default 8 Mi). */
  windowPixels?: number;
}

export interface VerifyFailure {
  /** 1-based band; 0 for the dataset's internal mask. */
  band: number;
  /** 0 = full resolution, k = overview k. */
  level: number;
  /** Block column and row, block size, and whether blocks span the whole width (strips). */
  blockX: number;
  blockY: number;
  blockW: number;
  blockH: number;
  strips: boolean;
  /** One block holds the whole image. */
  whole: boolean;
  /** Size of the image (band, overview or mask) holding the block. */
  width?: number;
  height?: number;
  /** The subdataset (NetCDF variable, HDF5 dataset) holding the block, for containers. */
  subdataset?: string;
  /** Set when the block is larger than the decode budget (not decoded at all). */
  overBudget?: number;
  message: string;
}

export interface VerifyResult { blocks: number; failure?: VerifyFailure }

const TYPE_BYTES: Record<string, number> = { Byte: 1, Int8: 1, UInt16: 2, Int16: 2, UInt32: 4, Int32: 4, Float32: 4, Float64: 8, UInt64: 8, Int64: 8, CInt16: 4, CInt32: 8, CFloat32: 8, CFloat64: 16 };

interface Level { band: any; bandNo: number; level: number }
interface Planned extends Level { w: number; h: number; bw: number; bh: number }

/** The band of `ds` a level stands for (band, its overview, or band 1's mask). */
function bandOf(ds: any, l: Level): any {
  const b = ds.bands.get(l.bandNo || 1);
  if (l.bandNo === 0) return b.getMaskBand();
  return l.level ? b.overviews.get(l.level - 1) : b;
}

/**
 * The first block of block rows [r0, r1) GDAL cannot decode, searched on a fresh handle (a failed
 * read can leave a handle's state behind); GDAL's own message comes from a read of that block.
 */
async function locate(gdal: any, input: string, p: Planned, r0: number, r1: number, nbx: number, fallback: string,
  fail: (p: any, bx: number, by: number, message: string) => VerifyResult): Promise<VerifyResult> {
  const ds = await gdal.openAsync(input);
  try {
    const band = bandOf(ds, p);
    for (let by = r0; by < r1; by++) {
      for (let bx = 0; bx < nbx; bx++) {
        const x0 = bx * p.bw, y0 = by * p.bh, w = Math.min(p.bw, p.w - x0), h = Math.min(p.bh, p.h - y0);
        try { await gdal.checksumImageAsync(band, x0, y0, w, h); } catch (e) {
          let message = String((e as Error)?.message ?? e);
          try { band.pixels.read(x0, y0, w, h); } catch (e2) { message = String((e2 as Error)?.message ?? e2); }
          return fail(p, bx, by, message.split(`${input}, `).join(''));
        }
      }
    }
    return fail(p, 0, r0, fallback);
  } finally {
    try { ds.close(); } catch { /* already closed */ }
  }
}

export async function verifyTask(gdal: any, spec: VerifySpec, progress: (fraction: number) => void): Promise<VerifyResult> {
  // one decoding thread per handle: GDAL 3.6's multithreaded GTiff decoding loses read errors
  // raised in its worker threads; libjpeg warnings (corrupt JPEG data) are errors
  gdal.config.set('GDAL_NUM_THREADS', '1');
  gdal.config.set('GDAL_ERROR_ON_LIBJPEG_WARNING', 'TRUE');
  const ds = await gdal.openAsync(spec.input);
  let subs: string[] = [];
  try {
    // a container without bands of its own (NetCDF, HDF5): each of its subdatasets
    if (ds.bands.count() === 0) {
      const md = (ds.getMetadata('SUBDATASETS') ?? {}) as Record<string, string>;
      subs = Object.keys(md).filter((k) => /^SUBDATASET_\d+_NAME$/.test(k)).sort((a, b) => Number(a.split('_')[1]) - Number(b.split('_')[1])).map((k) => md[k]!);
    }
  } finally {
    if (subs.length) { try { ds.close(); } catch { /* already closed */ } }
  }
  if (!subs.length) return verifyDataset(gdal, ds, spec.input, spec, progress);
  let blocks = 0;
  for (let i = 0; i < subs.length; i++) {
    const sub = await gdal.openAsync(subs[i]!);
    const r = await verifyDataset(gdal, sub, subs[i]!, spec, (f) => progress((i + f) / subs.length));
    blocks += r.blocks;
    if (r.failure) return { blocks, failure: { ...r.failure, subdataset: subs[i]! } };
  }
  return { blocks };
}

/** Every block of one opened dataset (closed at the end); `input` reopens it to locate a failure. */
async function verifyDataset(gdal: any, ds: any, input: string, spec: VerifySpec, progress: (fraction: number) => void): Promise<VerifyResult> {
  try {
    const n: number = ds.bands.count();
    const levels: Level[] = [];
    for (let b = 1; b <= n; b++) levels.push({ band: ds.bands.get(b), bandNo: b, level: 0 });
    if (n > 0) {
      const b1 = ds.bands.get(1);
      // GMF_PER_DATASET alone: an internal (or .msk) mask band, stored and decoded like a band
      if (b1.getMaskFlags() === 2) { const m = b1.getMaskBand(); if (m) levels.push({ band: m, bandNo: 0, level: 0 }); }
      for (let b = 1; b <= n; b++) {
        const ovs = ds.bands.get(b).overviews;
        const k = ovs.count();
        for (let i = 0; i < k; i++) levels.push({ band: ovs.get(i), bandNo: b, level: i + 1 });
      }
    }
    const windowPixels = spec.windowPixels ?? 8 * 1024 * 1024;
    // rows of each level this part reads
    const plan = levels.map((l) => {
      const w: number = l.band.size.x, h: number = l.band.size.y;
      const bs = l.band.blockSize as { x: number; y: number };
      const bw = Math.max(1, Math.min(bs.x, w)), bh = Math.max(1, Math.min(bs.y, h));
      const nby = Math.ceil(h / bh);
      const r0 = Math.floor((spec.part * nby) / spec.parts), r1 = Math.floor(((spec.part + 1) * nby) / spec.parts);
      return { ...l, w, h, bw, bh, r0, r1, bytes: bs.x * bs.y * (TYPE_BYTES[String(l.band.dataType)] ?? 8) };
    });
    const totalRows = plan.reduce((a, p) => a + Math.max(0, Math.min(p.h, p.r1 * p.bh) - p.r0 * p.bh), 0) || 1;
    let doneRows = 0;
    let blocks = 0;
    const interleaved = n > 1 && String(ds.getMetadata('IMAGE_STRUCTURE')?.INTERLEAVE ?? '').toUpperCase() === 'PIXEL';
    const fail = (p: (typeof plan)[number], bx: number, by: number, message: string, overBudget?: number): VerifyResult => ({
      blocks, failure: { band: p.bandNo, level: p.level, blockX: bx, blockY: by, blockW: p.bw, blockH: p.bh, strips: p.bw >= p.w && p.bh < p.h, whole: p.bw >= p.w && p.bh >= p.h, width: p.w, height: p.h, message, ...(overBudget !== undefined ? { overBudget } : {}) },
    });
    // bands of one level with one block layout are read window by window together: a
    // pixel-interleaved block decoded for band 1 is still in GDAL's block cache for the others
    const groups: (typeof plan)[] = [];
    for (const p of plan) {
      const g = groups.find((x) => { const q = x[0]!; return q.level === p.level && (q.bandNo === 0) === (p.bandNo === 0) && q.w === p.w && q.h === p.h && q.bw === p.bw && q.bh === p.bh; });
      if (g) g.push(p); else groups.push([p]);
    }
    for (const group of groups) {
      const g0 = group[0]!;
      if (g0.r1 <= g0.r0) continue;
      for (const p of group) {
        const budgetBytes = p.bytes * (interleaved && p.bandNo > 0 ? n : 1);
        if (budgetBytes > spec.budgetBytes) return fail(p, 0, p.r0, `a block of ${p.bw}x${p.bh} pixels decodes to ${budgetBytes} bytes, over the decode budget of ${spec.budgetBytes} bytes`, budgetBytes);
      }
      const rowsPerCall = Math.max(1, Math.floor(windowPixels / Math.max(1, g0.w * g0.bh * group.length)));
      const nbx = Math.ceil(g0.w / g0.bw);
      for (let r = g0.r0; r < g0.r1; r += rowsPerCall) {
        const rEnd = Math.min(g0.r1, r + rowsPerCall);
        const y = r * g0.bh, h = Math.min(g0.h, rEnd * g0.bh) - y;
        for (const p of group) {
          try {
            await gdal.checksumImageAsync(p.band, 0, y, p.w, h);
            blocks += (rEnd - r) * nbx;
          } catch (e) {
            return locate(gdal, input, p, r, rEnd, nbx, String((e as Error)?.message ?? e), fail);
          }
          doneRows += h;
        }
        progress(Math.min(1, doneRows / totalRows));
      }
    }
    return { blocks };
  } finally {
    try { ds.close(); } catch { /* already closed */ }
  }
}
