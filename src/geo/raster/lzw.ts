/**
 * TIFF LZW decoding (TIFF 6.0 §13: MSB-first codes of 9 to 12 bits, ClearCode 256, EndOfInformation
 * 257, code width growing one code early) into an output of a fixed size: decoding stops when the
 * block the header declares is full, as libtiff does. geotiff.js's decoder grows a JavaScript array
 * without bound (8 bytes per decoded byte on the heap), so a 1 MB LZW block repeating one byte could
 * take the process down; this one never allocates more than `maxBytes`.
 */
const CLEAR = 256;
const EOI = 257;
const FIRST = 258;
const MAX_CODES = 4096;

/**
 * Decodes `input` into at most `maxBytes` bytes; returns the bytes produced (shorter when the stream
 * ends early). Throws an Error on a code that is not in the table yet.
 */
export function decodeLzw(input: Uint8Array, maxBytes: number): Uint8Array {
  const out = new Uint8Array(maxBytes);
  const prefix = new Uint16Array(MAX_CODES);
  const suffix = new Uint8Array(MAX_CODES);
  const first = new Uint8Array(MAX_CODES);
  const length = new Uint16Array(MAX_CODES);
  for (let i = 0; i < 256; i++) { suffix[i] = i; first[i] = i; length[i] = 1; }
  let next = FIRST;
  let width = 9;
  let old = -1;
  let pos = 0;
  let bitbuf = 0;
  let bits = 0;
  let ip = 0;
  const n = input.length;
  /** Writes the string of `code` at `pos` (clipped to the output); returns its length. */
  const emit = (code: number): number => {
    const len = length[code]!;
    let c = code;
    for (let k = len - 1; k >= 0; k--) {
      if (pos + k < maxBytes) out[pos + k] = suffix[c]!;
      c = prefix[c]!;
    }
    return len;
  };
  while (pos < maxBytes) {
    while (bits < width && ip < n) { bitbuf = ((bitbuf << 8) | input[ip++]!) >>> 0; bits += 8; }
    if (bits < width) break; // input exhausted without EOI: keep what was decoded
    bits -= width;
    const code = (bitbuf >>> bits) & ((1 << width) - 1);
    if (code === EOI) break;
    if (code === CLEAR) { next = FIRST; width = 9; old = -1; continue; }
    if (old < 0) {
      if (code >= 256) throw new Error(`LZW code ${code} after a ClearCode (expected a literal)`);
      out[pos++] = code;
      old = code;
      continue;
    }
    let len: number;
    if (code < next) {
      len = emit(code);
      if (next < MAX_CODES) { prefix[next] = old; suffix[next] = first[code]!; first[next] = first[old]!; length[next] = length[old]! + 1; next++; }
    } else if (code === next && next < MAX_CODES) {
      // the KwKwK case: the string of `old` followed by its own first byte
      prefix[next] = old; suffix[next] = first[old]!; first[next] = first[old]!; length[next] = length[old]! + 1; next++;
      len = emit(code);
    } else {
      throw new Error(`LZW code ${code} is not in the table (next free code ${next})`);
    }
    pos += len;
    old = code;
    if (next >= (1 << width) - 1 && width < 12) width++;
  }
  return pos >= maxBytes ? out : out.subarray(0, pos);
}
