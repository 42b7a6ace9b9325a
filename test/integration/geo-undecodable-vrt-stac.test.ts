/**
 * Issue 18: rasters whose headers are fine but whose pixels GDAL cannot decode (a flipped DEFLATE
 * tile, a truncated COG, a cut LZW strip, a bad tile in band 2 of a band-interleaved file, a bad
 * tile in an internal overview, a flipped YCbCr JPEG tile), made here from a corpus raster by
 * python3-gdal (it finds the blocks' bytes through GDAL's TIFF metadata). The oracle is
 * `gdalinfo -json -checksum`: a band or overview checksum of -1 means GDAL cannot decode the file,
 * and its "band N: IReadBlock failed at X offset a, Y offset b" lines name the blocks. `geo vrt`
 * must then fail naming the file, the band and one of those blocks, write no VRT and leave no temp
 * file; a file GDAL decodes must pass; `geo check --deep` must agree with GDAL; `--no-verify`
 * writes the VRT. The corpus's truncated JPEG2000 files the same way. `geo stac` (CLI) fails the same way, writes nothing, remembers verified objects.
 * Also `geo stac` of a raster georeferenced by GCPs only (rotated, in UTM): its footprint is the
 * lon/lat extent gdalwarp -t_srs EPSG:4326 gives it (it was skipped as "no georeferencing").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { makeTmpDir, gitInit } from '../helpers/tmp.js';
import { CORPUS, runCli, cliOk } from '../helpers/cli.js';
import { needNative } from './geo-ops-native.js';
import { buildVrtFile } from '../../src/geo/ops/vrt.js';
import { checkFile } from '../../src/core/api/geo-check.js';
import { AppError } from '../../src/lib/errors.js';

const MAKE_PY = `
import sys, json, os
from osgeo import gdal
gdal.UseExceptions()
src, out = sys.argv[1], sys.argv[2]
def tr(name, *args):
    p = os.path.join(out, name)
    gdal.Translate(p, src, options=list(args))
    return p
def flip(path, band, bx, by, ovr=None, fill=None):
    d = gdal.Open(path); b = d.GetRasterBand(band)
    if ovr is not None: b = b.GetOverview(ovr)
    off = int(b.GetMetadataItem('BLOCK_OFFSET_%d_%d' % (bx, by), 'TIFF')); size = int(b.GetMetadataItem('BLOCK_SIZE_%d_%d' % (bx, by), 'TIFF'))
    d = None
    with open(path, 'r+b') as f:
        start = off + size // 3
        f.seek(start); data = bytearray(f.read(size // 3))
        f.seek(start); f.write(bytes([0xFF] * len(data)) if fill else bytes(x ^ 0x5A for x in data))
files = []
p = tr('cog_flip.tif', '-of', 'COG', '-co', 'BLOCKSIZE=128', '-co', 'COMPRESS=DEFLATE', '-co', 'OVERVIEWS=NONE'); flip(p, 1, 3, 2); files.append(p)
p = tr('cog_trunc.tif', '-of', 'COG', '-co', 'BLOCKSIZE=128', '-co', 'COMPRESS=DEFLATE', '-co', 'OVERVIEWS=NONE')
os.truncate(p, int(os.path.getsize(p) * 0.6)); files.append(p)
p = tr('strips_cut.tif', '-co', 'COMPRESS=LZW', '-co', 'BLOCKYSIZE=16'); flip(p, 1, 0, 20, fill=True); files.append(p)
p = tr('band2_flip.tif', '-co', 'TILED=YES', '-co', 'BLOCKXSIZE=128', '-co', 'BLOCKYSIZE=128', '-co', 'COMPRESS=DEFLATE', '-co', 'INTERLEAVE=BAND'); flip(p, 2, 1, 4); files.append(p)
p = tr('ovr_flip.tif', '-co', 'TILED=YES', '-co', 'BLOCKXSIZE=128', '-co', 'BLOCKYSIZE=128', '-co', 'COMPRESS=DEFLATE')
d = gdal.Open(p, gdal.GA_Update); d.BuildOverviews('AVERAGE', [2, 4]); d = None
flip(p, 1, 0, 0, ovr=0); files.append(p)
p = tr('jpeg_flip.tif', '-co', 'TILED=YES', '-co', 'COMPRESS=JPEG', '-co', 'PHOTOMETRIC=YCBCR'); flip(p, 1, 1, 1); files.append(p)
good = tr('good.tif', '-co', 'TILED=YES', '-co', 'COMPRESS=DEFLATE')
print(json.dumps({'files': files, 'good': good}))
`;

interface Verdict { decodes: boolean; blocks: Set<string>; overviewOnly: boolean }

/** GDAL's verdict on a file: \`gdalinfo -json -checksum\` checksums (-1 = read error) and the blocks its errors name. */
function gdalVerdict(path: string): Verdict {
  const r = spawnSync('gdalinfo', ['-json', '-checksum', path], { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, GDAL_PAM_ENABLED: 'NO' } });
  assert.equal(r.status, 0, `gdalinfo ${path}: ${r.stderr}`);
  const j = JSON.parse(r.stdout);
  const full = j.bands.some((b: any) => b.checksum === -1);
  const ovr = j.bands.some((b: any) => (b.overviews ?? []).some((o: any) => o.checksum === -1));
  const blocks = new Set<string>();
  for (const m of r.stderr.matchAll(/band (\d+): IReadBlock failed at X offset (\d+), Y offset (\d+)/g)) blocks.add(`${m[1]}:${m[2]}:${m[3]}`);
  return { decodes: !full && !ovr, blocks, overviewOnly: !full && ovr };
}

