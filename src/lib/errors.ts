/**
 * Typed errors. Every error a user can cause is an AppError with a stable `code`, an exit code
 * (DVC's conventions: 1 generic failure, 251 config, 252 interrupted, 253 not a repo, 254 usage,
 * 255 internal) and a hint telling the user what to do next. Foreign errors are wrapped once, at the
 * boundary where their cause is known, with `cause` kept for `-v`.
 */
/**
 * Every error code geodvc raises (`AppError.code`, `"error"` in `--json` output): stable, kebab-case,
 * named after the condition. One code per condition: add here before raising a new one.
 */
export type ErrorCode =
  // general (lib/errors): the DVC exit-code classes and refused writes
  | 'usage' | 'config' | 'not-a-repo' | 'interrupted' | 'internal' | 'invalid-file'
  | 'disk-full' | 'permission-denied' | 'read-only-fs' | 'write-failed' | 'not-found'
  | 'missing-package'
  // paths (lib/safepath, targets of add/import/ls/history)
  | 'unsafe-path' | 'path-outside-repo' | 'reserved-path' | 'symlink-outside-repo' | 'bad-target'
  | 'no-such-target' | 'not-a-directory' | 'exists' | 'already-tracked' | 'tracked-by-git' | 'not-tracked'
  | 'unreadable' | 'ignored'
  // repository, git, cache and workspace
  | 'init' | 'no-scm' | 'git' | 'no-git-remote' | 'unknown-rev' | 'no-commits' | 'locked' | 'hook-exists'
  | 'invalid-dvcfile' | 'interpolation' | 'missing-cache' | 'cache-changed' | 'changed-while-hashing'
  | 'hash-mismatch' | 'unsupported-hash' | 'no-hash' | 'object-missing' | 'link-failed' | 'checkout-failed'
  | 'unsaved-changes' | 'gc-missing-manifest' | 'gc-cloud-unsupported'
  // remotes and transfers (`remote-*`: StorageError, storage/errors.ts)
  | 'missing-remote' | 'remote-read-only' | 'push-failed' | 'fetch-failed' | 'nothing-to-publish'
  | 'chunk-corrupt' | 'chunk-not-local'
  | 'remote-object-missing' | 'remote-bucket-missing' | 'remote-access-denied' | 'remote-unreachable'
  | 'remote-transient' | 'remote-bad-url' | 'remote-bad-option' | 'remote-credentials' | 'remote-remote-error'
  // pipelines and experiments
  | 'stage-exists' | 'stage-not-found' | 'stage-failed' | 'stage-spawn' | 'stage-timeout' | 'stage-no-lock'
  | 'stage-deps-missing' | 'stage-job-failed' | 'stage-job-result' | 'stage-push-failed' | 'pipeline-cycle'
  | 'missing-dep' | 'missing-out' | 'missing-params' | 'missing-params-file' | 'missing-wdir'
  | 'out-duplicated' | 'out-outside-repo' | 'out-overlaps-dvc' | 'multi-output'
  | 'experiment' | 'exp-exists' | 'exp-not-found'
  // geo
  | 'gdal-error' | 'no-native-gdal' | 'not-a-raster' | 'not-a-tiff' | 'unsupported-raster' | 'no-crs'
  | 'unknown-crs' | 'mixed-crs' | 'mismatched-crs' | 'mismatched-grids' | 'no-georeferencing'
  | 'rotated-grid' | 'not-north-up' | 'no-bands' | 'no-footprint' | 'no-inputs' | 'no-match'
  | 'warp-failed' | 'stac-invalid'
  // web apps (ui, serve)
  | 'bad-request' | 'bad-basemap' | 'port-in-use' | 'ui-assets-missing' | 'preview-failed' | 'preview-busy'
  | 'preview-timeout' | 'preview-too-large';

export interface AppErrorOptions {
  hint?: string;
  cause?: unknown;
  /** Structured details for --json output. */
  details?: Record<string, unknown>;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly hint?: string;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, exitCode = 1, opts: AppErrorOptions = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
    this.hint = opts.hint;
    this.details = opts.details;
  }

  toJSON(): Record<string, unknown> {
    return { error: this.code, message: this.message, hint: this.hint, ...(this.details ? { details: this.details } : {}) };
  }
}

/** Wrong command-line usage (DVC exit 254). */
export class UsageError extends AppError {
  constructor(message: string, opts: AppErrorOptions = {}) { super('usage', message, 254, opts); }
}
/** Bad or missing configuration (DVC exit 251). */
export class ConfigError extends AppError {
  constructor(message: string, opts: AppErrorOptions = {}) { super('config', message, 251, opts); }
}
/** Not inside a geodvc/DVC repository (DVC exit 253). */
export class NotARepoError extends AppError {
  constructor(message = 'you are not inside of a DVC repository', opts: AppErrorOptions = {}) {
    super('not-a-repo', message, 253, { hint: 'run `geodvc init` in a git repository, or `geodvc init --no-scm` outside one', ...opts });
  }
}
/** The operation was interrupted by a signal or an AbortSignal (DVC exit 252). */
export class InterruptedError extends AppError {
  constructor(message = 'interrupted by the user', opts: AppErrorOptions = {}) { super('interrupted', message, 252, opts); }
}
/** A bug: something that should never happen (DVC exit 255). */
export class InternalError extends AppError {
  constructor(message: string, opts: AppErrorOptions = {}) {
    super('internal', message, 255, { hint: 'this is a bug in geodvc; rerun with -v and report the output', ...opts });
  }
}
/** Invalid data in a file we parse (.dvc, .dir, dvc.yaml, TIFF, ...). */
export class InvalidFileError extends AppError {
  constructor(message: string, opts: AppErrorOptions = {}) { super('invalid-file', message, 1, opts); }
}
/** A path that does not exist, escapes the repo, or is already tracked elsewhere. */
export class PathError extends AppError {
  constructor(code: ErrorCode, message: string, opts: AppErrorOptions = {}) { super(code, message, 1, opts); }
}

