/**
 * VRTs over tracked rasters: `add` of a VRT (native gdalbuildvrt, paths relative to the VRT) records
 * the md5 of each source in `meta.vrt_sources`; after a source changes, `status` reports the VRT
 * as stale, naming the source; re-adding the rebuilt VRT clears it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { makeTmpDir, gitInit } from '../helpers/tmp.js';
import { cliOk, CORPUS } from '../helpers/cli.js';

test('add records VRT source hashes; status reports a stale VRT', async () => {
  const { dir, cleanup } = makeTmpDir();
  try {
    gitInit(dir);
    await cliOk(['init', '-q'], { cwd: dir });
    mkdirSync(join(dir, 'tiles'));
    execFileSync('gdal_translate', ['-q', '-srcwin', '0', '0', '10', '20', join(CORPUS, 'byte.tif'), join(dir, 'tiles', 'a.tif')]);
    execFileSync('gdal_translate', ['-q', '-srcwin', '10', '0', '10', '20', join(CORPUS, 'byte.tif'), join(dir, 'tiles', 'b.tif')]);
    await cliOk(['add', '-q', 'tiles/a.tif', 'tiles/b.tif'], { cwd: dir });
    execFileSync('gdalbuildvrt', ['-q', 'mosaic.vrt', 'tiles/a.tif', 'tiles/b.tif'], { cwd: dir });
    assert.match(readFileSync(join(dir, 'mosaic.vrt'), 'utf8'), /relativeToVRT="1">tiles\/a\.tif</);
    await cliOk(['add', '-q', 'mosaic.vrt'], { cwd: dir });
    const meta = (parseYaml(readFileSync(join(dir, 'mosaic.vrt.dvc'), 'utf8')) as any).outs[0].meta;
    const md5 = (f: string) => (parseYaml(readFileSync(join(dir, `${f}.dvc`), 'utf8')) as any).outs[0].md5;
    assert.deepEqual(meta.vrt_sources, { 'tiles/a.tif': md5('tiles/a.tif'), 'tiles/b.tif': md5('tiles/b.tif') });
    assert.doesNotMatch((await cliOk(['status'], { cwd: dir })).stdout, /stale VRT/);

    // a new version of one source: the VRT is stale
    execFileSync('gdal_translate', ['-q', '-scale', '0', '255', '255', '0', '-srcwin', '0', '0', '10', '20', join(CORPUS, 'byte.tif'), join(dir, 'tiles', 'a.tif')]);
    await cliOk(['add', '-q', 'tiles/a.tif'], { cwd: dir });
    const st = await cliOk(['status'], { cwd: dir });
    assert.match(st.stdout, /stale VRT: mosaic\.vrt \(sources changed since it was added: tiles\/a\.tif\)/);
    // rebuild + add: clean again
    execFileSync('gdalbuildvrt', ['-q', '-overwrite', 'mosaic.vrt', 'tiles/a.tif', 'tiles/b.tif'], { cwd: dir });
    await cliOk(['add', '-q', 'mosaic.vrt'], { cwd: dir });
    assert.doesNotMatch((await cliOk(['status'], { cwd: dir })).stdout, /stale VRT/);
    copyFileSync(join(dir, 'mosaic.vrt'), join(dir, 'copy.vrt'));
  } finally { cleanup(); }
});
