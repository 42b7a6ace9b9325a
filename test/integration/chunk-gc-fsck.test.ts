/**
 * gc -c and fsck -r on a chunked remote: fsck finds a corrupt chunk (and repairs it from the
 * cache); gc -c removes the lists of unused objects and the chunks only they used, keeps every
 * chunk of a kept object, and the kept object still pulls byte-identical afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { openRepo } from '../../src/core/repo/repo.js';
import { add } from '../../src/core/api/add.js';
import { push } from '../../src/core/api/push.js';
import { pull } from '../../src/core/api/pull.js';
import { gc } from '../../src/core/api/gc.js';
import { fsckRemote } from '../../src/core/api/fsck.js';
import { parseChunkList, chunkKey } from '../../src/core/chunk/list.js';
import { chunkedRepo, writeSeeded } from './chunk-fixture.js';

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const filesUnder = (dir: string) => existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)) : [];

test('fsck -r finds and repairs a corrupt chunk; gc -c keeps exactly the chunks of kept objects', { timeout: 60_000 }, async () => {
  const { tmp, root, remote } = chunkedRepo('cdc', 'geodvc-chunkgc-');
  try {
    const f = join(root, 'cube.nc');
    writeSeeded(f, 12 << 20, 11);
    await add({ cwd: root, targets: [f] });
    assert.equal((await push({ cwd: root })).failed, 0);
    // v2 replaces the second half: v1-only chunks become garbage once v1 is not kept
    const b = readFileSync(f);
    writeSeeded(join(tmp, 'half'), 6 << 20, 12);
    writeFileSync(f, Buffer.concat([b.subarray(0, 6 << 20), readFileSync(join(tmp, 'half'))]));
    const v2 = sha(f);
    await add({ cwd: root, targets: [f] });
    assert.equal((await push({ cwd: root })).failed, 0);

    const repo = await openRepo(root);
    const clean = await fsckRemote(repo, undefined, {});
    assert.deepEqual(clean.problems, []);
    assert.ok(clean.downloadedBytes >= 12 << 20, 'the chunks were downloaded and hashed');

    // flip one byte of one chunk of v2 on the remote
    const lists = filesUnder(join(remote, 'chunked', 'lists'));
    assert.equal(lists.length, 2);
    const oid2 = /md5: ([0-9a-f]{32})/.exec(readFileSync(`${f}.dvc`, 'utf8'))![1]!;
    const list2 = parseChunkList(readFileSync(lists.find((p) => p.endsWith(oid2.slice(2)))!));
    const victim = join(remote, chunkKey(list2.chunkHash, list2.chunks[3]!.hash));
    const body = readFileSync(victim);
    body.writeUInt8(body.readUInt8(100) ^ 0xff, 100);
    chmodSync(victim, 0o644);
    writeFileSync(victim, body);
    const fast = await fsckRemote(repo, undefined, { fast: true });
    assert.deepEqual(fast.problems, [], 'same size: --fast cannot see it');
    const bad = await fsckRemote(repo, undefined, {});
    assert.equal(bad.problems.length, 1);
    assert.equal(bad.problems[0]!.kind, 'corrupt');
    assert.equal(bad.problems[0]!.chunked, true);
    assert.match(bad.problems[0]!.message, /chunk .* is corrupted/);
    // a pull into an empty cache refuses the damaged chunk (and one with a byte appended): nothing enters the cache
    const cache = join(root, '.dvc', 'cache');
    renameSync(cache, `${cache}.bak`);
    const work = readFileSync(f);
    rmSync(f);
    for (const damaged of [body, Buffer.concat([readFileSync(victim), Buffer.from([0])])]) {
      writeFileSync(victim, damaged);
      const refused = await pull({ cwd: root });
      assert.equal(refused.failed.length, 1);
      assert.equal(refused.failed[0]!.code, 'chunk-corrupt');
      assert.match(refused.failed[0]!.message, /chunk [0-9a-f]+ of .* is corrupted/);
      assert.ok(!existsSync(f));
    }
    writeFileSync(victim, body);
    rmSync(cache, { recursive: true, force: true });
    renameSync(`${cache}.bak`, cache);
    writeFileSync(f, work);
    const fixed = await fsckRemote(repo, undefined, { repair: true });
    assert.equal(fixed.repaired, 1);
    assert.deepEqual((await fsckRemote(repo, undefined, {})).problems, []);

    // gc -c: only the workspace (v2) is kept
    const before = filesUnder(join(remote, 'chunked', 'data')).length;
    const res = await gc(repo, { workspace: true, cloud: true });
    const after = filesUnder(join(remote, 'chunked', 'data')).map((p) => p.slice(remote.length + 1));
    assert.ok(res.cloud!.removed.some((k) => k.startsWith('chunked/lists/')), 'the v1 list went');
    assert.equal(filesUnder(join(remote, 'chunked', 'lists')).length, 1);
    assert.deepEqual(new Set(after), new Set(list2.chunks.map((c) => chunkKey(list2.chunkHash, c.hash))), 'exactly the chunks of v2 remain');
    assert.ok(after.length < before);
    // and v2 still comes back whole into an empty cache
    rmSync(join(root, '.dvc', 'cache'), { recursive: true, force: true });
    rmSync(f);
    const p = await pull({ cwd: root });
    assert.equal(p.failed.length, 0);
    assert.equal(sha(f), v2);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
