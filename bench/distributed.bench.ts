/**
 * `repro --queue` (issue 25, docs/scale-out.md) on a real redis-server with `queue worker`
 * processes, each with its own clone and cache, sharing a local DVC remote; a 64-item foreach:
 * - I/O-bound: stages that sleep 1 s, on 1 worker vs 4 workers (target ratio <= 0.3);
 * - CPU-bound: stages that run ~0.45 s of single-threaded CPU (awk: one process, so one stage uses
 *   one core), on 1 worker vs 2 workers (2 cores; target <= 0.6).
 * Each workload runs `repro --queue -f --no-run-cache` once untimed per configuration (the workers
 * make their clones and fill their caches: a one-off per machine), then RUNS times per configuration,
 * 1 worker and N workers interleaved (1, N, N, 1, ...) so a change of load on the shared machine hits
 * both (each configuration keeps its workers up on its own Redis database); the peer of each ratio is the 1-worker run of the same script. Besides the median wall time
 * of the coordinator (and the ratio of each interleaved pair) it prints the CPU time of the workers
 * (their own and their children's: stage commands, the supervisor, git) per job, the CPU of the
 * coordinator and of redis-server per run, the cores kept busy, the per-job overhead (wall per job
 * per worker minus the stage's own time) and the load average, because the machine is shared; the
 * last lines say whether each target ratio is met. BENCH_SCALE=small: 16 items, one timed pair.
 */
import { join } from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
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

/** CPU seconds of a process: its own, and its reaped children's (stage commands, git). */
function cpuOf(pid: number | 'self'): { own: number; children: number } {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const tick = 100;
  return { own: (Number(f[11]) + Number(f[12])) / tick, children: (Number(f[13]) + Number(f[14])) / tick };
}

/**
 * CPU seconds of a worker and everything under it: its own, its reaped children's, and those of its
 * live descendants (the kept-warm stage supervisor lives as long as the worker: what it and the
 * stage commands it reaped used is not in the worker's children's time until it ends).
 */
function cpuTree(pid: number): { own: number; children: number } {
  const parentOf = new Map<number, number>();
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    try { const st = readFileSync(`/proc/${n}/stat`, 'utf8'); parentOf.set(Number(n), Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1])); } catch { /* gone */ }
  }
  const under = (p: number): boolean => { for (let x = parentOf.get(p); x !== undefined && x > 1; x = parentOf.get(x)) if (x === pid) return true; return false; };
  const top = cpuOf(pid);
  let children = top.children;
  for (const p of parentOf.keys()) {
    if (!under(p)) continue;
    try { const c = cpuOf(p); children += c.own + c.children; } catch { /* gone */ }
  }
  return { own: top.own, children };
}
const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');

const redis = await startRedis({ skip: (m?: string) => { throw new Error(`redis-server is needed: ${m}`); } });
if (!redis) throw new Error('redis-server is needed');

interface Measured { walls: number[]; workerCpu: number[]; workerOwnCpu: number[]; coordCpu: number[]; redisCpu: number[]; machineCpu: number[]; loads: string[] }

/** CPU seconds the whole machine has spent busy (all processes, /proc/stat). */
function machineBusy(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy = all but idle and iowait
  return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!) / 100;
}

/**
 * One workload on 1 and N workers, interleaved (1, N, N, 1, 1, N, ...: a change of load on the
 * shared machine hits both alike). Each configuration has its own long-lived workers (machines
 * already up, as on a cluster) on its own Redis database, so the idle workers of one configuration
 * never take jobs of the other; each runs once untimed first (the workers make their clones, fill
 * their caches and load their code: one-offs per machine).
 */
