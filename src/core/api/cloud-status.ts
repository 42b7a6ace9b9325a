/**
 * `status -c`: compare the cache with a remote for the objects in use. DVC's states: `new` (in the
 * cache, not on the remote), `deleted` (on the remote, not in the cache), `missing` (neither).
 * Called through the hook in status.ts with its StatusOptions.
 */
import { openDataRepo } from './data-repo.js';
import { usedByRemote, toTransfer, type TransferApiOptions } from './push.js';
import { openRemote, closeRemotes } from '../transfer/remote.js';
import { cloudStatusObjects, type CloudStatusEntry } from '../transfer/engine.js';
import type { OpContext } from '../../lib/progress.js';

export interface CloudStatusOptions extends OpContext {
  cwd: string;
  targets?: string[];
  remote?: string;
  jobs?: number;
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
  existsStrategy?: 'stat' | 'list';
}

export interface CloudStatusApiResult {
  kind: 'cloud-status';
  remotes: string[];
  /** DVC's `status -c --json` shape: `{ "data/a.tif": "new", ... }` (only what is not in sync). */
  json: Record<string, string>;
  entries: CloudStatusEntry[];
  inSync: boolean;
  /** The human text DVC prints. */
  text: string;
}

export async function cloudStatus(o: CloudStatusOptions): Promise<CloudStatusApiResult> {
  const d = await openDataRepo(o.cwd);
  try {
    const t: TransferApiOptions = { ...o };
    const groups = usedByRemote(d, t, false);
    const res: CloudStatusApiResult = { kind: 'cloud-status', remotes: [], json: {}, entries: [], inSync: true, text: '' };
    for (const [name, used] of groups) {
      const r = await openRemote(d.repo, name || undefined, { jobs: o.jobs });
      try {
        const s = await cloudStatusObjects(d.repo.cacheDir, r, used.map(toTransfer), { signal: o.signal, onProgress: o.onProgress, existsStrategy: o.existsStrategy });
        res.remotes.push(r.name);
        res.entries.push(...s.entries);
        res.inSync &&= s.inSync;
      } finally {
        await closeRemotes([r]);
      }
    }
    if (groups.size === 0) {
      // nothing tracked: still name the default remote like DVC does
      const r = await openRemote(d.repo, o.remote, {});
      res.remotes.push(r.name);
      await closeRemotes([r]);
    }
    const lines: string[] = [];
    for (const e of res.entries) {
      if (e.state === 'ok') continue;
      for (const p of e.paths) { res.json[p] = e.state; lines.push(`\t${`${e.state}:`.padEnd(12)}${p}`); }
    }
    lines.sort();
    res.text = res.inSync ? `Cache and remote '${res.remotes.join("', '")}' are in sync.` : lines.join('\n');
    return res;
  } finally {
    d.state.close();
  }
}
