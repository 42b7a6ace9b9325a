/**
 * Crash safety of chunked transfers: a push and a pull killed with SIGKILL mid-transfer leave
 * nothing a later run trusts wrongly. The push writes packs of 1 MiB here (GEODVC_PACK_SIZE): when
 * killed, every index on the remote names a complete pack and no chunk list is there; the rerun
 * sends only the chunks that are not in a complete pack, and the rerun of the pull gives a
 * byte-identical file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { git } from '../helpers/tmp.js';
import { BIN } from '../helpers/cli.js';
import { add } from '../../src/core/api/add.js';
import { push } from '../../src/core/api/push.js';
import { pull } from '../../src/core/api/pull.js';
import { loadRemotePacks } from '../../src/core/transfer/pack.js';
import { LocalBackend } from '../../src/storage/backends/local.js';
import { chunkedRepo, writeSeeded } from './chunk-fixture.js';

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const count = (dir: string) => (existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && !e.name.endsWith('.tmp')).length : 0);

/** Runs the CLI and SIGKILLs it once `ready()` holds; resolves with whether it was killed before finishing. */
function killWhen(args: string[], cwd: string, ready: () => boolean, env: Record<string, string> = {}): Promise<boolean> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: 'ignore' });
  return new Promise((resolve) => {
    let killed = false;
    const iv = setInterval(() => { if (!killed && ready()) { killed = true; child.kill('SIGKILL'); } }, 5);
    child.on('close', (_code, sig) => { clearInterval(iv); resolve(sig === 'SIGKILL'); });
  });
}

test('SIGKILL mid chunked push and mid chunked pull: reruns complete, only missing chunks move, the file is byte-identical', { timeout: 90_000 }, async () => {
  const { tmp, root, remote } = chunkedRepo('cdc', 'geodvc-chunkkill-');
  try {
    const f = join(root, 'stack.h5');
    writeSeeded(f, 15 << 20, 21); // below the size from which a new object becomes one pack of its own
    const want = sha(f);
    await add({ cwd: root, targets: [f] });
    git(root, 'add', '-A'); git(root, 'commit', '-qm', 'data');

    // push, killed once two packs are complete on the remote (the rest still being written)
    const index = join(remote, 'chunked', 'index');
    const killedPush = await killWhen(['push'], root, () => count(index) >= 2, { GEODVC_PACK_SIZE: String(1 << 20) });
    assert.ok(killedPush, 'the push was killed mid-transfer');
    assert.ok(!existsSync(join(remote, 'chunked', 'lists')) || count(join(remote, 'chunked', 'lists')) === 0, 'no chunk list before all of its chunks');
    const seen = await loadRemotePacks(new LocalBackend(remote));
    assert.deepEqual(seen.dangling, [], 'every index names a complete pack');
    assert.ok(seen.indexes.size >= 2);
    const partial = seen.chunkCount;
    const again = await push({ cwd: root });
    assert.equal(again.failed, 0);
    assert.equal(again.pushed, 1);
    const c = again.chunked!;
    assert.equal(c.chunksMoved, c.chunks - partial, `rerun sent ${c.chunksMoved} of ${c.chunks} chunks (${partial} were in complete packs)`);
    assert.ok(c.bytesReused >= 2 << 20);

    // pull into a clone, killed while the object is being rebuilt
    const clone = join(tmp, 'clone');
    git(tmp, 'clone', '-q', root, clone);
    const cache = join(clone, '.dvc', 'cache');
    const tmpIn = () => existsSync(join(cache, 'files')) && readdirSync(join(cache, 'files'), { recursive: true }).some((n) => String(n).includes('.geodvc-tmp-'));
    const killedPull = await killWhen(['pull', '-j', '1'], clone, tmpIn);
    assert.ok(killedPull, 'the pull was killed mid-transfer');
    assert.ok(!existsSync(join(clone, 'stack.h5')), 'nothing checked out');
    const oid = /md5: ([0-9a-f]{32})/.exec(readFileSync(`${f}.dvc`, 'utf8'))![1]!;
    assert.ok(!existsSync(join(cache, 'files', 'md5', oid.slice(0, 2), oid.slice(2))), 'no object entered the cache');
    const p = await pull({ cwd: clone });
    assert.equal(p.failed.length, 0);
    assert.equal(sha(join(clone, 'stack.h5')), want);

    // a new object of 24 MiB is one pack of its own (a kernel copy of the cached file, started
    // while the file is still being cut): killed while that copy is a temp file
    const g = join(root, 'cube.h5');
    writeSeeded(g, 24 << 20, 22);
    const wantG = sha(g);
    await add({ cwd: root, targets: [g] });
    git(root, 'add', '-A'); git(root, 'commit', '-qm', 'cube');
    const packsDir = join(remote, 'chunked', 'packs');
    const old = new Set(readdirSync(packsDir));
    const copying = () => readdirSync(packsDir).some((n) => n.endsWith('.tmp') && !old.has(n));
    assert.ok(await killWhen(['push'], root, copying), 'the push was killed during the whole-file copy');
    const seen2 = await loadRemotePacks(new LocalBackend(remote));
    assert.deepEqual(seen2.dangling, [], 'every index names a complete pack');
    // (under load the kill can land just after the pack and its index were committed)
    const committed = [...seen2.indexes.values()].some((ix) => ix.size === 24 << 20);
    assert.equal(count(join(remote, 'chunked', 'lists')), 1, 'no chunk list for it');
    const again2 = await push({ cwd: root });
    assert.equal(again2.failed, 0);
    assert.equal(again2.chunked!.bytesMoved, committed ? 0 : 24 << 20, 'the rerun sends the pack unless it was complete');
    git(clone, 'pull', '-q', 'origin', 'main');
    const p2 = await pull({ cwd: clone });
    assert.equal(p2.failed.length, 0);
    assert.equal(sha(join(clone, 'cube.h5')), wantG);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
