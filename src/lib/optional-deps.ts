/**
 * Optional parts of geodvc and the npm packages they need, like DVC's extras (`pip install
 * "dvc[s3]"`): the cloud SDKs and BullMQ are optional peer dependencies, not installed with
 * geodvc. Code that needs one imports it lazily; when the import fails because the package is not
 * installed, `missingDependency(err)` turns the loader's error into a clear error naming what to
 * install.
 */
import { AppError, type AppErrorOptions } from './errors.js';

export interface OptionalFeature {
  /** What the packages enable, for messages: "s3:// remotes". */
  feature: string;
  /** The packages to install together. */
  packages: string[];
}

/** Feature name (as in DVC's extras) -> packages. */
export const OPTIONAL_FEATURES: Record<string, OptionalFeature> = {
  s3: { feature: 's3:// remotes', packages: ['@aws-sdk/client-s3', '@aws-sdk/lib-storage'] },
  azure: { feature: 'azure:// remotes', packages: ['@azure/storage-blob'] },
  gs: { feature: 'gs:// remotes', packages: ['@google-cloud/storage'] },
  ssh: { feature: 'ssh:// remotes', packages: ['ssh2-sftp-client'] },
  redis: { feature: 'the Redis experiment queue (exp run --queue --redis-url, queue worker)', packages: ['bullmq', 'ioredis'] },
  laz: { feature: 'LAZ/COPC point clouds (geo info --classes, geo check, geo chip)', packages: ['laz-perf'] },
};

/** A package geodvc needs for a feature is not installed. */
export class MissingDependencyError extends AppError {
  constructor(readonly extra: string, f: OptionalFeature, opts: AppErrorOptions = {}) {
    super('missing-package', `${f.feature} need the package${f.packages.length > 1 ? 's' : ''} ${f.packages.join(' and ')}, which ${f.packages.length > 1 ? 'are' : 'is'} not installed`, 1, {
      hint: `install ${f.packages.length > 1 ? 'them' : 'it'} next to geodvc: npm install ${f.packages.join(' ')} (with -g when geodvc is installed globally; DVC's equivalent is pip install "dvc[${extra}]")`,
      details: { feature: extra, packages: f.packages },
      ...opts,
    });
  }
}

/** The package name a module-not-found error is about, if any. */
function missingPackageName(err: unknown): string | undefined {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || (e.code !== 'ERR_MODULE_NOT_FOUND' && e.code !== 'MODULE_NOT_FOUND') || typeof e.message !== 'string') return undefined;
  const m = /Cannot find (?:package|module) '([^']+)'/.exec(e.message);
  if (!m) return undefined;
  const spec = m[1]!;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * A MissingDependencyError when `err` says one of the optional packages is not installed
 * (restricted to `extra`'s packages when given); otherwise undefined.
 */
export function missingDependency(err: unknown, extra?: string): MissingDependencyError | undefined {
  const name = missingPackageName(err);
  if (!name) return undefined;
  for (const [key, f] of Object.entries(OPTIONAL_FEATURES)) {
    if (extra && key !== extra) continue;
    if (f.packages.includes(name)) return new MissingDependencyError(key, f, { cause: err });
  }
  return undefined;
}
