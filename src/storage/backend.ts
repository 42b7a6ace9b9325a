/**
 * The storage Backend interface. Backends know keys (`files/md5/ab/cdef…`), not hashes: the object
 * layout lives in core. Every backend implements the same small surface, proven by one conformance
 * suite (test/integration/storage-conformance.test.ts) run against each real server.
 */
import type { Readable } from 'node:stream';

export interface StatResult {
  size: number;
  etag?: string;
}

/** Inclusive byte range, like HTTP `Range: bytes=start-end`; `end` omitted = to the end. */
export interface ByteRange {
  start: number;
  end?: number;
}

/** A body that can be re-opened on retry: a file on disk (`size` bytes) or bytes in memory. */
export type PutSource = { path: string; size: number } | { data: Uint8Array };

export interface PutOptions {
  /** Parallel parts for a large object (S3 multipart, Azure blocks, SFTP fastPut). */
  concurrency?: number;
  /** Part/block size in bytes for large objects. */
  partSize?: number;
  /** Called with the number of bytes newly sent. */
  onBytes?: (n: number) => void;
  signal?: AbortSignal;
}

export interface GetOptions {
  range?: ByteRange;
  /** Shorthand for `range: {start, end}` (inclusive end), e.g. windowed reads of remote COGs. */
  start?: number;
  end?: number;
  signal?: AbortSignal;
}

/** `get(key, {start, end})` and `get(key, {range})` mean the same; backends read `range`. */
export function normalizeGet(opts?: GetOptions): GetOptions | undefined {
  if (!opts || opts.range || (opts.start === undefined && opts.end === undefined)) return opts;
  return { ...opts, range: { start: opts.start ?? 0, end: opts.end } };
}

/** A lifecycle rule for the objects under one prefix of a remote (relative to the remote's root). */
export interface LifecycleRule {
  /** Rule id/name; an existing rule with this id is replaced, other rules are kept. */
  id: string;
  /** Key prefix under the remote's root, e.g. `files/`. */
  prefix: string;
  /** Move objects to `storageClass` this many days after they were written. */
  transitionDays: number;
  /** Target class in the backend's own spelling (S3 STANDARD_IA, GCS NEARLINE, Azure Cool). */
  storageClass: string;
  /** Delete noncurrent versions this many days after they became noncurrent (versioned buckets). */
  expireNoncurrentDays?: number;
}

export interface LifecycleResult {
  /** Whether the rule was written to the server. */
  applied: boolean;
  /** The bucket (or container) the rule is for. */
  bucket: string;
  /** The full key prefix the rule filters on (remote root + rule prefix). */
  prefix: string;
  /** The document sent (or to send): S3 LifecycleConfiguration, GCS lifecycle, Azure policy JSON. */
  document: unknown;
  /** Rules already on the bucket that were kept (S3/GCS). */
  keptRules?: number;
  /** What to do by hand when `applied` is false for a reason other than `dry`. */
  note?: string;
}

export interface Backend {
  /** The remote URL, for messages. */
  readonly url: string;
  /** Scheme name: local, s3, azure, gs, ssh, http, webdav. */
  readonly scheme: string;
  /** Whether `list` works (plain HTTP cannot list). */
  readonly canList: boolean;
  /** Size (and etag when the server has one) of an object, or null when it does not exist. */
  stat(key: string): Promise<StatResult | null>;
  /** A stream of the object's bytes, or of the inclusive range. Throws StorageError 'object-missing'. */
  get(key: string, opts?: GetOptions): Promise<Readable>;
  /** Writes the object atomically where the server allows it (no half-written object under `key`). */
  put(key: string, src: PutSource, opts?: PutOptions): Promise<void>;
  /**
   * Every key under `prefix` (a directory-like prefix ending in '/' or ''), in no particular order.
   * `limit`: a hint that the caller stops reading after `limit + 1` keys (wrappers that buffer a
   * listing stop there too); backends may ignore it.
   */
  list(prefix: string, signal?: AbortSignal, limit?: number): AsyncIterable<string>;
  /**
   * Optional: keys with their sizes, when the listing carries them (S3). Lets a push notice a
   * truncated object left by a non-atomic server that died mid-upload.
   */
  listDetailed?(prefix: string, signal?: AbortSignal, limit?: number): AsyncIterable<{ key: string; size: number }>;
  /**
   * Optional: the whole object in memory, for small objects (the engine calls it for objects of a
   * known size up to 1 MiB). Cheaper than a stream where the backend can read directly (local).
   */
  getSmall?(key: string, signal?: AbortSignal): Promise<Buffer>;
  /**
   * Optional: the object's path on this machine when the remote is a local directory, so a fetch
   * can copy and hash it in one pass. undefined when the object does not exist.
   */
  localPath?(key: string): string | undefined;
  /**
   * Optional: downloads a whole object straight into the local file `dest` (truncated first), for
   * protocols whose client reads faster that way than through a stream (SFTP: many reads in flight).
   */
  getToFile?(key: string, dest: string, opts?: { onBytes?: (n: number) => void; signal?: AbortSignal }): Promise<void>;
  /**
   * Optional: writes (or, with `dry`, only builds) the bucket lifecycle rule that moves the objects
   * under this remote's `rule.prefix` to a colder storage class. Backends whose data-plane SDK
   * cannot set it (Azure: management policies are ARM) return the document with `applied: false`.
   */
  setLifecycle?(rule: LifecycleRule, opts?: { dry?: boolean; signal?: AbortSignal }): Promise<LifecycleResult>;
  /** Removes an object; a missing object is not an error. */
  delete(key: string): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}

/** Reads a whole object (or range) into memory: for small objects such as `.dir` manifests. */
export async function getBuffer(b: Backend, key: string, opts?: GetOptions): Promise<Buffer> {
  const s = await b.get(key, opts);
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks);
}

/** Joins a root prefix and a key with exactly one '/'. */
export function joinKey(root: string, key: string): string {
  if (!root) return key;
  return root.endsWith('/') ? root + key : `${root}/${key}`;
}
