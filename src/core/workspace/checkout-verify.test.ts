/**
 * checkout links objects after the workers checked their protection: a writable but intact object
 * is verified, protected and linked; a writable corrupted one is removed and reported, never linked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { makeTmpDir, gitInit } from '../../../test/helpers/tmp.js';
import { initRepo } from '../repo/init.js';
import { add } from '../api/add.js';
import { checkout } from '../api/checkout.js';
import { setMetaExtractor } from '../api/meta-hook.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const obj = (dir: string, s: string) => join(dir, '.dvc/cache/files/md5', md5(s).slice(0, 2), md5(s).slice(2));

test('checkout: untrusted intact object is verified and linked; untrusted corrupt object is dropped and reported', async () => {
  const { dir, cleanup } = makeTmpDir('geodvc-coverify-');
  setMetaExtractor(null);
  try {
    gitInit(dir);
    initRepo(dir);
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data/good.txt'), 'good bytes\n');
    writeFileSync(join(dir, 'data/bad.txt'), 'bad bytes\n');
    writeFileSync(join(dir, 'data/other.txt'), 'other\n');
    await add({ cwd: dir, targets: ['data'] });
    rmSync(join(dir, 'data'), { recursive: true, force: true });
    chmodSync(obj(dir, 'good bytes\n'), 0o644); // intact, but no longer marked trusted
    chmodSync(obj(dir, 'bad bytes\n'), 0o644);
    writeFileSync(obj(dir, 'bad bytes\n'), 'flipped!!\n'); // corrupted, same size
    const r = await checkout({ cwd: dir });
    assert.deepEqual(r.failed, ['data/bad.txt']);
    assert.equal(readFileSync(join(dir, 'data/good.txt'), 'utf8'), 'good bytes\n');
    assert.equal(readFileSync(join(dir, 'data/other.txt'), 'utf8'), 'other\n');
    assert.equal(existsSync(join(dir, 'data/bad.txt')) ? readFileSync(join(dir, 'data/bad.txt'), 'utf8') : 'absent', 'absent', 'a corrupt object is never checked out');
    assert.equal(existsSync(obj(dir, 'bad bytes\n')), false, 'the corrupt object was removed from the cache');
  } finally { cleanup(); }
});
