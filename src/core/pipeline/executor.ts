/**
 * Runs a stage command through the shell in its wdir, under the stage supervisor
 * (`supervisor.ts`): the command gets its own process group, so an abort (Ctrl-C) stops it and its
 * children (SIGINT to the group, SIGKILL 3 s later), and the group is SIGKILLed at once if this
 * process dies (even by SIGKILL). With `recordDir`, a record of the running command is kept there
 * for the next `repro` to clean up after a crash. Output is passed to `onOutput` and the last 4 KiB
 * are kept for the error message when the command fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AppError, InterruptedError } from '../../lib/errors.js';
import { killStage, processStart, supervisorArgs, type StageRecord } from './supervisor.js';
import { STAGE_RESTORE_ENV, SUPERVISOR_DROPPED_ENV, type ServeCommand, type ServeMsg, type SupervisorMsg } from './supervisor-protocol.cjs';

export type OutputFn = (stage: string, chunk: string, stream: 'stdout' | 'stderr') => void;

export class StageFailedError extends AppError {
  constructor(stage: string, cmd: string, code: number | null, signal: string | null, tail: string) {
    const why = code !== null ? `exited with code ${code}` : `was killed by ${signal}`;
    super('stage-failed', `failed to reproduce '${stage}': command '${cmd}' ${why}${tail ? `\n--- last output ---\n${tail.trimEnd()}` : ''}`, 1, {
      hint: 'fix the command or its inputs and run `geodvc repro` again; dvc.lock was not changed for this stage',
      details: { stage, cmd, exitCode: code, signal, tail },
    });
  }
}

export interface RunCommandOptions {
  signal?: AbortSignal;
  onOutput?: OutputFn;
  env?: NodeJS.ProcessEnv;
  /** Where the supervisor records the running command (`recordsDir(repo.tmpDir)`); none when omitted. */
  recordDir?: string;
}

const TAIL = 4096;
let ownerJson: string | undefined;
let supArgs: string[] | undefined;

function spawnError(stage: string, message: string, cause?: unknown): AppError {
  return new AppError('stage-spawn', `cannot start the command of '${stage}': ${message}`, 1, { cause, hint: 'check that /bin/sh exists and the stage wdir is a directory' });
}

/**
 * A supervisor kept warm (`supervisor-child.cjs --serve`) for a process that runs many stages, the
 * `queue worker`: one Node start per worker instead of one per stage (~50 ms of CPU each). The same
 * guarantees: own process group and record per command, every group SIGKILLed when this process
 * dies (the channel closes). Started on first use after `keepSupervisorWarm(true)`.
 */
interface WarmRun { onMsg: (m: ServeMsg) => void; onLost: () => void }
let warmWanted = false;
let warm: { child: ChildProcess; runs: Map<number, WarmRun>; next: number } | undefined;

export function keepSupervisorWarm(on: boolean): void {
  warmWanted = on;
  if (!on && warm) { const w = warm; warm = undefined; try { w.child.disconnect(); } catch { /* gone */ } }
}

/**
 * The supervisor starts without variables that slow a Node start-up; it hands them back to the
 * stage command.
 */
function supervisorEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  const restore: Record<string, string> = {};
  for (const k of SUPERVISOR_DROPPED_ENV) {
    if (env[k] !== undefined) restore[k] = env[k]!;
    delete env[k];
  }
  env[STAGE_RESTORE_ENV] = JSON.stringify(restore);
  return env;
}

function warmSupervisor(): NonNullable<typeof warm> {
  if (warm) return warm;
  const entry = (supArgs ??= supervisorArgs());
  const child = spawn(process.execPath, [...entry, '--serve'], { detached: true, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: supervisorEnv(process.env), serialization: 'json' });
  const w = { child, runs: new Map<number, WarmRun>(), next: 1 };
  child.unref();
  (child.channel as { unref?: () => void } | undefined)?.unref?.();
  child.on('message', (m: ServeMsg) => w.runs.get(m.id)?.onMsg(m));
  const lost = () => {
    if (warm === w) warm = undefined;
    const runs = [...w.runs.values()];
    w.runs.clear();
    for (const r of runs) r.onLost();
  };
  child.on('error', lost);
  child.on('exit', lost);
  warm = w;
  return w;
}

