/**
 * Runs a stage command through the shell in its wdir. The command gets its own process group so
 * an abort (Ctrl-C) stops it and its children; output is passed to `onOutput` and the last 4 KiB
 * are kept for the error message when the command fails.
 */
import { spawn } from 'node:child_process';
import { AppError, InterruptedError } from '../../lib/errors.js';

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

const TAIL = 4096;

export async function runCommand(stage: string, cmd: string, cwd: string, opts: { signal?: AbortSignal; onOutput?: OutputFn; env?: NodeJS.ProcessEnv }): Promise<void> {
  if (opts.signal?.aborted) throw new InterruptedError();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', cmd], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
    let tail = '';
    const keep = (s: string) => { tail = (tail + s).slice(-TAIL); };
    child.stdout.setEncoding('utf8').on('data', (d: string) => { keep(d); opts.onOutput?.(stage, d, 'stdout'); });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { keep(d); opts.onOutput?.(stage, d, 'stderr'); });
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      aborted = true;
      try { process.kill(-child.pid!, 'SIGINT'); } catch { /* gone */ }
      killTimer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 3000);
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => { opts.signal?.removeEventListener('abort', onAbort); reject(new AppError('stage-spawn', `cannot start the command of '${stage}': ${e.message}`, 1, { cause: e, hint: 'check that /bin/sh exists and the stage wdir is a directory' })); });
    child.on('close', (code, sig) => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      if (aborted) reject(new InterruptedError(`interrupted while running '${stage}'`, { hint: 'dvc.lock was not changed for this stage; run `geodvc repro` again to finish' }));
      else if (code === 0) resolve();
      else reject(new StageFailedError(stage, cmd, code, sig, tail));
    });
  });
}
