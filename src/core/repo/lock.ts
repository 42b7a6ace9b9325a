/**
 * The repository lock: many readers or one writer, across processes, in `.dvc/tmp/geodvc-lock/`.
 *
 * - A short-lived guard (`guard`, created with O_EXCL) serialises the check-and-register step.
 * - A writer registers `write` when no live reader and no live writer exist; a reader registers
 *   `read-<pid>-<nonce>` when no live writer exists. Readers never block each other.
 * - Every entry records `{pid, start}` (the process start time from /proc, so a recycled PID is not
 *   taken for the owner). An entry whose process is gone is stale and removed: a SIGKILLed command
 *   never leaves the repository locked.
 * - Without `wait`, a busy lock fails at once with a hint about `--wait-for-lock`; with it, we poll
 *   (with backoff) until free or the AbortSignal fires.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { AppError, InterruptedError } from '../../lib/errors.js';

export interface LockOwner { pid: number; start?: string; host?: string; cmd?: string; time?: string; }

export class LockError extends AppError {
  constructor(message: string, opts: { hint?: string; details?: Record<string, unknown> } = {}) { super('locked', message, 1, opts); }
}

export interface RepoLockOptions {
  /** true: exclusive (changes the cache/workspace); false: shared. */
  write: boolean;
  /**
   * `true`: wait until free (`--wait-for-lock`); `false`: fail at once; undefined (default): retry
   * for `DEFAULT_LOCK_RETRY_MS` like DVC does, then fail. `GEODVC_WAIT_FOR_LOCK=1` makes the
   * default wait forever.
   */
  wait?: boolean;
  signal?: AbortSignal;
  /** Give up waiting after this long (ms); default: forever. */
  timeoutMs?: number;
  /** What is running, recorded in the lock for messages (e.g. 'geodvc add'). */
  cmd?: string;
}

interface RepoLike { tmpDir: string; }

const HOST = hostname();

/** The start time of a process (field 22 of /proc/PID/stat), or undefined when unknown. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19];
  } catch { return undefined; }
}

const MY_START = processStart(process.pid);

function alive(owner: LockOwner): boolean {
  if (owner.host && owner.host !== HOST) return true; // cannot tell: assume alive
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return false;
  try { process.kill(owner.pid, 0); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (owner.start) {
    const now = processStart(owner.pid);
    if (now !== undefined && now !== owner.start) return false; // PID recycled
  }
  return true;
}

function readOwner(path: string): LockOwner | undefined {
  try { return JSON.parse(readFileSync(path, 'utf8')) as LockOwner; } catch { return undefined; }
}

function ownerRecord(cmd?: string): string {
  return JSON.stringify({ pid: process.pid, start: MY_START, host: HOST, cmd, time: new Date().toISOString() } satisfies LockOwner);
}

function createExclusive(path: string, content: string): boolean {
  let fd: number;
  try { fd = openSync(path, 'wx', 0o644); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try { writeSync(fd, content); } finally { closeSync(fd); }
  return true;
}

/** Removes `path` if its owner is dead. Renames first so two cleaners never delete a fresh entry. */
function removeIfStale(path: string): boolean {
  const owner = readOwner(path);
  if (owner && alive(owner)) return false;
  if (!owner) {
    // Being written right now (empty) or garbage: only stale if it stays unreadable.
    try {
      const st = statSync(path);
      if (st.size === 0 && Date.now() - st.mtimeMs < 10_000) return false;
    } catch { return true; }
  }
  const tomb = `${path}.stale-${process.pid}-${randomBytes(3).toString('hex')}`;
  try { renameSync(path, tomb); } catch { return true; }
  const again = readOwner(tomb);
  if (again && owner && (again.pid !== owner.pid || again.start !== owner.start) && alive(again)) {
    // Someone replaced it between our read and rename: put it back.
    try { renameSync(tomb, path); } catch { /* ignore */ }
    return false;
  }
  rmSync(tomb, { force: true });
  return true;
}

export interface HeldLock { release(): void; readonly path: string; }

const held = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => { for (const p of held) { try { rmSync(p, { force: true }); } catch { /* ignore */ } } });
}

/** Tries once; returns the held lock, or the blocking owners. */
function tryAcquire(dir: string, opts: RepoLockOptions): HeldLock | LockOwner[] | 'guard' {
  mkdirSync(dir, { recursive: true });
  const guard = join(dir, 'guard');
  if (!createExclusive(guard, ownerRecord(opts.cmd))) {
    if (!removeIfStale(guard) || !createExclusive(guard, ownerRecord(opts.cmd))) return 'guard';
  }
  try {
    const blockers: LockOwner[] = [];
    for (const name of readdirSync(dir)) {
      if (name.includes('.stale-')) { rmSync(join(dir, name), { force: true }); continue; }
      const isWrite = name === 'write';
      const isRead = name.startsWith('read-');
      if (!isWrite && !(isRead && opts.write)) continue;
      const p = join(dir, name);
      if (removeIfStale(p)) continue;
      const o = readOwner(p);
      if (o) blockers.push(o);
    }
    if (blockers.length) return blockers;
    const path = join(dir, opts.write ? 'write' : `read-${process.pid}-${randomBytes(4).toString('hex')}`);
    if (!createExclusive(path, ownerRecord(opts.cmd))) return [];
    held.add(path);
    installExitHook();
    let released = false;
    return {
      path,
      release() {
        if (released) return;
        released = true;
        held.delete(path);
        rmSync(path, { force: true });
      },
    };
  } finally {
    rmSync(guard, { force: true });
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((res, rej) => {
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); res(); }, ms);
    const onAbort = () => { clearTimeout(t); rej(new InterruptedError()); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Acquires the repository lock (see module doc); call `release()` when done. */
/** How long a lock is retried by default before failing (DVC retries for about 3 s). */
export const DEFAULT_LOCK_RETRY_MS = 3000;

export async function acquireRepoLock(repo: RepoLike, optsIn: RepoLockOptions): Promise<HeldLock> {
  const dir = join(repo.tmpDir, 'geodvc-lock');
  const t0 = Date.now();
  const opts: RepoLockOptions = { ...optsIn };
  if (opts.wait === undefined) {
    if (/^(1|true|yes)$/i.test(process.env.GEODVC_WAIT_FOR_LOCK ?? '')) opts.wait = true;
    else { opts.wait = true; opts.timeoutMs ??= DEFAULT_LOCK_RETRY_MS; }
  }
  let delay = 20;
  for (;;) {
    if (opts.signal?.aborted) throw new InterruptedError();
    const r = tryAcquire(dir, opts);
    if (r === 'guard') {
      // Another process is registering right now (milliseconds): always retry briefly.
      await sleep(5 + Math.floor(Math.random() * 10), opts.signal);
      continue;
    }
    if (!Array.isArray(r)) return r;
    if (!opts.wait || (opts.timeoutMs !== undefined && Date.now() - t0 > opts.timeoutMs)) {
      const who = r.map((o) => `pid ${o.pid}${o.cmd ? ` (${o.cmd})` : ''}`).join(', ') || 'another process';
      throw new LockError(`the repository is locked by ${who}`, {
        hint: 'wait for it to finish, or rerun with --wait-for-lock to wait automatically',
        details: { owners: r },
      });
    }
    await sleep(delay, opts.signal);
    delay = Math.min(500, Math.round(delay * 1.5));
  }
}

/** Runs `fn` holding the repository lock; releases it however `fn` ends. */
export async function withRepoLock<T>(repo: RepoLike, opts: RepoLockOptions, fn: () => Promise<T> | T): Promise<T> {
  const lock = await acquireRepoLock(repo, opts);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
