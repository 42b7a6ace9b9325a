/**
 * Shared pieces of the real-server harness: free ports, spawning a server binary directly (so its
 * PID is the server's), waiting for its "ready" line, and the skip-locally / fail-under-CI rule.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { TestContext } from 'node:test';
import type { RemoteOptions } from '../../../src/storage/registry.js';

export const IN_CI = process.env.CI === 'true';

/** A server the tests can point a remote at, kill hard and start again on the same port and data. */
export interface TestServer {
  name: string;
  /** Remote URL (with a bucket/prefix the server already has). */
  url: string;
  options: RemoteOptions;
  /** Makes a fresh remote URL under the same server (new bucket/container/prefix). */
  newRemote(tag: string): Promise<{ url: string; options: RemoteOptions }>;
  /** The on-disk path of an object key of `url`, when the server stores objects as plain files. */
  objectPath?(remoteUrl: string, key: string): string | undefined;
  /** SIGKILL the server process (data stays). */
  kill(): Promise<void>;
  /** Start it again after kill() on the same port with the same data. */
  restart(): Promise<void>;
  /** Stop and delete its data. */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

export interface Spawned { child: ChildProcess; match: RegExpMatchArray; output: () => string }

/** Spawns `cmd args` and resolves when a line of stdout/stderr matches `ready`. */
export function spawnUntil(cmd: string, args: string[], ready: RegExp, opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Spawned> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let done = false;
    const timer = setTimeout(() => finish(new Error(`${cmd} did not become ready in ${opts.timeoutMs ?? 15000} ms:\n${out.slice(-2000)}`)), opts.timeoutMs ?? 15000);
    const finish = (err?: Error, m?: RegExpMatchArray) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) { child.kill('SIGKILL'); rej(err); } else res({ child, match: m!, output: () => out });
    };
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = out.match(ready);
      if (m) finish(undefined, m);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('error', (e) => finish(e));
    child.on('exit', (code, sig) => finish(new Error(`${cmd} exited (${code ?? sig}) before ready:\n${out.slice(-2000)}`)));
  });
}

/** Kills a child by its PID and waits for it to exit. */
export async function killChild(child: ChildProcess | undefined, sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((res) => {
    child.once('exit', () => res());
    try { process.kill(child.pid!, sig); } catch { res(); }
  });
}

/** Polls `probe` until it resolves true. */
export async function waitFor(probe: () => Promise<boolean>, timeoutMs = 10000, what = 'server'): Promise<void> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try { if (await probe()) return; } catch (err) { last = err; }
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what} did not answer within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).name}: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts a server for a test; when it cannot start, skips the test locally but fails under CI=true.
 * Returns undefined when skipped.
 */
export async function startOrSkip<T>(t: TestContext | { skip(msg?: string): void }, name: string, start: () => Promise<T>): Promise<T | undefined> {
  try {
    return await start();
  } catch (err) {
    if (IN_CI) throw new Error(`${name} could not start under CI=true: ${(err as Error).message}`, { cause: err });
    t.skip(`${name} unavailable: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
}
