/**
 * Versioning benchmark (issue 2): a tree of 100,000 files of 4 KiB and one 2 GiB file:
 * add (cold cache, warm page cache), no-op status, checkout with hardlinks and with copies, for md5
 * and xxh128; each a median of several whole-process runs of the CLI (start-up included), beside
 * peers run in the same script on the same data: md5sum / xxhsum (hashing), cp -al (hardlinks),
 * cp -r (copies), find -printf (the lstat floor). Peak RSS and CPU from /usr/bin/time.
 *
 * BENCH_SCALE=small: 5,000 files and a 64 MiB file. BENCH_RUNS=N overrides the run count.
 * BENCH_PART=tree|big runs only that half.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, table, fmt } from './lib.js';

const small = process.env.BENCH_SCALE === 'small';
const NFILES = small ? 5_000 : 100_000;
const BIG = small ? 64 << 20 : 2 * 1024 ** 3;
const RUNS = Number(process.env.BENCH_RUNS) || 3;
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'geodvc.js');
const WORK = join(process.env.BENCH_DIR ?? tmpdir(), `geodvc-bench-versioning-${process.pid}`);
const HAS_TIME = existsSync('/usr/bin/time');

interface Run { wall: number; cpu: number; rssMiB: number }

function sh(cmd: string, cwd = WORK): Run {
  const full = HAS_TIME ? `/usr/bin/time -f '__T %e %U %S %M' sh -c '${cmd.replace(/'/g, `'\\''`)}'` : cmd;
  const t0 = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', full], { cwd, encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, NO_COLOR: '1' } });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`command failed (${r.status}): ${cmd}\n${r.stderr.slice(-2000)}`);
  const m = /__T ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  return { wall, cpu: m ? Number(m[2]) + Number(m[3]) : NaN, rssMiB: m ? Number(m[4]) / 1024 : NaN };
}

const geodvc = (args: string) => `node ${BIN} ${args}`;

function measure(runs: number, cmd: string, setup?: () => void, cwd?: string | (() => string)): Run {
  const rs: Run[] = [];
  for (let i = 0; i < runs; i++) {
    setup?.();
    rs.push(sh(cmd, typeof cwd === 'function' ? cwd() : cwd));
  }
  return { wall: median(rs.map((r) => r.wall)), cpu: median(rs.map((r) => r.cpu)), rssMiB: Math.max(...rs.map((r) => r.rssMiB)) };
}

function makeTree(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const perDir = 1000;
  for (let d = 0; d * perDir < NFILES; d++) {
    const sub = join(dir, `d${d}`);
    mkdirSync(sub);
    for (let i = 0; i < perDir && d * perDir + i < NFILES; i++) {
      const fd = openSync(join(sub, `f${i}.bin`), 'w');
      writeSync(fd, randomBytes(4096));
      closeSync(fd);
    }
  }
}

function makeBig(p: string): void {
  const fd = openSync(p, 'w');
  const chunk = randomBytes(8 << 20);
  for (let off = 0; off < BIG; off += chunk.length) {
    chunk.writeUInt32LE(off >>> 0, 0); // distinct chunks
    writeSync(fd, chunk, 0, Math.min(chunk.length, BIG - off));
  }
  closeSync(fd);
}

function freshRepo(name: string, checksum: string, linkType?: string): string {
  const repo = join(WORK, name);
  rmSync(repo, { recursive: true, force: true });
  mkdirSync(repo);
  sh('git init -q && git config user.email b@b && git config user.name b', repo);
  sh(geodvc('init -q'), repo);
  if (checksum !== 'md5') sh(geodvc(`config core.checksum ${checksum}`), repo);
  if (linkType) sh(geodvc(`config cache.type ${linkType}`), repo);
  return repo;
}

const rows: (string | number)[][] = [];
const row = (what: string, r: Run, peerName: string, peer: Run | undefined, extra = '') => {
  const cells = [what, fmt(r.wall), fmt(r.cpu, 2), fmt(r.rssMiB, 0), peerName, peer ? fmt(peer.wall) : '-', peer ? fmt(r.wall / peer.wall, 2) : '-', extra];
  rows.push(cells);
  // Progress line per measurement (the full table is printed at the end).
  process.stderr.write(`  ${cells.join(' | ')}\n`);
};

/** Compiled dist/ start-up is ~0.3 s instead of ~1 s through tsx: build once, then use it. */
function useDist(): void {
  if (process.env.GEODVC_DIST === '0') return;
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  if (process.env.BENCH_NO_BUILD !== '1') spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'ignore' });
  if (existsSync(join(root, 'dist', 'cli', 'main.js'))) process.env.GEODVC_DIST = '1';
}

