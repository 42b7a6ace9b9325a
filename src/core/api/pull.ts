/**
 * `pull` = fetch + checkout of the pulled outputs, as DVC does it: missing workspace files are
 * created, and a file whose content differs from the recorded version is replaced by it once that
 * version is in the cache. Data is never lost silently: a modified file whose current content is
 * not in the cache ("unsaved") stops the checkout with an error and a hint, unless `force`. Targets
 * inside a tracked directory (`pull DIR/file`, `pull --bbox`) check out those files only; nothing
 * else in the directory is touched.
 */
import { withDataRepo } from './data-repo.js';
import { fetchInRepo, type FetchApiResult } from './fetch.js';
import { checkoutLocked } from './checkout.js';
import type { TransferApiOptions } from './push.js';
import { UsageError } from '../../lib/errors.js';

export interface PullApiOptions extends TransferApiOptions {
  /** Replace (or remove) workspace files whose current content is not in the cache. */
  force?: boolean;
}

export interface PullApiResult extends FetchApiResult {
  /** Workspace files created. */
  added: string[];
  /** Workspace files replaced by the recorded version (their content had changed). */
  modified: string[];
  /** Workspace files removed from a tracked directory (not in its recorded version). */
  deleted: string[];
  /** Files already matching the recorded version. */
  skippedExisting: number;
  /** Files whose object is still not in the cache. */
  notInCache: string[];
}

export async function pull(o: PullApiOptions): Promise<PullApiResult> {
  if (o.jobs !== undefined && (!Number.isInteger(o.jobs) || o.jobs < 1)) throw new UsageError(`invalid -j/--jobs '${o.jobs}'`, { hint: 'use a positive integer, e.g. -j 8' });
  return withDataRepo(o.cwd, true, 'geodvc pull', async (d) => {
    const f = await fetchInRepo(d, o);
    const c = await checkoutLocked(d, { cwd: o.cwd, targets: o.targets, force: o.force, signal: o.signal, onProgress: o.onProgress, logger: o.logger });
    return { ...f, added: c.added, modified: c.modified, deleted: c.deleted, skippedExisting: c.unchanged, notInCache: c.failed };
  }, o.signal);
}
