/**
 * Chunked remotes (issue 23), each figure against the same flow with chunking off (DVC's layout,
 * whole objects) run in the same script:
 *  A. a tiled DEFLATE GeoTIFF (gdal_translate -co TILED=YES -co COMPRESS=DEFLATE from generated
 *     terrain-like UInt16 data), 1% of its tiles rewritten in place by GDAL (update mode):
 *     upload of the new version, remote growth, and the pull of the new version into a clone that
 *     has the old one cached, as % of the file; the pulled file is checked byte-identical;
 *  B. fresh push and pull (empty remote / empty cache) throughput, chunking on vs off, on a local
 *     remote and on S3 (s3rver on 127.0.0.1), medians of BENCH_RUNS; chunk-list overhead %;
 *  C. a NetCDF-like file (seeded random bytes) with 1 MiB inserted in the middle (CDC): % moved.
 *
 * Sizes: full = 1 GiB GeoTIFF, 2 GiB CDC file. BENCH_SCALE=small: 128 MiB and 256 MiB.
 * BENCH_CHUNK_TIFF_MIB / BENCH_CHUNK_CDC_MIB override; BENCH_ONLY=local skips s3rver, BENCH_ONLY=fresh
 * runs only the fresh push/pull on the local remote, BENCH_ONLY=s3 only the one on S3, BENCH_ONLY=cdc
 * only part C (BENCH_ONLY=cdc-local: without S3); CPU seconds are this process's (all threads);
 * BENCH_RUNS (default 3 small / 1 full).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, readSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitInit, git } from '../test/helpers/tmp.js';
import { makeTiledTiff, rewriteTiles, writeSeeded } from '../test/integration/chunk-fixture.js';
import { setRemote } from '../test/integration/storage-repo.js';
import { startS3rver } from '../test/helpers/servers/s3rver.js';
import { initRepo } from '../src/core/repo/init.js';
import { addRemote, modifyRemote } from '../src/core/repo/remotes.js';
import { add } from '../src/core/api/add.js';
import { push } from '../src/core/api/push.js';
import { pull } from '../src/core/api/pull.js';
import { fmt, median, table } from './lib.js';

const small = process.env.BENCH_SCALE === 'small';
const TIFF_MIB = Number(process.env.BENCH_CHUNK_TIFF_MIB ?? (small ? 128 : 1024));
const CDC_MIB = Number(process.env.BENCH_CHUNK_CDC_MIB ?? (small ? 256 : 2048));
const RUNS = Number(process.env.BENCH_RUNS ?? (small ? 3 : 1));
const ONLY = process.env.BENCH_ONLY;
const MiB = 1 << 20;

const flush = () => { spawnSync('sync'); };
const pct = (a: number, b: number) => `${fmt((100 * a) / b, 2)}%`;

function du(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) n += statSync(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)).size;
  return n;
}

async function sha(p: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(p, { highWaterMark: 4 * MiB })) h.update(c as Buffer);
  return h.digest('hex');
}

/** Wall seconds and CPU seconds of this process (all its threads: hashing workers, libuv pool). */
async function timed<T>(fn: () => Promise<T>): Promise<{ s: number; cpu: number; r: T }> {
  flush();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = await fn();
  const c = process.cpuUsage(c0);
  return { s: Number(process.hrtime.bigint() - t0) / 1e9, cpu: (c.user + c.system) / 1e6, r };
}

const load = () => loadavg().map((x) => fmt(x, 1)).join(' ');

/** A repo with remotes `on` (chunking `mode`) and `off` (DVC layout) under `tmp`. */
function repoWithRemotes(tmp: string, name: string, mode: 'tiles' | 'cdc', remotes: { on: string; off: string }) {
  const root = join(tmp, name);
  gitInit(root);
  initRepo(root);
  addRemote('on', remotes.on, { root, cwd: root });
  addRemote('off', remotes.off, { root, cwd: root, default: true });
  modifyRemote('on', 'chunking', mode, { root, cwd: root });
  return root;
}

