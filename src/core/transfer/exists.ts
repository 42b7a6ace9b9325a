/**
 * Batch existence check of keys on a remote. Like DVC's remote index, it lists the prefix
 * directories (`files/md5/ab/`) when that is cheaper than one HEAD per key: a listing returns up
 * to 1,000 keys per request, so for many keys spread over few prefixes it wins by far.
 */
import type { Backend } from '../../storage/backend.js';
import { mapLimit } from '../../lib/pool.js';

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
  if (strategy === 'stat') {
    let done = 0;
    await mapLimit(uniq, jobs, async (k) => {
      const st = await b.stat(k);
      const want = o.sizes?.get(k);
      if (st && (want === undefined || st.size === want)) found.add(k);
      o.onProgress?.(++done, uniq.length);
    }, o.signal);
    return found;
  }
  const wanted = new Set(uniq);
  const prefixes = [...new Set(uniq.map(prefixOf))];
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
