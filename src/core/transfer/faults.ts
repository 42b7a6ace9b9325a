/** Fault classes shared by the whole-object and the chunked transfer paths. */
import { StorageError } from '../../storage/errors.js';
import { isRetryable } from '../../storage/retry.js';
import { AppError, InterruptedError } from '../../lib/errors.js';

/**
 * Engine-level retries cover failures in the middle of a body (a stream cut after the backend
 * call returned). Errors the backend already retried to exhaustion ('unreachable') are not retried
 * again: they mark the remote as down for the rest of the run.
 */
export const ENGINE_RETRY = {
  retries: 2,
  baseDelayMs: 200,
  shouldRetry: (e: unknown) => !(e instanceof StorageError && !e.retryable) && !(e instanceof StorageError && e.kind === 'unreachable') && isRetryable(e),
};

/** Errors that concern the whole remote, not one object: stop using that remote for this run. */
export function isRemoteLevel(err: unknown): boolean {
  return err instanceof StorageError && (err.kind === 'unreachable' || err.kind === 'access-denied' || err.kind === 'bucket-missing' || err.kind === 'credentials');
}

/** Errors that must stop the whole run instead of being listed per object. */
export function isFatal(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException;
  if (err instanceof InterruptedError) return true;
  if (e?.code === 'ENOSPC' || e?.code === 'EDQUOT' || e?.code === 'EROFS') return true;
  if (err instanceof AppError && (err.code === 'disk-full' || err.code === 'interrupted')) return true;
  return false;
}