/** Side of a tiled UInt16 raster whose DEFLATE GeoTIFF is about `mib` MiB (the data compresses to ~0.88). */
const sideFor = (mib: number) => Math.max(1024, Math.round(Math.sqrt((mib * MiB) / 2 / 0.88) / 512) * 512);

async function partA(tmp: string): Promise<void> {
  const tif0 = join(tmp, 'ortho-v1.tif');
  const side = sideFor(TIFF_MIB);
  const tg = Date.now();
  makeTiledTiff(tif0, side, side, { block: 512, seed: 1 });
  const size1 = statSync(tif0).size;
  const tiles = Math.ceil(side / 512) ** 2;
  process.stdout.write(`A/B. tiled DEFLATE GeoTIFF ${side}x${side} UInt16, 512² tiles (${tiles}), ${fmt(size1 / MiB, 1)} MiB (made in ${fmt((Date.now() - tg) / 1000, 1)} s)\n\n`);
  const remotes = { on: join(tmp, 'remote-on'), off: join(tmp, 'remote-off') };
  const root = repoWithRemotes(tmp, 'repo', 'tiles', remotes);
  const tif = join(root, 'ortho.tif');
  copyFileSync(tif0, tif);
  await add({ cwd: root, targets: [tif] });
  git(root, 'add', '-A'); git(root, 'commit', '-qm', 'v1');

  if (ONLY === 's3') { await partS3(tmp, root, size1); return; }

  // B. fresh push / pull throughput, medians of RUNS, each run from an empty remote / cache
  const fresh = { pushOn: [] as number[], pushOff: [] as number[], pullOn: [] as number[], pullOff: [] as number[] };
  const cpu = { pushOn: [] as number[], pushOff: [] as number[], pullOn: [] as number[], pullOff: [] as number[] };
  let listBytes = 0;
  const clone = join(tmp, 'clone-fresh');
  git(tmp, 'clone', '-q', root, clone);
  for (let i = 0; i < RUNS; i++) {
    for (const side of ['off', 'on'] as const) {
      rmSync(remotes[side], { recursive: true, force: true });
      rmSync(join(root, '.dvc', 'cache', 'chunklists'), { recursive: true, force: true });
      const p = await timed(() => push({ cwd: root, remote: side }));
      if (p.r.failed) throw new Error(`push -r ${side} failed`);
      (side === 'on' ? fresh.pushOn : fresh.pushOff).push(p.s);
      (side === 'on' ? cpu.pushOn : cpu.pushOff).push(p.cpu);
      if (side === 'on') listBytes = p.r.chunked!.listBytes;
      rmSync(join(clone, '.dvc', 'cache'), { recursive: true, force: true });
      rmSync(join(clone, 'ortho.tif'), { force: true });
      const q = await timed(() => pull({ cwd: clone, remote: side }));
      if (q.r.failed.length) throw new Error(`pull -r ${side} failed`);
      (side === 'on' ? fresh.pullOn : fresh.pullOff).push(q.s);
      (side === 'on' ? cpu.pullOn : cpu.pullOff).push(q.cpu);
    }
  }
  const thr = (s: number[]) => size1 / MiB / median(s);
  process.stdout.write(`${table(['fresh, local remote', 'chunking off MiB/s', 'chunking on MiB/s', 'on/off', 'off CPU s', 'on CPU s'], [
    ['push', fmt(thr(fresh.pushOff), 0), fmt(thr(fresh.pushOn), 0), fmt(thr(fresh.pushOn) / thr(fresh.pushOff), 2), fmt(median(cpu.pushOff), 2), fmt(median(cpu.pushOn), 2)],
    ['pull', fmt(thr(fresh.pullOff), 0), fmt(thr(fresh.pullOn), 0), fmt(thr(fresh.pullOn) / thr(fresh.pullOff), 2), fmt(median(cpu.pullOff), 2), fmt(median(cpu.pullOn), 2)],
  ])}\nruns (wall s): push off ${fresh.pushOff.map((x) => fmt(x, 2)).join(' ')}, on ${fresh.pushOn.map((x) => fmt(x, 2)).join(' ')}; pull off ${fresh.pullOff.map((x) => fmt(x, 2)).join(' ')}, on ${fresh.pullOn.map((x) => fmt(x, 2)).join(' ')}\nload average after: ${load()}\nchunk list: ${listBytes} bytes = ${pct(listBytes, size1)} of the file (target <= 0.5%); remote on: ${fmt(du(remotes.on) / MiB, 1)} MiB, off: ${fmt(du(remotes.off) / MiB, 1)} MiB\n\n`);

  if (ONLY === 'fresh') return;

  // A. 1% of the tiles rewritten in place
  const old = join(tmp, 'clone-old');
  const oldOff = join(tmp, 'clone-old-off');
  for (const [c, side] of [[old, 'on'], [oldOff, 'off']] as const) {
    git(tmp, 'clone', '-q', root, c);
    const r = await pull({ cwd: c, remote: side });
    if (r.failed.length) throw new Error('pull of v1 failed');
  }
  const n = Math.max(1, Math.round(tiles / 100));
  rewriteTiles(tif, n, 42);
  const size2 = statSync(tif).size;
  const want = await sha(tif);
  await add({ cwd: root, targets: [tif] });
  git(root, 'add', '-A'); git(root, 'commit', '-qm', 'v2');
  const before = { on: du(remotes.on), off: du(remotes.off) };
  const up = { on: await timed(() => push({ cwd: root, remote: 'on' })), off: await timed(() => push({ cwd: root, remote: 'off' })) };
  const grow = { on: du(remotes.on) - before.on, off: du(remotes.off) - before.off };
  const down: Record<'on' | 'off', { s: number; bytes: number }> = { on: { s: 0, bytes: 0 }, off: { s: 0, bytes: 0 } };
  for (const [c, side] of [[old, 'on'], [oldOff, 'off']] as const) {
    git(c, 'pull', '-q', 'origin', 'main');
    const r = await timed(() => pull({ cwd: c, remote: side }));
    if (r.r.failed.length) throw new Error('pull of v2 failed');
    if ((await sha(join(c, 'ortho.tif'))) !== want) throw new Error(`pulled file differs (${side})`);
    down[side] = { s: r.s, bytes: r.r.bytes };
  }
  process.stdout.write(`${n} of ${tiles} tiles (${pct(n, tiles)}) rewritten in place by GDAL; file now ${fmt(size2 / MiB, 1)} MiB; both pulled files byte-identical\n\n`);
  process.stdout.write(`${table(['1% tiles rewritten', 'chunking off', 'chunking on', 'on/off', 'on, % of file'], [
    ['upload MiB', fmt(up.off.r.bytes / MiB, 1), fmt(up.on.r.bytes / MiB, 1), fmt(up.on.r.bytes / up.off.r.bytes, 3), pct(up.on.r.bytes, size2)],
    ['remote growth MiB', fmt(grow.off / MiB, 1), fmt(grow.on / MiB, 1), fmt(grow.on / grow.off, 3), pct(grow.on, size2)],
    ['pull download MiB (old version cached)', fmt(down.off.bytes / MiB, 1), fmt(down.on.bytes / MiB, 1), fmt(down.on.bytes / down.off.bytes, 3), pct(down.on.bytes, size2)],
    ['push s', fmt(up.off.s, 2), fmt(up.on.s, 2), fmt(up.on.s / up.off.s, 2), ''],
    ['pull s', fmt(down.off.s, 2), fmt(down.on.s, 2), fmt(down.on.s / down.off.s, 2), ''],
  ])}\n(targets: upload, growth and download <= 3% of the file)\n\n`);

  if (ONLY !== 'local') await partS3(tmp, root, size1);
}

