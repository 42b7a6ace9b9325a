/**
 * Point clouds: `geo info` of a ~100 MB COPC LAZ (header + VLRs only) and tiling throughput.
 *
 * The big file is made from the corpus' ellipsoid.copc.laz (100,000 points, 630 KB): its LAZ
 * chunks are repeated K times (each COPC chunk decodes on its own) under a new hierarchy EVLR, so
 * the file is a valid COPC of K×100,000 points without any LAZ encoder. BENCH_SCALE=small: ~10 MB.
 *
 * Peers in the same script: `geo info` of the 1 KB permutations_1.0_0.las (the CLI's fixed cost:
 * the ratio says whether info depends on the file size), and a decode-only pass over the same
 * points (the ratio says what tiling adds to LAZ decoding). Tiling of an uncompressed LAS of the
 * same points (written by the tiler itself, one tile) is measured too.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, timeRuns, runProc, fmt, table } from './lib.js';
import { FileReader, parseLasHeader } from '../src/geo/pointcloud/header.js';
import { readCopcNodes, readPoints } from '../src/geo/pointcloud/points.js';
import { readPointCloudInfo } from '../src/geo/pointcloud/info.js';
import { tilePointCloud } from '../src/geo/pointcloud/tile.js';

const small = process.env.BENCH_SCALE === 'small';
const CORPUS = process.env.GEODVC_CORPUS ?? join(import.meta.dirname, '..', '..', 'shared', 'corpus');
const SRC = join(CORPUS, 'formats', 'ellipsoid.copc.laz');
const TINY = join(CORPUS, 'formats', 'permutations_1.0_0.las');
const BIN = join(import.meta.dirname, '..', 'bin', 'geodvc.js');
const RUNS = 3;
/** CPU seconds (all threads of this process) of the timed runs, by label. */
const cpu = new Map<string, number[]>();
async function timed(label: string, runs: number, fn: () => Promise<void>, setup?: () => void): Promise<number[]> {
  const c: number[] = [];
  const t = await timeRuns(runs, async () => { const u0 = process.cpuUsage(); await fn(); const u = process.cpuUsage(u0); c.push((u.user + u.system) / 1e6); }, setup);
  cpu.set(label, c);
  return t;
}

/** Writes a COPC file holding the chunks of `src` repeated `k` times. */
function bigCopc(src: string, out: string, k: number): { points: number; bytes: number } {
  const bytes = readFileSync(src);
  const fd0 = openSync(src, 'r');
  let h, nodes;
  try { const r = new FileReader(fd0); h = parseLasHeader(r, src); nodes = readCopcNodes(r, h, src); } finally { closeSync(fd0); }
  const head = Buffer.from(bytes.subarray(0, h.offsetToPointData));
  const fd = openSync(out, 'w');
  try {
    writeSync(fd, head, 0, head.length, 0);
    // LAZ: an 8-byte pointer to the chunk table precedes the chunks (the table written below holds
    // its version and chunk count only: COPC readers find chunks through the hierarchy)
    let pos = head.length + 8;
    const entries: Buffer[] = [];
    for (let rep = 0; rep < k; rep++) {
      nodes.forEach((n, i) => {
        writeSync(fd, bytes, n.offset, n.byteSize, pos);
        const e = Buffer.alloc(32);
        e.writeInt32LE(20, 0); e.writeInt32LE(rep, 4); e.writeInt32LE(i, 8); e.writeInt32LE(0, 12);
        e.writeBigUInt64LE(BigInt(pos), 16); e.writeInt32LE(n.byteSize, 24); e.writeInt32LE(n.pointCount, 28);
        entries.push(e);
        pos += n.byteSize;
      });
    }
    const table = Buffer.alloc(8);
    table.writeUInt32LE(0, 0); table.writeUInt32LE(entries.length, 4);
    const ptr = Buffer.alloc(8); ptr.writeBigInt64LE(BigInt(pos));
    writeSync(fd, ptr, 0, 8, head.length);
    writeSync(fd, table, 0, 8, pos); pos += 8;
    const hier = Buffer.concat(entries);
    const ev = Buffer.alloc(60);
    ev.write('copc', 2, 'latin1'); ev.writeUInt16LE(1000, 18); ev.writeBigUInt64LE(BigInt(hier.length), 20); ev.write('EPT hierarchy', 28, 'latin1');
    const evlrStart = pos;
    writeSync(fd, ev, 0, 60, pos); pos += 60;
    const hierOffset = pos;
    writeSync(fd, hier, 0, hier.length, pos); pos += hier.length;
    // keep the source's other EVLRs (the WKT)
    let count = 1;
    for (const e of h.evlrs.filter((x) => x.userId !== 'copc')) {
      const rec = bytes.subarray(e.dataOffset - 60, e.dataOffset + e.length);
      writeSync(fd, rec, 0, rec.length, pos); pos += rec.length; count++;
    }
    const points = h.pointCount * k;
    const patch = Buffer.alloc(8);
    patch.writeBigUInt64LE(BigInt(evlrStart)); writeSync(fd, patch, 0, 8, 235);
    const c = Buffer.alloc(4); c.writeUInt32LE(count); writeSync(fd, c, 0, 4, 243);
    patch.writeBigUInt64LE(BigInt(points)); writeSync(fd, patch, 0, 8, 247);
    // COPC info VLR (payload at 375 + 54): root hierarchy page offset and size
    const copcInfo = h.vlrs[0]!.dataOffset;
    patch.writeBigUInt64LE(BigInt(hierOffset)); writeSync(fd, patch, 0, 8, copcInfo + 40);
    patch.writeBigUInt64LE(BigInt(hier.length)); writeSync(fd, patch, 0, 8, copcInfo + 48);
    return { points, bytes: pos };
  } finally { closeSync(fd); }
}

