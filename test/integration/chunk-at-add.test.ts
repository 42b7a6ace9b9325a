/**
 * Chunk lists cut at `add`: in a repository whose remote is chunked, `add` (and `commit`) cut each
 * big file into the chunks that remote stores, on a second worker beside the file's hash, and
 * remember the list in the cache; `push` then sends the cached file as a pack without cutting it
 * again (docs/chunking.md, "Chunk lists at add"). Through the built CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git } from '../helpers/tmp.js';
import { cliOk } from '../helpers/cli.js';
import { chunkedRepo, makeTiledTiff, writeSeeded } from './chunk-fixture.js';
import { chunkFile } from '../../src/core/chunk/chunker.js';
import { parseChunkList } from '../../src/core/chunk/list.js';

const md5 = (p: string) => createHash('md5').update(readFileSync(p)).digest('hex');
const listPath = (root: string, mode: string, oid: string) => join(root, '.dvc', 'cache', 'chunklists', mode, 'md5', oid.slice(0, 2), oid.slice(2));

function lists(root: string): string[] {
  const d = join(root, '.dvc', 'cache', 'chunklists');
  if (!existsSync(d)) return [];
  return readdirSync(d, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
}

test('add in a repository with a CDC remote remembers each big file\'s chunk list; push sends it; a clone pulls it byte-identical', { timeout: 120_000 }, async () => {
  const { tmp, root, remote } = chunkedRepo('cdc', 'geodvc-chunk-at-add-');
  try {
    await cliOk(['remote', 'modify', 'store', 'chunk_threshold', '1M'], { cwd: root });
    const big = join(root, 'cube.nc');
    const small = join(root, 'small.bin');
    writeSeeded(big, 9 << 20, 3);
    writeSeeded(small, 512 << 10, 4);
    await cliOk(['add', 'cube.nc', 'small.bin'], { cwd: root });
    const oid = md5(big);
    // the list of the big file is in the cache, and it is the file's CDC cut
    const remembered = parseChunkList(readFileSync(listPath(root, 'cdc', oid)), { hash: 'md5', oid, size: 9 << 20 });
    const cut = chunkFile(big, 'xxh128', 'cdc');
    assert.equal(remembered.mode, 'cdc');
    assert.equal(remembered.chunkHash, 'xxh128');
    assert.deepEqual(remembered.chunks, cut.chunks);
    assert.ok(remembered.chunks.length >= 3, `${remembered.chunks.length} chunks`);
    // below the remote's chunk_threshold: no list
    assert.equal(existsSync(listPath(root, 'cdc', md5(small))), false);
    assert.equal(lists(root).length, 1);

    git(root, 'add', '-A'); git(root, 'commit', '-qm', 'v1');
    const p = JSON.parse((await cliOk(['push', '--json'], { cwd: root })).stdout);
    const st = p.remotes[0].chunked;
    assert.equal(st.objects, 1);
    assert.equal(st.chunks, remembered.chunks.length);
    assert.equal(st.bytesMoved, 9 << 20);
    // the list on the remote is the one add remembered
    const onRemote = parseChunkList(readFileSync(join(remote, 'chunked', 'lists', 'md5', oid.slice(0, 2), oid.slice(2))));
    assert.deepEqual(onRemote.chunks, remembered.chunks);

    const clone = join(tmp, 'clone');
    git(tmp, 'clone', '-q', root, clone);
    await cliOk(['pull'], { cwd: clone });
    assert.equal(md5(join(clone, 'cube.nc')), oid);
    assert.equal(md5(join(clone, 'small.bin')), md5(small));

    // commit of a changed file remembers the new list too
    writeSeeded(big, 6 << 20, 5);
    await cliOk(['commit', '-f', 'cube.nc.dvc'], { cwd: root });
    const oid2 = md5(big);
    assert.deepEqual(parseChunkList(readFileSync(listPath(root, 'cdc', oid2)), { hash: 'md5', oid: oid2 }).chunks, chunkFile(big, 'xxh128', 'cdc').chunks);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('add cuts a tiled GeoTIFF on its tiles for a tiles remote; nothing is cut without a chunked remote or with GEODVC_CHUNK_AT_ADD=0', { timeout: 120_000 }, async () => {
  const { tmp, root } = chunkedRepo('tiles', 'geodvc-chunk-at-add-');
  try {
    const tif = join(root, 'ortho.tif');
    makeTiledTiff(tif, 2048, 2048, { block: 256, seed: 2 });
    await cliOk(['add', 'ortho.tif'], { cwd: root });
    const oid = md5(tif);
    const l = parseChunkList(readFileSync(listPath(root, 'tiles', oid)), { hash: 'md5', oid });
    assert.equal(l.mode, 'tiles');
    assert.deepEqual(l.chunks, chunkFile(tif, 'xxh128', 'tiles').chunks);
    assert.ok(l.chunks.length >= 64, `one chunk per tile at least (${l.chunks.length})`);

    // turned off for one run
    const other = join(root, 'other.bin');
    writeSeeded(other, 6 << 20, 8);
    await cliOk(['add', 'other.bin'], { cwd: root, env: { ...process.env, GEODVC_CHUNK_AT_ADD: '0' } });
    assert.equal(existsSync(listPath(root, 'cdc', md5(other))), false);

    // chunking off: add cuts nothing
    await cliOk(['remote', 'modify', 'store', 'chunking', 'off'], { cwd: root });
    const third = join(root, 'third.bin');
    writeSeeded(third, 6 << 20, 9);
    await cliOk(['add', 'third.bin'], { cwd: root });
    assert.equal(existsSync(listPath(root, 'cdc', md5(third))), false);
    assert.equal(existsSync(listPath(root, 'tiles', md5(third))), false);

    // a broken .dvc/geodvc.json does not stop add (push reports it)
    writeFileSync(join(root, '.dvc', 'geodvc.json'), '{');
    writeSeeded(third, 6 << 20, 10);
    await cliOk(['add', 'third.bin'], { cwd: root });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a damaged whole-file pack: pull falls back to chunk by chunk, names the corrupt chunk and stores nothing', { timeout: 120_000 }, async () => {
  const { tmp, root, remote } = chunkedRepo('cdc', 'geodvc-chunk-at-add-');
  try {
    const big = join(root, 'cube.nc');
    writeSeeded(big, 20 << 20, 21);
    await cliOk(['add', 'cube.nc'], { cwd: root });
    git(root, 'add', '-A'); git(root, 'commit', '-qm', 'v1');
    await cliOk(['push'], { cwd: root });
    // a fresh object of >= 16 MiB is one pack: the cached file itself
    const packsDir = join(remote, 'chunked', 'packs');
    const packs = readdirSync(packsDir).filter((n) => !n.endsWith('.tmp'));
    assert.equal(packs.length, 1);
    const victim = join(packsDir, packs[0]!);
    const body = readFileSync(victim);
    assert.equal(body.length, 20 << 20);
    body.writeUInt8(body.readUInt8((13 << 20) + 7) ^ 0x5a, (13 << 20) + 7);
    rmSync(victim, { force: true });
    writeFileSync(victim, body);

    const clone = join(tmp, 'clone');
    git(tmp, 'clone', '-q', root, clone);
    const r = await cliOk(['pull', '--json'], { cwd: clone, expect: 1 });
    assert.match(r.stdout + r.stderr, /chunk [0-9a-f]+ of .* is corrupted/);
    assert.equal(existsSync(join(clone, 'cube.nc')), false, 'nothing checked out');
    const oid = md5(big);
    assert.equal(existsSync(join(clone, '.dvc', 'cache', 'files', 'md5', oid.slice(0, 2), oid.slice(2))), false, 'nothing entered the cache');
    // restored, the same pull succeeds byte-identical
    writeFileSync(victim, readFileSync(big));
    await cliOk(['pull'], { cwd: clone });
    assert.equal(md5(join(clone, 'cube.nc')), oid);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
