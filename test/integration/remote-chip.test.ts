/**
 * `geo chip --rev/--remote` and `geo reproject --rev/--remote` over tracked rasters: a tracked
 * directory of four corpus rasters (Byte strips uncompressed with nodata, tiled 256 with nodata,
 * LZW strips, UInt16 tiled DEFLATE) in two revisions, pushed to the real node:http test server.
 * The v1 objects leave the cache, so every byte of the remote runs comes from the server. Chips cut
 * in place from the remote must be byte-identical to chips cut from a local copy of the same
 * revision with the same options, and the chip index identical (source_md5 = the object hash).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, readFileSync, readdirSync, rmSync, copyFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeShmTmpDir, gitInit, git } from '../helpers/tmp.js';
import { cliOk, runCli, CORPUS } from '../helpers/cli.js';
import { startOrSkip } from '../helpers/servers/index.js';
import { startHttpServer } from '../helpers/servers/http-server.js';
import { TiffFile, parseRemote } from '../../src/geo/raster/tiff.js';
import type { ChipOptions } from '../../src/geo/ops/chip.js';
// local reference chips from the own TIFF reader, which cuts tracked and remote inputs: byte-identical chips
import { chipOwn as chip } from '../../src/geo/ops/chip/own.js';
import { chipTracked, reprojectTracked } from '../../src/core/api/open-inputs.js';
import { AppError } from '../../src/lib/errors.js';

const RASTERS = ['RGB.byte.tif', 'shade.tif', 'world.rgb.tif', 'cog.tif'];

/** Every file of two chip output directories is byte-identical (same names, same bytes). */
function sameDirs(a: string, b: string): number {
  const na = readdirSync(a).sort(), nb = readdirSync(b).sort();
  assert.deepEqual(nb, na);
  for (const n of na) assert.ok(readFileSync(join(a, n)).equals(readFileSync(join(b, n))), `${n} differs`);
  return na.length;
}

test('parseRemote: a TIFF header parsed from ranged reads equals the local parse, in a few rounds', async () => {
  for (const f of RASTERS) {
    const p = join(CORPUS, f);
    const bytes = readFileSync(p);
    let reads = 0, got = 0;
    const reader = { size: bytes.length, async read(o: number, n: number) { reads++; got += n; return bytes.subarray(o, o + n); } };
    const remote = await parseRemote(reader, (b) => {
      const t = TiffFile.fromReader(b, f);
      const ifd = t.ifds[0]!;
      // the block arrays are read too (what chip needs)
      return { ifds: t.ifds.map((i) => [i.offset, [...i.entries.keys()]]), offs: Array.from(t.array(ifd.entries.get(324) ?? ifd.entries.get(273)!)) };
    }, { readAhead: 4096, blockSize: 4096 });
    const t = TiffFile.open(p);
    const ifd = t.ifds[0]!;
    const local = { ifds: t.ifds.map((i) => [i.offset, [...i.entries.keys()]]), offs: Array.from(t.array(ifd.entries.get(324) ?? ifd.entries.get(273)!)) };
    t.close();
    assert.deepEqual(remote, local, f);
    assert.ok(reads <= 40, `${f}: ${reads} reads`);
    assert.ok(got < bytes.length, `${f}: read ${got} of ${bytes.length} bytes`);
  }
});