function main(): void {
  useDist();
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  process.stdout.write(`scale: ${NFILES} files x 4 KiB, one ${(BIG / 2 ** 20).toFixed(0)} MiB file, ${RUNS} runs (medians), work dir ${WORK}, CLI from ${process.env.GEODVC_DIST === '1' ? 'dist/' : 'src/ via tsx'}\n`);
  const hasXxhsum = spawnSync('sh', ['-c', 'command -v xxhsum']).status === 0;
  const PART = process.env.BENCH_PART; // 'tree' or 'big': only that half
  let treePeers: { pMd5: Run; pXxh?: Run; pCpAl: Run; pCpR: Run } | undefined;
  if (PART !== 'big') {
  const src = join(WORK, 'src');
  makeTree(src);

  // ---- peers on the tree
  const pMd5 = measure(RUNS, `find ${src} -type f -print0 | xargs -0 md5sum > /dev/null`);
  const pXxh = hasXxhsum ? measure(RUNS, `find ${src} -type f -print0 | xargs -0 xxhsum -H2 > /dev/null`) : undefined;
  const pCpAl = measure(RUNS, `cp -al ${src} ${WORK}/cpal`, () => rmSync(join(WORK, 'cpal'), { recursive: true, force: true }));
  const pCpR = measure(RUNS, `cp -r ${src} ${WORK}/cpr`, () => rmSync(join(WORK, 'cpr'), { recursive: true, force: true }));
  rmSync(join(WORK, 'cpr'), { recursive: true, force: true });
  rmSync(join(WORK, 'cpal'), { recursive: true, force: true });
  const pLstat = measure(RUNS, `find ${src} -type f -printf '%s\\n' > /dev/null`);
  process.stderr.write(`  peers: md5sum ${fmt(pMd5.wall)} s, xxhsum ${pXxh ? fmt(pXxh.wall) : '-'} s, cp -al ${fmt(pCpAl.wall)} s, cp -r ${fmt(pCpR.wall)} s, find -printf ${fmt(pLstat.wall)} s\n`);

  for (const algo of ['md5', 'xxh128']) {
    const hashPeer = algo === 'md5' ? ['md5sum', pMd5] as const : ['xxhsum -H2', pXxh] as const;
    // add, default link type (reflink,copy -> copies on ext4)
    let repo = '';
    const addCopy = measure(RUNS, geodvc('add data -q'), () => { repo = freshRepo('t-copy', algo); sh(`cp -al ${src} ${repo}/data`); }, () => repo);
    row(`tree add ${algo}, default link (copy)`, addCopy, 'cp -r', pCpR, `${hashPeer[0]} ${hashPeer[1] ? fmt(hashPeer[1].wall) : '-'} s`);
    const status = measure(RUNS, geodvc('status -q'), undefined, repo);
    row(`tree status ${algo}, no-op`, status, 'find -printf', pLstat);
    for (const lt of ['hardlink', 'copy']) {
      const co = measure(RUNS, geodvc('checkout -q'), () => { sh(geodvc(`config cache.type ${lt}`), repo); rmSync(join(repo, 'data'), { recursive: true, force: true }); }, repo);
      row(`tree checkout ${algo}, ${lt}`, co, lt === 'hardlink' ? 'cp -al' : 'cp -r', lt === 'hardlink' ? pCpAl : pCpR);
    }
    const addHl = measure(RUNS, geodvc('add data -q'), () => { repo = freshRepo('t-hl', algo, 'hardlink'); sh(`cp -r ${src} ${repo}/data`); }, () => repo);
    row(`tree add ${algo}, hardlink`, addHl, 'cp -al', pCpAl);
    rmSync(join(WORK, 't-hl'), { recursive: true, force: true });
  }
  rmSync(join(WORK, 't-copy'), { recursive: true, force: true });
  rmSync(src, { recursive: true, force: true });
  treePeers = { pMd5, pXxh, pCpAl, pCpR };
  }
  if (PART !== 'tree') {

  // ---- one big file
  const big = join(WORK, 'big.bin');
  makeBig(big);
  const pBigMd5 = measure(RUNS, `md5sum ${big} > /dev/null`);
  const pBigXxh = hasXxhsum ? measure(RUNS, `xxhsum -H2 ${big} > /dev/null`) : undefined;
  const pBigCp = measure(RUNS, `cp ${big} ${WORK}/bigcp`, () => { rmSync(join(WORK, 'bigcp'), { force: true }); spawnSync('sync'); });
  rmSync(join(WORK, 'bigcp'), { force: true });
  const gbps = (r: Run) => `${fmt(BIG / 1e9 / r.wall, 2)} GB/s`;
  for (const algo of ['md5', 'xxh128']) {
    for (const lt of ['copy', 'hardlink']) {
      let repo = '';
      // (sync: the copy made for the run is written back first, as the peers' input already is)
      const add = measure(RUNS, geodvc('add big.bin -q'), () => { repo = freshRepo(`b-${lt}`, algo, lt === 'hardlink' ? 'hardlink' : undefined); sh(`cp ${big} ${repo}/big.bin && sync`); }, () => repo);
      const peer = algo === 'md5' ? pBigMd5 : pBigXxh;
      // with copies the data is written once more: the copy itself (cp) is the floor, so say both
      const vsCp = lt === 'copy' ? `, ${fmt(add.wall / pBigCp.wall, 2)}x cp` : '';
      row(`big add ${algo}, ${lt === 'copy' ? 'default link (copy)' : 'hardlink'}`, add, algo === 'md5' ? 'md5sum' : 'xxhsum -H2', peer, gbps(add) + vsCp);
      if (lt === 'copy') {
        const st = measure(RUNS, geodvc('status -q'), undefined, repo);
        row(`big status ${algo}, no-op`, st, '-', undefined);
        const co = measure(RUNS, geodvc('checkout -q'), () => { rmSync(join(repo, 'big.bin'), { force: true }); spawnSync('sync'); }, repo);
        row(`big checkout ${algo}, copy`, co, 'cp', pBigCp, gbps(co));
      }
      rmSync(join(WORK, `b-${lt}`), { recursive: true, force: true });
    }
  }
  rows.push(['peer md5sum big', fmt(pBigMd5.wall), fmt(pBigMd5.cpu, 2), '', '', '', '', gbps(pBigMd5)]);
  if (pBigXxh) rows.push(['peer xxhsum -H2 big', fmt(pBigXxh.wall), fmt(pBigXxh.cpu, 2), '', '', '', '', gbps(pBigXxh)]);
  rows.push(['peer cp big', fmt(pBigCp.wall), fmt(pBigCp.cpu, 2), '', '', '', '', gbps(pBigCp)]);
  }
  if (treePeers) {
    const { pMd5, pXxh, pCpAl, pCpR } = treePeers;
    rows.push(['peer md5sum tree', fmt(pMd5.wall), fmt(pMd5.cpu, 2), fmt(pMd5.rssMiB, 0), '', '', '', '']);
    if (pXxh) rows.push(['peer xxhsum -H2 tree', fmt(pXxh.wall), fmt(pXxh.cpu, 2), fmt(pXxh.rssMiB, 0), '', '', '', '']);
    rows.push(['peer cp -al tree', fmt(pCpAl.wall), fmt(pCpAl.cpu, 2), '', '', '', '', '']);
    rows.push(['peer cp -r tree', fmt(pCpR.wall), fmt(pCpR.cpu, 2), '', '', '', '', '']);
  }
  process.stdout.write(table(['workload', 'median wall s', 'cpu s', 'peak RSS MiB', 'peer', 'peer wall s', 'ratio', 'note'], rows) + '\n');
  const load = spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.trim();
  process.stdout.write(`load average at the end: ${load} (wall times on a shared machine; cpu s is steadier)\n`);
  rmSync(WORK, { recursive: true, force: true });
}

main();
