/**
 * Batch existence check of keys on a remote. Like DVC's remote index, it lists the prefix
 * directories (`files/md5/ab/`) when that is cheaper than one HEAD per key: a listing returns up
 * to 1,000 keys per request, so for many keys spread over few prefixes it wins by far.
 */
import type { Backend } from '../../storage/backend.js';
import { StorageError } from '../../storage/errors.js';
import { mapLimit } from '../../lib/pool.js';

/** A server-side failure of one request (HTTP 5xx, a broken listing), not of the remote as a whole. */
const isServerFault = (e: unknown) => e instanceof StorageError && (e.kind === 'transient' || e.kind === 'remote-error');

export interface ExistsOptions {
  jobs?: number;
  signal?: AbortSignal;
  /** Force a strategy (tests, bench). */
  strategy?: 'stat' | 'list';
  onProgress?: (done: number, total: number) => void;
  /**
   * Expected sizes: a remote object of another size counts as absent (a truncated object left by
   * a server that died mid-upload is then sent again). Checked when the strategy sees sizes.
   */
  sizes?: Map<string, number>;
  /** Never try the flat parent listing (tests). */
  noFlat?: boolean;
  /**
   * A key whose HEAD keeps failing with a server error counts as absent instead of failing the run
   * (push: the object is sent again, which replaces whatever broken entry made the server fail).
   */
  faultyAsAbsent?: boolean;
}

/** From this many prefixes on, a flat listing of their parent is tried first. */
export const FLAT_MIN_PREFIXES = 16;

/** The longest '/'-terminated prefix shared by every prefix ('' when none). */
export function commonParent(prefixes: string[]): string {
  let c = prefixes[0] ?? '';
  for (const p of prefixes) {
    while (c && !p.startsWith(c)) c = c.slice(0, c.lastIndexOf('/', c.length - 2) + 1);
  }
  return c;
}

export function prefixOf(key: string): string {
  const i = key.lastIndexOf('/');
  return i < 0 ? '' : key.slice(0, i + 1);
}

/** Which strategy a check of `keys` uses. */
export function chooseStrategy(b: Backend, keys: string[]): 'stat' | 'list' {
  if (!b.canList) return 'stat';
  if (keys.length < 32) return 'stat';
  const prefixes = new Set(keys.map(prefixOf)).size;
  // a listing costs >= 1 request per prefix; HEADs cost 1 per key
  return prefixes * 2 <= keys.length ? 'list' : 'stat';
}

/** The subset of `keys` present on the remote. */
export async function remoteHas(b: Backend, keys: string[], o: ExistsOptions = {}): Promise<Set<string>> {
  const uniq = [...new Set(keys)];
  const found = new Set<string>();
  if (uniq.length === 0) return found;
  const strategy = o.strategy ?? chooseStrategy(b, uniq);
  const jobs = Math.max(1, o.jobs ?? 16);
  if (strategy === 'list') {
    try {
      return await listHas(b, uniq, jobs, o);
    } catch (err) {
      // A listing that keeps failing on the server (s3rver after a crash mid-write answers 500 for
      // the whole bucket): ask per key instead, which isolates the broken entries.
      if (!isServerFault(err) || o.signal?.aborted) throw err;
    }
  }
  let done = 0;
  await mapLimit(uniq, jobs, async (k) => {
    let st;
    try {
      st = await b.stat(k);
    } catch (err) {
      if (!(o.faultyAsAbsent && isServerFault(err))) throw err;
      st = null;
    }
    const want = o.sizes?.get(k);
    if (st && (want === undefined || st.size === want)) found.add(k);
    o.onProgress?.(++done, uniq.length);
  }, o.signal);
  return found;
}

async function listHas(b: Backend, uniq: string[], jobs: number, o: ExistsOptions): Promise<Set<string>> {
  const found = new Set<string>();
  const wanted = new Set(uniq);
  const prefixes = [...new Set(uniq.map(prefixOf))];
  const keep = (key: string, size?: number) => {
    const want = o.sizes?.get(key);
    if (wanted.has(key) && (want === undefined || size === undefined || want === size)) found.add(key);
  };
  const detailed = !!(o.sizes && b.listDetailed);
  // Many prefixes: first try one flat listing of their common parent, which costs one request per
  // page (1,000-5,000 keys) instead of one per prefix: far cheaper while the remote is small (a
  // first push, a test remote). When the parent holds more than `limit` keys the attempt stops
  // (about prefixes/16 pages wasted, one round of the parallel per-prefix listing) and each prefix
  // is listed instead, as DVC's remote index does for big remotes.
  if (prefixes.length >= FLAT_MIN_PREFIXES && !o.noFlat) {
    const parent = commonParent(prefixes);
    const limit = Math.max(2000, prefixes.length * 64);
    const items: { key: string; size?: number }[] = [];
    let complete = true;
    const it: AsyncIterable<{ key: string; size?: number } | string> = detailed ? b.listDetailed!(parent, o.signal, limit) : b.list(parent, o.signal, limit);
    for await (const x of it) {
      items.push(typeof x === 'string' ? { key: x } : x);
      if (items.length > limit) { complete = false; break; }
    }
    if (complete) {
      for (const x of items) keep(x.key, x.size);
      o.onProgress?.(prefixes.length, prefixes.length);
      return found;
    }
  }
  let done = 0;
  await mapLimit(prefixes, jobs, async (p) => {
    if (o.sizes && b.listDetailed) {
      for await (const it of b.listDetailed(p, o.signal)) {
        const want = o.sizes.get(it.key);
        if (wanted.has(it.key) && (want === undefined || want === it.size)) found.add(it.key);
      }
    } else {
      for await (const k of b.list(p, o.signal)) if (wanted.has(k)) found.add(k);
    }
    o.onProgress?.(++done, prefixes.length);
  }, o.signal);
  return found;
}