const dir = mkdtempSync(join(tmpdir(), 'geodvc-bench-pc-'));
try {
  const k = small ? 16 : 160;
  const big = join(dir, 'big.copc.laz');
  const { points, bytes } = bigCopc(SRC, big, k);
  const mb = bytes / 1e6;
  console.log(`# point clouds: ${fmt(mb, 1)} MB COPC, ${points} points (ellipsoid.copc.laz chunks x${k}), ${RUNS} runs, medians`);

  // 1. geo info: header + VLRs only
  const inProc = await timeRuns(RUNS + 2, async () => { await readPointCloudInfo(big); });
  const cliBig = Array.from({ length: RUNS }, () => runProc(process.execPath, [BIN, 'geo', 'info', '--json', big]));
  const cliTiny = Array.from({ length: RUNS }, () => runProc(process.execPath, [BIN, 'geo', 'info', '--json', TINY]));
  if (cliBig.some((r) => r.code !== 0)) throw new Error(`geo info failed: ${cliBig[0]!.stderr}`);
  const info = JSON.parse(cliBig[0]!.stdout);
  if (info.info.pointCount !== points) throw new Error(`geo info says ${info.info.pointCount} points, expected ${points}`);
  const mBig = median(cliBig.map((r) => r.wall)), mTiny = median(cliTiny.map((r) => r.wall));
  console.log(table(['geo info', 'file', 'median s', 'ratio vs 1 KB LAS'], [
    ['in-process (readPointCloudInfo)', `${fmt(mb, 1)} MB COPC`, fmt(median(inProc), 4), '-'],
    ['CLI (node start included)', `${fmt(mb, 1)} MB COPC`, fmt(mBig), fmt(mBig / mTiny, 2)],
    ['CLI peer', '1 KB LAS 1.0', fmt(mTiny), '1.00'],
  ]));

  // 2. decode only (peer) vs tiling of the COPC; tiling of the same points as uncompressed LAS
  const decode = await timed('decode', RUNS, async () => {
    let n = 0;
    for await (const b of readPoints(big, parseLasHeader(new FileReader(openSync(big, 'r')), big))) n += b.count;
    if (n !== points) throw new Error(`decoded ${n} of ${points}`);
  });
  const decode1 = await timed('decode1', RUNS, async () => {
    let n = 0;
    for await (const b of readPoints(big, parseLasHeader(new FileReader(openSync(big, 'r')), big), { threads: 1 })) n += b.count;
    if (n !== points) throw new Error(`decoded ${n} of ${points}`);
  });
  const tileOut = join(dir, 'tiles');
  process.env.GEODVC_PC_THREADS = '1';
  const tile1 = await timed('tile1', RUNS, async () => {
    const r = await tilePointCloud({ input: big, output: tileOut, size: 50, buffer: 0 });
    if (r.points !== points) throw new Error('tiling lost points');
  }, () => rmSync(tileOut, { recursive: true, force: true }));
  delete process.env.GEODVC_PC_THREADS;
  const tile = await timed('tile', RUNS, async () => {
    const r = await tilePointCloud({ input: big, output: tileOut, size: 50, buffer: 0 });
    if (r.points !== points) throw new Error('tiling lost points');
  }, () => rmSync(tileOut, { recursive: true, force: true }));
  // one tile = the whole cloud as LAS
  const lasDir = join(dir, 'las');
  await tilePointCloud({ input: big, output: lasDir, size: 1e7 });
  const las = join(lasDir, (JSON.parse(readFileSync(join(lasDir, 'tiles.json'), 'utf8')).tiles[0].file as string));
  const tileLas = await timed('tileLas', RUNS, async () => {
    const r = await tilePointCloud({ input: las, output: tileOut, size: 50, buffer: 0 });
    if (r.points !== points) throw new Error('tiling lost points');
  }, () => rmSync(tileOut, { recursive: true, force: true }));
  const tileBuf = await timed('tileBuf', RUNS, async () => {
    await tilePointCloud({ input: las, output: tileOut, size: 50, buffer: 5 });
  }, () => rmSync(tileOut, { recursive: true, force: true }));
  const mps = (s: number) => fmt(points / s / 1e6, 2);
  const md = median(decode1), mdp = median(decode), mt1 = median(tile1), mt = median(tile), ml = median(tileLas), mlb = median(tileBuf);
  const threads = Math.min(8, availableParallelism());
  const pcs = (k: string) => fmt(points / median(cpu.get(k)!) / 1e6, 2);
  console.log(table(['pass', 'input', 'median s', 'M points/s', 'M points/CPU-s', 'ratio vs 1-thread decode'], [
    ['decode only, 1 thread (peer)', 'COPC', fmt(md), mps(md), pcs('decode1'), '1.00'],
    [`decode only, ${threads} threads`, 'COPC', fmt(mdp), mps(mdp), pcs('decode'), fmt(mdp / md, 2)],
    ['tile 50 m, 1 decode thread', 'COPC', fmt(mt1), mps(mt1), pcs('tile1'), fmt(mt1 / md, 2)],
    [`tile 50 m, ${threads} decode threads`, 'COPC', fmt(mt), mps(mt), pcs('tile'), fmt(mt / md, 2)],
    ['tile 50 m', `LAS (${fmt(statSync(las).size / 1e6, 0)} MB)`, fmt(ml), mps(ml), pcs('tileLas'), fmt(ml / md, 2)],
    ['tile 50 m + 5 m buffer', 'LAS', fmt(mlb), mps(mlb), pcs('tileBuf'), fmt(mlb / md, 2)],
  ]));
} finally { rmSync(dir, { recursive: true, force: true }); }
