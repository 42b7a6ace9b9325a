/**
 * Issue 18: `geo vrt` on rasters whose headers are fine but whose pixels GDAL cannot decode (the
 * broken copies of geo-undecodable-files.ts and the corpus's truncated JPEG2000 files), with
 * `gdalinfo -json -checksum` as the oracle: each such file fails naming the file, the band and one
 * of the blocks GDAL names, no VRT and no temp file is written; files GDAL decodes pass; `geo check`
 * (no flags: GDAL decodes every block) agrees with GDAL on every file; a mosaic with one bad input
 * fails, naming every bad input; `--no-verify` writes the VRT (which gdalinfo then cannot checksum).
 *
 * Then `geo check` without flags on one bad block among at least 64 (so the old 16-block sample
 * missed it) of each kind: a DEFLATE tile, an LZW tile, a JPEG tile, a tile cut by truncation, a
 * tile of band 2 of a band-interleaved file, an overview tile, an internal-mask tile, an LZW
 * strip and a chunk of the second variable of a NetCDF-4 file; GDAL's checksum (of every band,
 * overview, the mask and every subdataset) is the oracle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { makeTmpDir } from '../helpers/tmp.js';
import { CORPUS, runCli } from '../helpers/cli.js';
import { needNative } from './geo-ops-native.js';
import { buildVrtFile } from '../../src/geo/ops/vrt.js';
import { checkFile, geoCheck } from '../../src/core/api/geo-check.js';
import { AppError, InterruptedError } from '../../src/lib/errors.js';
import { gdalSize, gdalVerdict, makeFiles, PY_PRELUDE } from './geo-undecodable-files.js';

test('geo vrt refuses every input GDAL cannot decode (file, band, tile/strip named; nothing written), agrees with gdalinfo -checksum and geo check', async (t) => {
  if (!needNative(t)) return;
  const { dir, cleanup } = makeTmpDir();
  t.after(cleanup);
  const { files, good } = makeFiles(join(dir, 'gen'));
  let refused = 0;
  const written = new Set<string>();
  // and two truncated JPEG2000 files of the corpus beside an intact one
  const jp2 = ['byte_truncated.jp2', 'small_world_truncated.jp2', 'byte.jp2'].map((n) => join(CORPUS, 'formats', n));
  // geo check of them all in one run (one GDAL runner), as `geo check FILES...`
  const all = [...files, good, ...jp2];
  const checks = (await geoCheck({ cwd: dir, targets: all })).files;
  assert.equal(checks.length, all.length);
  for (const [i, f] of all.entries()) {
    const v = gdalVerdict(f);
    const name = basename(f);
    const out = join(dir, `${name}.vrt`);
    const check = checks[i]!;
    assert.ok(check.file.endsWith(name), `${check.file} vs ${name}`);
    assert.equal(check.ok, v.decodes, `geo check ${name}: ${JSON.stringify(check.problems.slice(0, 2))} vs gdalinfo -checksum (decodes: ${v.decodes})`);
    if (v.decodes) {
      const r = await buildVrtFile({ output: out, inputs: [f] });
      assert.equal(r.width, gdalSize(f)[0]);
      written.add(basename(out));
      continue;
    }
    refused++;
    await assert.rejects(buildVrtFile({ output: out, inputs: [f] }), (e: unknown) => {
      assert.ok(e instanceof AppError, String(e));
      assert.equal(e.exitCode, 1);
      assert.equal(e.code, 'invalid-file');
      assert.ok(e.message.includes(name), e.message);
      assert.ok(e.hint && /--no-verify/.test(e.hint), e.hint);
      const d = e.details as { band: number; level: number; blockX: number; blockY: number };
      if (v.overviewOnly) assert.ok(d.level > 0, `${name}: GDAL fails only in an overview, we named level ${d.level}`);
      else assert.equal(d.level, 0, `${name}: ${e.message}`);
      if (v.blocks.size) assert.ok(v.blocks.has(`${d.band}:${d.blockX}:${d.blockY}`), `${name}: we named band ${d.band} block ${d.blockX},${d.blockY}; GDAL: ${[...v.blocks].join(' ')}`);
      assert.match(e.message, /tile \(\d+, \d+\)|strip \d+|its only block/);
      return true;
    });
    assert.deepEqual(readdirSync(dir).filter((n) => n !== 'gen' && !written.has(n)), [], `${name}: a VRT or temp file was left`);
  }
  assert.ok(refused >= 7, `only ${refused} of the broken copies are undecodable for GDAL`);
  // a mosaic with one bad input names it and writes nothing
  const bad = files.find((f) => !gdalVerdict(f).decodes)!;
  await assert.rejects(buildVrtFile({ output: join(dir, 'mosaic.vrt'), inputs: [good, bad] }), (e: unknown) => e instanceof AppError && e.message.includes(basename(bad)));
  // every bad input is checked and named, not only the first
  const bad2 = files.filter((f) => !gdalVerdict(f).decodes)[1]!;
  await assert.rejects(buildVrtFile({ output: join(dir, 'mosaic.vrt'), inputs: [bad, good, bad2] }), (e: unknown) => {
    assert.ok(e instanceof AppError, String(e));
    const first = e.message.indexOf(basename(bad)), more = e.message.indexOf('(and 1 more input(s) GDAL cannot decode: ');
    assert.ok(first >= 0 && more > first && e.message.slice(more).includes(basename(bad2)), e.message);
    return true;
  });
  assert.equal(existsSync(join(dir, 'mosaic.vrt')), false);
  // the opt-out writes it, and GDAL then fails reading the VRT
  await buildVrtFile({ output: join(dir, 'unverified.vrt'), inputs: [bad], verify: false });
  assert.equal(gdalVerdict(join(dir, 'unverified.vrt')).decodes, false);
});

/**
 * One bad block among >= 64 of each kind, made by python3-gdal from a corpus raster (blocks found
 * through GDAL's TIFF metadata), and GDAL's verdict on each: the checksum of every band, overview
 * and the internal mask (`gdalinfo -checksum` leaves masks out; the same call on the mask band).
 */
