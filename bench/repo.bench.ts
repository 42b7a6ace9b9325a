/**
 * fsck (cache check) throughput: 100,000 cached objects of 4 KiB and one large object, full
 * re-hash and --fast, beside `md5sum` over the same files in the same script (and `xxhsum -H2`
 * as the fastest-hash reference). Sizes: BENCH_REPO_N (objects), BENCH_REPO_BIG_MIB (large
 * object, default 10240 = the 10 GiB; 128 with BENCH_SCALE=small). BENCH_SCALE=small
 * shrinks both for a smoke run.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { median, timeRuns, fmt, table } from './lib.js';
import { initRepo } from '../src/core/repo/init.js';
import { openRepo } from '../src/core/repo/repo.js';
import { fsck } from '../src/core/api/fsck.js';

const small = process.env.BENCH_SCALE === 'small';
const N = Number(process.env.BENCH_REPO_N ?? (small ? 5000 : 100_000));
const BIG_MIB = Number(process.env.BENCH_REPO_BIG_MIB ?? (small ? 128 : 10240));
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function makeRepo(name: string): { root: string; cache: string } {
  const root = join(tmpdir(), `geodvc-bench-repo-${name}-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  initRepo(root, { noScm: true });
  return { root, cache: join(root, '.dvc', 'cache') };
}

function objPath(cache: string, oid: string) { return join(cache, 'files', 'md5', oid.slice(0, 2), oid.slice(2)); }

function fillSmall(cache: string, n: number): void {
  const made = new Set<string>();
  for (let i = 0; i < n; i++) {
    const buf = randomBytes(4096);
    const oid = createHash('md5').update(buf).digest('hex');
    const p = objPath(cache, oid);
    if (!made.has(oid.slice(0, 2))) { mkdirSync(join(cache, 'files', 'md5', oid.slice(0, 2)), { recursive: true }); made.add(oid.slice(0, 2)); }
    writeFileSync(p, buf, { mode: 0o444 });
  }
}

function fillBig(cache: string, mib: number): string {
  const tmp = join(cache, 'big.tmp');
  mkdirSync(cache, { recursive: true });
  const fd = openSync(tmp, 'w');
  const h = createHash('md5');
  const chunk = randomBytes(16 << 20);
  for (let i = 0; i < mib / 16; i++) { chunk[0] = i & 255; writeSync(fd, chunk); h.update(chunk); }
  closeSync(fd);
  const oid = h.digest('hex');
  mkdirSync(join(cache, 'files', 'md5', oid.slice(0, 2)), { recursive: true });
  execFileSync('mv', [tmp, objPath(cache, oid)]);
  chmodSync(objPath(cache, oid), 0o444);
  return oid;
}

function peer(cmd: string, dir: string): () => void {
  return () => {
    const r = spawnSync('/bin/sh', ['-c', `find . -type f -print0 | xargs -0 -n 4000 ${cmd} > /dev/null`], { cwd: dir });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  };
}

async function scenario(label: string, fill: (cache: string) => void): Promise<string[][]> {
  const { root, cache } = makeRepo(label.replace(/\W+/g, '_'));
  const t0 = Date.now();
  fill(cache);
  process.stderr.write(`${label}: created in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  const repo = await openRepo(root);
  const objects = join(cache, 'files');
  peer('md5sum', objects)(); // warm the page cache once for everyone
  const full = await timeRuns(RUNS, async () => { const r = await fsck(repo, { quarantine: false }); if (r.problems.length) throw new Error('unexpected problems'); });
  const fast = await timeRuns(RUNS, async () => { await fsck(repo, { fast: true, quarantine: false }); });
  const md5 = await timeRuns(RUNS, peer('md5sum', objects));
  const xxh = await timeRuns(RUNS, peer('xxhsum -H2', objects));
  rmSync(root, { recursive: true, force: true });
  const m = median(md5);
  return [
    [label, 'fsck (full re-hash, md5)', fmt(median(full)), fmt(median(full) / m, 2)],
    [label, 'fsck --fast', fmt(median(fast)), fmt(median(fast) / m, 2)],
    [label, 'md5sum (peer)', fmt(m), '1.00'],
    [label, 'xxhsum -H2 (peer)', fmt(median(xxh)), fmt(median(xxh) / m, 2)],
  ];
}

const rows = [
  ...(await scenario(`${N} objects x 4 KiB`, (c) => fillSmall(c, N))),
  ...(await scenario(`1 object of ${BIG_MIB} MiB`, (c) => { fillBig(c, BIG_MIB); })),
];
process.stdout.write(`machine: ${(await import('node:os')).availableParallelism()} cores; medians of ${RUNS} runs, warm page cache\n\n`);
process.stdout.write(table(['data', 'command', 'median s', 'ratio vs md5sum'], rows) + '\n');
