/**
 * Storage errors: one AppError subclass with stable codes, raised by each backend where the cause
 * is known (the SDK's error), so the CLI prints a message and a hint and the retry middleware knows
 * what is worth retrying.
 */
import { AppError, type AppErrorOptions } from '../lib/errors.js';

export type StorageErrorCode =
  | 'object-missing'
  | 'bucket-missing'
  | 'access-denied'
  | 'unreachable'
  | 'transient'
  | 'bad-url'
  | 'bad-option'
  | 'credentials'
  | 'remote-error';

/** The hint of a StorageError raised without one: what to do about each kind of failure. */
const DEFAULT_HINTS: Record<StorageErrorCode, string> = {
  'object-missing': 'push it from a copy of the repository that has it (`geodvc push`), or check the remote URL (`geodvc remote list`)',
  'bucket-missing': 'create the bucket, container or directory, or fix the remote URL (`geodvc remote modify NAME url ...`)',
  'access-denied': 'check the credentials of the remote (`geodvc remote modify NAME ...`) and its permissions',
  unreachable: 'check that the server is running and the URL is right; rerun the command to resume where it stopped',
  transient: 'the server had a temporary problem; rerun the command to resume',
  'bad-url': 'use a supported URL (s3://, gs://, azure://, ssh://, http(s)://, webdav(s)://, a local path)',
  'bad-option': 'fix the option with `geodvc remote modify NAME OPTION VALUE`',
  credentials: 'set the credentials of the remote (`geodvc remote modify --local NAME ...`) or in the environment',
  'remote-error': 'rerun with -v to see the server\'s answer; check the remote URL and the server',
};

export class StorageError extends AppError {
  readonly retryable: boolean;
  constructor(code: StorageErrorCode, message: string, opts: AppErrorOptions & { retryable?: boolean } = {}) {
    super(`remote-${code}`, message, code === 'bad-url' || code === 'bad-option' || code === 'credentials' ? 251 : 1, { ...opts, hint: opts.hint ?? DEFAULT_HINTS[code] });
    this.retryable = opts.retryable ?? (code === 'unreachable' || code === 'transient');
  }
  get kind(): StorageErrorCode { return this.code.slice('remote-'.length) as StorageErrorCode; }
}

const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_STREAM_PREMATURE_CLOSE', 'ECONNABORTED', 'UND_ERR_CLOSED', 'ERR_SOCKET_CONNECTION_TIMEOUT']);

/** True when `err` (or its cause chain) is a network-level failure worth retrying. */
export function isNetworkError(err: unknown): boolean {
  let e: any = err;
  for (let i = 0; i < 5 && e; i++) {
    if (typeof e.code === 'string' && NET_CODES.has(e.code)) return true;
    if (typeof e.message === 'string' && /socket hang up|ECONNRESET|ECONNREFUSED|EPIPE|premature close|aborted|No response|Timed out|not connected|connection lost|read ECONN|write after end/i.test(e.message)) return true;
    e = e.cause;
  }
  return false;
}

/** The generic mapping from an HTTP status (with the remote URL for the message). */
export function fromHttpStatus(status: number, what: string, remote: string, cause?: unknown): StorageError {
  if (status === 404) return new StorageError('object-missing', `${what} not found on remote '${remote}'`, { cause });
  if (status === 401 || status === 403) {
    return new StorageError('access-denied', `access denied to ${what} on remote '${remote}' (HTTP ${status})`, {
      cause, hint: 'check the credentials of the remote (`geodvc remote modify NAME ...`) and its permissions',
    });
  }
  if (status === 408 || status === 429 || status >= 500) {
    return new StorageError('transient', `remote '${remote}' answered HTTP ${status} for ${what}`, { cause, hint: 'the server had a temporary problem; rerun the command to resume' });
  }
  return new StorageError('remote-error', `remote '${remote}' answered HTTP ${status} for ${what}`, { cause });
}

export function unreachable(remote: string, cause: unknown): StorageError {
  const msg = cause instanceof Error ? cause.message : String(cause);
  return new StorageError('unreachable', `cannot reach remote '${remote}': ${msg}`, {
    cause, hint: 'check that the server is running and the URL is right; rerun the command to resume where it stopped',
  });
}
