/**
 * Transfer benchmark (issue 3): `geodvc push`, `geodvc pull` and a no-op `geodvc status -c` for many
 * small files and for one big file, against a local-directory remote and S3 (s3rver on 127.0.0.1),
 * with -j 1, 4 and 16, each beside a plain copy of the same data run in the same script:
 *   - local: `cp -r` of the objects into the remote (push peer) and out of it (pull peer);
 *   - S3: a plain @aws-sdk/lib-storage upload loop (push peer; 16 objects in flight, `Upload` with
 *     4 x 16 MiB parts for the big file) and a plain GetObject-to-file loop (pull peer).
 * Every geodvc figure is the whole CLI process (wall, CPU and peak RSS from /usr/bin/time); the CLI
 * start-up alone is measured too (`start-up` row) so it can be told apart from transfer time.
 * For the big file each geodvc run is paired with a peer run just before it (per -j): the page
 * cache's copy speed drifts about 2x from minute to minute here. Small-file peers run once.
 *
 * Sizes: full = 100,000 files of 4 KiB and one 2 GiB file on both remotes. BENCH_SCALE=small:
 * 2,000 files and 128 MiB. BENCH_S3_FILES overrides the S3 small-file count (s3rver itself takes
 * ~200-500 PUT/s here, so 100,000 objects cost minutes per run). BENCH_RUNS (default 3 small / 1
 * full): medians are printed. BENCH_FILES overrides the small-file count. BENCH_ONLY=local|s3 and BENCH_WORKLOAD=small|big pick a subset.
 * GEODVC_DIST=1 runs the compiled CLI (dist/, after `npm run build`): faster start-up than tsx.
 *
 * Targets from the issue: large-file transfer within 1.5x of the plain copy; no-op `status -c` of
 * 100,000 objects under 5 s on the local remote; peak memory under 500 MiB.
 */
import { spawnSync, spawn } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync, mkdtempSync, openSync, writeSync, closeSync, chmodSync, statSync, createReadStream, createWriteStream } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { S3Client, PutObjectCommand, GetObjectCommand, CreateBucketCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { buildTree } from '../src/core/odb/tree.js';
import { fmt, median, table } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = join(here, '..', 'bin', 'geodvc.js');
const small = process.env.BENCH_SCALE === 'small';
const RUNS = Number(process.env.BENCH_RUNS ?? (small ? 3 : 1));
const N_LOCAL = Number(process.env.BENCH_FILES ?? (small ? 2000 : 100_000));
const N_S3 = Number(process.env.BENCH_S3_FILES ?? N_LOCAL);
const BIG = small ? 128 * 2 ** 20 : 2 * 2 ** 30; // not `2 << 30`: that overflows to -2^31
const JOBS = (process.env.BENCH_JOBS ?? '1,4,16').split(',').map(Number);
const ONLY = process.env.BENCH_ONLY;
const WORKLOAD = process.env.BENCH_WORKLOAD;
const require = createRequire(import.meta.url);

interface T { wall: number; cpu: number; rssMiB?: number }

/** Dirty pages left by the previous step would throttle whichever command runs next: flush first. */
const flush = () => { spawnSync('sync'); };

function cli(args: string[], cwd: string): T {
  flush();
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', process.execPath, BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', CI: 'true' }, encoding: 'utf8', maxBuffer: 1 << 28 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`geodvc ${args.join(' ')} exited ${r.status}\n${r.stderr.slice(-3000)}`);
  const [rss, u, sy] = (r.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
  return { wall, rssMiB: Number.isFinite(rss) ? rss! / 1024 : NaN, cpu: (u ?? NaN) + (sy ?? NaN) };
}

/** Wall and CPU seconds of a child process command (GNU time). */
function timedCmd(cmd: string, args: string[]): T {
  flush();
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', cmd, ...args], { encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-1000)}`);
  const [rss, u, sy] = (r.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
  return { wall, cpu: (u ?? NaN) + (sy ?? NaN), rssMiB: rss! / 1024 };
}
/** Wall and CPU seconds of in-process work (the S3 peer loops run in this process). */
async function timedAsync(fn: () => Promise<void>): Promise<T> {
  flush();
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  await fn();
  const c = process.cpuUsage(c0);
  return { wall: Number(process.hrtime.bigint() - t0) / 1e9, cpu: (c.user + c.system) / 1e6 };
}

/** Configurations of the big-file rows: the hash (`checksum`) and the cache link type. */
interface BigConf { label: string; algo: 'md5' | 'xxh128'; link?: 'hardlink' }
const BIG_CONFS: BigConf[] = ([
  { label: 'md5', algo: 'md5' },
  { label: 'xxh128', algo: 'xxh128' },
  { label: 'xxh128, hardlink', algo: 'xxh128', link: 'hardlink' },
] as BigConf[]).filter((c) => !process.env.BENCH_BIG_CONFS || process.env.BENCH_BIG_CONFS.split(',').includes(c.label.replace(', ', '+')));

function geodvcSync(args: string[], cwd: string): void {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`geodvc ${args.join(' ')}: ${r.stderr}`);
}

