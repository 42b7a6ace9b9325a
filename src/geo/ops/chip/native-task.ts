/**
 * The chip work done inside the native GDAL runner child (`engine/runner.ts`, task op 'chip').
 * Self-contained on purpose (no imports, no closures over module state): the runner evaluates this
 * function's source in its child, where gdal-async is already loaded.
 *
 * - facts:  size, bands (type, nodata), geotransform or GCPs, CRS of one raster;
 * - lonlat: points of the raster's CRS (or its GCPs' CRS) in WGS 84 lon/lat, by GDAL/PROJ;
 * - cut:    a run of chip windows of one raster, one dataset handle (its block cache serves
 *           neighbouring windows): the nodata fraction from the window's pixels, then
 *           `gdal_translate -srcwin` into a temp file renamed into place. GDAL read errors (a
 *           corrupt tile or strip) fail the task with GDAL's message (it names the block).
 */
export interface ChipTaskSpec {
  mode: 'facts' | 'lonlat' | 'cut';
  input: string;
  /** lonlat: flat [x0, y0, x1, y1, ...] */
  points?: number[];
  /** cut: */
  windows?: { x0: number; y0: number; out: string; write: boolean }[];
  size?: number;
  bands?: number[];
  /** Band 1's nodata (the nodata fraction counts pixels where every selected band equals it). */
  nodata?: number | null;
  maxNodata?: number;
  pad?: boolean;
  tmpDir?: string;
  /** gdal_translate options after -srcwin (format, creation options, -b). */
  args?: string[];
}

export interface ChipFacts {
  width: number;
  height: number;
  bands: { type: string; nodata: number | null; nbits: number | null }[];
  gt: number[] | null;
  gcps: { pixel: number; line: number; x: number; y: number }[];
  wkt: string;
  epsg: number | null;
  crsName: string;
  subdatasets: string[];
  /** Rows of band 1's blocks (tiles or strips): windows sharing them are cut by one job. */
  blockRows: number;
}

