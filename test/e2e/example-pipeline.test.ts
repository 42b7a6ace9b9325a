/**
 * examples/geo-pipeline is the README's example dvc.yaml for the built-in stages. This runs it as
 * its README says (copy, init, add, repro, commit, no-op repro) on a real Landsat scene from the
 * corpus and checks what it leaves: dvc.lock with the three stages, chips and one mask per chip,
 * normalized rasters that pass the alignment gate and sit on the CRS that params.yaml asks for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { parse } from 'yaml';
import { makeTmpDir, gitInit, git } from '../helpers/tmp.js';
import { BIN, CORPUS, REPO_ROOT, cliOk } from '../helpers/cli.js';

test('examples/geo-pipeline runs as its README says', { timeout: 600_000 }, async (t) => {
  const scene = join(CORPUS, 'sr_b4_20200829.tif');
  if (!existsSync(scene)) {
    if (process.env.CI === 'true') assert.fail(`the corpus scene ${scene} is missing`);
    t.skip('no corpus');
    return;
  }
  const { dir, cleanup } = makeTmpDir('geodvc-example-pipeline-');
  try {
    // The stage commands call `geodvc`: put the built CLI first on PATH, as an installed package would be.
    const shim = join(dir, 'bin');
    mkdirSync(shim);
    writeFileSync(join(shim, 'geodvc'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
    const env = { PATH: `${shim}:${process.env.PATH}` };
    const repo = join(dir, 'project');
    mkdirSync(repo);
    gitInit(repo);
    cpSync(join(REPO_ROOT, 'examples', 'geo-pipeline'), repo, { recursive: true });
    await cliOk(['init'], { cwd: repo, env });
    mkdirSync(join(repo, 'data', 'raw'), { recursive: true });
    cpSync(scene, join(repo, 'data', 'raw', 'sr_b4_20200829.tif'));
    await cliOk(['add', 'data/raw', 'data/labels'], { cwd: repo, env });
    const first = await cliOk(['repro'], { cwd: repo, env });
    assert.match(first.stdout + first.stderr, /normalize_crs/);

    const lock = parse(readFileSync(join(repo, 'dvc.lock'), 'utf8'));
    assert.deepEqual(Object.keys(lock.stages), ['normalize_crs', 'generate_chips', 'rasterize_labels']);
    for (const name of Object.keys(lock.stages)) assert.match(lock.stages[name].outs[0].md5, /^[0-9a-f]{32}\.dir$/);
    assert.deepEqual(lock.stages.generate_chips.params['params.yaml'], { tile_size: 64, overlap: 0 });

    const chips = readdirSync(join(repo, 'data', 'processed', 'chips')).filter((f) => f.endsWith('.tif'));
    const masks = readdirSync(join(repo, 'data', 'processed', 'masks')).filter((f) => f.endsWith('.tif'));
    assert.ok(chips.length > 0, 'chips were cut');
    assert.equal(masks.length, chips.length, 'one mask per chip');

    // GDAL (the oracle) reads the normalized scene on the CRS and resolution params.yaml asks for.
    const normalized = join(repo, 'data', 'processed', 'normalized', 'sr_b4_20200829.tif');
    const info = JSON.parse(execFileSync('gdalinfo', ['-json', normalized], { encoding: 'utf8' }));
    assert.match(info.coordinateSystem.wkt, /ID\["EPSG",32612\]\]$/);
    assert.equal(info.geoTransform[1], 30);
    assert.equal(info.geoTransform[5], -30);
    await cliOk(['geo', 'validate', 'data/processed/normalized'], { cwd: repo, env });

    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'pipeline');
    const again = await cliOk(['repro', '--json'], { cwd: repo, env });
    const result = JSON.parse(again.stdout) as { ran: string[]; unchanged: string[] };
    assert.deepEqual(result.ran, []);
    assert.deepEqual(result.unchanged, ['normalize_crs', 'generate_chips', 'rasterize_labels']);
    assert.equal(git(repo, 'status', '--porcelain').trim(), '', 'a no-op repro changes nothing');
  } finally {
    cleanup();
  }
});
