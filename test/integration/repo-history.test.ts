import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS, runCli } from '../helpers/cli.js';
import { openRepo } from '../../src/core/repo/repo.js';
import { history } from '../../src/core/api/history.js';
import { trackFile, trackDir, commitAll, md5, objPath, gitDvcRepo } from './repo-fixture.js';

const truth = (f: string) => JSON.parse(readFileSync(join(CORPUS, 'truth', `${f}.gdalinfo.json`), 'utf8'));

test('history lists the versions of a file, a directory and a file inside it, with dates, sizes, counts and raster summaries', async () => {
  const { t, root, cache } = gitDvcRepo('geodvc-hist-');
  try {
    const blue = readFileSync(join(CORPUS, 'blue.tif'));
    const goes = readFileSync(join(CORPUS, 'goes.tif'));
    const blueX = Buffer.concat([blue, Buffer.from([0])]); // same raster, different bytes
    const v1 = trackFile(root, cache, 'scene.tif', blueX);
    const d1 = trackDir(root, cache, 'chips', { 'a.tif': blue, 'b.txt': 'label-1' } as unknown as Record<string, string>);
    const c1 = commitAll(root, 'first version', '2026-01-01T10:00:00Z');
    trackFile(root, cache, 'other.txt', 'unrelated');
    commitAll(root, 'unrelated change', '2026-01-02T10:00:00Z');
    const v2 = trackFile(root, cache, 'scene.tif', goes);
    rmSync(join(root, 'chips'), { recursive: true });
    const d2 = trackDir(root, cache, 'chips', { 'a.tif': blue, 'b.txt': 'label-2', 'c.tif': goes } as unknown as Record<string, string>);
    const c3 = commitAll(root, 'second version', '2026-01-03T10:00:00Z');
    // An old object is gone from the cache: shown as not in cache.
    rmSync(objPath(cache, v1), { force: true });

    const repo = await openRepo(root);
    const h = await history(repo, 'scene.tif');
    assert.equal(h.trackedBy, 'scene.tif.dvc');
    assert.deepEqual(h.versions.map((v) => [v.rev, v.oid, v.size, v.inCache]), [[c3, v2, goes.length, true], [c1, v1, blueX.length, false]]);
    assert.equal(h.versions[0]!.date, '2026-01-03T10:00:00Z'.replace('Z', '+00:00'));
    assert.equal(h.versions[0]!.subject, 'second version');
    const gt = truth('goes.tif');
    assert.deepEqual([h.versions[0]!.raster!.width, h.versions[0]!.raster!.height, h.versions[0]!.raster!.bands], [gt.size[0], gt.size[1], gt.bands.length]);
    assert.equal(h.versions[0]!.raster!.dataType, gt.bands[0].type);
    assert.equal(h.versions[1]!.raster, undefined);

    const hd = await history(repo, 'chips');
    assert.deepEqual(hd.versions.map((v) => [v.rev, v.oid, v.nfiles, v.rasterFiles]), [[c3, d2.dirOid, 3, 2], [c1, d1.dirOid, 2, 1]]);
    assert.equal(hd.versions[1]!.raster!.epsg, 32617);
    // A file inside the directory that did not change is one version spanning both commits.
    const hm = await history(repo, join(root, 'chips', 'a.tif'));
    assert.equal(hm.member, 'a.tif');
    assert.equal(hm.versions.length, 1);
    assert.deepEqual(hm.versions[0]!.commits, [c3, c1]);
    assert.equal(hm.versions[0]!.oid, md5(blue));
    const hb = await history(repo, 'chips/b.txt');
    assert.deepEqual(hb.versions.map((v) => v.oid), [md5('label-2'), md5('label-1')]);

    const cli = await runCli(['history', 'scene.tif'], { cwd: root });
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, new RegExp(`^${c3.slice(0, 8)}\\s+2026-01-03 10:00:00 \\+00:00\\s+71\\.5 KiB\\s+1\\s+${v2.slice(0, 8)}\\s+542x542x3 Byte`, 'm'));
    assert.match(cli.stdout, new RegExp(`^${c1.slice(0, 8)} .*${v1.slice(0, 8)}\\*`, 'm'));
    const js = JSON.parse((await runCli(['history', 'chips', '--json'], { cwd: root })).stdout);
    assert.equal(js.versions.length, 2);
    const bad = await runCli(['history', 'nope.txt'], { cwd: root });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not tracked[\s\S]*hint:/);
  } finally { t.cleanup(); }
});