/** Wraps any thrown value into an AppError, keeping AppErrors as they are. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as NodeJS.ErrnoException | undefined;
  if (e && typeof e === 'object' && typeof e.code === 'string') {
    const path = e.path ? ` '${e.path}'` : '';
    switch (e.code) {
      case 'ENOSPC':
        return new AppError('disk-full', `no space left on device${path}`, 1, { cause: err, hint: 'free some space (e.g. `geodvc gc -w`) and run the command again; nothing partial was kept' });
      case 'EACCES':
      case 'EPERM':
        return new AppError('permission-denied', `permission denied${path}`, 1, { cause: err, hint: 'check the file permissions and ownership' });
      case 'ENOENT':
        return new AppError('not-found', `no such file or directory${path}`, 1, { cause: err });
      case 'EROFS':
        return new AppError('read-only-fs', `read-only file system${path}`, 1, { cause: err, hint: WRITE_FAILURES.EROFS!.hint });
      case 'EDQUOT':
      case 'SQLITE_FULL':
      case 'SQLITE_READONLY':
        return new AppError(WRITE_FAILURES[e.code]!.code, `${WRITE_FAILURES[e.code]!.what}${path}`, 1, { cause: err, hint: WRITE_FAILURES[e.code]!.hint });
      case 'ABORT_ERR':
        return new InterruptedError(undefined, { cause: err });
    }
  }
  if (e && typeof e === 'object' && (e as Error).name === 'AbortError') return new InterruptedError(undefined, { cause: err });
  return new InternalError(e instanceof Error ? e.message : String(err), { cause: err });
}

/** Error codes that mean "the file system refused the write" (not a missing object, not a bug). */
const WRITE_FAILURES: Record<string, { code: ErrorCode; what: string; hint: string }> = {
  ENOSPC: { code: 'disk-full', what: 'no space left on device', hint: 'free space on that file system (`df -h` shows it; `geodvc gc -w` frees cache space) or check out elsewhere, then run the command again' },
  EDQUOT: { code: 'disk-full', what: 'disk quota exceeded', hint: 'free space within your quota (or ask for a bigger one), then run the command again' },
  SQLITE_FULL: { code: 'disk-full', what: 'no space left on device (state database)', hint: 'free space on the file system holding .dvc/tmp, then run the command again' },
  EACCES: { code: 'permission-denied', what: 'permission denied', hint: 'check the ownership and permissions of that directory (`ls -ld`), then run the command again' },
  EPERM: { code: 'permission-denied', what: 'operation not permitted', hint: 'check the ownership, permissions and attributes (`lsattr`) of that path, then run the command again' },
  EROFS: { code: 'read-only-fs', what: 'read-only file system', hint: 'the file system is mounted read-only: remount it read-write or work in a writable copy, then run the command again' },
  SQLITE_READONLY: { code: 'read-only-fs', what: 'read-only file system (state database)', hint: 'make .dvc/tmp writable, then run the command again' },
};

/** True for the errno codes of a refused write: ENOSPC, EDQUOT, EACCES, EPERM, EROFS (and SQLite's FULL/READONLY). */
export function isWriteFailureCode(code: unknown): boolean {
  return typeof code === 'string' && Object.hasOwn(WRITE_FAILURES, code);
}

export interface WriteFailureInfo {
  /** The path the write failed on (repo-relative when possible). */
  path: string;
  /** The operation, e.g. 'checkout'. */
  action: string;
  /** Files completely written before the failure. */
  written: string[];
  /** Files not written (the failing one first). */
  notWritten: string[];
  /** The data is safe in the cache (say so: the user must not think it is missing). */
  cachedData?: boolean;
}

/**
 * The error for a write the file system refused (issue 17): names the condition (no space left /
 * permission denied / read-only file system), the path, how many files were written and which were
 * not, with a hint. Partial files are never left under a data name (every write is temp + rename).
 */
export function writeFailureError(err: unknown, info: WriteFailureInfo): AppError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  const k = WRITE_FAILURES[code] ?? { code: 'write-failed', what: 'write failed', hint: 'check the file system, then run the command again' };
  const list = (xs: string[]) => xs.slice(0, 5).map((x) => `'${x}'`).join(', ') + (xs.length > 5 ? `, … (${xs.length - 5} more)` : '');
  const msg = [
    `${k.what}: ${info.action} could not write '${info.path}'`,
    `${info.written.length} file${info.written.length === 1 ? ' was' : 's were'} written${info.written.length ? ` (${list(info.written)})` : ''}, ${info.notWritten.length} ${info.notWritten.length === 1 ? 'was' : 'were'} not${info.notWritten.length ? ` (${list(info.notWritten)})` : ''}`,
    info.cachedData ? 'the data is in the cache: nothing is missing, and no partial file was left in the workspace' : 'no partial file was left behind',
  ].join('; ');
  return new AppError(k.code, msg, 1, {
    cause: err, hint: k.hint,
    details: { path: info.path, errno: code || undefined, action: info.action, written: info.written, notWritten: info.notWritten },
  });
}

/** Throws an InterruptedError when the signal is aborted. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new InterruptedError();
}