let made: { files: string[]; good: string } | undefined;
/** The broken copies (and an intact one), made once for both tests in their own folder. */
function gdalSize(path: string): number[] {
  return JSON.parse(spawnSync('gdalinfo', ['-json', path], { encoding: 'utf8' }).stdout).size;
}

function makeFiles(dir: string): { files: string[]; good: string } {
  if (made) return made;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'make.py'), MAKE_PY);
  const r = spawnSync('/usr/bin/python3', [join(dir, 'make.py'), join(CORPUS, 'RGB.byte.tif'), dir], { encoding: 'utf8', env: { ...process.env, GDAL_PAM_ENABLED: 'NO' } });
  assert.equal(r.status, 0, `python3-gdal could not make the broken copies: ${r.stderr}`);
  made = JSON.parse(r.stdout);
  return made!;
}
const shared = makeTmpDir();
process.on('exit', shared.cleanup);

test('geo vrt refuses every input GDAL cannot decode (file, band, tile/strip named; nothing written), agrees with gdalinfo -checksum and geo check --deep', async (t) => {
  if (!needNative(t)) return;
  const { dir, cleanup } = makeTmpDir();
  t.after(cleanup);
  const { files, good } = makeFiles(join(shared.dir, 'gen'));
  let refused = 0;
  const written = new Set<string>();
  // and two truncated JPEG2000 files of the corpus beside an intact one
  const jp2 = ['byte_truncated.jp2', 'small_world_truncated.jp2', 'byte.jp2'].map((n) => join(CORPUS, 'formats', n));
  for (const f of [...files, good, ...jp2]) {
    const v = gdalVerdict(f);
    const name = basename(f);
    const out = join(dir, `${name}.vrt`);
    const check = await checkFile(f, { deep: true });
    assert.equal(check.ok, v.decodes, `geo check --deep ${name}: ${JSON.stringify(check.problems.slice(0, 2))} vs gdalinfo -checksum (decodes: ${v.decodes})`);
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
    assert.deepEqual(readdirSync(dir).filter((n) => !written.has(n)), [], `${name}: a VRT or temp file was left`);
  }
  assert.ok(refused >= 7, `only ${refused} of the broken copies are undecodable for GDAL`);
  // a mosaic with one bad input names it and writes nothing
  const bad = files.find((f) => !gdalVerdict(f).decodes)!;
  await assert.rejects(buildVrtFile({ output: join(dir, 'mosaic.vrt'), inputs: [good, bad] }), (e: unknown) => e instanceof AppError && e.message.includes(basename(bad)));
  assert.equal(existsSync(join(dir, 'mosaic.vrt')), false);
  // the opt-out writes it, and GDAL then fails reading the VRT
  await buildVrtFile({ output: join(dir, 'unverified.vrt'), inputs: [bad], verify: false });
  assert.equal(gdalVerdict(join(dir, 'unverified.vrt')).decodes, false);
});

