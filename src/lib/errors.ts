/**
 * Typed errors. Every error a user can cause is an AppError with a stable `code`, an exit code
 * (DVC's conventions: 1 generic failure, 251 config, 252 interrupted, 253 not a repo, 254 usage,
 * 255 internal) and a hint telling the user what to do next. Foreign errors are wrapped once, at the
 * boundary where their cause is known, with `cause` kept for `-v`.
 */
/**
 * Every error code geodvc raises (`AppError.code`, `"error"` in `--json` output), with its meaning:
 * stable, kebab-case, named after the condition. One code per condition: add it here (with what it
 * means) before raising a new one; test/unit/errors-style.test.ts checks the table and the messages.
 */
export const ERROR_CODES = {
  // general (lib/errors): the DVC exit-code classes and refused writes
  usage: 'wrong command-line usage: a bad argument, option or combination (exit 254)',
  config: 'bad or missing configuration in .dvc/config or a remote setting (exit 251)',
  'not-a-repo': 'the command needs a geodvc/DVC repository and none was found (exit 253)',
  interrupted: 'stopped by Ctrl-C or an abort signal; nothing half-written was kept (exit 252)',
  internal: 'a bug: something that should never happen (exit 255)',
  'invalid-file': 'a file geodvc parses (.dvc, .dir, dvc.yaml, a TIFF header, ...) holds invalid data',
  'disk-full': 'the file system is full or the quota is exceeded',
  'permission-denied': 'the file system refused access to a path (EACCES, EPERM)',
  'read-only-fs': 'the file system is mounted read-only',
  'write-failed': 'a write failed for another reason than space, permission or a read-only mount',
  'not-found': 'a file or directory named on the command line does not exist',
  'missing-package': 'an optional npm package needed by this feature is not installed',
  // paths (lib/safepath, targets of add/import/ls/history)
  'unsafe-path': 'a path in a DVC file or manifest is absolute, empty or otherwise unsafe to write',
  'path-outside-repo': 'a path leads outside the repository',
  'reserved-path': 'a path points into .git or .dvc, which geodvc never writes as data',
  'symlink-outside-repo': 'a symbolic link resolves outside the repository',
  'bad-target': 'a target is not a regular file or directory (a socket, device, ...)',
  'no-such-target': 'a target given to add/import does not exist',
  'not-a-directory': 'a path that must be a directory is a file',
  exists: 'the destination already exists and would be overwritten',
  'already-tracked': 'the path is already tracked by another .dvc file or stage',
  'tracked-by-git': 'the path is tracked by git, so DVC cannot track it too',
  'not-tracked': 'the path is not tracked by any .dvc file or dvc.lock',
  unreadable: 'a file or directory could not be read',
  ignored: 'the path is excluded by .dvcignore',
  // repository, git, cache and workspace
  init: 'the repository could not be initialised (already one, or not in git without --no-scm)',
  'no-scm': 'the operation needs git and the repository is not in a git work tree',
  git: 'a git command failed',
  'no-git-remote': 'the git repository has no remote to push or pull from',
  'unknown-rev': 'a git revision (commit, branch, tag) does not resolve',
  'no-commits': 'the git repository has no commits yet',
  locked: 'another geodvc/DVC process holds the repository lock',
  'hook-exists': 'a git hook not written by geodvc is already installed',
  'invalid-dvcfile': 'a .dvc file or dvc.yaml does not follow the DVC schema',
  interpolation: 'a ${...} template in dvc.yaml cannot be resolved',
  'missing-cache': 'a tracked object is not in the local cache (fetch it first)',
  'cache-changed': 'an object in the cache changed since it was stored (corruption)',
  'changed-while-hashing': 'a file changed while it was being hashed',
  'hash-mismatch': 'content does not match the hash it was recorded or downloaded under',
  'unsupported-hash': 'a DVC file names a hash algorithm geodvc does not support',
  'no-hash': 'an output has no recorded hash (never added or committed)',
  'object-missing': 'an object (or .dir manifest) named by a DVC file is missing',
  'link-failed': 'the workspace link (reflink, hardlink, symlink, copy) could not be made',
  'checkout-failed': 'some outputs could not be checked out',
  'unsaved-changes': 'the workspace has changes that the command would lose',
  'gc-missing-manifest': 'gc cannot read a .dir manifest, so it cannot tell which objects are in use',
  'gc-cloud-unsupported': 'gc --cloud is not supported for that remote',
  // remotes and transfers (`remote-*`: StorageError, storage/errors.ts)
  'missing-remote': 'no remote given and no default remote configured, or the name is unknown',
  'remote-read-only': 'the remote is read-only (http) and the command would write to it',
  'push-failed': 'some objects could not be pushed',
  'fetch-failed': 'some objects could not be fetched',
  'nothing-to-publish': 'publish found no tracked data to publish',
  'chunk-corrupt': 'a chunk of a chunked object does not match its hash',
  'chunk-not-local': 'a chunk listed for an object is not in the local chunked copy',
  'remote-object-missing': 'an object is not on the remote (HTTP 404 or the SDK equivalent)',
  'remote-bucket-missing': 'the bucket, container or base directory of the remote does not exist',
  'remote-access-denied': 'the remote refused access (HTTP 401/403): credentials or permissions',
  'remote-unreachable': 'the remote server could not be reached (network error)',
  'remote-transient': 'the remote had a temporary failure (HTTP 408/429/5xx); retrying may help',
  'remote-bad-url': 'the remote URL is malformed or its scheme is unknown (exit 251)',
  'remote-bad-option': 'a remote option has a bad value (exit 251)',
  'remote-credentials': 'the remote credentials are missing or unusable (exit 251)',
  'remote-remote-error': 'the remote answered with an unexpected error',
  // pipelines and experiments
  'stage-exists': 'a stage of that name already exists in dvc.yaml',
  'stage-not-found': 'no stage of that name in dvc.yaml',
  'stage-failed': 'a stage command exited non-zero',
  'stage-spawn': 'a stage command could not be started',
  'stage-timeout': 'a stage command ran longer than its timeout',
  'stage-no-lock': 'a stage has no dvc.lock entry (it was never run)',
  'stage-deps-missing': 'a stage dependency is neither in the workspace nor produced by another stage',
  'stage-job-failed': 'a stage run by a distributed worker failed',
  'stage-job-result': "a distributed worker's answer for a stage is unusable",
  'stage-push-failed': "a distributed worker could not push a stage's outputs",
  'pipeline-cycle': 'the stages of dvc.yaml depend on each other in a cycle',
  'missing-dep': 'a stage dependency does not exist',
  'missing-out': 'a stage output was not produced by its command',
  'missing-params': 'a params key used by a stage is not in the params file',
  'missing-params-file': 'the params file of a stage does not exist',
  'missing-wdir': 'the working directory of a stage does not exist',
  'out-duplicated': 'two stages or .dvc files declare the same output',
  'out-outside-repo': 'a stage output lies outside the repository',
  'out-overlaps-dvc': 'a stage output overlaps an output tracked by a .dvc file',
  'multi-output': 'the command needs a .dvc file with one output and this one has several',
  experiment: 'an experiment command failed',
  'exp-exists': 'an experiment of that name already exists',
  'exp-not-found': 'no experiment of that name',
  // geo
  'gdal-error': 'GDAL reported an error',
  'no-native-gdal': 'the native GDAL engine (gdal-async) is not available',
  'not-a-raster': 'the file is not a raster GDAL can read',
  'not-a-tiff': 'the file is not a TIFF',
  'unsupported-raster': 'the raster uses a layout or sample type the operation does not support',
  'no-crs': 'the dataset has no CRS and the operation needs one',
  'unknown-crs': 'a CRS cannot be parsed or transformed',
  'mixed-crs': 'the inputs declare different CRSs, or some declare none',
  'mismatched-crs': 'an input is not in the CRS of the others',
  'mismatched-grids': 'the inputs do not share a compatible grid (bands, resolution, rotation)',
  'no-georeferencing': 'the raster has no geotransform or GCPs',
  'rotated-grid': 'the raster grid is rotated and the operation needs a north-up grid',
  'not-north-up': 'the raster is stored south-up or rotated and the operation needs north-up',
  'no-bands': 'the dataset has no raster bands (it may hold subdatasets)',
  'no-footprint': 'no footprint can be computed for the input',
  'no-inputs': 'no input files of the expected kind were found',
  'no-match': 'a glob pattern matched nothing',
  'warp-failed': 'the reprojection (warp) could not be planned or run',
  'stac-invalid': 'the generated STAC catalog does not validate',
  // web apps (ui, serve)
  'bad-request': 'the web app received a malformed request',
  'bad-basemap': 'the basemap URL or template is not usable',
  'port-in-use': 'the port of the web app is taken',
  'ui-assets-missing': 'the built assets of the web UI are missing',
  'preview-failed': 'a preview tile or image could not be rendered',
  'preview-busy': 'too many previews are rendering at once',
  'preview-timeout': 'a preview took longer than its time limit',
  'preview-too-large': 'the preview would read more data than the limit allows',
} as const satisfies Record<string, string>;

/** A stable error code: one key of ERROR_CODES. */
export type ErrorCode = keyof typeof ERROR_CODES;

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