function runWarm(stage: string, cmd: string, cwd: string, opts: RunCommandOptions, owner: string): Promise<void> {
  const w = warmSupervisor();
  const id = w.next++;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...opts.env })) if (v !== undefined) env[k] = v;
  return new Promise<void>((resolve, reject) => {
    let tail = '';
    let started: { pid: number; start?: string } | undefined;
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      try { w.child.send({ t: 'int', id } satisfies ServeCommand); } catch { /* supervisor gone: handled on exit */ }
    };
    const finish = (fn: () => void) => {
      w.runs.delete(id);
      if (!w.runs.size) { w.child.unref(); (w.child.channel as { unref?: () => void } | undefined)?.unref?.(); }
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const interrupted = () => new InterruptedError(`interrupted while running '${stage}'`, { hint: 'dvc.lock was not changed for this stage; run `geodvc repro` again to finish' });
    w.runs.set(id, {
      onMsg(m) {
        if (m.t === 'started') started = { pid: m.pid, start: m.start };
        else if (m.t === 'out') { tail = (tail + m.d).slice(-TAIL); opts.onOutput?.(stage, m.d, m.err ? 'stderr' : 'stdout'); }
        else if (m.t === 'error') finish(() => reject(spawnError(stage, !existsSync(cwd) ? `its directory '${cwd}' does not exist` : m.message)));
        else if (m.t === 'exit') {
          finish(() => {
            if (aborted) reject(interrupted());
            else if (m.code === 0) resolve();
            else reject(new StageFailedError(stage, cmd, m.code, m.signal, tail));
          });
        }
      },
      onLost() {
        // the supervisor died before the command ended (killed from outside): stop the command
        const done = () => finish(() => reject(aborted ? interrupted() : new StageFailedError(stage, cmd, null, 'the loss of its supervisor', tail)));
        if (!started) { done(); return; }
        const rec: StageRecord = { v: 1, stage, cmd, cwd, pid: started.pid, pgid: started.pid, start: started.start, tag: '', owner: { pid: process.pid }, supervisor: { pid: -1 }, time: '' };
        if (opts.recordDir && w.child.pid) rmSync(join(opts.recordDir, `stage-${w.child.pid}-${started.pid}.json`), { force: true });
        killStage(rec).then(done, done);
      },
    });
    // held while commands run (the loss of the supervisor must be seen), let go when idle
    w.child.ref();
    (w.child.channel as { ref?: () => void } | undefined)?.ref?.();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      w.child.send({ t: 'run', id, cmd, cwd, recordDir: opts.recordDir ?? '', stage, owner, env } satisfies ServeCommand);
    } catch (e) {
      finish(() => reject(spawnError(stage, (e as Error).message, e)));
    }
  });
}

export async function runCommand(stage: string, cmd: string, cwd: string, opts: RunCommandOptions): Promise<void> {
  if (opts.signal?.aborted) throw new InterruptedError();
  const owner = (ownerJson ??= JSON.stringify({ pid: process.pid, start: processStart(process.pid) }));
  if (warmWanted) return runWarm(stage, cmd, cwd, opts, owner);
  const entry = (supArgs ??= supervisorArgs());
  const env = supervisorEnv({ ...process.env, ...opts.env });
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [...entry, cmd, opts.recordDir ?? '', stage, owner], {
      cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env, serialization: 'json',
    });
    let tail = '';
    const keep = (s: string) => { tail = (tail + s).slice(-TAIL); };
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { keep(d); opts.onOutput?.(stage, d, 'stdout'); });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { keep(d); opts.onOutput?.(stage, d, 'stderr'); });
    let started: { pid: number; start?: string } | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let failure: AppError | undefined;
    child.on('message', (m: SupervisorMsg) => {
      if (m.t === 'started') started = { pid: m.pid, start: m.start };
      else if (m.t === 'exit') exit = { code: m.code, signal: m.signal };
      else if (m.t === 'error') failure = spawnError(stage, m.message);
    });
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      try { child.send({ t: 'int' }); } catch { /* supervisor gone: handled on close */ }
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let settled = false;
    child.on('error', (e) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      reject(spawnError(stage, !existsSync(cwd) ? `its directory '${cwd}' does not exist` : e.message, e));
    });
    child.on('close', (code, sig) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      const done = () => {
        if (failure) reject(failure);
        else if (aborted) reject(new InterruptedError(`interrupted while running '${stage}'`, { hint: 'dvc.lock was not changed for this stage; run `geodvc repro` again to finish' }));
        else if (exit && exit.code === 0) resolve();
        else if (exit) reject(new StageFailedError(stage, cmd, exit.code, exit.signal, tail));
        else reject(new StageFailedError(stage, cmd, code, sig ?? 'the loss of its supervisor', tail));
      };
      if (!exit && !failure && started) {
        // The supervisor died before the command ended (killed from outside): stop the command.
        const rec: StageRecord = { v: 1, stage, cmd, cwd, pid: started.pid, pgid: started.pid, start: started.start, tag: '', owner: { pid: process.pid }, supervisor: { pid: -1 }, time: '' };
        if (opts.recordDir && child.pid) rmSync(join(opts.recordDir, `stage-${child.pid}.json`), { force: true });
        killStage(rec).then(done, done);
      } else done();
    });
  });
}
