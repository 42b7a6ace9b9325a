/**
 * Broken copies of a corpus raster for the geo-undecodable-* tests (issue 18), made by python3-gdal
 * (it finds the blocks' bytes through GDAL's TIFF metadata): a flipped DEFLATE tile in a COG, a
 * COG truncated at 60 %, a cut LZW strip, a bad tile in band 2 of a band-interleaved file, a bad
 * tile in an internal overview, a flipped YCbCr JPEG tile; plus an intact copy. GDAL's verdict on
 * a file is `gdalinfo -json -checksum`: a band or overview checksum of -1 means GDAL cannot decode
 * it, and its "band N: IReadBlock failed at X offset a, Y offset b" lines name the blocks.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { CORPUS } from '../helpers/cli.js';

/** The start of the python3-gdal scripts that make broken copies: argv is (source, output dir); tr() writes a gdal_translate copy into the output dir. */
export const PY_PRELUDE = `
import sys, json, os
from osgeo import gdal
gdal.UseExceptions()
src, out = sys.argv[1], sys.argv[2]
def tr(name, *args):
    p = os.path.join(out, name)
    gdal.Translate(p, src, options=list(args))
    return p
`;

const MAKE_PY = `${PY_PRELUDE}def flip(path, band, bx, by, ovr=None, fill=None):
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

export interface Verdict { decodes: boolean; blocks: Set<string>; overviewOnly: boolean }

/** GDAL's verdict on a file: \`gdalinfo -json -checksum\` checksums (-1 = read error) and the blocks its errors name. */
const verdicts = new Map<string, Verdict>();
export function gdalVerdict(path: string): Verdict {
  const known = verdicts.get(path);
  if (known) return known;
  const r = spawnSync('gdalinfo', ['-json', '-checksum', path], { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, GDAL_PAM_ENABLED: 'NO' } });
  assert.equal(r.status, 0, `gdalinfo ${path}: ${r.stderr}`);
  const j = JSON.parse(r.stdout);
  const full = j.bands.some((b: any) => b.checksum === -1);
  const ovr = j.bands.some((b: any) => (b.overviews ?? []).some((o: any) => o.checksum === -1));
  const blocks = new Set<string>();
  for (const m of r.stderr.matchAll(/band (\d+): IReadBlock failed at X offset (\d+), Y offset (\d+)/g)) blocks.add(`${m[1]}:${m[2]}:${m[3]}`);
  const v = { decodes: !full && !ovr, blocks, overviewOnly: !full && ovr };
  verdicts.set(path, v);
  return v;
}

/** The broken copies (and an intact one), made once for both tests in their own folder. */
export function gdalSize(path: string): number[] {
  return JSON.parse(spawnSync('gdalinfo', ['-json', path], { encoding: 'utf8' }).stdout).size;
}

export function makeFiles(dir: string): { files: string[]; good: string } {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'make.py'), MAKE_PY);
  const r = spawnSync('/usr/bin/python3', [join(dir, 'make.py'), join(CORPUS, 'RGB.byte.tif'), dir], { encoding: 'utf8', env: { ...process.env, GDAL_PAM_ENABLED: 'NO' } });
  assert.equal(r.status, 0, `python3-gdal could not make the broken copies: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
