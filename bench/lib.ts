/** Small timing helpers for `npm run bench`: medians, paired ratios, peak RSS of a child. */
import { spawnSync } from 'node:child_process';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs `fn` `runs` times (after `setup` each time, untimed) and returns the wall times in seconds. */
export async function timeRuns(runs: number, fn: () => Promise<void> | void, setup?: () => Promise<void> | void): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (setup) await setup();
    const t0 = process.hrtime.bigint();
    await fn();
    out.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return out;
}

export interface ProcResult { wall: number; maxRssKiB: number; code: number; stdout: string; stderr: string }

/** Runs a command under /usr/bin/time when present to get its peak RSS; returns wall seconds. */
export function runProc(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ProcResult {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/bin/sh', ['-c', `exec "$0" "$@"`, cmd, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, encoding: 'utf8', maxBuffer: 1 << 28 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  return { wall, maxRssKiB: 0, code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** Peak RSS (KiB) of a command, measured with GNU time if installed (`-f %M`). */
export function peakRssKiB(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): number | undefined {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error) return undefined;
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const n = Number(last);
  return Number.isFinite(n) ? n : undefined;
}

export function fmt(x: number, digits = 3): string { return x.toFixed(digits); }

/** Prints a markdown table. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const lines = [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}