async function measure(label: string, itemCmd: string, n: number): Promise<Map<number, Measured>> {
  const setup = await makePipeline(ITEMS, { merge: false, itemCmd });
  const out = new Map<number, Measured>();
  const sets = new Map<number, { url: string; workers: WorkerProc[] }>();
  try {
    for (const [db, k] of [[1, 1], [2, n]] as const) {
      const url = `${redis!.url}/${db}`;
      // the default stalled-job check (30 s), as on a cluster (the tests check every second)
      const workers = Array.from({ length: k }, (_, i) => startWorker(url, join(setup.root, `${label}-w${k}-${i}`), ['--stalled-interval', '30']));
      sets.set(k, { url, workers });
      out.set(k, { walls: [], workerCpu: [], workerOwnCpu: [], coordCpu: [], redisCpu: [], machineCpu: [], loads: [] });
      await workersReady(workers);
    }
    const once = async (k: number, timed: boolean) => {
      const { url, workers } = sets.get(k)!;
      const before = workers.map((w) => cpuTree(w.child.pid!));
      const redis0 = redis!.pid ? cpuOf(redis!.pid).own : 0;
      const self0 = cpuOf('self').children;
      const l = load();
      const busy0 = machineBusy();
      const t0 = performance.now();
      const res = await runCli(['repro', '--queue', '-f', '--no-run-cache', '--redis-url', url, '--json'], { cwd: setup.dir, timeoutMs: 900_000 });
      const wall = (performance.now() - t0) / 1000;
      const busy = machineBusy() - busy0;
      if (res.code !== 0) throw new Error(`repro --queue failed: ${res.stderr}`);
      if (JSON.parse(res.stdout).ran.length !== ITEMS) throw new Error('not every stage ran');
      const after = workers.map((w) => cpuTree(w.child.pid!));
      if (!timed) return;
      const m = out.get(k)!;
      m.walls.push(wall);
      m.workerCpu.push(after.reduce((a, x, i) => a + x.own + x.children - before[i]!.own - before[i]!.children, 0));
      m.workerOwnCpu.push(after.reduce((a, x, i) => a + x.own - before[i]!.own, 0));
      m.coordCpu.push(cpuOf('self').children - self0);
      m.redisCpu.push(redis!.pid ? cpuOf(redis!.pid).own - redis0 : Number.NaN);
      m.machineCpu.push(busy);
      m.loads.push(l);
      process.stdout.write(`${label}: ${k} worker(s): ${fmt(wall, 2)} s (load average at the start ${l}; other processes kept ${fmt((busy - m.workerCpu.at(-1)! - m.coordCpu.at(-1)! - (m.redisCpu.at(-1)! || 0)) / wall, 2)} cores busy)\n`);
    };
    await once(1, false);
    await once(n, false);
    for (let r = 0; r < RUNS; r++) {
      for (const k of r % 2 === 0 ? [1, n] : [n, 1]) await once(k, true);
    }
  } finally {
    for (const s of sets.values()) await stopWorkers(s.workers);
    setup.cleanup();
  }
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
  const io = await measure('io', SLEEP_CMD, 4);
  const cpu = await measure('cpu', CPU_CMD, 2);
  const rows: (string | number)[][] = [];
  const detail: (string | number)[][] = [];
  const verdicts: string[] = [];
  const row = (name: string, m: Map<number, Measured>, n: number, stageS: number, target: number) => {
    const one = m.get(1)!, many = m.get(n)!;
    const w1 = median(one.walls), wn = median(many.walls);
    // the runs were interleaved: the ratio of each pair (same moment, same load) tells the spread
    const pairs = one.walls.map((w, i) => many.walls[i]! / w);
    rows.push([name, fmt(w1, 2), `${n} workers: ${fmt(wn, 2)}`, fmt(wn / w1, 3), `${fmt(Math.min(...pairs), 2)}-${fmt(Math.max(...pairs), 2)}`, `<= ${fmt(target, 2)}`]);
    verdicts.push(`TARGET ${name}: ${n} workers / 1 worker = ${fmt(wn / w1, 3)} (target <= ${fmt(target, 2)}: ${wn / w1 <= target ? 'met' : 'NOT met'})`);
    for (const [k, x] of [[1, one], [n, many]] as const) {
      const wall = median(x.walls);
      const ours = x.workerCpu.map((c, i) => c + x.coordCpu[i]! + (Number.isNaN(x.redisCpu[i]!) ? 0 : x.redisCpu[i]!));
      const others = median(x.machineCpu.map((b, i) => (b - ours[i]!) / x.walls[i]!));
      detail.push([name, k, fmt(wall, 2), fmt((1000 * median(x.workerCpu)) / ITEMS, 0), fmt((1000 * median(x.workerOwnCpu)) / ITEMS, 0), fmt(median(x.coordCpu), 2), fmt(median(x.redisCpu), 2), fmt(median(ours), 1), fmt(median(ours) / wall, 2), fmt(others, 2), fmt((1000 * wall * k) / ITEMS - 1000 * stageS, 0)]);
    }
  };
  row(`I/O-bound (${ITEMS} x sleep 1 s)`, io, 4, 1, 0.3);
  row(`CPU-bound (${ITEMS} x awk, ${fmt(awkCpu, 2)} s CPU each)`, cpu, 2, awkCpu, 0.6);
  process.stdout.write(`\nrepro --queue, median wall time of the coordinator over ${RUNS} interleaved run(s) (s)\n`);
  process.stdout.write(`${table(['workload', '1 worker', 'N workers', 'ratio of medians', 'ratio per pair', 'target'], rows)}\n`);
  process.stdout.write('\nper job: CPU of the workers with their children (stage commands, supervisor, git) and their own; per run: CPU of the coordinator and of redis-server, CPU of all of them and the cores it kept busy on average, the cores other processes of the machine kept busy meanwhile (a ratio is only meaningful when that is near 0); overhead = wall x workers / jobs - stage time\n');
  process.stdout.write(`${table(['workload', 'workers', 'wall s', 'CPU ms/job', 'worker own ms/job', 'coordinator CPU s', 'redis CPU s', 'total CPU s', 'cores busy', 'others\' cores', 'overhead ms/job'], detail)}\n`);
  process.stdout.write(`\n${verdicts.join('\n')}\n`);
  process.stdout.write(`load average after: ${load()}\n`);
} finally {
  await redis.stop();
}
