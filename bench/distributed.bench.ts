/**
 * `repro --queue` (issue 25, docs/scale-out.md) on a real redis-server with `queue worker`
 * processes, each with its own clone and cache, sharing a local DVC remote; a 64-item foreach:
 * - I/O-bound: stages that sleep 1 s, on 1 worker vs 4 workers (target ratio <= 0.3);
 * - CPU-bound: stages that run ~0.45 s of single-threaded CPU (awk: one process, so one stage uses
 *   one core), on 1 worker vs 2 workers (2 cores; target <= 0.6).
 * Each configuration runs `repro --queue -f --no-run-cache` RUNS times (the first also makes the
 * workers' clones, a one-off per machine); the peer of each ratio is the 1-worker run in the same
 * script. Besides the wall time of the coordinator it prints the CPU time of the workers
 * (their own and their children's: stage commands, supervisors, git) per job, the coordinator's CPU,
 * the per-job overhead (wall per job per worker minus the stage's own time) and the load average,
 * because the machine is shared. BENCH_SCALE=small: 16 items, one timed run.
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { spawnSync } from 'node:child_process';
import { runCli } from '../test/helpers/cli.js';
import { makePipeline, startRedis, startWorker, stopWorkers, workersReady, type WorkerProc } from '../test/integration/pipeline-distributed-fixture.js';
import { fmt, median, table } from './lib.js';

const small = process.env.BENCH_SCALE === 'small';
const RUNS = small ? 1 : 3;
const ITEMS = small ? 16 : 64;
const AWK_LOOPS = 30_000_000;
const SLEEP_CMD = 'sleep 1 && mkdir -p out && tr a-z A-Z < data/${item}.txt > out/${item}.txt';
const CPU_CMD = `mkdir -p out && awk 'BEGIN{for(i=0;i<${AWK_LOOPS};i++)s+=i; print s}' > out/\${item}.txt && cat data/\${item}.txt >> out/\${item}.txt`;

/** CPU seconds of a process: its own, and its reaped children's (stage commands, supervisors, git). */
function cpuOf(pid: number | 'self'): { own: number; children: number } {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const tick = 100;
  return { own: (Number(f[11]) + Number(f[12])) / tick, children: (Number(f[13]) + Number(f[14])) / tick };
}
const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');

const redis = await startRedis({ skip: (m?: string) => { throw new Error(`redis-server is needed: ${m}`); } });
if (!redis) throw new Error('redis-server is needed');

interface Measured { walls: number[]; workerCpu: number[]; workerOwnCpu: number[]; coordCpu: number[]; loads: string[] }

async function measure(label: string, itemCmd: string, workerCounts: number[]): Promise<Map<number, Measured>> {
  const setup = await makePipeline(ITEMS, { merge: false, itemCmd });
  const out = new Map<number, Measured>();
  try {
    for (const n of workerCounts) {
      const workers: WorkerProc[] = [];
      try {
        for (let i = 0; i < n; i++) workers.push(startWorker(redis!.url, join(setup.root, `${label}-w${n}-${i}`)));
        await workersReady(workers);
        const m: Measured = { walls: [], workerCpu: [], workerOwnCpu: [], coordCpu: [], loads: [] };
        for (let r = 0; r < RUNS; r++) {
          const before = workers.map((w) => cpuOf(w.child.pid!));
          const self0 = cpuOf('self').children;
          const l = load();
          const t0 = performance.now();
          const res = await runCli(['repro', '--queue', '-f', '--no-run-cache', '--redis-url', redis!.url, '--json'], { cwd: setup.dir, timeoutMs: 900_000 });
          const wall = (performance.now() - t0) / 1000;
          if (res.code !== 0) throw new Error(`repro --queue failed: ${res.stderr}`);
          if (JSON.parse(res.stdout).ran.length !== ITEMS) throw new Error('not every stage ran');
          const after = workers.map((w) => cpuOf(w.child.pid!));
          m.walls.push(wall);
          m.workerCpu.push(after.reduce((a, x, i) => a + x.own + x.children - before[i]!.own - before[i]!.children, 0));
          m.workerOwnCpu.push(after.reduce((a, x, i) => a + x.own - before[i]!.own, 0));
          m.coordCpu.push(cpuOf('self').children - self0);
          m.loads.push(l);
        }
        out.set(n, m);
        process.stdout.write(`${label}: ${n} worker(s): ${m.walls.map((x) => fmt(x, 2)).join(', ')} s; load average at the starts: ${m.loads.join(' | ')}\n`);
      } finally { await stopWorkers(workers); }
    }
  } finally { setup.cleanup(); }
  return out;
}

/** CPU seconds of one CPU-bound stage command run alone (median of 3). */
function stageCpu(): number {
  const xs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const c0 = cpuOf('self').children;
    spawnSync('/bin/sh', ['-c', `awk 'BEGIN{for(i=0;i<${AWK_LOOPS};i++)s+=i; print s}' > /dev/null`]);
    xs.push(cpuOf('self').children - c0);
  }
  return median(xs);
}

try {
  process.stdout.write(`load average before: ${load()}\n`);
  const awkCpu = stageCpu();
  const io = await measure('io', SLEEP_CMD, [1, 4]);
  const cpu = await measure('cpu', CPU_CMD, [1, 2]);
  const rows: (string | number)[][] = [];
  const detail: (string | number)[][] = [];
  const row = (name: string, m: Map<number, Measured>, n: number, stageS: number, target: string) => {
    const one = m.get(1)!, many = m.get(n)!;
    const w1 = median(one.walls), wn = median(many.walls);
    rows.push([name, fmt(w1, 2), `${n} workers: ${fmt(wn, 2)}`, fmt(wn / w1, 2), target]);
    for (const [k, x] of [[1, one], [n, many]] as const) {
      const wall = median(x.walls);
      detail.push([name, k, fmt(wall, 2), fmt((1000 * median(x.workerCpu)) / ITEMS, 0), fmt((1000 * median(x.workerOwnCpu)) / ITEMS, 0), fmt(median(x.coordCpu), 2), fmt((1000 * wall * k) / ITEMS - 1000 * stageS, 0)]);
    }
  };
  row(`I/O-bound: ${ITEMS} x sleep 1 s`, io, 4, 1, '<= 0.30');
  row(`CPU-bound: ${ITEMS} x awk (${fmt(awkCpu, 2)} s CPU)`, cpu, 2, awkCpu, '<= 0.60');
  process.stdout.write(`\nrepro --queue, median wall time of the coordinator over ${RUNS} run(s) (s)\n`);
  process.stdout.write(`${table(['workload', '1 worker', 'N workers', 'ratio', 'target'], rows)}\n`);
  process.stdout.write('\nper job: CPU of the workers with their children (stage commands, supervisors, git) and their own; coordinator CPU per run; overhead = wall x workers / jobs - stage time\n');
  process.stdout.write(`${table(['workload', 'workers', 'wall s', 'CPU ms/job', 'worker own ms/job', 'coordinator CPU s', 'overhead ms/job'], detail)}\n`);
  process.stdout.write(`load average after: ${load()}\n`);
} finally {
  await redis.stop();
}
