/**
 * Runs a stage command through the shell in its wdir, under the stage supervisor
 * (`supervisor.ts`): the command gets its own process group, so an abort (Ctrl-C) stops it and its
 * children (SIGINT to the group, SIGKILL 3 s later), and the group is SIGKILLed at once if this
 * process dies (even by SIGKILL). With `recordDir`, a record of the running command is kept there
 * for the next `repro` to clean up after a crash. Output is passed to `onOutput` and the last 4 KiB
 * are kept for the error message when the command fails.
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AppError, InterruptedError } from '../../lib/errors.js';
import { killStage, processStart, supervisorArgs, type StageRecord } from './supervisor.js';
import { STAGE_RESTORE_ENV, SUPERVISOR_DROPPED_ENV, type SupervisorMsg } from './supervisor-protocol.cjs';

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

export async function runCommand(stage: string, cmd: string, cwd: string, opts: RunCommandOptions): Promise<void> {
  if (opts.signal?.aborted) throw new InterruptedError();
  const owner = (ownerJson ??= JSON.stringify({ pid: process.pid, start: processStart(process.pid) }));
  const entry = (supArgs ??= supervisorArgs());
  // The supervisor starts without variables that slow a Node start-up; it hands them back to the
  // stage command.
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  const restore: Record<string, string> = {};
  for (const k of SUPERVISOR_DROPPED_ENV) {
    if (env[k] !== undefined) restore[k] = env[k]!;
    delete env[k];
  }
  env[STAGE_RESTORE_ENV] = JSON.stringify(restore);
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
