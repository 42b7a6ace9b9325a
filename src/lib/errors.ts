/**
 * Typed errors. Every error a user can cause is an AppError with a stable `code`, an exit code
 * (DVC's conventions: 1 generic failure, 251 config, 252 interrupted, 253 not a repo, 254 usage,
 * 255 internal) and a hint telling the user what to do next. Foreign errors are wrapped once, at the
 * boundary where their cause is known, with `cause` kept for `-v`.
 */
export interface AppErrorOptions {
  hint?: string;
  cause?: unknown;
  /** Structured details for --json output. */
  details?: Record<string, unknown>;
}

export class AppError extends Error {
  readonly code: string;
  readonly exitCode: number;
  readonly hint?: string;
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, exitCode = 1, opts: AppErrorOptions = {}) {
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
  constructor(code: string, message: string, opts: AppErrorOptions = {}) { super(code, message, 1, opts); }
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
        return new AppError('read-only-fs', `read-only file system${path}`, 1, { cause: err });
      case 'ABORT_ERR':
        return new InterruptedError(undefined, { cause: err });
    }
  }
  if (e && typeof e === 'object' && (e as Error).name === 'AbortError') return new InterruptedError(undefined, { cause: err });
  return new InternalError(e instanceof Error ? e.message : String(err), { cause: err });
}

/** Throws an InterruptedError when the signal is aborted. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new InterruptedError();
}