/** B on S3: fresh push / pull of v2 into empty buckets / an empty cache, chunking on vs off. */
async function partS3(tmp: string, root: string, size: number, mode: 'tiles' | 'cdc' = 'tiles', file = 'ortho.tif'): Promise<void> {
  const srv = await startS3rver();
  try {
    const t = { pushOn: [] as number[], pushOff: [] as number[], pullOn: [] as number[], pullOff: [] as number[] };
    const cpu = { pushOn: [] as number[], pushOff: [] as number[], pullOn: [] as number[], pullOff: [] as number[] };
    const clone = join(tmp, `clone-s3-${mode}`);
    git(tmp, 'clone', '-q', root, clone);
    for (let i = 0; i < RUNS; i++) {
      for (const side of ['off', 'on'] as const) {
        const r = await srv.newRemote(`b${mode}${side}${i}`);
        for (const dir of [root, clone]) {
          setRemote(dir, `s3${side}`, r.url, r.options);
          if (side === 'on') modifyRemote(`s3${side}`, 'chunking', mode, { root: dir, cwd: dir });
        }
        rmSync(join(root, '.dvc', 'cache', 'chunklists'), { recursive: true, force: true });
        const p = await timed(() => push({ cwd: root, remote: `s3${side}` }));
        if (p.r.failed) throw new Error('s3 push failed');
        (side === 'on' ? t.pushOn : t.pushOff).push(p.s);
        (side === 'on' ? cpu.pushOn : cpu.pushOff).push(p.cpu);
        rmSync(join(clone, '.dvc', 'cache'), { recursive: true, force: true });
        rmSync(join(clone, file), { force: true });
        const q = await timed(() => pull({ cwd: clone, remote: `s3${side}` }));
        if (q.r.failed.length) throw new Error('s3 pull failed');
        (side === 'on' ? t.pullOn : t.pullOff).push(q.s);
        (side === 'on' ? cpu.pullOn : cpu.pullOff).push(q.cpu);
      }
    }
    const thr = (s: number[]) => size / MiB / median(s);
    process.stdout.write(`${table([`fresh, S3 (s3rver), ${file} (${mode})`, 'chunking off MiB/s', 'chunking on MiB/s', 'on/off', 'off CPU s', 'on CPU s'], [
      ['push', fmt(thr(t.pushOff), 0), fmt(thr(t.pushOn), 0), fmt(thr(t.pushOn) / thr(t.pushOff), 2), fmt(median(cpu.pushOff), 2), fmt(median(cpu.pushOn), 2)],
      ['pull', fmt(thr(t.pullOff), 0), fmt(thr(t.pullOn), 0), fmt(thr(t.pullOn) / thr(t.pullOff), 2), fmt(median(cpu.pullOff), 2), fmt(median(cpu.pullOn), 2)],
    ])}\nruns (wall s): push off ${t.pushOff.map((x) => fmt(x, 2)).join(' ')}, on ${t.pushOn.map((x) => fmt(x, 2)).join(' ')}; pull off ${t.pullOff.map((x) => fmt(x, 2)).join(' ')}, on ${t.pullOn.map((x) => fmt(x, 2)).join(' ')}\n(target: on/off >= 0.8; CPU of geodvc only, s3rver is a child process; load average after: ${load()})\n\n`);
  } finally {
    await srv.stop();
  }
}

