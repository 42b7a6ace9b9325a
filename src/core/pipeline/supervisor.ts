/**
 * The stage supervisor and the recovery of interrupted runs (issue 8, crash safety of `repro`).
 *
 * A stage command runs as `/bin/sh -c CMD` in its own session and process group, so Ctrl-C in the
 * terminal reaches geodvc only and geodvc decides how to stop it. That made a SIGKILLed geodvc
 * leave its stage running (and writing into its outs) while the next command ran. Two layers fix it:
 *
 * 1. A supervisor: geodvc starts a tiny Node process (`supervisor-child.cts`: Node's built-ins only)
 *    with an IPC channel; the supervisor starts the command in its own process group and SIGKILLs
 *    that group the moment the channel closes without geodvc having asked for it (geodvc died:
 *    SIGKILL cannot be caught, but the channel's EOF is seen at once). On `{t:'int'}` it sends
 *    SIGINT to the group and SIGKILL 3 s later if the group is still there (Ctrl-C).
 * 2. Records: the supervisor writes `<tmpDir>/geodvc-stages/stage-<supervisor pid>.json`
 *    (`StageRecord`: pid/pgid/start time of the command, its owner and supervisor, a tag put in
 *    the command's environment) right after the spawn, and removes it when the command ends. The
 *    next `repro` (`recoverInterrupted`) kills the group of a record whose owner is dead, after
 *    checking the group is really ours (leader start time from /proc, or the tag in a member's
 *    environment), so a recycled PID is never killed. A `repro-<pid>.json` journal marks a repro
 *    in progress; a journal of a dead process makes the next repro sweep the temp files
 *    (`.geodvc-tmp-*`) that dead processes left beside dvc.lock files, outputs, in `.dvc/tmp` and
 *    in the run-cache.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { TMP_PREFIX, writeFileAtomicSync } from '../../lib/atomic.js';
import { childModuleArgs } from '../../lib/worker.js';
import { STAGE_TAG_ENV } from './supervisor-protocol.cjs';

/** Directory (under the repo's tmp dir) of stage records and repro journals. */
export const RECORDS_DIR = 'geodvc-stages';
export { STAGE_RESTORE_ENV, STAGE_TAG_ENV, SUPERVISOR_DROPPED_ENV } from './supervisor-protocol.cjs';

export function recordsDir(tmpDir: string): string { return join(tmpDir, RECORDS_DIR); }

export interface ProcRef { pid: number; start?: string }

export interface StageRecord {
  v: 1;
  stage: string;
  cmd: string;
  cwd: string;
  /** The shell's pid; also the process group id of the command. */
  pid: number;
  pgid: number;
  /** Start time of the shell (field 22 of /proc/PID/stat). */
  start?: string;
  /** Value of `GEODVC_STAGE_RUN` in the command's environment. */
  tag: string;
  owner: ProcRef;
  supervisor: ProcRef;
  time: string;
}

/**
 * Node arguments that start the supervisor (`supervisor-child.cts`, run as
 * `node <args> CMD RECORD_DIR STAGE OWNER_JSON` with an IPC channel): the compiled module, or from
 * sources the `.ts` module (see `childModuleArgs`).
 */
export function supervisorArgs(): string[] { return childModuleArgs(import.meta.url, 'supervisor-child.cjs'); }

interface ProcStat { pid: number; state: string; pgid: number; start: string }

function procStat(pid: number): ProcStat | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { pid, state: f[0]!, pgid: Number(f[2]), start: f[19]! };
  } catch { return undefined; }
}

/** Start time of a process (field 22 of /proc/PID/stat), or undefined when unknown. */
export function processStart(pid: number): string | undefined { return procStat(pid)?.start; }

const HAVE_PROC = (() => { try { statSync('/proc/self/stat'); return true; } catch { return false; } })();

