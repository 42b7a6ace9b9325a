/**
 * Stage outputs follow `cache.type` as `add` does: with hardlink/symlink the workspace outputs are
 * links of the read-only cache objects; dvc.lock is the same as with copies; a re-run rewrites
 * them; a persist output is unprotected before its stage appends to it; a run-cache restore links.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir, gitInit } from '../helpers/tmp.js';
import { reproduce } from '../../src/core/api/repro.js';

const DVC_YAML = `stages:
  build:
    cmd: mkdir -p out && cat in.txt > out/a.txt && echo b > out/b.txt && cat in.txt > single.txt
    deps:
    - in.txt
    outs:
    - out
    - single.txt
  log:
    cmd: cat in.txt >> log.txt
    deps:
    - in.txt
    outs:
    - log.txt:
        persist: true
`;

function setup(type: string | undefined): { dir: string; cleanup: () => void } {
  const t = makeTmpDir(`geodvc-pl-link-${type ?? 'default'}-`);
  gitInit(t.dir);
  mkdirSync(join(t.dir, '.dvc'), { recursive: true });
  writeFileSync(join(t.dir, '.dvc', 'config'), type ? `[cache]\n    type = ${type}\n` : '');
  writeFileSync(join(t.dir, 'dvc.yaml'), DVC_YAML);
  writeFileSync(join(t.dir, 'in.txt'), 'v1\n');
  return t;
}

const obj = (dir: string, md5: string) => join(dir, '.dvc/cache/files/md5', md5.slice(0, 2), md5.slice(2));

test('pipeline outputs: hardlink and symlink place cache objects; dvc.lock equals the copy run', async () => {
  const locks: Record<string, string> = {};
  for (const type of [undefined, 'hardlink', 'symlink']) {
    const { dir, cleanup } = setup(type);
    try {
      await reproduce({ cwd: dir });
      locks[type ?? 'copy'] = readFileSync(join(dir, 'dvc.lock'), 'utf8');
      const single = join(dir, 'single.txt');
      const md5 = /path: single\.txt\n\s+hash: md5\n\s+md5: ([0-9a-f]{32})/.exec(locks[type ?? 'copy']!)?.[1] ?? /md5: ([0-9a-f]{32})\n\s+size: 3\n\s+hash: md5\n\s+path: single\.txt/.exec(locks[type ?? 'copy']!)?.[1];
      assert.ok(md5, 'single.txt is in dvc.lock');
      if (type === 'hardlink') {
        assert.equal(statSync(single).ino, statSync(obj(dir, md5!)).ino);
        assert.equal(statSync(join(dir, 'out/a.txt')).ino, statSync(obj(dir, md5!)).ino, 'same bytes: same object');
        assert.ok(statSync(join(dir, 'out/b.txt')).nlink >= 2);
      } else if (type === 'symlink') {
        assert.ok(lstatSync(single).isSymbolicLink());
        assert.equal(realpathSync(single), realpathSync(obj(dir, md5!)));
      } else {
        assert.ok(lstatSync(single).isFile());
        assert.notEqual(statSync(single).ino, statSync(obj(dir, md5!)).ino);
      }
      assert.equal(statSync(obj(dir, md5!)).mode & 0o777, 0o444);
      // a changed dep re-runs both stages; the persist output is appended to, not refused
      writeFileSync(join(dir, 'in.txt'), 'v2\n');
      await reproduce({ cwd: dir });
      assert.equal(readFileSync(join(dir, 'single.txt'), 'utf8'), 'v2\n');
      assert.equal(readFileSync(join(dir, 'out/a.txt'), 'utf8'), 'v2\n');
      assert.equal(readFileSync(join(dir, 'log.txt'), 'utf8'), 'v1\nv2\n');
      // back to v1: build is restored from the run-cache, with the configured link type
      writeFileSync(join(dir, 'in.txt'), 'v1\n');
      rmSync(join(dir, 'single.txt'));
      const r = await reproduce({ cwd: dir, targets: ['build'] });
      assert.deepEqual(r.restored, ['build']);
      assert.equal(readFileSync(join(dir, 'single.txt'), 'utf8'), 'v1\n');
      if (type === 'hardlink') assert.equal(statSync(single).ino, statSync(obj(dir, md5!)).ino);
      if (type === 'symlink') assert.ok(lstatSync(single).isSymbolicLink());
    } finally { cleanup(); }
  }
  assert.equal(locks.hardlink, locks.copy);
  assert.equal(locks.symlink, locks.copy);
});
