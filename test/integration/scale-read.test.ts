/**
 * Windowed reads of a remote COG without pulling it: a ≥ 64 MiB COG (native gdal_translate -of COG)
 * is pushed to a real S3 server (s3rver) and a real HTTP server (node:http with Range), then
 * `geo read --window/--bbox` cuts a 2048x2048 window straight from each remote. The bytes the
 * backend transferred (counted by the range source) must stay under 5 % of the object, and the
 * chip must equal `gdal_translate -srcwin` of the local copy (pixels and geotransform).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, copyFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir, gitInit, git } from '../helpers/tmp.js';
import { cliOk, runCli, CORPUS } from '../helpers/cli.js';
import { startOrSkip, type TestServer } from '../helpers/servers/index.js';
import { startS3rver } from '../helpers/servers/s3rver.js';
import { startHttpServer } from '../helpers/servers/http-server.js';

const gdalJson = (p: string) => JSON.parse(execFileSync('gdalinfo', ['-json', '-checksum', p], { encoding: 'utf8', maxBuffer: 1 << 26 }));
const checksums = (d: any) => d.bands.map((b: any) => b.checksum);

function addRemote(dir: string, name: string, url: string, options: Record<string, string>): void {
  appendFileSync(join(dir, '.dvc', 'config.local'), `['remote "${name}"']\n    url = ${url}\n${Object.entries(options).map(([k, v]) => `    ${k} = ${v}\n`).join('')}`);
}

test('geo read: 2048x2048 window of a >=64 MiB COG from s3rver and node-http, < 5 % of the bytes, equal to gdal_translate -srcwin', { timeout: 600_000 }, async (t) => {
  const { dir, cleanup } = makeTmpDir();
  const servers: TestServer[] = [];
  try {
    gitInit(dir);
    await cliOk(['init', '-q'], { cwd: dir });
    const big = join(dir, 'big.tif');
    execFileSync('gdal_translate', ['-q', '-of', 'COG', '-co', 'COMPRESS=NONE', '-co', 'BLOCKSIZE=512', '-co', 'OVERVIEW_RESAMPLING=NEAREST', '-b', '1', '-outsize', '10240', '10240', '-r', 'nearest', join(CORPUS, 'RGB.byte.tif'), big]);
    const size = statSync(big).size;
    assert.ok(size >= 64 << 20, `COG is ${size} bytes`);
    await cliOk(['add', '-q', 'big.tif'], { cwd: dir });
    git(dir, 'add', '-A'); git(dir, 'commit', '-q', '-m', 'v1');
    const local = join(dir, 'local-copy.tif');
    copyFileSync(big, local);
    // v2 replaces the raster, so v1 is only reachable with --rev
    copyFileSync(join(CORPUS, 'byte.tif'), big);
    await cliOk(['add', '-q', 'big.tif'], { cwd: dir });
    git(dir, 'add', '-A'); git(dir, 'commit', '-q', '-m', 'v2');

    const win = [1000, 1500, 2048, 2048];
    const ref = join(dir, 'ref.tif');
    execFileSync('gdal_translate', ['-q', '-srcwin', ...win.map(String), local, ref]);
    const refInfo = gdalJson(ref);

    for (const [name, start] of [['s3rver', () => startS3rver()], ['node-http', () => startHttpServer()]] as const) {
      const srv = await startOrSkip(t, name, start as () => Promise<TestServer>);
      if (!srv) continue;
      servers.push(srv);
      const r = await srv.newRemote('scale-read');
      const rname = name.replace(/-/g, '');
      addRemote(dir, rname, r.url, r.options as Record<string, string>);
      await cliOk(['push', '-q', '-r', rname, '-A'], { cwd: dir });
    }
    if (!servers.length) return;
    // the v1 object leaves the cache: every byte of the reads below comes from a remote
    const cacheFiles = join(dir, '.dvc', 'cache', 'files', 'md5');
    const v1oid = /md5: ([0-9a-f]{32})/.exec(git(dir, 'show', 'HEAD~1:big.tif.dvc'))![1]!;
    rmSync(join(cacheFiles, v1oid.slice(0, 2), v1oid.slice(2)), { force: true });

    for (const rname of servers.map((s) => s.name.replace(/-/g, ''))) {
      const out = join(dir, `chip-${rname}.tif`);
      const res = JSON.parse((await cliOk(['geo', 'read', 'big.tif', '--rev', 'HEAD~1', '-r', rname, '--window', win.join(','), '-o', out, '--json'], { cwd: dir })).stdout);
      assert.equal(res.from, `remote:${rname}`);
      assert.equal(res.objectSize, size);
      const ratio = res.bytesRead / size;
      t.diagnostic(`${rname}: ${res.bytesRead} of ${size} bytes (${(ratio * 100).toFixed(2)} %) in ${res.requests} requests, ${res.seconds.toFixed(2)} s`);
      assert.ok(ratio < 0.05, `${rname} read ${(ratio * 100).toFixed(2)} % of the object`);
      const got = gdalJson(out);
      assert.deepEqual(got.size, refInfo.size);
      assert.deepEqual(got.geoTransform, refInfo.geoTransform);
      assert.equal(got.coordinateSystem.wkt, refInfo.coordinateSystem.wkt);
      assert.deepEqual(checksums(got), checksums(refInfo));

      // --bbox in the raster CRS on pixel edges selects the same window
      const gt = refInfo.geoTransform;
      const bbox = [gt[0], gt[3] + win[3]! * gt[5], gt[0] + win[2]! * gt[1], gt[3]];
      const outB = join(dir, `bbox-${rname}.tif`);
      const rb = JSON.parse((await cliOk(['geo', 'read', 'big.tif', '--rev', 'HEAD~1', '-r', rname, '--bbox', bbox.join(','), '-o', outB, '--json'], { cwd: dir })).stdout);
      assert.deepEqual(rb.window, win);
      assert.deepEqual(checksums(gdalJson(outB)), checksums(refInfo));
      // --bbox in EPSG:4326 (corners by native gdaltransform): the window covers the area
      const ll = execFileSync('gdaltransform', ['-s_srs', 'EPSG:32618', '-t_srs', 'EPSG:4326', '-output_xy'], { input: `${bbox[0]} ${bbox[1]}\n${bbox[2]} ${bbox[3]}\n`, encoding: 'utf8' }).trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
      const r4326 = JSON.parse((await cliOk(['geo', 'read', 'big.tif', '--rev', 'HEAD~1', '-r', rname, '--bbox', [ll[0]![0], ll[0]![1], ll[1]![0], ll[1]![1]].join(','), '--crs', 'EPSG:4326', '-o', join(dir, 'll.tif'), '--json'], { cwd: dir })).stdout);
      const [x, y, w, h] = r4326.window;
      assert.ok(x <= win[0]! + 1 && y <= win[1]! + 1 && x + w >= win[0]! + win[2]! - 1 && y + h >= win[1]! + win[3]! - 1, `window ${r4326.window} covers ${win}`);
    }
    // bad input: clear errors, non-zero exit
    const e1 = await runCli(['geo', 'read', 'big.tif', '--rev', 'HEAD~1', '-r', servers[0]!.name.replace(/-/g, ''), '--window', '10000,10000,4096,4096', '-o', join(dir, 'x.tif')], { cwd: dir });
    assert.notEqual(e1.code, 0);
    assert.match(e1.stderr, /not inside the 10240x10240 raster/);
    const e2 = await runCli(['geo', 'read', 'nothere.tif', '--window', '0,0,1,1', '-o', join(dir, 'x.tif')], { cwd: dir });
    assert.notEqual(e2.code, 0);
    assert.match(e2.stderr, /not tracked/);
    assert.ok(!readdirSync(dir).includes('x.tif'));
  } finally {
    for (const s of servers) await s.stop().catch(() => {});
    cleanup();
  }
});
