/**
 * End to end through the CLI: init, add a directory of GeoTIFFs from the shared corpus, modify one,
 * status shows exactly it, commit, git commit, checkout of the previous revision restores every
 * byte (sha256 compared), and back again; for each link type.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, lstatSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { makeShmTmpDir, gitInit, git } from '../helpers/tmp.js';
import { cliOk, CORPUS } from '../helpers/cli.js';

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

function snapshot(dir: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const f of readdirSync(dir).sort()) m.set(f, sha(join(dir, f)));
  return m;
}

/** Every cache object hashes to its own name (nothing corrupt, nothing half-written). */
function assertCacheIntact(root: string): void {
  const base = join(root, '.dvc/cache/files/md5');
  for (const pre of readdirSync(base)) {
    for (const rest of readdirSync(join(base, pre))) {
      assert.ok(!rest.startsWith('.geodvc-tmp-'), `temp file left in cache: ${pre}/${rest}`);
      const p = join(base, pre, rest);
      const md5 = createHash('md5').update(readFileSync(p)).digest('hex');
      assert.equal(md5 + (rest.endsWith('.dir') ? '.dir' : ''), pre + rest, `corrupt cache object ${pre}/${rest}`);
      assert.equal(statSync(p).mode & 0o777, 0o444);
    }
  }
}

const tifs = readdirSync(CORPUS).filter((f) => f.endsWith('.tif')).sort().slice(0, 12);

test('versioning round trip per link type', { concurrency: 3 }, async (t) => {
 await Promise.all((['copy', 'hardlink', 'symlink'] as const).map((linkType) => t.test(`cache.type ${linkType}`, async () => {
    assert.ok(tifs.length >= 5, 'corpus GeoTIFFs present');
    const { dir, cleanup } = makeShmTmpDir(`geodvc-e2e-${linkType}-`);
    try {
      gitInit(dir);
      await cliOk(['init', '-q'], { cwd: dir });
      await cliOk(['config', 'cache.type', linkType], { cwd: dir });
      const tiles = join(dir, 'data', 'tiles');
      mkdirSync(tiles, { recursive: true });
      for (const f of tifs) writeFileSync(join(tiles, f), readFileSync(join(CORPUS, f)));
      const v1 = snapshot(tiles);

      const added = JSON.parse((await cliOk(['add', 'data/tiles', '--json'], { cwd: dir })).stdout);
      assert.equal(added.outputs[0].nfiles, tifs.length);
      assert.equal(added.outputs[0].linkType, linkType);
      assert.deepEqual(JSON.parse((await cliOk(['status', '--json'], { cwd: dir })).stdout), {});
      assert.equal(readFileSync(join(dir, 'data/.gitignore'), 'utf8'), '/tiles\n');
      git(dir, 'add', '-A');
      git(dir, 'commit', '-qm', 'v1');

      // Modify one raster the way a user must with linked data: unprotect, then edit.
      const victim = tifs[2]!;
      await cliOk(['unprotect', `data/tiles/${victim}`], { cwd: dir });
      appendFileSync(join(tiles, victim), Buffer.from('appended bytes'));
      const st = JSON.parse((await cliOk(['status', '--json', '--granular'], { cwd: dir })).stdout);
      assert.deepEqual(st['data/tiles.dvc'], [{ 'changed outs': { 'data/tiles': 'modified' } }]);
      assert.deepEqual(st.granular[0].changes, { added: [], deleted: [], modified: [victim] });
      const human = (await cliOk(['status'], { cwd: dir })).stdout;
      assert.match(human, new RegExp(`modified:\\s+data/tiles/${victim.replace(/\./g, '\\.')}`));
      assert.equal(human.match(/data\/tiles\/\S+/g)!.length, 1, human);

      await cliOk(['commit', '-q'], { cwd: dir });
      const v2 = snapshot(tiles);
      assert.notEqual(v2.get(victim), v1.get(victim));
      assert.deepEqual(JSON.parse((await cliOk(['status', '--json'], { cwd: dir })).stdout), {});
      git(dir, 'add', '-A');
      git(dir, 'commit', '-qm', 'v2');
      const diffJson = JSON.parse((await cliOk(['diff', '--json', 'HEAD~1', 'HEAD'], { cwd: dir })).stdout);
      assert.deepEqual(diffJson, { added: [], deleted: [], modified: [{ path: 'data/tiles/' }, { path: `data/tiles/${victim}` }], renamed: [] });

      // Roll back to v1.
      git(dir, 'checkout', '-q', 'HEAD~1');
      const co = JSON.parse((await cliOk(['checkout', '--json'], { cwd: dir })).stdout);
      assert.deepEqual(co.modified, [`data/tiles/${victim}`]);
      assert.deepEqual(snapshot(tiles), v1);
      assert.deepEqual(JSON.parse((await cliOk(['status', '--json'], { cwd: dir })).stdout), {});
      const p = join(tiles, victim);
      if (linkType === 'symlink') assert.ok(lstatSync(p).isSymbolicLink());
      if (linkType === 'hardlink') assert.ok(statSync(p).nlink >= 2 && (statSync(p).mode & 0o222) === 0, 'hardlinked and protected');
      if (linkType === 'copy') assert.ok(!lstatSync(p).isSymbolicLink() && statSync(p).nlink === 1);

      // And forward again; then restore a deleted single file inside the directory.
      git(dir, 'checkout', '-q', 'main');
      await cliOk(['checkout', '-q'], { cwd: dir });
      assert.deepEqual(snapshot(tiles), v2);
      const { rmSync } = await import('node:fs');
      rmSync(join(tiles, tifs[0]!));
      await cliOk(['checkout', `data/tiles/${tifs[0]}`], { cwd: dir });
      assert.equal(sha(join(tiles, tifs[0]!)), v1.get(tifs[0]!));
      assertCacheIntact(dir);
      assert.ok(existsSync(join(dir, '.dvc/tmp/geodvc-state.db')));
    } finally { cleanup(); }
  })));
});
