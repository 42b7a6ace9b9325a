/**
 * TIFF PackBits decoding (TIFF 6.0 §9, as libtiff reads it: a header byte n in 0..127 copies the
 * next n + 1 bytes, -127..-1 repeats the next byte 1 - n times, -128 is a no-op) into an output of
 * the size the header declares: decoding stops there. geotiff.js's decoder pushes every byte onto a
 * JavaScript array without bound (a 16 MB block of repeats would be an 8 GB array).
 */
export function decodePackBits(input: Uint8Array, maxBytes: number): Uint8Array {
  const out = new Uint8Array(maxBytes);
  let o = 0;
  let i = 0;
  const n = input.length;
  while (i < n && o < maxBytes) {
    const h = (input[i++]! << 24) >> 24;
    if (h >= 0) {
      const len = Math.min(h + 1, n - i, maxBytes - o);
      out.set(input.subarray(i, i + len), o);
      o += len;
      i += h + 1;
    } else if (h !== -128) {
      if (i >= n) break;
      const len = Math.min(1 - h, maxBytes - o);
      out.fill(input[i++]!, o, o + len);
      o += len;
    }
  }
  return o === maxBytes ? out : out.subarray(0, o);
}
