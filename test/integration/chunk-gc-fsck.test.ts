/**
 * gc -c and fsck -r on a chunked remote (pack files): fsck finds a corrupt chunk inside a pack
 * (and repairs it from the cache with a new pack); a pull refuses the damaged chunk and a pack of
 * the wrong size; gc -c removes the lists of unused objects and every pack none of whose chunks is
 * used (index first), keeps packs holding used chunks (reporting the garbage left in them), and
 * the kept object still pulls byte-identical afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, chmodSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { git } from '../helpers/tmp.js';
import { openRepo } from '../../src/core/repo/repo.js';
import { add } from '../../src/core/api/add.js';
import { push } from '../../src/core/api/push.js';
import { pull } from '../../src/core/api/pull.js';
import { gc } from '../../src/core/api/gc.js';
import { fsckRemote } from '../../src/core/api/fsck.js';
import { gcChunked } from '../../src/core/transfer/chunked.js';
import { parseChunkList } from '../../src/core/chunk/list.js';
import { parsePackIndex, loadRemotePacks } from '../../src/core/transfer/pack.js';
import { LocalBackend } from '../../src/storage/backends/local.js';
import { chunkedRepo, writeSeeded } from './chunk-fixture.js';

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const filesUnder = (dir: string) => existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)) : [];
const names = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => !n.endsWith('.tmp')).sort() : []);

test('fsck -r finds and repairs a corrupt chunk in a pack; gc -c drops unused packs and keeps used ones', { timeout: 60_000 }, async () => {
  const { tmp, root, remote } = chunkedRepo('cdc', 'geodvc-chunkgc-');
  try {
    const f = join(root, 'cube.nc');
    writeSeeded(f, 12 << 20, 11);
    const other = join(root, 'other.nc');
    writeSeeded(other, 6 << 20, 13);
    await add({ cwd: root, targets: [f] });
    assert.equal((await push({ cwd: root })).failed, 0);
    await add({ cwd: root, targets: [other] });
    assert.equal((await push({ cwd: root })).failed, 0);
    // v2 replaces the second half: v1-only chunks become garbage once v1 is not kept
    const b = readFileSync(f);
    writeSeeded(join(tmp, 'half'), 6 << 20, 12);
    writeFileSync(f, Buffer.concat([b.subarray(0, 6 << 20), readFileSync(join(tmp, 'half'))]));
    const v2 = sha(f);
    await add({ cwd: root, targets: [f] });
    assert.equal((await push({ cwd: root })).failed, 0);
    const packsDir = join(remote, 'chunked', 'packs');
    const indexDir = join(remote, 'chunked', 'index');
    assert.equal(names(packsDir).length, 3, 'one pack per push (each under the pack size)');
    assert.deepEqual(names(indexDir), names(packsDir), 'every pack has its index');
    assert.ok(!existsSync(join(remote, 'chunked', 'data')), 'no chunk stored on its own');

    const repo = await openRepo(root);
    const clean = await fsckRemote(repo, undefined, {});
    assert.deepEqual(clean.problems, []);
    assert.ok(clean.downloadedBytes >= 12 << 20, 'the chunks were downloaded and hashed');

    // flip one byte of one chunk of v2 inside its pack
    const lists = filesUnder(join(remote, 'chunked', 'lists'));
    assert.equal(lists.length, 3);
    const oid2 = /md5: ([0-9a-f]{32})/.exec(readFileSync(`${f}.dvc`, 'utf8'))![1]!;
    const list2 = parseChunkList(readFileSync(lists.find((p) => p.endsWith(oid2.slice(2)))!));
    const target = list2.chunks[list2.chunks.length - 2]!.hash;
    const holder = names(indexDir).map((id) => parsePackIndex(id, readFileSync(join(indexDir, id)))).find((ix) => ix.entries.some((e) => e.hash === target))!;
    const entry = holder.entries.find((e) => e.hash === target)!;
    const victim = join(packsDir, holder.id);
    const body = readFileSync(victim);
    body.writeUInt8(body.readUInt8(entry.offset + 100) ^ 0xff, entry.offset + 100);
    chmodSync(victim, 0o644);
    writeFileSync(victim, body);
    const fast = await fsckRemote(repo, undefined, { fast: true });
    assert.deepEqual(fast.problems, [], 'same size: --fast cannot see it');
    const bad = await fsckRemote(repo, undefined, {});
    assert.equal(bad.problems.length, 1);
    assert.equal(bad.problems[0]!.kind, 'corrupt');
    assert.equal(bad.problems[0]!.chunked, true);
    assert.match(bad.problems[0]!.message, new RegExp(`chunk .*${target.slice(2)} .* is corrupted \\(in chunked/packs/${holder.id}\\)`));
    // a pull into an empty cache refuses the damaged chunk, and a pack longer than its index says: nothing enters the cache
    const cache = join(root, '.dvc', 'cache');
    renameSync(cache, `${cache}.bak`);
    const work = readFileSync(f);
    rmSync(f);
    for (const [damaged, code, msg] of [[body, 'chunk-corrupt', /chunk [0-9a-f]+ of .* is corrupted/], [Buffer.concat([readFileSync(victim), Buffer.from([0])]), 'remote-object-missing', /chunk [0-9a-f]+ of .* is missing .*in no pack/]] as const) {
      writeFileSync(victim, damaged);
      const refused = await pull({ cwd: root, targets: ['cube.nc'] });
      assert.equal(refused.failed.length, 1);
      assert.equal(refused.failed[0]!.code, code);
      assert.match(refused.failed[0]!.message, msg);
      assert.ok(!existsSync(f));
    }
    writeFileSync(victim, body);
    rmSync(cache, { recursive: true, force: true });
    renameSync(`${cache}.bak`, cache);
    writeFileSync(f, work);
    const fixed = await fsckRemote(repo, undefined, { repair: true });
    assert.equal(fixed.repaired, 1);
    assert.equal(names(packsDir).length, 4, 'the good copy went up in a pack of its own');
    assert.deepEqual((await fsckRemote(repo, undefined, {})).problems, []);

    // gc -c: only the workspace (v2) is kept; other.nc is no longer tracked
    const oidOther = /md5: ([0-9a-f]{32})/.exec(readFileSync(`${other}.dvc`, 'utf8'))![1]!;
    const listOther = parseChunkList(readFileSync(lists.find((p) => p.endsWith(oidOther.slice(2)))!));
    rmSync(`${other}.dvc`);
    const otherPack = names(indexDir).map((id) => parsePackIndex(id, readFileSync(join(indexDir, id)))).find((ix) => ix.entries[0]!.hash === listOther.chunks[0]!.hash)!;
    assert.deepEqual(otherPack.entries.map((e) => e.hash), listOther.chunks.map((c) => c.hash), 'other.nc went up in a pack of its own');
    const res = await gc(repo, { workspace: true, cloud: true });
    assert.ok(res.cloud!.removed.some((k) => k.startsWith('chunked/lists/')), 'the v1 list went');
    assert.equal(filesUnder(join(remote, 'chunked', 'lists')).length, 1);
    assert.ok(res.cloud!.removed.includes(`chunked/index/${otherPack.id}`) && res.cloud!.removed.includes(`chunked/packs/${otherPack.id}`), 'the pack only other.nc used went, index and pack');
    assert.equal(names(packsDir).length, 3, 'packs holding used chunks stay');
    assert.deepEqual(names(indexDir), names(packsDir));
    const again = await gcChunked(new LocalBackend(remote), new Set([`md5:${oid2}`]), { dry: true });
    assert.ok(again.packGarbageBytes >= 5 << 20, `v1's second half is garbage left in a kept pack (${again.packGarbageBytes} B)`);
    assert.deepEqual(again.removed, [], 'nothing else to remove');
    // and v2 still comes back whole into an empty cache, from the repaired copy
    rmSync(join(root, '.dvc', 'cache'), { recursive: true, force: true });
    rmSync(f);
    const p = await pull({ cwd: root });
    assert.equal(p.failed.length, 0);
    assert.equal(sha(f), v2);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('gc -c removes a pack left without index by a killed push, its stale temp files, and an index whose pack is gone', { timeout: 30_000 }, async () => {
  const { tmp, root, remote } = chunkedRepo('cdc', 'geodvc-chunkgc2-');
  try {
    const f = join(root, 'a.nc');
    writeSeeded(f, 6 << 20, 5);
    await add({ cwd: root, targets: [f] });
    git(root, 'add', '-A'); git(root, 'commit', '-qm', 'a');
    assert.equal((await push({ cwd: root })).failed, 0);
    const packsDir = join(remote, 'chunked', 'packs');
    const indexDir = join(remote, 'chunked', 'index');
    const [kept] = names(indexDir);
    // a pack whose index never arrived, and an index whose pack vanished
    writeFileSync(join(packsDir, 'ab'.repeat(16)), Buffer.alloc(1000, 1));
    const ghost = parsePackIndex(kept!, readFileSync(join(indexDir, kept!)));
    const { serializePackIndex } = await import('../../src/core/transfer/pack.js');
    const orphanIx = serializePackIndex('xxh128', 10, [{ hash: ghost.entries[0]!.hash, offset: 0, size: 10 }]);
    writeFileSync(join(indexDir, orphanIx.id), orphanIx.text);
    // temp files of pushes killed mid-write: one left two hours ago, one being written now
    const staleTmp = `${'cd'.repeat(16)}.0123456789ab.tmp`;
    const liveTmp = `new.ba9876543210.tmp`;
    writeFileSync(join(packsDir, staleTmp), Buffer.alloc(2000, 2));
    writeFileSync(join(packsDir, liveTmp), Buffer.alloc(2000, 3));
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(join(packsDir, staleTmp), twoHoursAgo, twoHoursAgo);
    const seen = await loadRemotePacks(new LocalBackend(remote));
    assert.deepEqual(seen.unindexed.map((p) => p.id), ['ab'.repeat(16)]);
    assert.deepEqual(seen.dangling, [{ id: orphanIx.id, packSize: undefined }], 'an index without its pack is not trusted');
    assert.equal(seen.indexes.size, 1);
    const res = await gc(await openRepo(root), { workspace: true, cloud: true });
    assert.deepEqual(res.cloud!.removed.sort(), [`chunked/index/${orphanIx.id}`, `chunked/packs/${'ab'.repeat(16)}`, `chunked/packs/${staleTmp}`].sort());
    assert.deepEqual(names(packsDir), [kept]);
    assert.equal(existsSync(join(packsDir, staleTmp)), false, 'the stale temp file is gone');
    assert.equal(existsSync(join(packsDir, liveTmp)), true, 'a temp file written recently stays (a push may be writing it)');
    assert.deepEqual(names(indexDir), [kept]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
