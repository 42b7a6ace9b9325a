/**
 * Attack suite (issue 17): crafted geo files against the real CLI. Each file is built here, small on
 * disk, declaring something huge or broken: one 46336² DEFLATE tile in 2 MB (2 GiB decoded), a
 * 1e6 × 1e6 image with two TileOffsets, a tile past the end of the file, GeoJSON nested 1e6 deep, a
 * VRT nested 200,000 deep, a text file named .tif. `geo info`, `geo check`, `geo check --deep` and
 * `geo chip` must refuse each one with an error naming the file, exit non-zero, in bounded time and
 * memory (peak RSS measured on the two decode bombs), never with a stack overflow or an allocation
 * failure.
 *
 * `geo info` of a raster whose header is valid (the bomb, the 1e6² image, a tile past EOF) succeeds,
 * as `gdalinfo` does: it reads no pixels; it warns about what a decode would refuse.
 *
 * `geo chip` runs here on geodvc's own TIFF reader (GEODVC_GDAL_ENGINE=wasm: the reader of tracked
 * --rev/--remote inputs and the fallback without native GDAL), whose decoders these files attack.
 * The native GDAL path refuses the header-level attacks (block over the decode budget, short block
 * tables, blocks past the end of the file) the same way: the last test checks it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, deflateRawSync, deflateSync } from 'node:zlib';
import { BIN, runCli, type CliResult } from '../helpers/cli.js';
import { makeTmpDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof makeTmpDir>;
before(() => { tmp = makeTmpDir('geo-bombs-'); });
after(() => tmp.cleanup());

type Entry = [tag: number, type: number, values: number[]];

/** A little-endian classic TIFF: one IFD at 8, out-of-line values after it, then `data`. */
function buildTiff(entries: (dataOffset: number) => Entry[], data: Buffer = Buffer.alloc(0)): Buffer {
  const layout = (dataOffset: number) => {
    const sorted = entries(dataOffset).sort((a, b) => a[0] - b[0]);
    const ifdSize = 2 + sorted.length * 12 + 4;
    const ifd = Buffer.alloc(ifdSize);
    ifd.writeUInt16LE(sorted.length, 0);
    const extra: Buffer[] = [];
    let extraOff = 8 + ifdSize;
    const size: Record<number, number> = { 3: 2, 4: 4, 12: 8 };
    sorted.forEach(([tag, type, values], k) => {
      const o = 2 + k * 12;
      const bytes = Buffer.alloc(values.length * size[type]!);
      values.forEach((v, i) => { if (type === 3) bytes.writeUInt16LE(v, i * 2); else if (type === 4) bytes.writeUInt32LE(v, i * 4); else bytes.writeDoubleLE(v, i * 8); });
      ifd.writeUInt16LE(tag, o); ifd.writeUInt16LE(type, o + 2); ifd.writeUInt32LE(values.length, o + 4);
      if (bytes.length <= 4) bytes.copy(ifd, o + 8);
      else { ifd.writeUInt32LE(extraOff, o + 8); extra.push(bytes); extraOff += bytes.length; }
    });
    return Buffer.concat([Buffer.from([0x49, 0x49, 42, 0, 8, 0, 0, 0]), ifd, ...extra]);
  };
  const head = layout(layout(0).length); // the header's length does not depend on the offsets' values
  return Buffer.concat([head, data]);
}

const GEO: Entry[] = [[33550, 12, [10, 10, 0]], [33922, 12, [0, 0, 0, 500000, 4000000, 0]], [34735, 3, [1, 1, 0, 1, 3072, 0, 1, 32632]]];
const tiled = (w: number, h: number, tile: number, offsets: number[], counts: number[]): Entry[] => [
  [256, 4, [w]], [257, 4, [h]], [258, 3, [8]], [259, 3, [8]], [262, 3, [1]], [277, 3, [1]],
  [322, 4, [tile]], [323, 4, [tile]], [324, 4, offsets], [325, 4, counts], ...GEO,
];