const ONE_BAD_PY = `${PY_PRELUDE}import re
def block(path, band, bx, by, ovr=None, mask=False):
    d = gdal.Open(path); b = d.GetRasterBand(band)
    if ovr is not None: b = b.GetOverview(ovr)
    if mask: b = b.GetMaskBand()
    nb = ((b.XSize + b.GetBlockSize()[0] - 1) // b.GetBlockSize()[0]) * ((b.YSize + b.GetBlockSize()[1] - 1) // b.GetBlockSize()[1])
    off = int(b.GetMetadataItem('BLOCK_OFFSET_%d_%d' % (bx, by), 'TIFF')); size = int(b.GetMetadataItem('BLOCK_SIZE_%d_%d' % (bx, by), 'TIFF'))
    d = None
    return off, size, nb
def damage(path, where, how):
    off, size, nb = where
    start, n = (off, min(64, size)) if how == 'head' else (off + size // 3, max(1, size // 3))
    with open(path, 'r+b') as f:
        f.seek(start); data = bytearray(f.read(n))
        f.seek(start); f.write(bytes([0xFF] * len(data)) if how == 'fill' else bytes(x ^ 0x5A for x in data))
    return nb
bad, blocks = {}, {}
T64 = ['-co', 'TILED=YES', '-co', 'BLOCKXSIZE=64', '-co', 'BLOCKYSIZE=64']
gdal.PushErrorHandler('CPLQuietErrorHandler')
p = tr('deflate_tile.tif', '-of', 'COG', '-co', 'BLOCKSIZE=64', '-co', 'COMPRESS=DEFLATE', '-co', 'OVERVIEWS=NONE')
blocks[p] = damage(p, block(p, 1, 6, 5), 'xor'); bad[p] = 'band 1, tile (6, 5)'
p = tr('lzw_tile.tif', *T64, '-co', 'COMPRESS=LZW'); blocks[p] = damage(p, block(p, 1, 6, 5), 'fill'); bad[p] = 'band 1, tile (6, 5)'
p = tr('jpeg_tile.tif', *T64, '-co', 'COMPRESS=JPEG'); blocks[p] = damage(p, block(p, 1, 6, 5), 'head'); bad[p] = 'band 1, tile (6, 5)'
p = tr('trunc_tile.tif', '-of', 'COG', '-co', 'BLOCKSIZE=64', '-co', 'COMPRESS=DEFLATE', '-co', 'OVERVIEWS=NONE')
off, size, nb = block(p, 3, 12, 11); os.truncate(p, off + size // 2); blocks[p] = nb; bad[p] = 'tile 155'
p = tr('band2_tile.tif', *T64, '-co', 'COMPRESS=DEFLATE', '-co', 'INTERLEAVE=BAND'); blocks[p] = damage(p, block(p, 2, 6, 5), 'xor'); bad[p] = 'band 2, tile (6, 5)'
p = tr('ovr_tile.tif', '-outsize', '200%', '200%', *T64, '-co', 'COMPRESS=DEFLATE')
gdal.SetConfigOption('GDAL_TIFF_OVR_BLOCKSIZE', '64')
d = gdal.Open(p, gdal.GA_Update); d.BuildOverviews('AVERAGE', [2, 4]); d = None
blocks[p] = damage(p, block(p, 1, 6, 5, ovr=0), 'xor'); bad[p] = 'band 1 of overview 1, tile (6, 5)'
p = os.path.join(out, 'mask_tile.tif')
gdal.SetConfigOption('GDAL_TIFF_INTERNAL_MASK', 'YES')
s = gdal.Open(src)
d = gdal.GetDriverByName('GTiff').CreateCopy(p, s, options=T64[1::2] + ['COMPRESS=DEFLATE'])
d.CreateMaskBand(gdal.GMF_PER_DATASET)
vals = s.GetRasterBand(1).ReadRaster()
d.GetRasterBand(1).GetMaskBand().WriteRaster(0, 0, d.RasterXSize, d.RasterYSize, bytes(255 if (v > 40 or (i * 7919) % 13 < 6) else 0 for i, v in enumerate(vals)))
d = None; s = None
blocks[p] = damage(p, block(p, 1, 6, 5, mask=True), 'xor'); bad[p] = 'the mask band, tile (6, 5)'
p = tr('lzw_strip.tif', '-co', 'COMPRESS=LZW', '-co', 'BLOCKYSIZE=8'); blocks[p] = damage(p, block(p, 1, 0, 45), 'fill'); bad[p] = 'band 1, strip 45'
p = tr('chunk.nc', '-of', 'netCDF', '-co', 'FORMAT=NC4', '-co', 'COMPRESS=DEFLATE')
with open(p, 'r+b') as f:
    f.seek(os.path.getsize(p) // 2); data = bytearray(f.read(300)); f.seek(os.path.getsize(p) // 2); f.write(bytes(x ^ 0x5A for x in data))
for name in [v for k, v in sorted(gdal.Open(p).GetMetadata('SUBDATASETS').items()) if k.endswith('_NAME')]:
    sd = gdal.Open(name); b = sd.GetRasterBand(1); bw, bh = b.GetBlockSize()
    try: ok = b.Checksum() != -1
    except RuntimeError: ok = False
    if not ok:
        blocks[p] = ((b.XSize + bw - 1) // bw) * ((b.YSize + bh - 1) // bh); bad[p] = 'of %s, %s' % (name.split(':')[-1], 'strip' if bw >= b.XSize else 'tile'); break
good = [tr('good64.tif', *T64, '-co', 'COMPRESS=DEFLATE'), tr('good_strips.tif', '-co', 'COMPRESS=LZW', '-co', 'BLOCKYSIZE=8')]
def decodes(path):
    d = gdal.Open(path)
    subs = [v for k, v in sorted((d.GetMetadata('SUBDATASETS') or {}).items()) if k.endswith('_NAME')]
    if d.RasterCount == 0: return all(decodes(x) for x in subs)
    for i in range(1, d.RasterCount + 1):
        b = d.GetRasterBand(i)
        todo = [b] + [b.GetOverview(k) for k in range(b.GetOverviewCount())]
        if i == 1 and b.GetMaskFlags() == gdal.GMF_PER_DATASET: todo.append(b.GetMaskBand())
        for x in todo:
            try:
                if x.Checksum() == -1: return False
            except RuntimeError: return False
    return True
print(json.dumps({'bad': bad, 'blocks': blocks, 'good': good, 'decodes': {p: decodes(p) for p in list(bad) + good}}))
`;

