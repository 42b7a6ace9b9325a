/**
 * Issue 20, `add` frictions: a truncated or non-georeferenced raster is added (exit 0, .dvc
 * written) but warned about, by file and by what is wrong, on stderr and in `--json`; a valid
 * GeoTIFF gets no warning. The files are made by GDAL (gdal_create), the truncated one cut at half.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliOk } from '../helpers/cli.js';
import { makeShmTmpDir, gitInit } from '../helpers/tmp.js';

const TRUNC = /truncated: tile \d+ ends at byte \d+ past the end of the file \(size \d+\)/;
const NOGEO = /no georeferencing: no CRS and no geotransform/;

/** valid.tif (16 tiles of 64², EPSG:32632), trunc.tif (valid.tif cut at half), plain.tif (no CRS, no geotransform) in `dir`. */
function makeRasters(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const valid = join(dir, 'valid.tif');
  execFileSync('gdal_create', ['-q', '-of', 'GTiff', '-outsize', '256', '256', '-bands', '1', '-ot', 'Byte', '-burn', '7',
    '-a_srs', 'EPSG:32632', '-a_ullr', '600000', '5000000', '602560', '4997440', '-co', 'TILED=YES', '-co', 'BLOCKXSIZE=64', '-co', 'BLOCKYSIZE=64', valid]);
  execFileSync('gdal_create', ['-q', '-of', 'GTiff', '-outsize', '64', '64', '-bands', '1', '-burn', '3', '-co', 'TILED=YES', '-co', 'BLOCKXSIZE=32', '-co', 'BLOCKYSIZE=32', join(dir, 'plain.tif')]);
  const bytes = readFileSync(valid);
  writeFileSync(join(dir, 'trunc.tif'), bytes.subarray(0, Math.floor(bytes.length / 2)));
}

function repo(): { dir: string; cleanup: () => void } {
  const t = makeShmTmpDir('geodvc-fr-add-');
  gitInit(t.dir);
  return t;
}

test('add of single rasters: truncated and non-georeferenced ones are added with a warning naming the file and the problem; a valid one without', async () => {
  const t = repo();
  try {
    await cliOk(['init', '-q'], { cwd: t.dir });
    makeRasters(join(t.dir, 'data'));
    const v = await cliOk(['add', 'data/valid.tif'], { cwd: t.dir });
    assert.doesNotMatch(v.stderr, /WARNING/);
    assert.ok(existsSync(join(t.dir, 'data', 'valid.tif.dvc')));

    const tr = await cliOk(['add', 'data/trunc.tif'], { cwd: t.dir });
    assert.match(tr.stderr, new RegExp(`WARNING: 'data/trunc\\.tif': ${TRUNC.source}`));
    assert.doesNotMatch(tr.stderr, NOGEO); // the header (with its GeoKeys) is intact
    assert.ok(existsSync(join(t.dir, 'data', 'trunc.tif.dvc')));

    const pj = JSON.parse((await cliOk(['add', 'data/plain.tif', '--json'], { cwd: t.dir })).stdout);
    assert.deepEqual(pj.warnings, [{ file: 'data/plain.tif', message: 'no georeferencing: no CRS and no geotransform' }]);
    assert.equal(pj.outputs[0].path, 'data/plain.tif');
    assert.equal(pj.rasterCheck.checked, 1);
    assert.ok(existsSync(join(t.dir, 'data', 'plain.tif.dvc')));
    // the truncated file's .dvc records the bytes as they are (the data is never refused)
    assert.match(readFileSync(join(t.dir, 'data', 'trunc.tif.dvc'), 'utf8'), new RegExp(`size: ${readFileSync(join(t.dir, 'data', 'trunc.tif')).length}\\b`));
  } finally { t.cleanup(); }
});

test('add of a directory checks the rasters inside (by extension, header only), warns per broken file, says when the cap is hit', async () => {
  const t = repo();
  try {
    await cliOk(['init', '-q'], { cwd: t.dir });
    makeRasters(join(t.dir, 'scenes'));
    writeFileSync(join(t.dir, 'scenes', 'notes.txt'), 'not a raster\n');
    const j = JSON.parse((await cliOk(['add', 'scenes', '--json'], { cwd: t.dir })).stdout);
    assert.equal(j.outputs[0].isDir, true);
    assert.equal(j.outputs[0].nfiles, 4);
    assert.equal(j.rasterCheck.checked, 3);
    assert.equal(j.rasterCheck.skipped, undefined);
    const byFile = new Map<string, string[]>();
    for (const w of j.warnings as { file: string; message: string }[]) byFile.set(w.file, [...(byFile.get(w.file) ?? []), w.message]);
    assert.deepEqual([...byFile.keys()].sort(), ['scenes/plain.tif', 'scenes/trunc.tif']);
    assert.match(byFile.get('scenes/trunc.tif')!.join('\n'), TRUNC);
    assert.deepEqual(byFile.get('scenes/plain.tif'), ['no georeferencing: no CRS and no geotransform']);
    assert.ok(existsSync(join(t.dir, 'scenes.dvc')));

    // text output, with a cap of 1 raster: one checked (sorted: plain.tif first), the rest said to be unchecked
    writeFileSync(join(t.dir, 'scenes', 'more.txt'), 'changed\n');
    const r = await cliOk(['add', 'scenes'], { cwd: t.dir, env: { GEODVC_ADD_CHECK_CAP: '1' } });
    assert.match(r.stderr, /WARNING: 'scenes\/plain\.tif': no georeferencing: no CRS and no geotransform/);
    assert.doesNotMatch(r.stderr, /trunc\.tif/);
    assert.match(r.stderr, /WARNING: checked the headers of the first 1 rasters only \(cap 1\); 2 more not checked/);
  } finally { t.cleanup(); }
});

test('geo reproject / vrt / chip text output names the files relative to the current directory (as DVC), --json keeps absolute paths', async () => {
  const t = makeShmTmpDir('geodvc-fr-rel-');
  try {
    makeRasters(join(t.dir, 'data'));
    const sub = join(t.dir, 'sub');
    mkdirSync(sub);
    const src = join(t.dir, 'data', 'valid.tif');
    const rp = await cliOk(['geo', 'reproject', '--input', src, '--output', join(sub, 'out'), '--crs', 'EPSG:4326', '--format', 'GTiff'], { cwd: sub });
    assert.match(rp.stdout, /^wrote out\/valid\.tif \(\d+x\d+\)$/m);
    assert.doesNotMatch(rp.stdout, new RegExp(t.dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
    const rj = JSON.parse((await cliOk(['geo', 'reproject', '--input', src, '--output', join(sub, 'out'), '--crs', 'EPSG:4326', '--format', 'GTiff', '--json'], { cwd: sub })).stdout);
    assert.equal(rj.files[0].output, join(sub, 'out', 'valid.tif'));
    const vr = await cliOk(['geo', 'vrt', join(sub, 'm.vrt'), src], { cwd: sub });
    assert.match(vr.stdout, /^wrote m\.vrt: 256x256, 1 band\(s\)/m);
    const ch = await cliOk(['geo', 'chip', '--input', src, '--output', join(t.dir, 'chips'), '--size', '128'], { cwd: sub });
    assert.match(ch.stdout, /; index \.\.\/chips\/chips\.geojson$/m);
  } finally { t.cleanup(); }
});