/** A repo whose cache holds one big file of random bytes added by geodvc itself with `conf`; no workspace copy. */
function makeBigRepo(root: string, n: number, conf: BigConf): { objects: string[] } {
  mkdirSync(root, { recursive: true });
  spawnSync('git', ['init', '-q', root]);
  geodvcSync(['init', '-q'], root);
  if (conf.algo !== 'md5') geodvcSync(['config', 'core.checksum', conf.algo], root);
  if (conf.link) geodvcSync(['config', 'cache.type', conf.link], root);
  const path = join(root, 'big.tif');
  const buf = Buffer.allocUnsafe(8 << 20);
  const fd = openSync(path, 'w');
  for (let left = n; left > 0; left -= buf.length) {
    const k = Math.min(left, buf.length);
    randomFillSync(buf, 0, k);
    writeSync(fd, buf, 0, k);
  }
  closeSync(fd);
  geodvcSync(['add', '-q', 'big.tif'], root);
  rmSync(path, { force: true });
  const files = join(root, '.dvc', 'cache', 'files', conf.algo);
  const objects = spawnSync('find', [files, '-type', 'f'], { encoding: 'utf8' }).stdout.trim().split('\n');
  return { objects };
}

/** A repo whose cache holds a tracked directory of n files (4 KiB); no workspace copy needed. */
function makeRepo(root: string, n: number): { objects: string[] } {
  mkdirSync(root, { recursive: true });
  spawnSync('git', ['init', '-q', root]);
  const r = spawnSync(process.execPath, [BIN, 'init', '-q'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const cache = join(root, '.dvc', 'cache', 'files', 'md5');
  const put = (bytes: Uint8Array, name?: string): string => {
    const oid = name ?? createHash('md5').update(bytes).digest('hex');
    const p = join(cache, oid.slice(0, 2), oid.slice(2));
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, bytes);
    chmodSync(p, 0o444);
    return p;
  };
  const objects: string[] = [];
  {
    const buf = Buffer.allocUnsafe(4096);
    const entries = [];
    for (let i = 0; i < n; i++) {
      randomFillSync(buf);
      const oid = createHash('md5').update(buf).digest('hex');
      objects.push(put(buf, oid));
      entries.push({ relpath: `r${String(i % 100).padStart(3, '0')}/c${i}.bin`, oid });
    }
    const { bytes, oid } = buildTree('md5', entries);
    objects.push(put(bytes, oid));
    writeFileSync(join(root, 'tiles.dvc'), `outs:\n- md5: ${oid}\n  size: ${n * 4096}\n  nfiles: ${n}\n  hash: md5\n  path: tiles\n`);
  }
  return { objects };
}

function writeRemote(root: string, url: string, opts: Record<string, string>): void {
  const lines = [`[core]`, `    remote = bench`, `['remote "bench"']`, `    url = ${url}`, ...Object.entries(opts).map(([k, v]) => `    ${k} = ${v}`), ''];
  writeFileSync(join(root, '.dvc', 'config.local'), lines.join('\n'));
}

async function startS3rver(dir: string): Promise<{ port: number; kill: () => void; pid: number }> {
  const bin = join(require.resolve('s3rver/package.json'), '..', 'bin', 's3rver.js');
  const child = spawn(process.execPath, ['--openssl-legacy-provider', bin, '-d', dir, '-a', '127.0.0.1', '-p', '0', '--silent'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  const port = await new Promise<number>((res, rej) => {
    let out = '';
    child.stdout!.on('data', (d) => { out += d; const m = /:(\d+)/.exec(out); if (m) res(Number(m[1])); });
    child.on('exit', () => rej(new Error(`s3rver exited: ${out}`)));
  });
  return { port, pid: child.pid!, kill: () => child.kill('SIGKILL') };
}

/** Runs `fn` over `items` with `n` in flight. */
async function pool<X>(items: X[], n: number, fn: (x: X, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    for (let k = next++; k < items.length; k = next++) await fn(items[k]!, k);
  }));
}

const rows: (string | number)[][] = [];
const add = (remote: string, workload: string, op: string, jobs: string, geodvc: T[], peer: T[] | undefined, peerName: string) => {
  const g = median(geodvc.map((x) => x.wall));
  const gc = median(geodvc.map((x) => x.cpu));
  const p = peer ? median(peer.map((x) => x.wall)) : NaN;
  const pc = peer ? median(peer.map((x) => x.cpu)) : NaN;
  const rss = Math.max(...geodvc.map((x) => x.rssMiB ?? NaN));
  rows.push([remote, workload, op, jobs, fmt(g, 2), fmt(gc, 2), peer ? `${fmt(p, 2)} (${peerName})` : '—', peer ? fmt(pc, 2) : '—', peer ? fmt(g / p, 2) : '—', Number.isFinite(rss) ? Math.round(rss) : '—']);
  process.stderr.write(`${remote} ${workload} ${op} -j${jobs}: ${fmt(g, 2)} s (cpu ${fmt(gc, 2)}, rss ${Math.round(rss)} MiB)${peer ? `, peer ${fmt(p, 2)} s, ratio ${fmt(g / p, 2)}` : ''} [load ${loadavg()[0]!.toFixed(1)}]\n`);
};

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'geodvc-bench-transfer-'));
  const s3dir = join(tmp, 's3rver');
  mkdirSync(s3dir);
  let s3: { port: number; kill: () => void } | undefined;
  const load0 = loadavg()[0]!;
  try {
    // the CLI's own start-up: every geodvc figure below includes it once
    const startup: T[] = [];
    for (let i = 0; i < 3; i++) startup.push(cli(['--version'], tmp));
    add('—', '—', 'start-up (geodvc --version)', '—', startup, undefined, '');

    s3 = await startS3rver(s3dir);
    const endpoint = `http://127.0.0.1:${s3.port}`;
    const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, requestChecksumCalculation: 'WHEN_REQUIRED' });
    let bucketN = 0;
    const newBucket = async () => { const b = `bench-${++bucketN}`; await client.send(new CreateBucketCommand({ Bucket: b })); return b; };

    for (const remoteKind of ['local', 's3'] as const) {
      if (ONLY && ONLY !== remoteKind) continue;
      const cases: { workload: 'small' | 'big'; conf?: BigConf; jobs: number[] }[] = [];
      if (!WORKLOAD || WORKLOAD === 'small') cases.push({ workload: 'small', jobs: JOBS });
      // one big object: -j (objects in flight) cannot matter, so the extra configurations run at -j 4
      if (!WORKLOAD || WORKLOAD === 'big') for (const conf of BIG_CONFS) cases.push({ workload: 'big', conf, jobs: conf.algo === 'md5' && !conf.link ? JOBS : (process.env.BENCH_JOBS ? JOBS : [4]) });
      for (const { workload, conf, jobs: jobList } of cases) {
        const n = workload === 'small' ? (remoteKind === 'local' ? N_LOCAL : N_S3) : BIG;
        const label = workload === 'small' ? `${n} x 4 KiB` : `${(BIG / (1 << 20)).toFixed(0)} MiB, ${conf!.label}`;
        const root = join(tmp, `repo-${remoteKind}-${workload}`);
        const { objects } = workload === 'small' ? makeRepo(root, n) : makeBigRepo(root, n, conf!);
        const cacheFiles = join(root, '.dvc', 'cache', 'files');
        const bytes = objects.reduce((a, p) => a + statSync(p).size, 0);
        const keys = objects.map((p) => p.slice(cacheFiles.length + 1));

        // peers: a plain copy of the same objects, up and down, and the hash alone
        type Peers = { up: T[]; down: T[]; hash: T[] };
        const runPeers = async (pr: Peers, i: number) => {
          if (remoteKind === 'local') {
            const dst = join(tmp, `cp-${i}`);
            pr.up.push(timedCmd('cp', ['-r', cacheFiles, dst]));
            const back = join(tmp, `cp-back-${i}`);
            pr.down.push(timedCmd('cp', ['-r', dst, back]));
            rmSync(dst, { recursive: true, force: true });
            rmSync(back, { recursive: true, force: true });
          } else {
            const bucket = await newBucket();
            pr.up.push(await timedAsync(() => pool(objects, 16, async (p, k) => {
              const size = statSync(p).size;
              if (size > (16 << 20)) {
                await new Upload({ client, params: { Bucket: bucket, Key: `plain/${keys[k]}`, Body: createReadStream(p) }, queueSize: 4, partSize: 16 << 20 }).done();
              } else {
                await client.send(new PutObjectCommand({ Bucket: bucket, Key: `plain/${keys[k]}`, Body: createReadStream(p), ContentLength: size }));
              }
            })));
            const down = join(tmp, `get-${i}`);
            pr.down.push(await timedAsync(() => pool(objects, 16, async (_p, k) => {
              const dest = join(down, keys[k]!);
              mkdirSync(dirname(dest), { recursive: true });
              const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `plain/${keys[k]}` }));
              await pipeline(r.Body as Readable, createWriteStream(dest));
            })));
            rmSync(down, { recursive: true, force: true });
          }
          // the hash every download is verified with, as its own tool: the floor of a verified fetch on one core
          if (workload === 'big') pr.hash.push(conf!.algo === 'md5' ? timedCmd('md5sum', [objects[0]!]) : timedCmd('xxhsum', ['-H2', objects[0]!]));
        };
        // Many small files: the peers run once per workload (they do not depend on -j, and a
        // 100,000-object S3 loop takes minutes). One big file: the page cache's copy speed drifts
        // by 2x from minute to minute on this machine, so each geodvc run is paired with a peer run
        // right before it (interleaved), per -j.
        const shared: Peers = { up: [], down: [], hash: [] };
        if (workload === 'small') for (let i = 0; i < RUNS; i++) await runPeers(shared, i);

        for (const jobs of jobList) {
          const pushT: T[] = [], pullT: T[] = [], fetchT: T[] = [], statT: T[] = [];
          const peers: Peers = workload === 'small' ? shared : { up: [], down: [], hash: [] };
          for (let i = 0; i < RUNS; i++) {
            if (workload === 'big') await runPeers(peers, i);
            const remoteUrl = remoteKind === 'local' ? join(tmp, `remote-${remoteKind}-${workload}-${jobs}-${i}`) : `s3://${await newBucket()}/dvc-data`;
            writeRemote(root, remoteUrl, remoteKind === 's3' ? { endpointurl: endpoint, access_key_id: 'S3RVER', secret_access_key: 'S3RVER', upload_concurrency: '4', download_concurrency: '4' } : {});
            pushT.push(cli(['push', '-j', String(jobs), '-q'], root));
            statT.push(cli(['status', '-c', '-j', String(jobs), '-q'], root));
            const aside = join(tmp, 'cache-aside');
            spawnSync('mv', [join(root, '.dvc', 'cache'), aside]);
            const emptyCache = () => {
              rmSync(join(root, '.dvc', 'cache'), { recursive: true, force: true });
              rmSync(join(root, '.dvc', 'tmp'), { recursive: true, force: true });
              rmSync(join(root, 'tiles'), { recursive: true, force: true });
              rmSync(join(root, 'big.tif'), { force: true });
            };
            // the transfer alone (into the cache), then pull (fetch + checkout into the workspace),
            // each into an empty cache and workspace (the pushed cache is kept aside and restored)
            if (workload === 'big') {
              fetchT.push(cli(['fetch', '-j', String(jobs), '-q'], root));
              emptyCache();
            }
            pullT.push(cli(['pull', '-j', String(jobs), '-q'], root));
            emptyCache();
            spawnSync('mv', [aside, join(root, '.dvc', 'cache')]);
            if (remoteKind === 'local') rmSync(remoteUrl, { recursive: true, force: true });
          }
          const pn = remoteKind === 'local' ? 'cp -r' : 'lib-storage loop';
          const dn = remoteKind === 'local' ? 'cp -r' : 'GetObject loop';
          add(remoteKind, label, 'push', String(jobs), pushT, peers.up, pn);
          if (fetchT.length) add(remoteKind, label, 'fetch (transfer, verified)', String(jobs), fetchT, peers.down, dn);
          add(remoteKind, label, 'pull (fetch + checkout)', String(jobs), pullT, peers.down, dn);
          if (fetchT.length) add(remoteKind, label, 'fetch vs the hash alone', String(jobs), fetchT, peers.hash, conf!.algo === 'md5' ? 'md5sum' : 'xxhsum -H2');
          add(remoteKind, label, 'status -c (no-op)', String(jobs), statT, undefined, '');
        }
        process.stderr.write(`${remoteKind} ${label}: ${(bytes / (1 << 20)).toFixed(0)} MiB of objects\n`);
        rmSync(root, { recursive: true, force: true });
      }
    }
    client.destroy();
  } finally {
    s3?.kill();
    rmSync(tmp, { recursive: true, force: true });
  }
  process.stdout.write(`scale: ${small ? 'small' : 'full'}, runs: ${RUNS} (median), machine: 2 cores shared, load average ${load0.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end\n\n`);
  process.stdout.write(table(['remote', 'workload', 'op', 'jobs', 'geodvc wall s', 'geodvc cpu s', 'peer wall s', 'peer cpu s', 'wall ratio', 'peak RSS MiB'], rows) + '\n');
  process.stdout.write('\ngeodvc times are whole CLI processes (start-up included, see the start-up row); `sync` runs before every timed command. fetch is the transfer into the cache (every byte hashed before it enters it); pull also checks the file out into the workspace (with copies: a second full write, which the peers do not do). The S3 peers run in this process (no start-up).\n');
}

main().catch((e) => { process.stderr.write(String(e?.stack ?? e) + '\n'); process.exitCode = 1; });