test('chip() with a remote input: the tiles of a window are read concurrently, only they are read, and the chips equal local ones', async (t) => {
  const { dir, cleanup } = makeShmTmpDir('remote-chip-unit-');
  try {
    const p = join(CORPUS, 'cog.tif'); // 2658x2667 UInt16, tiles 256, DEFLATE
    const bytes = readFileSync(p);
    let inFlight = 0, maxInFlight = 0, got = 0, reads = 0;
    const reader = {
      size: bytes.length, describe: 'test',
      async read(o: number, n: number) {
        inFlight++; reads++; maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--; got += n;
        return bytes.subarray(o, o + n);
      },
    };
    const o = { size: 1024, stride: 1000 };
    await chip({ input: p, output: join(dir, 'local'), ...o });
    const r = await chip({ input: 'cog.tif', output: join(dir, 'remote'), ...o, inputs: [{ name: 'cog.tif', remote: reader, md5: 'x'.repeat(32) }] });
    assert.equal(r.chips.length, 4);
    t.diagnostic(`${reads} reads (${got} of ${bytes.length} bytes), up to ${maxInFlight} in flight`);
    for (const c of r.chips) assert.ok(readFileSync(join(dir, 'remote', c.chip)).equals(readFileSync(join(dir, 'local', c.chip))), c.chip);
    // a 1024 window at a 1000 stride touches 5x5 tiles: they are requested together
    assert.ok(maxInFlight >= 8, `at most ${maxInFlight} reads in flight`);
    // every tile at most once (the staged tiles of a chip are reused by the next), plus the header
    const tiles = 8 * 8; // the 4 windows cover x,y in [0, 2024): 8 tile columns and rows
    assert.ok(reads <= tiles + 2, `${reads} reads`);
    assert.ok(got < bytes.length, `${got} of ${bytes.length} bytes`);
  } finally { cleanup(); }
});