/** Copies `src` to `dst` with `insert` bytes placed at `at`. */
function copyWithInsert(src: string, dst: string, at: number, insert: Buffer): void {
  const i = openSync(src, 'r');
  const o = openSync(dst, 'w');
  const buf = Buffer.allocUnsafe(8 * MiB);
  let pos = 0;
  let inserted = false;
  for (;;) {
    const want = !inserted && at - pos < buf.length ? at - pos : buf.length;
    const n = want > 0 ? readSync(i, buf, 0, want, pos) : 0;
    if (n > 0) { writeSync(o, buf, 0, n); pos += n; }
    if (!inserted && pos === at) { writeSync(o, insert); inserted = true; continue; }
    if (n <= 0) break;
  }
  closeSync(i);
  closeSync(o);
}

async function partC(tmp: string): Promise<void> {
  const remotes = { on: join(tmp, 'cdc-on'), off: join(tmp, 'cdc-off') };
  const root = repoWithRemotes(tmp, 'cdc', 'cdc', remotes);
  const f = join(root, 'cube.nc');
  const v1 = join(tmp, 'cube-v1.nc');
  writeSeeded(v1, CDC_MIB * MiB, 9);
  copyFileSync(v1, f);
  await add({ cwd: root, targets: [f] });
  git(root, 'add', '-A'); git(root, 'commit', '-qm', 'cube v1');
  const size1 = statSync(f).size;
  for (const side of ['on', 'off']) if ((await push({ cwd: root, remote: side })).failed) throw new Error(`push of v1 to ${side} failed`);

  // Fresh add + push of a file cut by CDC (no tiles), medians of RUNS, the three flows interleaved,
  // each in a new repository (empty cache, empty remote):
  //  off:         chunking off (DVC's layout); add without cutting (GEODVC_CHUNK_AT_ADD=0)
  //  on:          chunking cdc; add cuts on its second worker and remembers the list, push uses it
  //  on, cut in push: chunking cdc, add without cutting: push cuts (an object added before the
  //               remote was chunked, or pulled from elsewhere)
  // then a fresh pull from the remotes of the last run into an empty clone.
  const flows = ['off', 'on', 'cut-in-push'] as const;
  type Flow = (typeof flows)[number];
  const T = Object.fromEntries(flows.map((k) => [k, { add: [] as number[], push: [] as number[], both: [] as number[], addCpu: [] as number[], pushCpu: [] as number[] }])) as Record<Flow, { add: number[]; push: number[]; both: number[]; addCpu: number[]; pushCpu: number[] }>;
  let c1: NonNullable<Awaited<ReturnType<typeof push>>['chunked']> | undefined;
  const pullT = { off: [] as number[], on: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    for (const flow of flows) {
      const r = join(tmp, `fresh-${flow}`);
      const rem = join(tmp, `fresh-${flow}-remote`);
      const clone = join(tmp, `fresh-${flow}-clone`);
      gitInit(r);
      initRepo(r);
      addRemote('x', rem, { root: r, cwd: r, default: true });
      if (flow !== 'off') modifyRemote('x', 'chunking', 'cdc', { root: r, cwd: r });
      copyFileSync(v1, join(r, 'cube.nc'));
      const prev = process.env.GEODVC_CHUNK_AT_ADD;
      if (flow !== 'on') process.env.GEODVC_CHUNK_AT_ADD = '0';
      let a: Awaited<ReturnType<typeof timed>>;
      try { a = await timed(() => add({ cwd: r, targets: [join(r, 'cube.nc')] })); } finally { if (prev === undefined) delete process.env.GEODVC_CHUNK_AT_ADD; else process.env.GEODVC_CHUNK_AT_ADD = prev; }
      git(r, 'add', '-A'); git(r, 'commit', '-qm', 'cube');
      const p = await timed(() => push({ cwd: r }));
      if (p.r.failed) throw new Error(`push (${flow}) failed`);
      if (flow === 'on') {
        c1 = p.r.chunked!;
        if (!c1.chunks || c1.bytesMoved !== size1) throw new Error(`the chunked push moved ${c1.bytesMoved} of ${size1} bytes`);
      }
      T[flow].add.push(a.s); T[flow].push.push(p.s); T[flow].both.push(a.s + p.s);
      T[flow].addCpu.push(a.cpu); T[flow].pushCpu.push(p.cpu);
      if (flow !== 'cut-in-push') {
        git(tmp, 'clone', '-q', r, clone);
        const q = await timed(() => pull({ cwd: clone }));
        if (q.r.failed.length) throw new Error(`pull (${flow}) failed`);
        pullT[flow].push(q.s);
      }
      // nothing of this run stays: hundreds of MiB of earlier runs in the page cache made later
      // kernel copies 5-10x slower here (0.05 s -> 0.5 s for 256 MiB), whichever side ran
      for (const d of [r, rem, clone]) rmSync(d, { recursive: true, force: true });
    }
  }
  const thr = (s: number[]) => size1 / MiB / median(s);
  const row = (label: string, k: 'add' | 'push' | 'both', f: Flow) => [label, fmt(thr(T.off[k]), 0), fmt(thr(T[f][k]), 0), fmt(thr(T[f][k]) / thr(T.off[k]), 2), k === 'both' ? '' : fmt(median(T.off[k === 'add' ? 'addCpu' : 'pushCpu']), 2), k === 'both' ? '' : fmt(median(T[f][k === 'add' ? 'addCpu' : 'pushCpu']), 2)];
  process.stdout.write(`C. ${CDC_MIB} MiB NetCDF-like file (random bytes), CDC 256K/1M/4M: ${c1!.chunks} chunks (mean ${fmt(CDC_MIB / c1!.chunks, 2)} MiB)\n\n`);
  process.stdout.write(`${table(['fresh CDC, local remote', 'chunking off MiB/s', 'chunking on MiB/s', 'on/off', 'off CPU s', 'on CPU s'], [
    row('add (on: cuts beside the hash)', 'add', 'on'),
    row('push (on: list from add)', 'push', 'on'),
    row('add + push', 'both', 'on'),
    row('push, cut in push (list not known)', 'push', 'cut-in-push'),
    ['pull', fmt(thr(pullT.off), 0), fmt(thr(pullT.on), 0), fmt(thr(pullT.on) / thr(pullT.off), 2), '', ''],
  ])}\nruns (wall s): add off ${T.off.add.map((x) => fmt(x, 2)).join(' ')}, on ${T.on.add.map((x) => fmt(x, 2)).join(' ')}; push off ${T.off.push.map((x) => fmt(x, 2)).join(' ')}, on ${T.on.push.map((x) => fmt(x, 2)).join(' ')}, cut in push ${T['cut-in-push'].push.map((x) => fmt(x, 2)).join(' ')}; pull off ${pullT.off.map((x) => fmt(x, 2)).join(' ')}, on ${pullT.on.map((x) => fmt(x, 2)).join(' ')}\n(target: on/off >= 0.8; load average after: ${load()})\n\n`);
  if (ONLY !== 'local' && ONLY !== 'cdc-local') await partS3(tmp, root, size1, 'cdc', 'cube.nc');

  // 1 MiB inserted in the middle
  const ins = Buffer.allocUnsafe(MiB);
  for (let i = 0; i < ins.length; i++) ins[i] = (i * 131 + 7) & 0xff;
  rmSync(f);
  copyWithInsert(v1, f, Math.floor(CDC_MIB / 2) * MiB, ins);
  rmSync(v1);
  const size2 = statSync(f).size;
  await add({ cwd: root, targets: [f] });
  const p2 = { on: await timed(() => push({ cwd: root, remote: 'on' })), off: await timed(() => push({ cwd: root, remote: 'off' })) };
  process.stdout.write(`${table(['CDC, 1 MiB inserted in the middle', 'chunking off', 'chunking on', 'on/off', 'on, % of file'], [
    ['push after insert, MiB moved', fmt(p2.off.r.bytes / MiB, 1), fmt(p2.on.r.bytes / MiB, 1), fmt(p2.on.r.bytes / p2.off.r.bytes, 3), pct(p2.on.r.bytes, size2)],
    ['push after insert s', fmt(p2.off.s, 2), fmt(p2.on.s, 2), fmt(p2.on.s / p2.off.s, 2), ''],
  ])}\n(target: <= 5% moved)\n\n`);
}

const tmp = mkdtempSync(join(tmpdir(), 'geodvc-bench-chunk-'));
try {
  mkdirSync(tmp, { recursive: true });
  process.stdout.write(`chunked remotes vs DVC's whole-object layout; ${RUNS} run(s) per throughput figure (medians); load average ${load()}\n\n`);
  if (ONLY !== 'cdc' && ONLY !== 'cdc-local') await partA(tmp);
  if (ONLY !== 'fresh' && ONLY !== 's3') await partC(tmp);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
