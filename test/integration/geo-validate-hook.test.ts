/**
 * The alignment gate on generated rasters (native gdal_translate from gdal-bin): UTM 32N reference
 * grid, a UTM 33N raster, an EPSG:4326 raster, a half-pixel-shifted grid and a different resolution;
 * then `install` and a `git commit` through the pre-commit hook is refused with the report.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir, gitInit, git } from '../helpers/tmp.js';
import { runCli, CORPUS } from '../helpers/cli.js';

const HAVE_GDAL = spawnSync('gdal_translate', ['--version']).status === 0;
const skip = !HAVE_GDAL && process.env.CI !== 'true' ? 'gdal-bin not installed' : false;

function translate(out: string, srs: string, ullr: number[]): void {
  execFileSync('gdal_translate', ['-q', '-of', 'GTiff', '-a_srs', srs, '-a_ullr', ...ullr.map(String), join(CORPUS, 'byte.tif'), out]);
}

function makeMixed(dir: string): void {
  mkdirSync(dir, { recursive: true });
  // byte.tif is 20x20: 10 m pixels -> 200 m
  translate(join(dir, 'a_ref_32632.tif'), 'EPSG:32632', [500000, 4000200, 500200, 4000000]);
  translate(join(dir, 'b_ok_32632.tif'), 'EPSG:32632', [500400, 4000200, 500600, 4000000]);
  translate(join(dir, 'c_utm33.tif'), 'EPSG:32633', [500000, 4000200, 500200, 4000000]);
  translate(join(dir, 'd_wgs84.tif'), 'EPSG:4326', [9, 36.2, 9.2, 36]);
  translate(join(dir, 'e_halfpixel.tif'), 'EPSG:32632', [500005, 4000205, 500205, 4000005]);
  translate(join(dir, 'f_res20.tif'), 'EPSG:32632', [500000, 4000400, 500400, 4000000]);
}

test('geo validate names every offender with numbers; aligned files pass', { skip }, async () => {
  const { dir, cleanup } = makeTmpDir();
  try {
    makeMixed(join(dir, 'tiles'));
    const r = await runCli(['geo', 'validate', 'tiles', '--json'], { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    const j = JSON.parse(r.stdout);
    const by = new Map<string, any[]>();
    for (const v of j.violations) by.set(v.file, [...(by.get(v.file) ?? []), v]);
    assert.equal(j.rules.crs, 'EPSG:32632');
    assert.deepEqual([...by.keys()].sort(), ['tiles/c_utm33.tif', 'tiles/d_wgs84.tif', 'tiles/e_halfpixel.tif', 'tiles/f_res20.tif']);
    assert.equal(by.get('tiles/c_utm33.tif')![0].rule, 'crs');
    assert.match(by.get('tiles/c_utm33.tif')![0].message, /EPSG:32633.*EPSG:32632/);
    assert.equal(by.get('tiles/d_wgs84.tif')![0].rule, 'crs');
    assert.equal(by.get('tiles/e_halfpixel.tif')![0].rule, 'grid');
    assert.match(by.get('tiles/e_halfpixel.tif')![0].message, /0\.5 px in x and -0\.5 px in y|0\.5 px in x and 0\.5 px in y|-0\.5 px in x/);
    assert.equal(by.get('tiles/f_res20.tif')![0].rule, 'resolution');
    assert.match(by.get('tiles/f_res20.tif')![0].message, /20 x 20 differs from 10 x 10/);
    const ok = await runCli(['geo', 'validate', 'tiles/a_ref_32632.tif', 'tiles/b_ok_32632.tif'], { cwd: dir });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    // Config [geo] overrides inference: target UTM 33N makes the 32N files the offenders.
    const cfg = await runCli(['geo', 'validate', 'tiles', '--crs', 'EPSG:32633', '--json'], { cwd: dir });
    const cj = JSON.parse(cfg.stdout);
    assert.ok(cj.violations.some((v: any) => v.file === 'tiles/a_ref_32632.tif' && v.rule === 'crs'));
    assert.ok(!cj.violations.some((v: any) => v.file === 'tiles/c_utm33.tif'));
  } finally { cleanup(); }
});

test('install writes hooks; a commit of misaligned data is refused with the report', { skip }, async () => {
  const { dir, cleanup } = makeTmpDir();
  try {
    gitInit(dir);
    mkdirSync(join(dir, '.dvc'));
    writeFileSync(join(dir, '.dvc', 'config'), '[geo]\n    crs = EPSG:32632\n    resolution = 10\n    origin = 500000,4000000\n');
    const inst = await runCli(['install', '--json'], { cwd: dir });
    assert.equal(inst.code, 0, inst.stderr);
    for (const h of ['pre-commit', 'pre-push', 'post-checkout']) assert.ok(existsSync(join(dir, '.git', 'hooks', h)), h);
    makeMixed(join(dir, 'tiles'));
    git(dir, 'add', '.dvc/config', 'tiles/a_ref_32632.tif', 'tiles/b_ok_32632.tif');
    const good = spawnSync('git', ['-C', dir, 'commit', '-q', '-m', 'aligned'], { encoding: 'utf8' });
    assert.equal(good.status, 0, good.stdout + good.stderr);
    git(dir, 'add', 'tiles/c_utm33.tif', 'tiles/e_halfpixel.tif');
    const bad = spawnSync('git', ['-C', dir, 'commit', '-m', 'misaligned'], { encoding: 'utf8' });
    assert.notEqual(bad.status, 0, 'the hook must refuse the commit');
    const report = bad.stdout + bad.stderr;
    assert.match(report, /c_utm33\.tif: \[crs\]/);
    assert.match(report, /e_halfpixel\.tif: \[grid\]/);
    assert.match(report, /commit refused/);
    assert.equal(git(dir, 'log', '--oneline').trim().split('\n').length, 1);
    // A tracked (.dvc) output is validated through its .dvc file too.
    git(dir, 'reset', '-q');
    writeFileSync(join(dir, 'tiles', 'd_wgs84.tif.dvc'), 'outs:\n- md5: 0123456789abcdef0123456789abcdef\n  size: 1\n  hash: md5\n  path: d_wgs84.tif\n');
    git(dir, 'add', 'tiles/d_wgs84.tif.dvc');
    const bad2 = spawnSync('git', ['-C', dir, 'commit', '-m', 'tracked misaligned'], { encoding: 'utf8' });
    assert.notEqual(bad2.status, 0);
    assert.match(bad2.stdout + bad2.stderr, /d_wgs84\.tif: \[crs\]/);
  } finally { cleanup(); }
});