/** The processes whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
    } catch { /* gone */ }
  }
  return out;
}

test('geo check without flags finds one bad block among >= 64 of each kind (DEFLATE, LZW, JPEG, truncated, band 2, overview, mask, strip, NetCDF chunk), naming file and tile; intact files pass; --quick samples; Ctrl-C stops it', async (t) => {
  if (!needNative(t)) return;
  const { dir, cleanup } = makeTmpDir();
  t.after(cleanup);
  const fx = join(dir, 'fx');
  mkdirSync(fx);
  writeFileSync(join(dir, 'make.py'), ONE_BAD_PY);
  const py = spawnSync('/usr/bin/python3', [join(dir, 'make.py'), join(CORPUS, 'RGB.byte.tif'), fx], { encoding: 'utf8', env: { ...process.env, GDAL_PAM_ENABLED: 'NO' } });
  assert.equal(py.status, 0, `python3-gdal could not make the files: ${py.stderr}`);
  const made = JSON.parse(py.stdout) as { bad: Record<string, string>; blocks: Record<string, number>; good: string[]; decodes: Record<string, boolean> };
  const rel = (p: string) => `fx/${basename(p)}`;
  for (const [p, n] of Object.entries(made.blocks)) assert.ok(n >= 64, `${p}: only ${n} blocks in the damaged image`);
  for (const p of Object.keys(made.bad)) assert.equal(made.decodes[p], false, `${p}: GDAL decodes it, the damage missed`);
  for (const p of made.good) assert.equal(made.decodes[p], true, `${p}: GDAL cannot decode the intact copy`);
  // one run over the folder: every file is checked, each bad one named with its block
  const r = await runCli(['geo', 'check', '--json', 'fx'], { cwd: dir });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const doc = JSON.parse(r.stdout) as { failed: number; files: { file: string; ok: boolean; decode?: string; problems: { severity: string; structure: string; message: string; block?: { column: number; row: number } }[] }[] };
  assert.ok(Array.isArray(doc.files), r.stdout);
  const byName = new Map(doc.files.map((f) => [f.file, f]));
  assert.equal(doc.failed, Object.keys(made.bad).length, r.stdout);
  for (const [p, where] of Object.entries(made.bad)) {
    const f = byName.get(rel(p));
    assert.ok(f, `${rel(p)} not checked`);
    assert.equal(f.ok, false, `${rel(p)} passed geo check; GDAL cannot decode it`);
    const errs = f.problems.filter((x) => x.severity === 'error');
    assert.ok(errs.some((x) => `${x.structure}: ${x.message}`.includes(where)), `${rel(p)}: expected ${where}, got ${JSON.stringify(errs)}`);
  }
  for (const p of made.good) {
    const f = byName.get(rel(p))!;
    assert.ok(f.ok && f.decode === 'gdal', `${rel(p)}: ${JSON.stringify(f)}`);
  }
  // the text form names the file, the band and the tile with its pixels
  const txt = await runCli(['geo', 'check', 'fx/band2_tile.tif', 'fx/good64.tif'], { cwd: dir });
  assert.equal(txt.code, 1);
  assert.match(txt.stdout, /FAIL fx\/band2_tile\.tif\n {2}band 2, tile \(6, 5\) \(column, row\) \(pixels x 384\.\.447, y 320\.\.383\): GDAL cannot decode it: /);
  assert.match(txt.stdout, /1 of 2 file\(s\) failed/);
  // the 16-block sample of --quick misses the bad tile (why it is not the default)
  const quick = await checkFile(join(fx, 'deflate_tile.tif'), { quick: true });
  assert.equal(quick.ok, true, JSON.stringify(quick.problems));
  assert.equal(quick.decode, 'sample');
  // Ctrl-C while GDAL decodes: InterruptedError at once, the runner child is gone
  const before = new Set(childrenOf(process.pid));
  const ac = new AbortController();
  let abortedAt = 0;
  await assert.rejects(geoCheck({
    cwd: dir, targets: ['fx'], signal: ac.signal,
    onProgress: (e) => { if (e.phase === 'verifying' && !abortedAt) { abortedAt = Date.now(); ac.abort(new InterruptedError()); } },
  }), InterruptedError);
  assert.ok(abortedAt > 0, 'GDAL\'s decode stage never reported progress');
  assert.ok(Date.now() - abortedAt < 5000, `stopped ${Date.now() - abortedAt} ms after the abort`);
  assert.deepEqual(childrenOf(process.pid).filter((p) => !before.has(p)), [], 'a child process outlived the abort');
});