/** A zlib stream of `chunk * reps` zero bytes, built from independent full-flush blocks (no 2 GiB input needed). */
function zeroBomb(chunk: number, reps: number): Buffer {
  const part = deflateRawSync(Buffer.alloc(chunk), { finishFlush: constants.Z_FULL_FLUSH });
  const last = deflateRawSync(Buffer.alloc(0));
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE((((chunk * reps) % 65521) << 16 | 1) >>> 0); // adler32 of zeros: a = 1, b = n mod 65521
  return Buffer.concat([Buffer.from([0x78, 0x01]), ...new Array<Buffer>(reps).fill(part), last, adler]);
}

interface Files { bomb: string; huge: string; pastEof: string; deepJson: string; deepVrt: string; textTif: string }
let files: Files;

before(() => {
  const W = 46336; // one tile of 46336² bytes = 2.0 GiB decoded
  const bomb = zeroBomb(W * 16, W / 16);
  const M = 1_000_000;
  const tile = deflateSync(Buffer.alloc(256 * 256));
  files = {
    bomb: join(tmp.dir, 'bomb.tif'),
    huge: join(tmp.dir, 'huge.tif'),
    pastEof: join(tmp.dir, 'past-eof.tif'),
    deepJson: join(tmp.dir, 'deep.geojson'),
    deepVrt: join(tmp.dir, 'deep.vrt'),
    textTif: join(tmp.dir, 'text.tif'),
  };
  writeFileSync(files.bomb, buildTiff((d) => tiled(W, W, W, [d], [bomb.length]), bomb));
  writeFileSync(files.huge, buildTiff(() => tiled(M, M, 256, [8, 8], [4, 4])));
  // 512² in four 256² tiles; tile 3 points 1 MB past the end of the file
  writeFileSync(files.pastEof, buildTiff((d) => tiled(512, 512, 256, [d, d + tile.length, d + 2 * tile.length, d + 1_000_000], [tile.length, tile.length, tile.length, tile.length]), Buffer.concat([tile, tile, tile, tile.subarray(0, 10)])));
  const n = 1_000_000;
  writeFileSync(files.deepJson, `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":${'['.repeat(n)}${']'.repeat(n)}}}]}`);
  const d = 200_000;
  writeFileSync(files.deepVrt, `<VRTDataset rasterXSize="10" rasterYSize="10">${'<Metadata>'.repeat(d)}${'</Metadata>'.repeat(d)}</VRTDataset>\n`);
  writeFileSync(files.textTif, 'hello, this is not a TIFF\n');
  assert.ok(readFileSync(files.bomb).length < 2.5e6, 'the bomb is small on disk');
});

const CRASH = /Maximum call stack|out of range|Cannot create a Buffer|heap out of memory|Allocation failed|RangeError|TypeError|Received NaN/;

/** Chips through the own TIFF reader (see the file comment). */
const OWN_READER = { GEODVC_GDAL_ENGINE: 'wasm' };

async function run(args: string[], env: NodeJS.ProcessEnv = args[1] === 'chip' ? OWN_READER : {}): Promise<CliResult & { ms: number; all: string }> {
  const t0 = performance.now();
  const r = await runCli(args, { cwd: tmp.dir, timeoutMs: 90_000, env });
  return { ...r, ms: performance.now() - t0, all: r.stdout + r.stderr };
}

/** Asserts a clean refusal: exit 1, the file named with `expect`, no crash text, within the time bound. */
function refused(r: Awaited<ReturnType<typeof run>>, name: string, expect: RegExp, what: string): void {
  assert.equal(r.code, 1, `${what}: exit code ${r.code}\n${r.all}`);
  assert.ok(r.all.includes(name), `${what}: output names ${name}\n${r.all}`);
  assert.match(r.all, expect, what);
  assert.doesNotMatch(r.all, CRASH, `${what}: crashed`);
  assert.ok(r.ms < 45_000, `${what} took ${Math.round(r.ms)} ms`);
}

/** Runs a few CLI calls at a time (2 cores). */
async function inBatches<T>(jobs: (() => Promise<T>)[], n = 3): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < jobs.length; i += n) out.push(...await Promise.all(jobs.slice(i, i + n).map((j) => j())));
  return out;
}

