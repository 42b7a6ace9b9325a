import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeTmpDir, gitInit } from '../helpers/tmp.js';
import { CORPUS, runCli } from '../helpers/cli.js';
import { initRepo } from '../../src/core/repo/init.js';
import { openRepo } from '../../src/core/repo/repo.js';
import { setConfigValue } from '../../src/core/repo/config.js';
import { fsck, fsckExitCode } from '../../src/core/api/fsck.js';
import { trackFile, trackDir, commitAll, md5, objPath } from './repo-fixture.js';

function build(dir: string) {
  const root = join(dir, 'repo');
  mkdirSync(root, { recursive: true });
  gitInit(root);
  initRepo(root);
  const cache = join(root, '.dvc', 'cache');
  const a = trackFile(root, cache, 'a.txt', 'alpha-content');
  const d = trackDir(root, cache, 'data/chips', { 'x.bin': 'x'.repeat(1000), 'sub/y.bin': 'y'.repeat(500), 'z.bin': 'zz' });
  const tifBytes = readFileSync(join(CORPUS, 'blue.tif'));
  const tif = trackFile(root, cache, 'rasters/blue.tif', tifBytes);
  commitAll(root, 'v1');
  // Two remotes: main and mirror, both holding good copies.
  const remotes = { main: join(dir, 'remote-main'), mirror: join(dir, 'remote-mirror') };
  for (const r of Object.values(remotes)) cpSync(join(cache, 'files'), join(r, 'files'), { recursive: true });
  setConfigValue(root, 'repo', 'remote.main.url', remotes.main, { cwd: root });
  setConfigValue(root, 'repo', 'remote.mirror.url', remotes.mirror, { cwd: root });
  setConfigValue(root, 'repo', 'core.remote', 'main');
  setConfigValue(root, 'repo', 'core.fallback_remotes', 'mirror');
  return { root, cache, a, d, tif, tifBytes, remotes };
}

function damage(path: string, how: 'flip' | 'truncate' | 'delete') {
  if (how === 'delete') { rmSync(path); return; }
  chmodSync(path, 0o644);
  if (how === 'truncate') { truncateSync(path, 10); return; }
  const b = readFileSync(path);
  const mid = Math.floor(b.length / 2);
  b.writeUInt8(b.readUInt8(mid) ^ 0xff, mid);
  writeFileSync(path, b);
  chmodSync(path, 0o444);
}

