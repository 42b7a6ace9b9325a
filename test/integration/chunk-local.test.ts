/**
 * Chunked remotes on a local directory: a tiled GeoTIFF goes as tile chunks, 1-2% of its tiles
 * rewritten in place move only those tiles (upload, remote growth, and the pull into a clone that
 * has the old version cached), pulls are byte-identical, status -c sees chunked objects, the
 * remote says it is chunked, and .dvc/config stays DVC-valid.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git } from '../helpers/tmp.js';
import { addRemote, modifyRemote, removeRemote, renameRemote } from '../../src/core/repo/remotes.js';
import { geodvcRemoteOptions } from '../../src/core/chunk/settings.js';
import { add } from '../../src/core/api/add.js';
import { push } from '../../src/core/api/push.js';
import { pull } from '../../src/core/api/pull.js';
import { cloudStatus } from '../../src/core/api/cloud-status.js';
import { chunkedRepo, makeTiledTiff, rewriteTiles, toPerChunkLayout, writeSeeded } from './chunk-fixture.js';

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

function du(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) n += statSync(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)).size;
  return n;
}

test('tiles: 1-2% of tiles rewritten in place move only those tiles both ways; pulls are byte-identical', { timeout: 60_000 }, async () => {
  const { tmp, root, remote } = chunkedRepo('tiles');
  try {
    // geodvc-only options stay out of .dvc/config (DVC 3 rejects unknown remote options)
    assert.doesNotMatch(readFileSync(join(root, '.dvc', 'config'), 'utf8'), /chunking/);
    assert.equal(JSON.parse(readFileSync(join(root, '.dvc', 'geodvc.json'), 'utf8')).remote.store.chunking, 'tiles');
    const tif = join(root, 'big.tif');
    makeTiledTiff(tif, 4096, 2048, { block: 256 });
    const size1 = statSync(tif).size;
    await add({ cwd: root, targets: [tif] });
    git(root, 'add', '-A'); git(root, 'commit', '-qm', 'v1');
    const p1 = await push({ cwd: root });
    assert.equal(p1.failed, 0);
    assert.equal(p1.pushed, 1);
    const st1 = p1.remotes[0]!.chunked!;
    assert.ok(st1.chunks >= 128, `one chunk per tile at least (${st1.chunks})`);
    assert.equal(st1.bytesMoved, size1, 'the chunks add up to the file');
    assert.ok(st1.listBytes < size1 * 0.005, `chunk list overhead ${st1.listBytes} B`);
    assert.ok(existsSync(join(remote, 'GEODVC-CHUNKED-REMOTE.txt')), 'the remote says it is chunked');
    assert.ok(!existsSync(join(remote, 'files')), 'no whole objects on a chunked remote');
    const grown1 = du(remote);
    // a second push has nothing to do
    const again = await push({ cwd: root });
    assert.equal(again.pushed, 0);
    assert.equal(again.bytes, 0);
    assert.equal((await cloudStatus({ cwd: root })).inSync, true);

    // v2: 2 of 128 tiles rewritten by GDAL in place
    rewriteTiles(tif, 2);
    const size2 = statSync(tif).size;
    const v2sha = sha(tif);
    await add({ cwd: root, targets: [tif] });
    git(root, 'add', '-A'); git(root, 'commit', '-qm', 'v2');
    const p2 = await push({ cwd: root });
    assert.equal(p2.failed, 0);
    assert.equal(p2.pushed, 1);
    const up = p2.remotes[0]!.chunked!.bytesMoved;
    assert.ok(up <= size2 * 0.03, `uploaded ${up} of ${size2} bytes (${(100 * up / size2).toFixed(2)}%)`);
    assert.ok(up >= 2 * 100_000, 'the two rewritten tiles did move');
    const growth = du(remote) - grown1;
    assert.ok(growth <= size2 * 0.035, `remote grew by ${growth} bytes`);

    // a clone with v1 in its cache pulls v2 by downloading only the new chunks
    const clone = join(tmp, 'clone');
    git(tmp, 'clone', '-q', root, clone);
    git(clone, 'checkout', '-q', 'HEAD~1');
    const c1 = await pull({ cwd: clone });
    assert.equal(c1.failed.length, 0);
    assert.equal(sha(join(clone, 'big.tif')), sha(join(root, '.dvc', 'cache', 'files', 'md5', ...(() => { const m = /md5: ([0-9a-f]{32})/.exec(git(root, 'show', 'HEAD~1:big.tif.dvc'))![1]!; return [m.slice(0, 2), m.slice(2)]; })())));
    assert.equal(c1.chunked?.bytesMoved, size1);
    git(clone, 'checkout', '-q', 'main');
    const c2 = await pull({ cwd: clone });
    assert.equal(c2.failed.length, 0);
    assert.equal(sha(join(clone, 'big.tif')), v2sha, 'byte-identical after reassembly');
    const down = c2.chunked!.bytesMoved;
    assert.ok(down <= size2 * 0.03, `downloaded ${down} of ${size2} bytes`);
    assert.ok(c2.chunked!.bytesReused >= size2 * 0.95);
    assert.ok(size1 > 0);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('cdc: a file with bytes inserted in the middle re-sends only the chunks around the insertion; a plain geodvc reader still pulls it', { timeout: 60_000 }, async () => {
  const { tmp, root, remote } = chunkedRepo('cdc');
  try {
    const f = join(root, 'cube.nc');
    writeSeeded(f, 32 << 20, 3);
    await add({ cwd: root, targets: [f] });
    const p1 = await push({ cwd: root });
    assert.equal(p1.failed, 0);
    const n1 = p1.remotes[0]!.chunked!.chunks;
    assert.ok(n1 >= 8 && n1 <= 128, `32 MiB in ${n1} chunks of 256K-4M`);
    // a new big object is one pack: the file itself (kernel copy); a clone pulls it back the same way
    const packs = readdirSync(join(remote, 'chunked', 'packs'));
    assert.equal(packs.length, 1);
    assert.ok(readFileSync(join(remote, 'chunked', 'packs', packs[0]!)).equals(readFileSync(f)), 'the pack is the file');
    const v1 = sha(f);
    const clone = join(tmp, 'clone');
    git(root, 'add', '-A'); git(root, 'commit', '-qm', 'v1');
    git(tmp, 'clone', '-q', root, clone);
    const c1 = await pull({ cwd: clone });
    assert.equal(c1.failed.length, 0);
    assert.equal(sha(join(clone, 'cube.nc')), v1);
    assert.equal(c1.chunked!.bytesMoved, 32 << 20);
    assert.deepEqual(readdirSync(join(clone, '.dvc', 'cache', 'packindex')).filter((n) => n !== 'tmp'), packs, 'the pull cached the pack index');
    // insert 64 KiB at the middle
    const buf = readFileSync(f);
    const ins = Buffer.alloc(64 << 10, 0x5a);
    writeFileSync(f, Buffer.concat([buf.subarray(0, 16 << 20), ins, buf.subarray(16 << 20)]));
    const v2 = sha(f);
    await add({ cwd: root, targets: [f] });
    const p2 = await push({ cwd: root });
    const moved = p2.remotes[0]!.chunked!.bytesMoved;
    assert.ok(moved <= ins.length + 2 * (4 << 20), `moved ${moved} bytes for a 64 KiB insertion`);
    assert.ok(moved < buf.length * 0.25);

    // a repository that does not know the remote is chunked (chunking unset) still reads it
    modifyRemote('store', 'chunking', undefined, { root, cwd: root, unset: true });
    rmSync(join(root, '.dvc', 'cache'), { recursive: true, force: true });
    rmSync(f);
    const c = await pull({ cwd: root });
    assert.equal(c.failed.length, 0);
    assert.equal(sha(f), v2);
    assert.ok(existsSync(join(remote, 'chunked')));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});



test('a remote pushed before pack files (one object per chunk) still pulls; a push to it adds only new chunks, in a pack', { timeout: 60_000 }, async () => {
  const { tmp, root, remote } = chunkedRepo('cdc', 'geodvc-chunklegacy-');
  try {
    const f = join(root, 'cube.nc');
    writeSeeded(f, 8 << 20, 17);
    const v1 = sha(f);
    await add({ cwd: root, targets: [f] });
    assert.equal((await push({ cwd: root })).failed, 0);
    const n = toPerChunkLayout(remote);
    assert.ok(n >= 3, `${n} chunks stored on their own`);
    const cache = join(root, '.dvc', 'cache');
    rmSync(cache, { recursive: true, force: true });
    rmSync(f);
    const p1 = await pull({ cwd: root });
    assert.equal(p1.failed.length, 0);
    assert.equal(sha(f), v1, 'read from the per-chunk layout');
    // v2: 2 MiB appended; the chunks stored on their own count as present
    const extra = join(tmp, 'extra');
    writeSeeded(extra, 2 << 20, 18);
    writeFileSync(f, Buffer.concat([readFileSync(f), readFileSync(extra)]));
    const v2 = sha(f);
    await add({ cwd: root, targets: [f] });
    const p2 = await push({ cwd: root });
    assert.equal(p2.failed, 0);
    const st = p2.remotes[0]!.chunked!;
    assert.ok(st.bytesMoved <= (2 << 20) + (4 << 20), `moved ${st.bytesMoved} bytes`);
    assert.ok(st.bytesReused >= 4 << 20);
    assert.equal(readdirSync(join(remote, 'chunked', 'packs')).length, 1, 'the new chunks went into a pack');
    // both layouts at once: v2 comes back whole into an empty cache
    rmSync(cache, { recursive: true, force: true });
    rmSync(f);
    const p3 = await pull({ cwd: root });
    assert.equal(p3.failed.length, 0);
    assert.equal(sha(f), v2);
    assert.equal(p3.chunked!.bytesMoved, statSync(f).size);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('remote rename/remove carry the chunking options in .dvc/geodvc.json along (no stale entries)', async () => {
  const { tmp, root } = chunkedRepo('tiles');
  const settings = () => JSON.parse(readFileSync(join(root, '.dvc', 'geodvc.json'), 'utf8')).remote ?? {};
  try {
    modifyRemote('store', 'chunk_threshold', '8M', { root, cwd: root });
    renameRemote('store', 'archive', { root });
    assert.deepEqual(settings(), { archive: { chunking: 'tiles', chunk_threshold: '8M' } });
    assert.equal(geodvcRemoteOptions(root, 'store').chunking, undefined);
    // a remote added again under the old name starts with DVC's layout, not the old options
    addRemote('store', join(tmp, 'other'), { root, cwd: root });
    assert.deepEqual(geodvcRemoteOptions(root, 'store'), {});
    // removed from one level while another still defines it: its options stay
    addRemote('archive', join(tmp, 'remote'), { root, cwd: root, level: 'local' });
    removeRemote('archive', { root, level: 'local' });
    assert.equal(geodvcRemoteOptions(root, 'archive').chunking, 'tiles');
    removeRemote('archive', { root });
    assert.deepEqual(settings(), {});
    // a rename onto a name with a stale entry (written by an older geodvc) drops that entry
    writeFileSync(join(root, '.dvc', 'geodvc.json'), `${JSON.stringify({ remote: { gone: { chunking: 'cdc' } } })}\n`);
    renameRemote('store', 'gone', { root });
    assert.deepEqual(settings(), {});
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
