/**
 * Issue 18: what the decode check of `geo vrt` costs (every block of every input decoded through
 * GDAL's checksum in the native runner child, files and block-row ranges in parallel). Inputs:
 * SCENES tiled DEFLATE GeoTIFFs of SIDE x SIDE x 4 UInt16 (the seed pipeline's scenes). Timed by
 * the built CLI, median of RUNS, wall and CPU (user+sys, GNU time), alternating:
 *   - `geo vrt` (verify, the default) and `geo vrt --no-verify`;
 *   - the peer: what a careful user runs with GDAL's CLI for the same guarantee, `gdalinfo
 *     -checksum` of each input (one after another, as a shell loop does) then `gdalbuildvrt`.
 * Ratios: verify / peer and verify / no-verify. Then `geo check` of the same inputs (structure,
 * then GDAL's checksum of every block: its default since issue 18) against its peer, `gdalinfo
 * -checksum` of each input in a shell loop (target: at most 1.3x), and `geo check --quick` (the
 * 16-block sample it replaced). Prints the load average before and after.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { median, fmt, table } from './lib.js';

function runCpu(cmd: string, args: string[], cwd: string): { wall: number; cpu: number; code: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'CPU %U %S', cmd, ...args], { cwd, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const m = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr ?? '');
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { wall, cpu: m ? Number(m[1]) + Number(m[2]) : Number.NaN, code: r.status ?? 1 };
}
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

const small = process.env.BENCH_SCALE === 'small';
const RUNS = Number(process.env.BENCH_RUNS) || (small ? 3 : 5);
const SIDE = small ? 1024 : 2048;
const SCENES = 4;
const BIN = join(import.meta.dirname, '..', 'bin', 'geodvc.js');

const work = mkdtempSync(join(tmpdir(), 'geodvc-bench-verify-'));
try {
  console.log(`geo vrt decode check: ${SCENES} scenes of ${SIDE}x${SIDE}x4 UInt16, tiled DEFLATE; load before: ${load()}`);
  const names: string[] = [];
  for (let i = 0; i < SCENES; i++) {
    // smooth gradients plus noise: compresses like imagery, not like zeros or random bytes
    const raw = join(work, `s${i}.raw`);
    const buf = Buffer.alloc(SIDE * SIDE * 4 * 2);
    let seed = 12345 + i;
    for (let b = 0; b < 4; b++) for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      buf.writeUInt16LE(((x * 7 + y * 3 + b * 1000) & 0x3fff) + (seed & 0xff), ((b * SIDE + y) * SIDE + x) * 2);
    }
    writeFileSync(raw, buf);
    writeFileSync(join(work, `s${i}.hdr`), `ENVI\nsamples = ${SIDE}\nlines = ${SIDE}\nbands = 4\nheader offset = 0\nfile type = ENVI Standard\ndata type = 12\ninterleave = bsq\nbyte order = 0\nmap info = {UTM, 1, 1, ${500000 + i * SIDE * 10}, 4000000, 10, 10, 32, North, WGS-84}\n`);
    execFileSync('gdal_translate', ['-q', '-co', 'TILED=YES', '-co', 'COMPRESS=DEFLATE', raw, join(work, `scene${i}.tif`)]);
    rmSync(raw);
    names.push(`scene${i}.tif`);
  }
  const peerScript = join(work, 'peer.sh');
  writeFileSync(peerScript, `set -e\nfor f in ${names.join(' ')}; do gdalinfo -checksum "$f" > /dev/null; done\ngdalbuildvrt -q peer.vrt ${names.join(' ')}\n`);
  const checkPeer = join(work, 'check-peer.sh');
  writeFileSync(checkPeer, `set -e\nfor f in ${names.join(' ')}; do gdalinfo -checksum "$f" > /dev/null; done\n`);
  const t = { verify: [] as number[], noVerify: [] as number[], peer: [] as number[], check: [] as number[], quick: [] as number[], checkPeer: [] as number[] };
  const c = { verify: [] as number[], noVerify: [] as number[], peer: [] as number[], check: [] as number[], quick: [] as number[], checkPeer: [] as number[] };
  runCpu(process.execPath, [BIN, 'geo', 'vrt', '-q', 'warm.vrt', ...names], work); // warm the page cache
  for (let r = 0; r < RUNS; r++) {
    const a = runCpu(process.execPath, [BIN, 'geo', 'vrt', '-q', 'v.vrt', ...names], work);
    t.verify.push(a.wall); c.verify.push(a.cpu);
    const b = runCpu(process.execPath, [BIN, 'geo', 'vrt', '-q', '--no-verify', 'n.vrt', ...names], work);
    t.noVerify.push(b.wall); c.noVerify.push(b.cpu);
    const p = runCpu('sh', [peerScript], work);
    t.peer.push(p.wall); c.peer.push(p.cpu);
    const k = runCpu(process.execPath, [BIN, 'geo', 'check', '-q', ...names], work);
    t.check.push(k.wall); c.check.push(k.cpu);
    const q = runCpu(process.execPath, [BIN, 'geo', 'check', '-q', '--quick', ...names], work);
    t.quick.push(q.wall); c.quick.push(q.cpu);
    const g = runCpu('sh', [checkPeer], work);
    t.checkPeer.push(g.wall); c.checkPeer.push(g.cpu);
  }
  const mv = median(t.verify), mn = median(t.noVerify), mp = median(t.peer);
  console.log(table(['run', 'wall median s', 'CPU median s', 'ratio vs peer (wall)'], [
    ['geo vrt (verify)', fmt(mv), fmt(median(c.verify)), fmt(mv / mp, 2)],
    ['geo vrt --no-verify', fmt(mn), fmt(median(c.noVerify)), fmt(mn / mp, 2)],
    ['peer: gdalinfo -checksum each + gdalbuildvrt', fmt(mp), fmt(median(c.peer)), '1.00'],
  ]));
  console.log(`verify / no-verify: ${fmt(mv / mn, 2)}x wall`);
  const mk = median(t.check), mq = median(t.quick), mg = median(t.checkPeer);
  console.log(table(['run', 'wall median s', 'CPU median s', 'ratio vs peer (wall)', 'ratio vs peer (CPU)'], [
    ['geo check (every block, the default)', fmt(mk), fmt(median(c.check)), fmt(mk / mg, 2), fmt(median(c.check) / median(c.checkPeer), 2)],
    ['geo check --quick (16-block sample)', fmt(mq), fmt(median(c.quick)), fmt(mq / mg, 2), fmt(median(c.quick) / median(c.checkPeer), 2)],
    ['peer: gdalinfo -checksum each', fmt(mg), fmt(median(c.checkPeer)), '1.00', '1.00'],
  ]));
  console.log(`load after: ${load()}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
