/**
 * `repro --queue` (issue 25, docs/scale-out.md) on a real redis-server with `queue worker`
 * processes, each with its own clone and cache, sharing a local DVC remote:
 * - I/O-bound: a foreach of stages that sleep, on 1 worker vs 4 workers (target ratio <= 0.3);
 * - CPU-bound: a foreach of stages that hash 200 MB, on 1 worker vs 2 workers (2 cores; target <= 0.6).
 * Each configuration runs `repro --queue -f` RUNS times (wall time of the coordinator); the peer of
 * each ratio is the 1-worker run in the same script. BENCH_SCALE=small: fewer items, fewer runs.
 */
import { join } from 'node:path';
import { runCli } from '../test/helpers/cli.js';
import { makePipeline, startRedis, startWorker, stopWorkers, type WorkerProc } from '../test/integration/pipeline-distributed-fixture.js';
import { fmt, median, table } from './lib.js';

const small = process.env.BENCH_SCALE === 'small';
const RUNS = small ? 1 : 3;
const SLEEP_ITEMS = small ? 16 : 32;
const CPU_ITEMS = small ? 8 : 16;

const redis = await startRedis({ skip: (m?: string) => { throw new Error(`redis-server is needed: ${m}`); } });
if (!redis) throw new Error('redis-server is needed');

async function measure(label: string, items: number, itemCmd: string, workerCounts: number[]): Promise<Map<number, number[]>> {
  const setup = await makePipeline(items, { merge: false, itemCmd });
  const out = new Map<number, number[]>();
  try {
    // the first run of each configuration also makes the workers' clones (a one-off per machine)
    for (const n of workerCounts) {
      const workers: WorkerProc[] = [];
      try {
        for (let i = 0; i < n; i++) workers.push(startWorker(redis!.url, join(setup.root, `${label}-w${n}-${i}`)));
        const times: number[] = [];
        for (let r = 0; r < RUNS; r++) {
          const t0 = performance.now();
          const res = await runCli(['repro', '--queue', '-f', '--no-run-cache', '--redis-url', redis!.url, '--json'], { cwd: setup.dir, timeoutMs: 900_000 });
          times.push((performance.now() - t0) / 1000);
          if (res.code !== 0) throw new Error(`repro --queue failed: ${res.stderr}`);
          if (JSON.parse(res.stdout).ran.length !== items) throw new Error('not every stage ran');
        }
        out.set(n, times);
        process.stdout.write(`${label}: ${n} worker(s): ${times.map((x) => fmt(x, 2)).join(', ')} s\n`);
      } finally { await stopWorkers(workers); }
    }
  } finally { setup.cleanup(); }
  return out;
}

try {
  const io = await measure('io', SLEEP_ITEMS, 'sleep 1 && mkdir -p out && tr a-z A-Z < data/${item}.txt > out/${item}.txt', [1, 4]);
  const cpu = await measure('cpu', CPU_ITEMS, 'mkdir -p out && head -c 200000000 /dev/zero | sha256sum > out/${item}.txt && cat data/${item}.txt >> out/${item}.txt', [1, 2]);
  const rows: (string | number)[][] = [];
  const io1 = median(io.get(1)!), io4 = median(io.get(4)!), cpu1 = median(cpu.get(1)!), cpu2 = median(cpu.get(2)!);
  rows.push([`I/O-bound: ${SLEEP_ITEMS} x sleep 1 s`, fmt(io1, 2), `4 workers: ${fmt(io4, 2)}`, fmt(io4 / io1, 2), '<= 0.30']);
  rows.push([`CPU-bound: ${CPU_ITEMS} x sha256 of 200 MB`, fmt(cpu1, 2), `2 workers: ${fmt(cpu2, 2)}`, fmt(cpu2 / cpu1, 2), '<= 0.60']);
  process.stdout.write(`\nrepro --queue, median wall time of the coordinator over ${RUNS} run(s) (s)\n`);
  process.stdout.write(`${table(['workload', '1 worker', 'N workers', 'ratio', 'target'], rows)}\n`);
} finally {
  await redis.stop();
}
