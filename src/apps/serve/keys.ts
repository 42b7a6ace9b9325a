/**
 * The only object keys `geodvc serve` accepts: the DVC remote layout and nothing else.
 *   files/md5/ab/<30 hex>[.dir]      DVC 3 (md5)
 *   files/sha256/ab/<62 hex>[.dir]   sha256 objects
 *   files/xxh128/ab/<30 hex>[.dir]   xxh128 objects
 *   ab/<30 hex>[.dir]                legacy DVC 2 (md5) objects at the remote root
 * Lower-case hex only, no percent-encoding, no other characters: a key that does not match is
 * never turned into a path, so traversal is impossible by construction.
 */
export type HashAlgo = 'md5' | 'sha256' | 'xxh128';

export interface ObjectKey {
  /** The key as used on disk and in URLs, e.g. `files/md5/ab/cdef...`. */
  key: string;
  algo: HashAlgo;
  /** Full hex digest (prefix + rest), without `.dir`. */
  oid: string;
  isDir: boolean;
  legacy: boolean;
}

const HEX_LEN: Record<HashAlgo, number> = { md5: 32, sha256: 64, xxh128: 32 };
const KEY_RE = /^(?:files\/(md5|sha256|xxh128)\/)?([0-9a-f]{2})\/([0-9a-f]{30}|[0-9a-f]{62})(\.dir)?$/;

/** Parses a key (no leading slash). Returns undefined for anything outside the object layout. */
export function parseObjectKey(key: string): ObjectKey | undefined {
  if (key.length > 90) return undefined;
  const m = KEY_RE.exec(key);
  if (!m) return undefined;
  const algo = (m[1] ?? 'md5') as HashAlgo;
  const oid = m[2]! + m[3]!;
  if (oid.length !== HEX_LEN[algo]) return undefined;
  return { key, algo, oid, isDir: m[4] !== undefined, legacy: m[1] === undefined };
}

/** Builds the key of an object. */
export function objectKey(algo: HashAlgo, oid: string, opts: { isDir?: boolean; legacy?: boolean } = {}): string {
  const base = `${oid.slice(0, 2)}/${oid.slice(2)}${opts.isDir ? '.dir' : ''}`;
  return opts.legacy ? base : `files/${algo}/${base}`;
}

export interface ListPrefix {
  /** `files/md5/` (or '' for legacy) */
  layout: string;
  /** Two hex digits when the prefix names one shard. */
  shard?: string;
}

const PREFIX_RE = /^(files\/(?:md5|sha256|xxh128)\/)?([0-9a-f]{2}\/)?$/;

/**
 * Parses a listing prefix: '' (legacy root), `files/md5/`, `files/md5/ab/`, `ab/`. Returns undefined
 * for anything else (a listing never leaves the object layout either).
 */
export function parseListPrefix(prefix: string): ListPrefix | undefined {
  const m = PREFIX_RE.exec(prefix);
  if (!m) return undefined;
  return { layout: m[1] ?? '', shard: m[2] ? m[2].slice(0, 2) : undefined };
}