test('one-tile DEFLATE bomb (46336², 2 GiB decoded, 2 MB on disk): check, check --deep and chip refuse it from the header; info warns', { timeout: 240_000 }, async () => {
  const [info, check, deep, chip] = await inBatches([
    () => run(['geo', 'info', 'bomb.tif']),
    () => run(['geo', 'check', 'bomb.tif']),
    () => run(['geo', 'check', '--deep', 'bomb.tif']),
    () => run(['geo', 'chip', '--input', 'bomb.tif', '--output', 'chips-bomb', '--size', '512']),
  ]);
  assert.equal(info!.code, 0, info!.all);
  assert.match(info!.stdout, /46336x46336/);
  assert.match(info!.stdout, /warning: .*tile 0 .*2\.0 GiB.*over the decode budget of 1\.0 GiB/);
  refused(check!, 'bomb.tif', /2\.0 GiB each, over the decode budget of 1\.0 GiB/, 'geo check');
  refused(deep!, 'bomb.tif', /over the decode budget/, 'geo check --deep');
  refused(chip!, 'bomb.tif', /bomb\.tif: IFD #0 tile 0 \(of 1\) would decode to 2\.0 GiB .*over the decode budget of 1\.0 GiB/, 'geo chip');
  assert.match(chip!.stderr, /hint: .*GEODVC_DECODE_BUDGET/);
  assert.ok(!existsSync(join(tmp.dir, 'chips-bomb', 'chips.geojson')), 'no chip index written');
});

test('1e6 × 1e6 image with two TileOffsets: chip and check name the file and the short table (no NaN sizes)', { timeout: 240_000 }, async () => {
  const [info, check, deep, chip] = await inBatches([
    () => run(['geo', 'info', 'huge.tif']),
    () => run(['geo', 'check', 'huge.tif']),
    () => run(['geo', 'check', '--deep', 'huge.tif']),
    () => run(['geo', 'chip', '--input', 'huge.tif', '--output', 'chips-huge', '--size', '256']),
  ]);
  assert.equal(info!.code, 0, info!.all);
  assert.match(info!.stdout, /warning: IFD #0 TileOffsets has 2 entries, but the declared 1000000×1000000 image in 256×256 tiles needs 15264649/);
  refused(check!, 'huge.tif', /TileOffsets has 2 entries, the image needs 15264649/, 'geo check');
  refused(deep!, 'huge.tif', /TileOffsets has 2 entries/, 'geo check --deep');
  refused(chip!, 'huge.tif', /huge\.tif: IFD #0 TileOffsets has 2 entries, .* needs 15264649 \(tile 2 and on have no data\)/, 'geo chip');
});

test('a tile past the end of the file: chip (copied and decoded paths) and check name the file and the tile', { timeout: 240_000 }, async () => {
  const [info, check, deep, fast, decoded] = await inBatches([
    () => run(['geo', 'info', 'past-eof.tif']),
    () => run(['geo', 'check', 'past-eof.tif']),
    () => run(['geo', 'check', '--deep', 'past-eof.tif']),
    () => run(['geo', 'chip', '--input', 'past-eof.tif', '--output', 'chips-eof-fast', '--size', '256']),
    () => run(['geo', 'chip', '--input', 'past-eof.tif', '--output', 'chips-eof-dec', '--size', '200']),
  ]);
  assert.equal(info!.code, 0, info!.all); // gdalinfo reads no tiles either
  refused(check!, 'past-eof.tif', /tile 3: \d+ bytes at offset \d+ end at \d+, past the end of the file/, 'geo check');
  refused(deep!, 'past-eof.tif', /past the end of the file/, 'geo check --deep');
  refused(fast!, 'past-eof.tif', /past-eof\.tif: IFD #0 tile 3: \d+ bytes at offset \d+ end at \d+, past the end of the file \(\d+ bytes\)/, 'geo chip (tile copy)');
  refused(decoded!, 'past-eof.tif', /past-eof\.tif: IFD #0 tile 3: .*past the end of the file/, 'geo chip (decode)');
});

test('GeoJSON nested 1e6 deep, VRT nested 200,000 deep, a text file named .tif: info and check refuse them by name', { timeout: 240_000 }, async () => {
  const [ji, jc, vi, vc, vd, ti, tc] = await inBatches([
    () => run(['geo', 'info', 'deep.geojson']),
    () => run(['geo', 'check', 'deep.geojson']),
    () => run(['geo', 'info', 'deep.vrt']),
    () => run(['geo', 'check', 'deep.vrt']),
    () => run(['geo', 'check', '--deep', 'deep.vrt']),
    () => run(['geo', 'info', 'text.tif']),
    () => run(['geo', 'check', 'text.tif']),
  ]);
  refused(ji!, 'deep.geojson', /deep\.geojson: JSON nested more than 256 levels deep/, 'geo info (GeoJSON)');
  refused(jc!, 'deep.geojson', /nested more than 256 levels deep/, 'geo check (GeoJSON)');
  refused(vi!, 'deep.vrt', /deep\.vrt: VRT XML is malformed: elements nested more than 100 deep/, 'geo info (VRT)');
  refused(vc!, 'deep.vrt', /nested more than 100 deep/, 'geo check (VRT)');
  refused(vd!, 'deep.vrt', /nested more than 100 deep/, 'geo check --deep (VRT)');
  refused(ti!, 'text.tif', /text\.tif is not a TIFF file \(no II\/MM byte-order mark; it starts with "hello, this is n"\)/, 'geo info (text .tif)');
  assert.doesNotMatch(ti!.all, /not a vector format/);
  refused(tc!, 'text.tif', /not a TIFF/, 'geo check (text .tif)');
});

/** Peak RSS (KiB) of the CLI and the children it waits for: GNU time when installed, else the process's VmHWM from /proc. */
function peakRss(args: string[]): Promise<{ code: number; kib: number; out: string }> {
  const gnuTime = existsSync('/usr/bin/time');
  const cmd = gnuTime ? '/usr/bin/time' : process.execPath;
  const argv = gnuTime ? ['-f', 'PEAK_RSS_KIB=%M', process.execPath, BIN, ...args] : [BIN, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: tmp.dir, env: { ...process.env, NO_COLOR: '1', CI: 'true', ...(args[1] === 'chip' ? OWN_READER : {}) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let hwm = 0;
    const poll = setInterval(() => {
      try { const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8')); if (m) hwm = Math.max(hwm, Number(m[1])); } catch { /* exited */ }
    }, 10);
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`geodvc ${args.join(' ')} timed out`)); }, 90_000);
    child.stdout.setEncoding('utf8').on('data', (d) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { out += d; });
    child.on('close', (code) => {
      clearInterval(poll); clearTimeout(timer);
      const m = /PEAK_RSS_KIB=(\d+)/.exec(out);
      resolve({ code: code ?? 1, kib: m ? Number(m[1]) : hwm, out });
    });
  });
}

test('the DEFLATE bomb stays within bounded memory: chip and check --deep peak under 400 MiB (unbounded: 6.4-12.5 GB)', { timeout: 240_000 }, async () => {
  for (const args of [['geo', 'chip', '--input', 'bomb.tif', '--output', 'chips-mem', '--size', '512'], ['geo', 'check', '--deep', 'bomb.tif']]) {
    const r = await peakRss(args);
    assert.equal(r.code, 1, r.out);
    assert.ok(r.kib > 0, 'peak RSS measured');
    assert.ok(r.kib < 400 * 1024, `geodvc ${args.join(' ')} peaked at ${Math.round(r.kib / 1024)} MiB`);
  }
});

test('GEODVC_DECODE_BUDGET lowers the budget: a small valid tiled file is refused by chip with the configured figure', { timeout: 120_000 }, async () => {
  const tile = deflateSync(Buffer.alloc(256 * 256));
  const p = join(tmp.dir, 'small.tif');
  writeFileSync(p, buildTiff((d) => tiled(256, 256, 256, [d], [tile.length]), tile));
  const r = await runCli(['geo', 'chip', '--input', 'small.tif', '--output', 'chips-small', '--size', '256'], { cwd: tmp.dir, env: { ...OWN_READER, GEODVC_DECODE_BUDGET: '32K' } });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /small\.tif: IFD #0 tile 0 \(of 1\) would decode to 64\.0 KiB .* over the decode budget of 32\.0 KiB/);
  const ok = await runCli(['geo', 'chip', '--input', 'small.tif', '--output', 'chips-small', '--size', '256'], { cwd: tmp.dir, env: OWN_READER });
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /1 chips \(1 written/);
});

test('a DEFLATE bomb inside a small declared tile (256² declared, 1 GiB of zeros in the stream): chip and check --deep stop at the declared size', { timeout: 120_000 }, async () => {
  const bomb = zeroBomb(1 << 20, 1024); // 1 GiB decoded, ~1 MB on disk
  writeFileSync(join(tmp.dir, 'ratio.tif'), buildTiff((d) => tiled(256, 256, 256, [d], [bomb.length]), bomb));
  const [chip, deep] = await inBatches([
    () => run(['geo', 'chip', '--input', 'ratio.tif', '--output', 'chips-ratio', '--size', '128']),
    () => run(['geo', 'check', '--deep', 'ratio.tif']),
  ]);
  refused(chip!, 'ratio.tif', /ratio\.tif: IFD #0 tile 0 \(\d+ bytes at offset \d+\) does not decode: inflates to more than the 65536 bytes the header declares for it/, 'geo chip');
  refused(deep!, 'ratio.tif', /DEFLATE tile 0 .* does not decode: inflates to more than the 65536 bytes the header declares/, 'geo check --deep');
});

test('geo check --timeout: what the time limit did not reach is listed, exit 1; a bad value is a usage error', { timeout: 120_000 }, async (t) => {
  const { CORPUS } = await import('../helpers/cli.js');
  const names = ['byte.tif', 'nodata_byte.tif', 'float_nan.tif', 'geomatrix.tif'].filter((n) => existsSync(join(CORPUS, n)));
  if (names.length < 4) { if (process.env.CI === 'true') throw new Error(`no corpus at ${CORPUS}`); t.skip('no corpus'); return; }
  for (const n of names) writeFileSync(join(tmp.dir, `t-${n}`), readFileSync(join(CORPUS, n)));
  const files = names.map((n) => `t-${n}`);
  // two files start at once (-j 2), each spawns a decoder; the others start after the 50 ms limit
  const r = await run(['geo', 'check', '--deep', '--timeout', '0.05', ...files]);
  assert.equal(r.code, 1, r.all);
  assert.match(r.stdout, /time limit of 0\.05 s reached; not reached:/);
  const j = await run(['geo', 'check', '--deep', '--json', '--timeout', '0.05', ...files]);
  assert.equal(j.code, 1, j.all);
  const doc = JSON.parse(j.stdout);
  assert.equal(doc.ok, false);
  assert.equal(doc.timedOut, true);
  assert.equal(doc.timeoutS, 0.05);
  assert.ok(doc.notReached.length >= 1, j.stdout);
  for (const f of doc.notReached) assert.ok(files.includes(f), f);
  assert.equal(doc.checked + doc.notReached.length, files.length);
  // with the default limit everything is reached
  const full = await run(['geo', 'check', '--deep', '--json', ...files]);
  assert.equal(full.code, 0, full.all);
  assert.deepEqual(JSON.parse(full.stdout).notReached, []);
  const bad = await run(['geo', 'check', '--timeout', 'soon', files[0]!]);
  assert.equal(bad.code, 254, bad.all);
  assert.match(bad.stderr, /--timeout must be a positive number of seconds, got soon/);
});

/** An LZW stream of `cycles` × ~7.4 MB of one byte: after each ClearCode, a literal then codes 258, 259, … (each one byte longer). */
function lzwRunBomb(cycles: number): Buffer {
  const out: number[] = [];
  let acc = 0, nacc = 0;
  const put = (code: number, width: number) => { acc = ((acc << width) | code) >>> 0; nacc += width; while (nacc >= 8) { out.push((acc >>> (nacc - 8)) & 0xff); nacc -= 8; } acc &= (1 << nacc) - 1; };
  let width = 9;
  for (let c = 0; c < cycles; c++) {
    put(256, width);
    width = 9;
    put(65, width);
    for (let next = 258; next < 4093;) {
      put(next, width);
      next++;
      if (next >= (1 << width) - 1 && width < 12) width++;
    }
  }
  put(257, width);
  if (nacc) out.push((acc << (8 - nacc)) & 0xff);
  return Buffer.from(out);
}

test('an LZW bomb in a 256² tile (~1 GiB of one byte in 0.8 MB): chip decodes only the declared 64 KiB, in bounded memory', { timeout: 120_000 }, async () => {
  const bomb = lzwRunBomb(145);
  assert.ok(bomb.length < 1e6);
  const entries = (d: number) => tiled(256, 256, 256, [d], [bomb.length]).map((e): Entry => (e[0] === 259 ? [259, 3, [5]] : e));
  writeFileSync(join(tmp.dir, 'lzw.tif'), buildTiff(entries, bomb));
  const r = await peakRss(['geo', 'chip', '--input', 'lzw.tif', '--output', 'chips-lzw', '--size', '128']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /4 chips \(4 written/);
  assert.ok(r.kib < 400 * 1024, `peaked at ${Math.round(r.kib / 1024)} MiB`);
});

test('a JPEG tile whose frame declares 65535 × 65535 (12 GiB for 3 samples) in a 256² image: chip and check --deep refuse it before decoding', { timeout: 120_000 }, async () => {
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, 0xff, 0xff, 0xff, 0xff, 0x03, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 0xff, 0xd9]);
  const entries = (d: number) => tiled(256, 256, 256, [d], [jpeg.length]).map((e): Entry => (e[0] === 259 ? [259, 3, [7]] : e));
  writeFileSync(join(tmp.dir, 'jpeg.tif'), buildTiff(entries, jpeg));
  const [chip, deep] = await inBatches([
    () => run(['geo', 'chip', '--input', 'jpeg.tif', '--output', 'chips-jpeg', '--size', '128']),
    () => run(['geo', 'check', '--deep', 'jpeg.tif']),
  ]);
  refused(chip!, 'jpeg.tif', /jpeg\.tif: IFD #0 tile 0: its compressed stream declares 65535×65535 pixels, more than the tile holds \(256×256\); refused before decoding/, 'geo chip');
  refused(deep!, 'jpeg.tif', /tile 0: its compressed stream declares 65535×65535 pixels/, 'geo check --deep');
});

test('a PackBits bomb in a 256² tile (16 MB of 128-byte repeats, 1 GiB decoded): chip decodes only the declared 64 KiB, in bounded memory', { timeout: 120_000 }, async () => {
  const bomb = Buffer.alloc(16 << 20);
  for (let k = 0; k < bomb.length; k += 2) { bomb[k] = 0x81; bomb[k + 1] = 7; }
  const entries = (d: number) => tiled(256, 256, 256, [d], [bomb.length]).map((e): Entry => (e[0] === 259 ? [259, 3, [32773]] : e));
  writeFileSync(join(tmp.dir, 'packbits.tif'), buildTiff(entries, bomb));
  const r = await peakRss(['geo', 'chip', '--input', 'packbits.tif', '--output', 'chips-packbits', '--size', '128']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /4 chips \(4 written/);
  assert.ok(r.kib < 400 * 1024, `peaked at ${Math.round(r.kib / 1024)} MiB`);
});

test('native GDAL chip refuses the header-level attacks from the header too (decode budget, short block table, block past EOF)', { timeout: 180_000 }, async (t) => {
  const { nativeInstalled } = await import('../../src/geo/engine/native.js');
  if (!nativeInstalled()) { if (process.env.CI === 'true') assert.fail('gdal-async is not installed'); t.skip('no native GDAL'); return; }
  const files = ['bomb.tif', 'huge.tif', 'past-eof.tif'];
  for (const f of files) assert.ok(existsSync(join(tmp.dir, f)), `${f} was made by an earlier test`);
  const native = { GEODVC_GDAL_ENGINE: 'native' };
  const [bomb, huge, eof] = await inBatches(files.map((f) => () => run(['geo', 'chip', '--input', f, '--output', `native-${f}`, '--size', '256'], native)));
  refused(bomb!, 'bomb.tif', /bomb\.tif: IFD #0 tile 0 \(of 1\) would decode to 2\.0 GiB .*over the decode budget/, 'native geo chip (budget)');
  refused(huge!, 'huge.tif', /huge\.tif: IFD #0 TileOffsets has 2 entries, but the declared 1000000×1000000 image/, 'native geo chip (short table)');
  refused(eof!, 'past-eof.tif', /past-eof\.tif: IFD #0 tile 3: \d+ bytes at offset \d+ end at \d+, past the end of the file/, 'native geo chip (past EOF)');
});