export async function chipTask(gdal: any, fs: any, t: ChipTaskSpec, progress: (fraction: number) => void): Promise<unknown> {
  // libjpeg warnings (corrupt JPEG data) fail the read instead of leaving grey blocks
  gdal.config.set('GDAL_ERROR_ON_LIBJPEG_WARNING', 'TRUE');
  // one thread per window run (the runs are the parallelism); GDAL 3.6's multithreaded GTiff
  // decoding also loses read errors raised in its worker threads, leaving zeros in the chip
  gdal.config.set('GDAL_NUM_THREADS', '1');
  // masks (nodata masks, alpha-less RGB masks) inside the chip file, not in a .msk beside it
  gdal.config.set('GDAL_TIFF_INTERNAL_MASK', 'YES');
  // x = easting/longitude whatever the CRS's axis order (footprints are lon/lat)
  gdal.config.set('OSR_DEFAULT_AXIS_MAPPING_STRATEGY', 'TRADITIONAL_GIS_ORDER');
  // a cut keeps its raster open for the next run of the same raster (its block cache holds the
  // source blocks neighbouring runs share); one raster per child at a time, closed when the next
  // raster's run comes, after a failure, or with the child
  const held: { path?: string; ds?: any } = ((globalThis as any).__geodvcChipHeld ??= {});
  const keep = t.mode === 'cut';
  let ds: any;
  if (keep && held.path === t.input && held.ds) ds = held.ds;
  else {
    if (keep && held.ds) { try { held.ds.close(); } catch { /* already closed */ } held.ds = undefined; held.path = undefined; }
    ds = await gdal.openAsync(t.input);
    if (keep) { held.ds = ds; held.path = t.input; }
  }
  let ok = false;
  try {
    if (t.mode === 'facts') {
      const bands = [];
      for (let i = 1; i <= ds.bands.count(); i++) {
        const b = ds.bands.get(i);
        const nd = b.noDataValue;
        let nbits: number | null = null;
        try { const n = Number(b.getMetadata('IMAGE_STRUCTURE')?.NBITS); nbits = Number.isInteger(n) && n > 0 ? n : null; } catch { nbits = null; }
        bands.push({ type: String(b.dataType), nodata: nd === null || nd === undefined ? null : Number(nd), nbits });
      }
      let gt: number[] | null = null;
      try { gt = ds.geoTransform ?? null; } catch { gt = null; }
      let gcps: { pixel: number; line: number; x: number; y: number }[] = [];
      try { gcps = (ds.getGCPs() ?? []).map((g: any) => ({ pixel: g.dfGCPPixel, line: g.dfGCPLine, x: g.dfGCPX, y: g.dfGCPY })); } catch { gcps = []; }
      let srs = ds.srs;
      if (!srs && gcps.length) { try { const w = ds.getGCPProjection(); srs = w ? gdal.SpatialReference.fromWKT(w) : null; } catch { srs = null; } }
      let wkt = '', epsg: number | null = null, crsName = '';
      if (srs) {
        try { wkt = srs.toWKT(); } catch { wkt = ''; }
        try { srs.autoIdentifyEPSG(); } catch { /* not identifiable */ }
        try { if (srs.getAuthorityName(null) === 'EPSG' && srs.getAuthorityCode(null)) epsg = Number(srs.getAuthorityCode(null)); } catch { epsg = null; }
        try { crsName = srs.getAttrValue(srs.isProjected() ? 'PROJCS' : 'GEOGCS') ?? ''; } catch { crsName = ''; }
      }
      let subdatasets: string[] = [];
      try { const md = ds.getMetadata('SUBDATASETS') ?? {}; subdatasets = Object.keys(md).filter((k) => /_NAME$/.test(k)).map((k) => md[k]); } catch { subdatasets = []; }
      let blockRows = 1;
      try { blockRows = bands.length ? Number(ds.bands.get(1).blockSize.y) || 1 : 1; } catch { blockRows = 1; }
      const facts: ChipFacts = { width: ds.rasterSize.x, height: ds.rasterSize.y, bands, gt, gcps, wkt, epsg, crsName, subdatasets, blockRows };
      ok = true;
      return facts;
    }
    if (t.mode === 'lonlat') {
      let srs = ds.srs;
      if (!srs) { try { const w = ds.getGCPProjection(); srs = w ? gdal.SpatialReference.fromWKT(w) : null; } catch { srs = null; } }
      if (!srs) return null;
      const wgs = gdal.SpatialReference.fromProj4('+proj=longlat +datum=WGS84 +no_defs');
      let ct: any;
      try { ct = new gdal.CoordinateTransformation(srs, wgs); } catch { return null; }
      const pts = t.points ?? [];
      const out: number[] = [];
      for (let i = 0; i + 1 < pts.length; i += 2) {
        try {
          const p = ct.transformPoint(pts[i], pts[i + 1]);
          if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) return null;
          out.push(p.x, p.y);
        } catch { return null; }
      }
      return out;
    }
    // cut
    const size = t.size!, bands = t.bands!, wins = t.windows!;
    const W = ds.rasterSize.x, H = ds.rasterSize.y;
    const results: { frac: number; skipped?: boolean; written?: boolean }[] = [];
    // pixels are read in the band's own type where JS has a typed array for it (no conversion, a
    // quarter of the bytes of Float64 for UInt16), into buffers reused for every window of the run
    const arrays: Record<string, any> = { Byte: Uint8Array, Int8: Int8Array, UInt16: Uint16Array, Int16: Int16Array, UInt32: Uint32Array, Int32: Int32Array, Float32: Float32Array, Float64: Float64Array };
    const bufs = new Map<any, any>();
    const bufFor = (ctor: any, n: number) => {
      let b = bufs.get(ctor);
      if (!b || b.length < n) { b = new ctor(n); bufs.set(ctor, b); }
      return b.subarray(0, n);
    };
    let allBuf: Uint8Array | undefined;
    const bandInfo = bands.map((bn) => {
      const band = ds.bands.get(bn);
      const type = String(band.dataType);
      return { band, ctor: arrays[type] ?? Float64Array, float32: type === 'Float32' };
    });
    // the pixel loops are small functions of their own: V8 optimises them after a few calls,
    // instead of recompiling this whole function (measured: ~0.4 s of compiler threads per run)
    const keepEqual = (all: Uint8Array, v: ArrayLike<number>, n: number, x: number) => { for (let p = 0; p < n; p++) if (v[p] !== x) all[p] = 0; };
    const keepNaN = (all: Uint8Array, v: ArrayLike<number>, n: number) => { for (let p = 0; p < n; p++) if (!Number.isNaN(v[p])) all[p] = 0; };
    const countSet = (all: Uint8Array, n: number) => { let c = 0; for (let p = 0; p < n; p++) c += all[p]!; return c; };
    const hasNd = t.nodata !== null && t.nodata !== undefined;
    const nd = hasNd ? Number(t.nodata) : 0, nan = Number.isNaN(nd);
    for (let i = 0; i < wins.length; i++) {
      const w = wins[i]!;
      const cx0 = Math.max(0, w.x0), cy0 = Math.max(0, w.y0), cx1 = Math.min(W, w.x0 + size), cy1 = Math.min(H, w.y0 + size);
      const inside = Math.max(0, cx1 - cx0) * Math.max(0, cy1 - cy0);
      // every pixel of the window is read through RasterIO first: a block GDAL cannot decode (or a
      // missing VRT source, which gdal_translate alone only logs) fails here, before any write;
      // the nodata fraction comes from the same reads. Rows in chunks of <= 8 MiB per band.
      const cw = cx1 - cx0, ch = cy1 - cy0;
      let count = size * size - inside;
      if (inside > 0 && (w.write || hasNd)) {
        const step = Math.max(1, Math.min(ch, Math.floor((8 << 20) / (8 * cw))));
        for (let y = cy0; y < cy1; y += step) {
          const rows = Math.min(step, cy1 - y), n = rows * cw;
          if (!allBuf || allBuf.length < n) allBuf = new Uint8Array(n);
          const all = allBuf.subarray(0, n);
          all.fill(1);
          for (const { band, ctor, float32 } of bandInfo) {
            const view = bufFor(ctor, n);
            await band.pixels.readAsync(cx0, y, cw, rows, view);
            if (!hasNd) continue;
            // a pixel is nodata when every selected band holds the nodata value
            if (nan) keepNaN(all, view, n); else keepEqual(all, view, n, float32 ? Math.fround(nd) : nd);
          }
          if (hasNd) count += countSet(all, n);
        }
      }
      const frac = hasNd || t.pad ? count / (size * size) : 0;
      if (frac > (t.maxNodata ?? 1)) { results.push({ frac, skipped: true }); continue; }
      if (w.write) {
        const tmp = `${t.tmpDir}/${String(w.out).split('/').pop()}`;
        const out = await gdal.translateAsync(tmp, ds, ['-srcwin', String(w.x0), String(w.y0), String(size), String(size), ...(t.args ?? [])]);
        out.close();
        fs.renameSync(tmp, w.out);
      }
      results.push({ frac, written: w.write });
      progress((i + 1) / wins.length);
    }
    ok = true;
    return results;
  } finally {
    if (!keep) ds.close();
    else if (!ok) { try { ds.close(); } catch { /* already closed */ } held.ds = undefined; held.path = undefined; }
  }
}
