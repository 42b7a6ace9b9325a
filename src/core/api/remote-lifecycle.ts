/**
 * `remote lifecycle NAME`: the bucket lifecycle rule that moves the remote's objects (`files/…`,
 * DVC 3's layout) to a colder storage class N days after they were written. S3 and GCS get the rule
 * through their SDKs (other rules of the bucket are kept); Azure's policies live in Azure Resource
 * Manager, so the policy JSON is returned to apply with the `az` CLI. `dry` only builds the rule.
 */
import { openRepo } from '../repo/repo.js';
import { getRemote } from '../repo/config.js';
import { remoteScheme, normalizeStorageClass, STORAGE_CLASSES } from '../repo/remote-options.js';
import { openBackend } from '../../storage/registry.js';
import type { LifecycleResult } from '../../storage/backend.js';
import { ConfigError, UsageError } from '../../lib/errors.js';
import type { OpContext } from '../../lib/progress.js';

/** The infrequent-access class each scheme moves objects to by default. */
export const DEFAULT_COLD_CLASS = { s3: 'STANDARD_IA', gs: 'NEARLINE', azure: 'Cool' } as const;

export interface RemoteLifecycleOptions extends OpContext {
  cwd: string;
  /** Remote name; the default remote when omitted. */
  remote?: string;
  transitionDays: number;
  storageClass?: string;
  expireNoncurrentDays?: number;
  dry?: boolean;
}

export interface RemoteLifecycleResult extends LifecycleResult {
  kind: 'remote-lifecycle';
  remote: string;
  url: string;
  scheme: 's3' | 'gs' | 'azure';
  ruleId: string;
  transitionDays: number;
  storageClass: string;
  expireNoncurrentDays?: number;
  dry: boolean;
}

function days(v: number | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < 1) throw new UsageError(`${flag} must be a positive whole number of days, not '${v}'`, { hint: `for example \`${flag} 30\`` });
  return v;
}

export async function remoteLifecycle(o: RemoteLifecycleOptions): Promise<RemoteLifecycleResult> {
  const transitionDays = days(o.transitionDays, '--transition-days')!;
  const expireNoncurrentDays = days(o.expireNoncurrentDays, '--expire-noncurrent-days');
  const repo = await openRepo(o.cwd);
  const rc = getRemote(repo, o.remote);
  const scheme = remoteScheme(rc.url);
  if (scheme !== 's3' && scheme !== 'gs' && scheme !== 'azure') {
    throw new ConfigError(`remote '${rc.name}' (${scheme}) has no storage tiers or lifecycle rules`, {
      hint: 'lifecycle rules apply to s3://, gs:// and azure:// remotes',
    });
  }
  const storageClass = o.storageClass === undefined ? DEFAULT_COLD_CLASS[scheme] : normalizeStorageClass(scheme, o.storageClass);
  if (!storageClass) {
    throw new UsageError(`'${o.storageClass}' is not a storage class of a ${scheme} remote`, { hint: `use one of ${STORAGE_CLASSES[scheme].join(', ')}` });
  }
  if (scheme === 'azure' && storageClass === 'Hot') {
    throw new UsageError('a lifecycle rule moves blobs to a colder tier: Hot is not one', { hint: 'use --storage-class Cool, Cold or Archive' });
  }
  const ruleId = `geodvc-${rc.name}-tiering`.replace(/[^A-Za-z0-9-]/g, '-');
  const backend = await openBackend(rc.url, rc.options, { baseDir: repo.root, raw: true });
  try {
    if (!backend.setLifecycle) throw new ConfigError(`the ${scheme} backend cannot set lifecycle rules`, { hint: 'set the rule in the provider\'s console' });
    const r = await backend.setLifecycle({ id: ruleId, prefix: 'files/', transitionDays, storageClass, expireNoncurrentDays }, { dry: o.dry, signal: o.signal });
    return {
      kind: 'remote-lifecycle', remote: rc.name, url: rc.url, scheme, ruleId, transitionDays, storageClass,
      ...(expireNoncurrentDays ? { expireNoncurrentDays } : {}), dry: !!o.dry, ...r,
    };
  } finally {
    await backend.close();
  }
}
