/**
 * What geodvc adds to every stage it runs: `geodvc repro -f` of a 20-stage pipeline of tiny
 * commands (each `echo` into its out), against the peer "the same 20 commands run by /bin/sh from
 * one Node process" (no supervisor, no lock files, no hashing). Every stage runs under the stage
 * supervisor (src/core/pipeline/supervisor-child.ts), so its start-up is on this path 20 times; a
 * second table times the supervisor alone (spawn with IPC, run `true`, exit) against spawning
 * `/bin/sh -c true` directly.
 *
 * Wall and CPU (user+sys of the whole process tree, GNU time) medians, interleaved runs.
 * BENCH_OTHER_CLI=/path/to/bin/geodvc.js adds that CLI's repro (e.g. a build of an older commit).
 * BENCH_SCALE=small: 3 runs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, median, table } from './lib.js';
import { supervisorArgs } from '../src/core/pipeline/supervisor.js';

const STAGES = 20;
const RUNS = process.env.BENCH_SCALE === 'small' ? 3 : 7;
const CLI = join(process.cwd(), 'bin', 'geodvc.js');
const OTHER = process.env.BENCH_OTHER_CLI;

interface Sample { wall: number; cpu: number }

/** Runs a command under GNU time: wall seconds and user+sys CPU seconds of it and its children. */
function timed(cmd: string, args: string[], cwd: string): Sample {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '@@%U %S', cmd, ...args], { cwd, encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
  const m = /@@([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  if (!m) throw new Error(`no GNU time output: ${r.stderr.slice(-200)}`);
  return { wall, cpu: Number(m[1]) + Number(m[2]) };
}

const dir = mkdtempSync(join(tmpdir(), 'geodvc-bench-stages-'));
try {
  spawnSync('git', ['init', '-q', dir]);
  mkdirSync(join(dir, '.dvc'));
  writeFileSync(join(dir, '.dvc', 'config'), '');
  writeFileSync(join(dir, '.dvcignore'), '');
  let yaml = 'stages:\n';
  const cmds: string[] = [];
  for (let s = 0; s < STAGES; s++) {
    const cmd = `mkdir -p out && echo ${s} > out/o${s}.txt`;
    cmds.push(cmd);
    yaml += `  s${s}:\n    cmd: ${cmd}\n    outs:\n    - out/o${s}.txt\n`;
  }
  writeFileSync(join(dir, 'dvc.yaml'), yaml);
  const peer = join(dir, 'peer.mjs');
  writeFileSync(peer, `import { spawnSync } from 'node:child_process';\nfor (const c of ${JSON.stringify(cmds)}) { const r = spawnSync('/bin/sh', ['-c', c], { stdio: ['ignore', 'pipe', 'pipe'] }); if (r.status !== 0) process.exit(1); }\n`);
  timed(process.execPath, [CLI, 'repro', '-q'], dir); // first run: creates dvc.lock and the cache

  const rows: [string, string[]][] = [
    [`/bin/sh x ${STAGES} from one node process (peer)`, [process.execPath, peer]],
    [`geodvc repro -f, ${STAGES} stages`, [process.execPath, CLI, 'repro', '-f', '-q']],
  ];
  if (OTHER) {
    timed(process.execPath, [OTHER, 'repro', '-f', '-q'], dir);
    rows.push([`other CLI (${OTHER}) repro -f`, [process.execPath, OTHER, 'repro', '-f', '-q']]);
  }
  const samples = rows.map(() => [] as Sample[]);
  for (let i = 0; i < RUNS; i++) rows.forEach(([, [cmd, ...args]], k) => samples[k]!.push(timed(cmd!, args, dir)));
  const med = (k: number) => ({ wall: median(samples[k]!.map((x) => x.wall)), cpu: median(samples[k]!.map((x) => x.cpu)) });
  const base = med(0);
  process.stdout.write(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ${RUNS} interleaved runs\n\n`);
  process.stdout.write(`${table(['workload', 'median wall s', 'ratio', 'median CPU s', 'ratio', 'per stage over peer, wall ms'], rows.map(([name], k) => {
    const m = med(k);
    return [name, fmt(m.wall), fmt(m.wall / base.wall, 2), fmt(m.cpu), fmt(m.cpu / base.cpu, 2), k ? fmt(((m.wall - base.wall) / STAGES) * 1000, 1) : '-'];
  }))}\n\n`);

  // the supervisor alone: spawn, IPC, `true`, exit
  const sup = supervisorArgs();
  const supervised = () => new Promise<number>((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const c = spawn(process.execPath, [...sup, 'true', '', 's', '{}'], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], detached: true });
    c.on('error', reject);
    c.on('close', () => resolve(Number(process.hrtime.bigint() - t0) / 1e6));
  });
  const shOnly = () => new Promise<number>((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const c = spawn('/bin/sh', ['-c', 'true'], { stdio: 'ignore' });
    c.on('error', reject);
    c.on('close', () => resolve(Number(process.hrtime.bigint() - t0) / 1e6));
  });
  const supT: number[] = [], shT: number[] = [];
  for (let i = 0; i < RUNS * 3; i++) {
    shT.push(await shOnly());
    supT.push(await supervised());
  }
  process.stdout.write(`${table(['start-up', 'median ms', 'ratio'], [
    ['/bin/sh -c true (peer)', fmt(median(shT), 1), '1.00'],
    [`supervisor (${sup.length === 1 ? 'compiled' : 'tsx'}) running true`, fmt(median(supT), 1), fmt(median(supT) / median(shT), 2)],
  ])}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
