/**
 * Content-defined chunking (FastCDC-style, gear rolling hash, normalized chunking): cut points
 * depend on the bytes around them, not on offsets, so inserting or deleting bytes in the middle
 * of a file changes only the chunks near the edit; every later cut point is found again.
 *
 * The gear table is generated here from a fixed seed (splitmix32), so cut points are stable
 * across runs, machines and versions: changing the seed or the masks would change every chunk id
 * (and the dedup against what a remote already holds) and needs a new chunk-list version.
 */

export interface CdcParams {
  /** No cut before this many bytes (the bytes before it are not even hashed). */
  min: number;
  /** Target average chunk size: a power of two. */
  avg: number;
  /** A cut is forced here. */
  max: number;
}

/** 256 KiB / 1 MiB / 4 MiB: see docs/chunking.md for why. */
export const DEFAULT_CDC: CdcParams = { min: 256 << 10, avg: 1 << 20, max: 4 << 20 };

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** The gear table: 256 pseudo-random 32-bit words from a fixed seed. */
export const GEAR: Uint32Array = (() => {
  const next = splitmix32(0x67656f64); // 'geod'
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) t[i] = next();
  return t;
})();

/** A mask with the top `bits` bits set: with a left-shifting gear hash the top bits see ~32 bytes. */
const topMask = (bits: number) => (bits <= 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0);

export function checkParams(p: CdcParams): void {
  if (!(p.min > 0 && p.min <= p.avg && p.avg <= p.max) || (p.avg & (p.avg - 1)) !== 0) {
    throw new RangeError(`invalid CDC parameters min=${p.min} avg=${p.avg} max=${p.max} (need 0 < min <= avg <= max, avg a power of two)`);
  }
}

/**
 * The length of the first chunk of `buf[start, end)`, or -1 when no cut was found and the data
 * may continue (`final` false and fewer than `max` bytes available). With `final`, the rest is
 * one chunk when no cut point is found.
 */
export function nextCut(buf: Uint8Array, start: number, end: number, p: CdcParams, final: boolean): number {
  const avail = end - start;
  if (avail <= p.min) return final ? avail : -1;
  const bits = Math.log2(p.avg);
  // Normalized chunking (level 2): a harder mask before the average size, an easier one after it,
  // so sizes cluster around `avg` instead of spreading geometrically.
  const maskS = topMask(bits + 2);
  const maskL = topMask(bits - 2);
  const limit = Math.min(avail, p.max);
  const normal = Math.min(limit, p.avg);
  // 32-bit arithmetic in signed ints (same bits as unsigned): V8 keeps them in registers
  const g = GEAR;
  const mS = maskS | 0;
  const mL = maskL | 0;
  let h = 0;
  let j = start + p.min;
  const jn = start + normal;
  const jl = start + limit;
  for (; j < jn; j++) {
    h = ((h << 1) + g[buf[j]!]!) | 0;
    if ((h & mS) === 0) return j - start + 1;
  }
  for (; j < jl; j++) {
    h = ((h << 1) + g[buf[j]!]!) | 0;
    if ((h & mL) === 0) return j - start + 1;
  }
  if (limit === p.max) return p.max;
  return final ? avail : -1;
}

/** Chunk lengths of a whole buffer (tests, small inputs). */
export function cdcLengths(buf: Uint8Array, p: CdcParams = DEFAULT_CDC): number[] {
  checkParams(p);
  const out: number[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const n = nextCut(buf, pos, buf.length, p, true);
    out.push(n);
    pos += n;
  }
  return out;
}