test('geo chip/reproject --rev/--remote: chips cut in place from node-http equal local chips; reproject from a verified temp copy', { timeout: 300_000 }, async (t) => {
  const { dir: base, cleanup } = makeShmTmpDir('remote-chip-');
  t.after(cleanup);
  const dir = join(base, 'repo');
  mkdirSync(dir);
  const srv = await startOrSkip(t, 'node-http', startHttpServer);
  if (!srv) return;
  t.after(() => srv.stop());
  gitInit(dir);
  await cliOk(['init', '-q'], { cwd: dir });
  const r = await srv.newRemote('remote-chip');
  appendFileSync(join(dir, '.dvc', 'config.local'), `['remote "web"']\n    url = ${r.url}\n    method = PUT\n`);
  const tiles = join(dir, 'tiles');
  mkdirSync(tiles);
  for (const f of RASTERS) copyFileSync(join(CORPUS, f), join(tiles, f));
  writeFileSync(join(tiles, 'README.txt'), 'not a raster\n');
  copyFileSync(join(CORPUS, 'cog.tif'), join(dir, 'scene.tif'));
  // a plain folder of file outputs (singles/a.tif.dvc, singles/b.tif.dvc)
  mkdirSync(join(dir, 'singles'));
  copyFileSync(join(CORPUS, 'shade.tif'), join(dir, 'singles', 'a.tif'));
  copyFileSync(join(CORPUS, 'byte.tif'), join(dir, 'singles', 'b.tif'));
  await cliOk(['add', '-q', 'tiles', 'scene.tif', 'singles/a.tif', 'singles/b.tif'], { cwd: dir });
  git(dir, 'add', '-A'); git(dir, 'commit', '-q', '-m', 'v1');
  const v1 = join(base, 'v1-copy');
  cpSync(tiles, v1, { recursive: true, dereference: true });
  // v2: one raster replaced, one removed
  copyFileSync(join(CORPUS, 'byte.tif'), join(tiles, 'shade.tif'));
  rmSync(join(tiles, 'world.rgb.tif'));
  await cliOk(['add', '-q', 'tiles'], { cwd: dir });
  git(dir, 'add', '-A'); git(dir, 'commit', '-q', '-m', 'v2');
  await cliOk(['push', '-q', '-r', 'web', '-A'], { cwd: dir });
  // v1-only objects leave the cache
  const cacheMd5 = join(dir, '.dvc', 'cache', 'files', 'md5');
  const v2objs = new Set<string>();
  for (const f of readdirSync(tiles)) v2objs.add(execFileSync('md5sum', [join(tiles, f)], { encoding: 'utf8' }).slice(0, 32));
  let removed = 0;
  for (const f of RASTERS) {
    const oid = execFileSync('md5sum', [join(v1, f)], { encoding: 'utf8' }).slice(0, 32);
    if (v2objs.has(oid)) continue;
    rmSync(join(cacheMd5, oid.slice(0, 2), oid.slice(2)), { force: true });
    removed++;
  }
  assert.equal(removed, 2);

  const opts = ['--size', '200', '--overlap', '40', '--edge', 'pad'];
  const o = { size: 200, overlap: 40, edge: 'pad' as const };
  // local reference: the v1 copy
  await chip({ input: v1, output: join(dir, 'c-local'), ...o });
  // remote, in place, at v1 (3 range requests in flight)
  const res = JSON.parse((await cliOk(['geo', 'chip', '--input', 'tiles', '--rev', 'HEAD~1', '-r', 'web', '-j', '3', '--output', join(dir, 'c-remote'), ...opts, '--json'], { cwd: dir })).stdout);
  const n = sameDirs(join(dir, 'c-local'), join(dir, 'c-remote'));
  t.diagnostic(`${n - 1} chips byte-identical; ${res.bytesRead} bytes in ${res.requests} GETs`);
  assert.equal(res.chips, n - 1);
  assert.deepEqual(res.sources.map((s: any) => [s.path, s.from]), RASTERS.slice().sort().map((f) => [`tiles/${f}`, 'remote:web']));
  assert.ok(res.bytesRead > 0 && res.requests > 0);
  const index = JSON.parse(readFileSync(join(dir, 'c-remote', 'chips.geojson'), 'utf8'));
  const oidOf = Object.fromEntries(res.sources.map((s: any) => [s.path.split('/').pop(), s.oid]));
  for (const f of index.features) assert.equal(f.properties.source_md5, oidOf[f.properties.source]);

  // (in process from here: the functions the CLI calls)
  // --rev alone: v1 objects missing from the cache come from the default remote... there is none
  await assert.rejects(chipTracked({ input: 'tiles', rev: 'HEAD~1', cwd: dir, output: join(dir, 'x'), ...o }), /remote/i);
  // --rev alone on data in the cache (v2 = HEAD) reads the cache; equal to chips of the workspace
  await chip({ input: join(dir, 'tiles'), output: join(dir, 'c-ws'), ...o });
  const fromCache = await chipTracked({ input: 'tiles', rev: 'HEAD', cwd: dir, output: 'c-cache', ...o });
  assert.ok(fromCache.sources.every((s) => s.from === 'cache'));
  assert.equal(fromCache.bytesRead, 0);
  sameDirs(join(dir, 'c-ws'), join(dir, 'c-cache'));
  // --remote alone = the workspace's version (v2) from that remote
  const ws = await chipTracked({ input: 'tiles', remote: 'web', cwd: dir, output: 'c-ws-remote', ...o });
  assert.equal(ws.sources.length, 3);
  assert.ok(ws.requests > 0);
  sameDirs(join(dir, 'c-ws'), join(dir, 'c-ws-remote'));

  // one file inside the tracked dir: tile-aligned chips (the fast path copies the remote tiles), band subset, stride
  const cases: [string, Omit<ChipOptions, 'input' | 'output'>][] = [['shade.tif', { size: 256 }], ['RGB.byte.tif', { size: 128, bands: [3, 1], maxNodata: 0.5 }], ['cog.tif', { size: 256, stride: 192, edge: 'shift' }], ['world.rgb.tif', { size: 64, overlap: 16 }]];
  for (const [f, extra] of cases) {
    const a = join(dir, `f-local-${f}`), b = join(dir, `f-remote-${f}`);
    const la = await chip({ input: join(v1, f), output: a, ...extra });
    const rb = await chipTracked({ input: `tiles/${f}`, rev: 'HEAD~1', remote: 'web', concurrency: 2, cwd: dir, output: b, ...extra });
    assert.ok(sameDirs(a, b) > 1, f);
    if (f === 'shade.tif') assert.ok(la.chips.some((c) => c.fastPath) && rb.chips.some((c) => c.fastPath), 'the fast path ran');
  }
  // a tracked file output; an AOI (GeoJSON in EPSG:4326 over part of the raster)
  const info = JSON.parse(execFileSync('gdalinfo', ['-json', join(dir, 'scene.tif')], { encoding: 'utf8' }));
  const [[x0, y0], , [x1, y1]] = info.wgs84Extent.coordinates[0];
  const aoi = join(dir, 'aoi.geojson');
  const mx = (x0 + x1) / 2, my = (y0 + y1) / 2;
  writeFileSync(aoi, JSON.stringify({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[[x0, y0], [mx, y0], [mx, my], [x0, my], [x0, y0]]] } }));
  await chip({ input: join(dir, 'scene.tif'), output: join(dir, 's-local'), size: 128, aoi });
  const sr = await chipTracked({ input: 'scene.tif', remote: 'web', cwd: dir, output: 's-remote', size: 128, aoi });
  assert.ok(sr.skippedAoi > 0 && sr.chips.length > 0);
  sameDirs(join(dir, 's-local'), join(dir, 's-remote'));

  // a folder of .dvc file outputs, at HEAD and in the workspace
  await chip({ input: join(dir, 'singles'), output: join(dir, 'singles-local'), size: 256, edge: 'pad' });
  const sg = await chipTracked({ input: 'singles', rev: 'HEAD', remote: 'web', cwd: dir, output: 'singles-remote', size: 256, edge: 'pad' });
  assert.deepEqual(sg.sources.map((x) => x.path), ['singles/a.tif', 'singles/b.tif']);
  sameDirs(join(dir, 'singles-local'), join(dir, 'singles-remote'));
  // an output recorded in dvc.lock (a pipeline stage's out): the v1 tiles directory under another path
  const v1dir = /md5: ([0-9a-f]{32}\.dir)/.exec(git(dir, 'show', 'HEAD~1:tiles.dvc'))![1]!;
  writeFileSync(join(dir, 'dvc.lock'), `schema: '2.0'\nstages:\n  make:\n    cmd: make-tiles\n    outs:\n    - path: stage-out\n      hash: md5\n      md5: ${v1dir}\n      nfiles: 5\n`);
  const lk = await chipTracked({ input: 'stage-out', remote: 'web', cwd: dir, output: 'c-lock', ...o });
  assert.deepEqual(lk.sources.map((x) => x.path), RASTERS.slice().sort().map((f) => `stage-out/${f}`));
  sameDirs(join(dir, 'c-local'), join(dir, 'c-lock'));
  // open() (geo read) resolves dvc.lock outs the same way
  const { openRaster } = await import('../../src/core/api/open.js');
  const opened = await openRaster('stage-out/cog.tif', { remote: 'web', cwd: dir });
  try {
    assert.equal(opened.from, 'remote:web');
    assert.equal((await opened.tiff.getImage()).getWidth(), 2658);
  } finally { await opened.close(); }
  rmSync(join(dir, 'dvc.lock'));

  // bad input: clear errors with hints (CLI: non-zero exits), nothing written
  for (const [args, re] of [[['--input', 'nothere', '-r', 'web'], /not tracked/], [['--input', 'tiles', '-j', '4'], /--jobs applies to --rev\/--remote/]] as const) {
    const e = await runCli(['geo', 'chip', ...args, '--output', join(dir, 'bad'), '--size', '64'], { cwd: dir });
    assert.notEqual(e.code, 0, args.join(' '));
    assert.match(e.stderr, re, args.join(' '));
    assert.match(e.stderr, /hint:/, args.join(' '));
  }
  for (const [x, re] of [[{ input: 'tiles', rev: 'nosuchrev', remote: 'web' }, /unknown revision/], [{ input: 'tiles', remote: 'nosuchremote' }, /nosuchremote/],
    [{ input: 'tiles/README.txt', remote: 'web' }, /README\.txt: not a TIFF/], [{ input: 'tiles/nothere.tif', rev: 'HEAD~1', remote: 'web' }, /not tracked at revision HEAD~1/]] as const) {
    await assert.rejects(chipTracked({ ...x, cwd: dir, output: join(dir, 'bad'), size: 64 }), (e: unknown) => e instanceof AppError && re.test(e.message) && !!e.hint);
  }
  assert.ok(!existsSync(join(dir, 'bad')) || readdirSync(join(dir, 'bad')).filter((x) => x.endsWith('.tif')).length === 0);

  // reproject: v1 shade.tif (only on the remote) fetched into an md5-verified temp file = reproject of the local copy
  const rpLocal = join(dir, 'rp-local'), rpRemote = join(dir, 'rp-remote');
  const { reproject } = await import('../../src/geo/ops/reproject.js');
  await reproject({ input: join(v1, 'shade.tif'), output: rpLocal, crs: 'EPSG:4326', jobs: 1 });
  const rp = JSON.parse((await cliOk(['geo', 'reproject', '--input', 'tiles/shade.tif', '--rev', 'HEAD~1', '-r', 'web', '--output', rpRemote, '--crs', 'EPSG:4326', '-j', '1', '--json'], { cwd: dir })).stdout);
  assert.equal(rp.files[0].input, 'tiles/shade.tif');
  assert.equal(rp.sources[0].from, 'remote:web');
  assert.ok(rp.bytesFetched > 0);
  const ga = JSON.parse(execFileSync('gdalinfo', ['-json', '-checksum', join(rpLocal, 'shade.tif')], { encoding: 'utf8' }));
  const gb = JSON.parse(execFileSync('gdalinfo', ['-json', '-checksum', join(rpRemote, 'shade.tif')], { encoding: 'utf8' }));
  assert.deepEqual(gb.geoTransform, ga.geoTransform);
  assert.deepEqual(gb.bands.map((b: any) => b.checksum), ga.bands.map((b: any) => b.checksum));
  // no temp files left, nothing added to the cache
  assert.deepEqual(readdirSync(join(dir, '.dvc', 'tmp')).filter((x) => x.startsWith('reproject-')), []);
  const oid = rp.sources[0].oid as string;
  assert.ok(!existsSync(join(cacheMd5, oid.slice(0, 2), oid.slice(2))), 'reproject must not fill the cache');
  // a second run keeps the output (idempotency key = object hash, not the temp file's mtime)
  const rp2 = await reprojectTracked({ input: 'tiles/shade.tif', rev: 'HEAD~1', remote: 'web', cwd: dir, output: rpRemote, crs: 'EPSG:4326', jobs: 1 });
  assert.equal(rp2.files[0]!.skipped, true);

  // a corrupt remote copy is refused by reproject (hash mismatch), and nothing is written
  const objPath = srv.objectPath!(r.url, `files/md5/${oid.slice(0, 2)}/${oid.slice(2)}`)!;
  const orig = readFileSync(objPath);
  const bad2 = Buffer.from(orig); bad2.writeUInt8(bad2.readUInt8(bad2.length - 1) ^ 0xff, bad2.length - 1);
  writeFileSync(objPath, bad2);
  await assert.rejects(reprojectTracked({ input: 'tiles/shade.tif', rev: 'HEAD~1', remote: 'web', cwd: dir, output: join(dir, 'rp-bad'), crs: 'EPSG:4326', jobs: 1 }),
    (e: unknown) => e instanceof AppError && /hashes to/.test(e.message) && !!e.hint);
  writeFileSync(objPath, orig);
  assert.ok(!existsSync(join(dir, 'rp-bad', 'shade.tif')));
});
