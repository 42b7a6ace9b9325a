/**
 * Chunked remote on a real S3 server (s3rver on 127.0.0.1): tiles round trip, one rewritten tile
 * moves only its chunks, a fresh clone pulls byte-identical, and `push --whole` (as the remote
 * option dvc_compatible) adds DVC's whole objects beside the chunks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gitInit, git } from '../helpers/tmp.js';
import { startOrSkip } from '../helpers/servers/common.js';
import { startS3rver } from '../helpers/servers/s3rver.js';
import { initRepo } from '../../src/core/repo/init.js';
import { modifyRemote } from '../../src/core/repo/remotes.js';
import { add } from '../../src/core/api/add.js';
import { push } from '../../src/core/api/push.js';
import { pull } from '../../src/core/api/pull.js';
import { cloudStatus } from '../../src/core/api/cloud-status.js';
import { setRemote } from './storage-repo.js';
import { makeTiledTiff, rewriteTiles, writeSeeded } from './chunk-fixture.js';

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

test('s3rver: chunked push/pull round trip, a rewritten tile moves only its chunks, push --whole adds DVC objects', { timeout: 90_000 }, async (t) => {
  const srv = await startOrSkip(t, 's3rver', () => startS3rver());
  if (!srv) return;
  const tmp = mkdtempSync(join(tmpdir(), 'geodvc-chunks3-'));
  try {
    const r = await srv.newRemote('chunks');
    const root = join(tmp, 'repo');
    gitInit(root);
    initRepo(root);
    const tif = join(root, 'ortho.tif');
    makeTiledTiff(tif, 2048, 2048, { block: 256, seed: 5 });
    await add({ cwd: root, targets: [tif] });
    git(root, 'add', '-A'); git(root, 'commit', '-qm', 'v1');
    const configure = (dir: string) => {
      setRemote(dir, 's3', r.url, r.options, { isDefault: true });
      modifyRemote('s3', 'chunking', 'tiles', { root: dir, cwd: dir });
      modifyRemote('s3', 'chunk_threshold', '1M', { root: dir, cwd: dir });
    };
    configure(root);
    const size1 = statSync(tif).size;
    const p1 = await push({ cwd: root });
    assert.equal(p1.failed, 0);
    assert.equal(p1.chunked!.bytesMoved, size1);
    assert.ok(p1.chunked!.chunks >= 64);
    assert.ok(existsSync(srv.objectPath!(r.url, 'GEODVC-CHUNKED-REMOTE.txt')!));
    assert.equal((await cloudStatus({ cwd: root })).inSync, true);

    rewriteTiles(tif, 1, 3);
    const v2 = sha(tif);
    const size2 = statSync(tif).size;
    await add({ cwd: root, targets: [tif] });
    git(root, 'add', '-A'); git(root, 'commit', '-qm', 'v2');
    const p2 = await push({ cwd: root });
    assert.equal(p2.failed, 0);
    assert.ok(p2.chunked!.bytesMoved <= size2 * 0.05, `moved ${p2.chunked!.bytesMoved} of ${size2}`);
    assert.ok(p2.chunked!.chunksMoved >= 1 && p2.chunked!.chunksMoved <= 3, `${p2.chunked!.chunksMoved} chunks`);

    // a fresh clone (empty cache) pulls v2 from the chunks
    const clone = join(tmp, 'clone');
    git(tmp, 'clone', '-q', root, clone);
    configure(clone);
    const c = await pull({ cwd: clone });
    assert.equal(c.failed.length, 0);
    assert.equal(sha(join(clone, 'ortho.tif')), v2);
    assert.equal(c.chunked!.objects, 1);

    // a new object of 17 MiB (above the 16 MiB from which a new object is a pack of its own) goes up as one pack (a multipart upload of the cached file) and comes back whole
    const cube = join(root, 'cube.nc');
    writeSeeded(cube, 17 << 20, 4);
    const cubeSha = sha(cube);
    await add({ cwd: root, targets: [cube] });
    git(root, 'add', '-A'); git(root, 'commit', '-qm', 'cube');
    const p3 = await push({ cwd: root });
    assert.equal(p3.failed, 0);
    assert.equal(p3.chunked!.bytesMoved, 17 << 20);
    const packDir = dirname(srv.objectPath!(r.url, 'chunked/packs/x')!);
    assert.ok(readdirSync(packDir).some((n) => statSync(join(packDir, n)).size === 17 << 20), 'one pack holds the whole file');
    git(clone, 'pull', '-q', 'origin', 'main');
    const c3 = await pull({ cwd: clone });
    assert.equal(c3.failed.length, 0);
    assert.equal(sha(join(clone, 'cube.nc')), cubeSha);

    // push --whole: DVC's files/md5/… object appears beside the chunks
    const oid = /md5: ([0-9a-f]{32})/.exec(readFileSync(`${tif}.dvc`, 'utf8'))![1]!;
    const dvcKey = `files/md5/${oid.slice(0, 2)}/${oid.slice(2)}`;
    assert.ok(!existsSync(srv.objectPath!(r.url, dvcKey)!));
    const w = await push({ cwd: root, whole: true });
    assert.equal(w.failed, 0);
    assert.equal(w.pushed, 2, 'both big files, whole');
    assert.equal(statSync(srv.objectPath!(r.url, dvcKey)!).size, size2);
  } finally {
    await srv.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
});