/** True when the process exists, is not a zombie and (when known) started at `start`. */
export function processAlive(ref: ProcRef | undefined): boolean {
  if (!ref || !Number.isInteger(ref.pid) || ref.pid <= 0) return false;
  if (HAVE_PROC) {
    const st = procStat(ref.pid);
    if (!st || st.state === 'Z' || st.state === 'X') return false;
    return ref.start === undefined || st.start === ref.start;
  }
  try { process.kill(ref.pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

function listProcs(): ProcStat[] {
  let names: string[];
  try { names = readdirSync('/proc'); } catch { return []; }
  const out: ProcStat[] = [];
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    const st = procStat(Number(n));
    if (st && st.state !== 'Z' && st.state !== 'X') out.push(st);
  }
  return out;
}

function hasTag(pid: number, tag: string): boolean {
  try { return ('\0' + readFileSync(`/proc/${pid}/environ`, 'latin1')).includes(`\0${STAGE_TAG_ENV}=${tag}\0`); } catch { return false; }
}

/**
 * Live processes of a record's command: the whole group when its leader is alive and started when
 * the record says; otherwise only group members whose environment carries the record's tag (the
 * leader may have exited; a group id is never reused while members remain, but the tag makes sure).
 */
export function liveStageProcesses(rec: Pick<StageRecord, 'pid' | 'pgid' | 'start' | 'tag'>): { leaderIsOurs: boolean; pids: number[] } {
  const members = listProcs().filter((p) => p.pgid === rec.pgid);
  const leader = members.find((p) => p.pid === rec.pgid);
  const leaderIsOurs = !!leader && rec.start !== undefined && leader.start === rec.start;
  if (leaderIsOurs) return { leaderIsOurs, pids: members.map((p) => p.pid) };
  return { leaderIsOurs, pids: members.filter((p) => p.pid !== rec.pgid && hasTag(p.pid, rec.tag)).map((p) => p.pid) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGKILLs what is left of a stage command whose owner died; waits (up to `waitMs`) until it is gone. */
export async function killStage(rec: StageRecord, waitMs = 3000): Promise<number> {
  let killed = 0;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const { leaderIsOurs, pids } = liveStageProcesses(rec);
    if (!pids.length) break;
    if (leaderIsOurs) { try { process.kill(-rec.pgid, 'SIGKILL'); } catch { /* gone */ } }
    for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    killed = Math.max(killed, pids.length);
    if (Date.now() > deadline) break;
    await sleep(20);
  }
  if (processAlive(rec.supervisor)) { try { process.kill(rec.supervisor.pid, 'SIGKILL'); } catch { /* gone */ } }
  return killed;
}

export interface ReapedStage { stage: string; cmd: string; pid: number; processesKilled: number; record: string }

function readJson<T>(path: string): T | undefined {
  try { return JSON.parse(readFileSync(path, 'utf8')) as T; } catch { return undefined; }
}

function tryRm(path: string): void {
  try { rmSync(path, { force: true }); } catch { /* read-only: left for later */ }
}

function olderThan(path: string, ms: number): boolean {
  try { return Date.now() - statSync(path).mtimeMs > ms; } catch { return false; }
}

/**
 * Kills the stage commands of dead geodvc processes (records in `dir` whose owner is gone) and
 * removes their records. Records of live owners (a concurrent run) are left alone.
 */
export async function reapOrphanStages(dir: string): Promise<ReapedStage[]> {
  let names: string[];
  try { names = readdirSync(dir); } catch { return []; }
  const out: ReapedStage[] = [];
  for (const n of names) {
    const p = join(dir, n);
    if (n.startsWith(TMP_PREFIX)) { if (olderThan(p, 60_000)) tryRm(p); continue; }
    if (!n.startsWith('stage-') || !n.endsWith('.json')) continue;
    const rec = readJson<StageRecord>(p);
    if (!rec || typeof rec.pgid !== 'number' || typeof rec.tag !== 'string') {
      if (olderThan(p, 60_000)) tryRm(p); // garbage; written atomically, so never half-written
      continue;
    }
    if (processAlive(rec.owner) || (rec.owner?.pid === undefined && processAlive(rec.supervisor))) continue;
    const processesKilled = await killStage(rec);
    tryRm(p);
    out.push({ stage: rec.stage, cmd: rec.cmd, pid: rec.pid, processesKilled, record: p });
  }
  return out;
}

/** `.geodvc-tmp-<name>-<pid>-<8 hex>` (lib/atomic.ts): the writer's pid, or undefined. */
export function tempFileOwner(name: string): number | undefined {
  if (!name.startsWith(TMP_PREFIX)) return undefined;
  const m = /-(\d+)-[0-9a-f]{8}$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * Removes `.geodvc-tmp-*` files in `dirs` (not recursive; `recursiveDirs` walked) whose writer is
 * not a live process on this machine and that are older than `minAgeMs`. Returns the removed paths.
 */
export function sweepTempFiles(dirs: string[], opts: { recursiveDirs?: string[]; minAgeMs?: number } = {}): string[] {
  const removed: string[] = [];
  const minAge = opts.minAgeMs ?? 0;
  const consider = (p: string) => {
    const pid = tempFileOwner(basename(p));
    if (pid === undefined || pid === process.pid || processAlive({ pid })) return;
    if (minAge > 0 && !olderThan(p, minAge)) return;
    try { rmSync(p, { recursive: true, force: true }); removed.push(p); } catch { /* ignore */ }
  };
  const seen = new Set<string>();
  for (const d of dirs) {
    if (seen.has(d)) continue;
    seen.add(d);
    let names: string[];
    try { names = readdirSync(d); } catch { continue; }
    for (const n of names) if (n.startsWith(TMP_PREFIX)) consider(join(d, n));
  }
  const walk = (d: string, depth: number) => {
    let es;
    try { es = readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of es) {
      const p = join(d, e.name);
      if (e.name.startsWith(TMP_PREFIX)) consider(p);
      else if (e.isDirectory() && depth < 4) walk(p, depth + 1);
    }
  };
  for (const d of opts.recursiveDirs ?? []) walk(d, 0);
  return removed;
}

export interface RunJournal {
  /** True when a repro of a dead process was found (its temp files were swept). */
  readonly recovered: boolean;
  readonly reaped: ReapedStage[];
  readonly sweptTempFiles: string[];
  end(): void;
}

/**
 * Start of a `repro` (under the repository write lock): kill orphaned stage commands, sweep the
 * temp files of a crashed repro when one is found, and record this run until `end()`.
 * `workspaceDirs`: the dirs of the dvc.lock files and the parents of the outputs.
 */
export async function beginRun(tmpDir: string, workspaceDirs: string[], runsDir: string): Promise<RunJournal> {
  const dir = recordsDir(tmpDir);
  const reaped = await reapOrphanStages(dir);
  let crashed = reaped.length > 0;
  let names: string[] = [];
  try { names = readdirSync(dir); } catch { /* none yet */ }
  for (const n of names) {
    if (!n.startsWith('repro-') || !n.endsWith('.json')) continue;
    const p = join(dir, n);
    const j = readJson<{ pid: number; start?: string }>(p);
    if (j && processAlive(j)) continue;
    crashed = true;
    tryRm(p);
  }
  const swept = crashed
    ? [
      ...sweepTempFiles([...workspaceDirs, tmpDir, dir]),
      // the run-cache lives in the cache, which other repos (hosts) may share: only old leftovers
      ...sweepTempFiles([], { recursiveDirs: [runsDir], minAgeMs: 60_000 }),
    ]
    : [];
  const mine = join(dir, `repro-${process.pid}-${randomBytes(3).toString('hex')}.json`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileAtomicSync(mine, JSON.stringify({ pid: process.pid, start: processStart(process.pid), time: new Date().toISOString() }), { fsync: false });
  } catch { /* a read-only .dvc/tmp: no journal (a no-op repro must still work there) */ }
  let ended = false;
  return {
    recovered: crashed,
    reaped,
    sweptTempFiles: swept,
    end() {
      if (ended) return;
      ended = true;
      try { rmSync(mine, { force: true }); } catch { /* ignore */ }
    },
  };
}

/** Unique parent dirs of the given paths (for `beginRun`'s workspace dirs). */
export function parentDirs(paths: string[]): string[] { return [...new Set(paths.map((p) => dirname(p)))]; }