test('geo vrt / geo stac CLI: exit 1 naming the file, --json error, nothing written; verified objects remembered; --no-verify', async (t) => {
  if (!needNative(t)) return;
  const { dir, cleanup } = makeTmpDir();
  t.after(cleanup);
  const { files } = makeFiles(join(shared.dir, 'gen'));
  const cut = files.find((f) => basename(f) === 'strips_cut.tif')!;
  assert.equal(gdalVerdict(cut).decodes, false);
  gitInit(dir);
  await cliOk(['init', '-q'], { cwd: dir });
  copyFileSync(cut, join(dir, 'cut.tif'));
  copyFileSync(join(CORPUS, 'RGB.byte.tif'), join(dir, 'good.tif'));
  // GCPs only, in UTM 11N, rotated by a few degrees
  const g = spawnSync('gdal_translate', ['-q', '-outsize', '40', '40', '-a_srs', 'EPSG:32611', '-gcp', '0', '0', '440720', '3751320', '-gcp', '40', '0', '441910', '3751420',
    '-gcp', '0', '40', '440820', '3750130', '-gcp', '40', '40', '442010', '3750230', join(CORPUS, 'byte.tif'), join(dir, 'gcp.tif')], { encoding: 'utf8' });
  assert.equal(g.status, 0, g.stderr);
  const v = await runCli(['geo', 'vrt', 'm.vrt', 'good.tif', 'cut.tif', '--json'], { cwd: dir });
  assert.equal(v.code, 1, v.stderr);
  assert.match(v.stderr + v.stdout, /cut\.tif.*band 1, strip 20/);
  assert.equal(existsSync(join(dir, 'm.vrt')), false);
  await cliOk(['add', '-q', 'good.tif', 'cut.tif', 'gcp.tif'], { cwd: dir });
  const s = await runCli(['geo', 'stac', '-o', 'site'], { cwd: dir });
  assert.equal(s.code, 1, s.stderr);
  assert.match(s.stderr, /ERROR: cut\.tif: GDAL cannot decode band 1, strip 20/);
  assert.match(s.stderr, /hint: /);
  assert.equal(existsSync(join(dir, 'site')), false, 'a STAC catalog was written for a bad raster');
  const ok = JSON.parse((await cliOk(['geo', 'stac', '-o', 'site', 'good.tif', 'gcp.tif', '--json'], { cwd: dir })).stdout);
  assert.deepEqual(ok.items.map((i: any) => i.path).sort(), ['gcp.tif', 'good.tif']);
  assert.equal(readdirSync(join(dir, '.dvc', 'tmp', 'geodvc-verified')).length, 2);
  // the GCP raster's footprint: gdalwarp's lon/lat extent
  const w = spawnSync('gdalwarp', ['-q', '-of', 'VRT', '-t_srs', 'EPSG:4326', join(dir, 'gcp.tif'), join(dir, 'gcp4326.vrt')], { encoding: 'utf8' });
  assert.equal(w.status, 0, w.stderr);
  const gi = JSON.parse(spawnSync('gdalinfo', ['-json', join(dir, 'gcp4326.vrt')], { encoding: 'utf8' }).stdout);
  const [gt, [nx, ny]] = [gi.geoTransform as number[], gi.size as number[]];
  const item = JSON.parse(readFileSync(ok.items.find((i: any) => i.path === 'gcp.tif').file, 'utf8'));
  const want = [gt[0]!, gt[3]! + ny! * gt[5]!, gt[0]! + nx! * gt[1]!, gt[3]!];
  for (let k = 0; k < 4; k++) assert.ok(Math.abs(item.bbox[k] - want[k]!) < 1e-8, `GCP footprint bbox ${item.bbox} vs gdalwarp ${want}`);
  assert.equal(item.properties['proj:transform'], undefined);
  const all = JSON.parse((await cliOk(['geo', 'stac', '-o', 'site2', '--no-verify', '--json'], { cwd: dir })).stdout);
  assert.equal(all.items.length, 3);
});
