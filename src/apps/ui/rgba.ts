/**
 * Preview colours shared by the in-process preview (data.ts) and the preview child: a 2–98 %
 * percentile stretch per band and the RGBA pixels of one (grey) or three (RGB) bands, with nodata
 * and non-finite values transparent.
 */

/** A 2–98 % percentile stretch of `values` to 0–255 (sampling at most ~20,000 values), nodata and NaN left out. */
export function percentileStretch(values: ArrayLike<number>, nodata: number | undefined): (v: number) => number {
  const finite: number[] = [];
  const step = Math.max(1, Math.floor(values.length / 20000));
  for (let i = 0; i < values.length; i += step) { const v = values[i]!; if (Number.isFinite(v) && v !== nodata) finite.push(v); }
  finite.sort((a, b) => a - b);
  const lo = finite.length ? finite[Math.floor(finite.length * 0.02)]! : 0;
  const hi = finite.length ? finite[Math.min(finite.length - 1, Math.floor(finite.length * 0.98))]! : 1;
  const span = hi > lo ? hi - lo : 1;
  return (v) => (Number.isFinite(v) ? Math.max(0, Math.min(255, Math.round(((v - lo) / span) * 255))) : 0);
}

/** RGBA of `count` pixels from one band (grey) or three (RGB), each stretched; a pixel with nodata or NaN in any band is transparent. */
export function bandsToRgba(rasters: readonly ArrayLike<number>[], nodata: number | undefined, count: number, out: Uint8Array = new Uint8Array(count * 4)): Uint8Array {
  const n = rasters.length >= 3 ? 3 : 1;
  const maps = rasters.slice(0, n).map((r) => percentileStretch(r, nodata));
  for (let p = 0; p < count; p++) {
    let transparent = false;
    for (let i = 0; i < n; i++) { const v = rasters[i]![p]!; if (!Number.isFinite(v) || v === nodata) transparent = true; }
    const g = maps[0]!(rasters[0]![p]!);
    out[p * 4] = g;
    out[p * 4 + 1] = n === 3 ? maps[1]!(rasters[1]![p]!) : g;
    out[p * 4 + 2] = n === 3 ? maps[2]!(rasters[2]![p]!) : g;
    out[p * 4 + 3] = transparent ? 0 : 255;
  }
  return out;
}
