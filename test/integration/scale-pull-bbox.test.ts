/**
 * `pull --bbox`: a tracked directory of 200 GeoTIFF tiles (a 20x10 grid in UTM 33N) on a real S3
 * server (s3rver); after the cache and workspace copies are gone, `pull --bbox` fetches exactly the
 * tiles whose extent overlaps the area (the test computes that list itself from the grid), reading
 * only TIFF headers by range to find the footprints. `checkout` and `status` then report the absent
 * tiles instead of failing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir, gitInit, git } from '../helpers/tmp.js';
import { cliOk, runCli } from '../helpers/cli.js';
import { startOrSkip } from '../helpers/servers/index.js';
import { startS3rver } from '../helpers/servers/s3rver.js';
import { encodeTiff, T } from '../../src/geo/ops/tiff-writer.js';

const COLS = 20, ROWS = 10, PX = 32, RES = 10, X0 = 500000, Y0 = 4100000;

function tile(col: number, row: number): Buffer {
  const data = new Uint8Array(PX * PX).fill((col * 7 + row * 13) & 0xff);
  return encodeTiff({
    littleEndian: true, width: PX, height: PX, tiled: false, blockW: PX, blockH: PX, blocks: [data],
    tags: [
      { tag: 258, type: T.SHORT, values: [8] }, { tag: 259, type: T.SHORT, values: [1] }, { tag: 262, type: T.SHORT, values: [1] },
      { tag: 277, type: T.SHORT, values: [1] }, { tag: 284, type: T.SHORT, values: [1] }, { tag: 339, type: T.SHORT, values: [1] },
      { tag: 33550, type: T.DOUBLE, values: [RES, RES, 0] },
      { tag: 33922, type: T.DOUBLE, values: [0, 0, 0, X0 + col * PX * RES, Y0 - row * PX * RES, 0] },
      { tag: 34735, type: T.SHORT, values: [1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32633] },
    ],
  });
}

test('pull --bbox fetches exactly the tiles intersecting the area; checkout/status report the rest', { timeout: 300_000 }, async (t) => {
  const srv = await startOrSkip(t, 's3rver', () => startS3rver());
  if (!srv) return;
  const { dir, cleanup } = makeTmpDir();
  try {
    gitInit(dir);
    await cliOk(['init', '-q'], { cwd: dir });
    mkdirSync(join(dir, 'tiles'));
    for (let r = 0; r < ROWS; r++) for (let c = 0; c < COLS; c++) writeFileSync(join(dir, 'tiles', `t_${r}_${c}.tif`), tile(c, r));
    writeFileSync(join(dir, 'tiles', 'README.txt'), 'not geodata\n');
    await cliOk(['add', '-q', 'tiles'], { cwd: dir });
    const rem = await srv.newRemote('bbox');
    appendFileSync(join(dir, '.dvc', 'config.local'), `['remote "s3"']\n    url = ${rem.url}\n${Object.entries(rem.options).map(([k, v]) => `    ${k} = ${v}\n`).join('')}`);
    appendFileSync(join(dir, '.dvc', 'config'), `[core]\n    remote = s3\n`);
    await cliOk(['push', '-q'], { cwd: dir });
    git(dir, 'add', '-A'); git(dir, 'commit', '-q', '-m', 'tiles');
    // a fresh clone's state: no cache, no workspace data
    rmSync(join(dir, '.dvc', 'cache'), { recursive: true, force: true });
    rmSync(join(dir, 'tiles'), { recursive: true, force: true });

    // area in the tiles' CRS, not on tile edges; the expected list from the grid itself
    const area = [X0 + 3.5 * PX * RES, Y0 - 6.2 * PX * RES, X0 + 7.1 * PX * RES, Y0 - 2.7 * PX * RES];
    const expected: string[] = [];
    for (let r = 0; r < ROWS; r++) for (let c = 0; c < COLS; c++) {
      const [tx0, ty1] = [X0 + c * PX * RES, Y0 - r * PX * RES];
      const [tx1, ty0] = [tx0 + PX * RES, ty1 - PX * RES];
      if (tx0 < area[2]! && tx1 > area[0]! && ty0 < area[3]! && ty1 > area[1]!) expected.push(`t_${r}_${c}.tif`);
    }
    assert.equal(expected.length, 5 * 5); // columns 3..7, rows 2..6
    const res = await cliOk(['pull', '--bbox', area.join(','), '--crs', 'EPSG:32633', '--json'], { cwd: dir });
    const out = JSON.parse(res.stdout);
    assert.deepEqual(readdirSync(join(dir, 'tiles')).sort(), expected.sort());
    assert.equal(out.added.length, expected.length);
    // only the selected objects (plus the .dir manifest) are in the cache
    const objs = readdirSync(join(dir, '.dvc', 'cache', 'files', 'md5')).flatMap((d) => readdirSync(join(dir, '.dvc', 'cache', 'files', 'md5', d)));
    assert.equal(objs.filter((f) => !f.endsWith('.dir')).length, expected.length);
    assert.match(res.stderr, /25 file\(s\) selected of 200 geodata file\(s\) \(footprints from header: 200\)/);

    // an area away from every tile: nothing fetched
    const none = await cliOk(['pull', '--bbox', '0,0,1,1', '--crs', 'EPSG:32633'], { cwd: dir });
    assert.match(none.stdout, /No tracked file intersects the area \(200 considered\)/);
    // bad bbox: usage error, nothing changed
    const bad = await runCli(['pull', '--bbox', '1,2,3'], { cwd: dir });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--bbox needs 4 comma-separated numbers/);

    // checkout of the partial set: the rest stays absent and is reported; status does not fail
    const co = await runCli(['checkout'], { cwd: dir });
    assert.equal(co.code, 1);
    assert.deepEqual(readdirSync(join(dir, 'tiles')).sort(), expected.sort());
    assert.match(co.stderr, /176 file\(s\) could not be checked out because their data is missing from the cache/); // 175 tiles + README.txt
    const st = await runCli(['status'], { cwd: dir });
    assert.equal(st.code, 0);
    assert.match(st.stdout, /not in cache: tiles\/t_0_0\.tif/);
    assert.doesNotMatch(st.stdout, /deleted: +tiles\/t_/);
    assert.equal((st.stdout.match(/not in cache:/g) ?? []).length, 176);
  } finally { cleanup(); await srv.stop().catch(() => {}); }
});