test('fsck finds flipped, truncated, deleted objects and a truncated GeoTIFF, names their users, quarantines, repairs from the remotes', async () => {
  const t = makeTmpDir('geodvc-fsck-');
  try {
    const f = build(t.dir);
    const [xOid, yOid, zOid] = [md5('x'.repeat(1000)), md5('y'.repeat(500)), md5('zz')];
    damage(objPath(f.cache, f.a), 'flip');
    damage(objPath(f.cache, xOid), 'truncate');
    damage(objPath(f.cache, yOid), 'delete');
    // The main remote's copy of z is corrupted too: repair must come from the mirror.
    damage(objPath(f.cache, zOid), 'flip');
    damage(objPath(join(f.remotes.main), zOid), 'flip');
    // The workspace GeoTIFF is truncated.
    truncateSync(join(f.root, 'rasters', 'blue.tif'), 5000);

    const repo = await openRepo(f.root);
    const r1 = await fsck(repo, {});
    assert.equal(fsckExitCode(r1), 1);
    const by = new Map(r1.problems.map((p) => [p.oid, p]));
    assert.equal(by.get(f.a)!.kind, 'corrupt');
    assert.deepEqual(by.get(f.a)!.uses.map((u) => [u.path, u.dvcfile]).sort(), [['a.txt', 'a.txt.dvc'], ['a.txt', 'a.txt.dvc']]);
    assert.ok(by.get(f.a)!.uses.some((u) => u.rev === 'workspace') && by.get(f.a)!.uses.some((u) => /^[0-9a-f]{40}$/.test(u.rev)));
    assert.equal(by.get(xOid)!.kind, 'corrupt');
    assert.match(by.get(xOid)!.message, /is corrupted \(content hashes to /);
    assert.ok(by.get(xOid)!.uses.some((u) => u.path === 'data/chips/x.bin' && u.dvcfile === 'data/chips.dvc'));
    assert.equal(by.get(yOid)!.kind, 'missing');
    assert.ok(by.get(yOid)!.uses.some((u) => u.path === 'data/chips/sub/y.bin'));
    assert.equal(by.get(zOid)!.kind, 'corrupt');
    assert.equal(r1.problems.length, 4);
    for (const p of r1.problems.filter((p) => p.kind === 'corrupt')) {
      assert.ok(p.quarantinedTo && existsSync(p.quarantinedTo), 'bad copy kept in quarantine');
      assert.equal(existsSync(p.cachePath), false, 'bad copy no longer in place');
    }
    assert.equal(r1.geo.length, 1);
    assert.equal(r1.geo[0]!.file, 'rasters/blue.tif');
    assert.equal(r1.geo[0]!.ok, false);

    // The CLI reports the same, then repairs.
    const cli = await runCli(['fsck'], { cwd: f.root });
    assert.equal(cli.code, 1);
    assert.match(cli.stdout, /MISSING: object [0-9a-f]{32} is missing/);
    assert.match(cli.stdout, /used by data\/chips\/sub\/y\.bin \(data\/chips\.dvc, workspace\)/);
    assert.match(cli.stdout, /GEO: rasters\/blue\.tif/);
    const rep = await runCli(['fsck', '--repair', '--json'], { cwd: f.root });
    const j = JSON.parse(rep.stdout);
    assert.equal(j.repaired, 4, rep.stderr);
    for (const oid of [f.a, xOid, yOid, zOid]) assert.equal(md5(readFileSync(objPath(f.cache, oid))), oid);
    assert.equal(rep.code, 1, 'the workspace raster is still damaged');
    // Restore the raster from the cache: everything is clean.
    rmSync(join(f.root, 'rasters', 'blue.tif'));
    writeFileSync(join(f.root, 'rasters', 'blue.tif'), f.tifBytes);
    const clean = await runCli(['cache', 'check', '--geo'], { cwd: f.root });
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    assert.match(clean.stdout, /0 problems/);
    assert.match(clean.stdout, /geo ok: rasters\/blue\.tif/);
    const geo = await fsck(await openRepo(f.root), { geo: true });
    assert.deepEqual(geo.geo.map((g) => [g.file, g.ok]), [['rasters/blue.tif', true]]);
    assert.equal(fsckExitCode(geo), 0);
    assert.ok(readdirSync(join(f.cache, 'quarantine')).length >= 4);
  } finally { t.cleanup(); }
});

test('fsck --fast catches size changes and unprotected objects without hashing everything', async () => {
  const t = makeTmpDir('geodvc-fsck-');
  try {
    const f = build(t.dir);
    damage(objPath(f.cache, f.tif), 'truncate');
    chmodSync(objPath(f.cache, f.tif), 0o444); // protected, so only the size can tell
    const p = objPath(f.cache, f.a);
    chmodSync(p, 0o644);
    writeFileSync(p, 'alpha-contenT');
    const repo = await openRepo(f.root);
    const r = await fsck(repo, { fast: true, sampleRate: 0.01, quarantine: false });
    const kinds = Object.fromEntries(r.problems.map((q) => [q.oid, q.kind]));
    assert.equal(kinds[f.tif], 'size-mismatch');
    assert.equal(kinds[f.a], 'corrupt', 'unprotected objects are always re-hashed');
    assert.ok(r.hashed < r.checked, `fast mode hashed ${r.hashed} of ${r.checked}`);
    assert.ok(existsSync(objPath(f.cache, f.tif)), '--no-quarantine leaves it in place');
    assert.equal(dirname(p).length > 0, true);
  } finally { t.cleanup(); }
});

test('fsck -r REMOTE finds missing and corrupted objects on the remote and --repair uploads good local copies; gc -c cleans the remote', async () => {
  const t = makeTmpDir('geodvc-fsck-');
  try {
    const f = build(t.dir);
    const [xOid, yOid] = [md5('x'.repeat(1000)), md5('y'.repeat(500))];
    rmSync(objPath(f.remotes.main, xOid));
    damage(objPath(f.remotes.main, yOid), 'flip');
    const r = await runCli(['fsck', '-r', 'main', '--json'], { cwd: f.root });
    assert.equal(r.code, 1, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.problems.map((p: { oid: string; kind: string }) => [p.oid, p.kind]).sort(), [[xOid, 'missing'], [yOid, 'corrupt']].sort());
    assert.ok(j.problems.find((p: { oid: string }) => p.oid === yOid).paths.includes('data/chips/sub/y.bin'));
    const fast = JSON.parse((await runCli(['fsck', '-r', 'main', '--fast', '--json'], { cwd: f.root })).stdout);
    assert.deepEqual(fast.problems.map((p: { oid: string }) => p.oid), [xOid], 'a flipped byte keeps the size: only the full check sees it');
    const rep = await runCli(['fsck', '-r', 'main', '--repair'], { cwd: f.root });
    assert.equal(rep.code, 0, rep.stdout + rep.stderr);
    assert.equal(md5(readFileSync(objPath(f.remotes.main, xOid))), xOid);
    assert.equal(md5(readFileSync(objPath(f.remotes.main, yOid))), yOid);
    assert.equal((await runCli(['fsck', '-c'], { cwd: f.root })).code, 0);

    // gc -c: an orphan on the remote goes, everything used stays.
    const orphan = md5('orphan-on-remote');
    mkdirSync(dirname(objPath(f.remotes.main, orphan)), { recursive: true });
    writeFileSync(objPath(f.remotes.main, orphan), 'orphan-on-remote');
    const g = await runCli(['gc', '-w', '-c', '-f', '--json'], { cwd: f.root });
    assert.equal(g.code, 0, g.stderr);
    assert.deepEqual(JSON.parse(g.stdout).cloud.removed, [`files/md5/${orphan.slice(0, 2)}/${orphan.slice(2)}`]);
    assert.equal(existsSync(objPath(f.remotes.main, orphan)), false);
    assert.equal((await runCli(['fsck', '-r', 'main'], { cwd: f.root })).code, 0);
  } finally { t.cleanup(); }
});
