/**
 * DVC 3.64 goldens (test/fixtures/dvc-goldens, copied from shared/reference): our .dvc, .dir, .gitignore bytes, cache
 * layout, status and diff JSON for the same inputs; legacy DVC 2 files; xxh128 via the remote's
 * `checksum` option.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { makeTmpDir, writeTree, gitInit, git } from '../helpers/tmp.js';
import { GOLDENS, cliOk } from '../helpers/cli.js';
import { initRepo } from '../../src/core/repo/init.js';
import { add } from '../../src/core/api/add.js';
import { status } from '../../src/core/api/status.js';
import { diff } from '../../src/core/api/diff.js';
import { commit } from '../../src/core/api/commit.js';
import { checkout } from '../../src/core/api/checkout.js';
import { collectUsedObjects } from '../../src/core/api/used.js';
import { openRepo } from '../../src/core/repo/repo.js';
import { setMetaExtractor } from '../../src/core/api/meta-hook.js';

// DVC writes no `meta:` for these inputs: keep the geo metadata hook out of byte comparisons.
setMetaExtractor(null);

function cacheFiles(root: string): string {
  const out: string[] = [];
  const rec = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) rec(p); else out.push('./' + relative(join(root, '.dvc', 'cache'), p));
    }
  };
  rec(join(root, '.dvc', 'cache'));
  return out.sort().join('\n') + '\n';
}

function newRepo(): { dir: string; cleanup: () => void } {
  const t = makeTmpDir('geodvc-golden-');
  gitInit(t.dir);
  initRepo(t.dir);
  return t;
}

const IMAGERY: Record<string, string> = {
  foo: 'foo', bar: 'bar', 'sub/baz': 'baz', 'café ü.txt': 'é', Zebra: 'Z', apple: 'a', 'sub/emoji-😀.txt': '😀',
  'sub/ｚwide': 'ｚ', '.hidden': 'h', 'sub/deeper/with space.tif': 'x',
};

test('02-files: four files, .dvc + .gitignore bytes and cache layout identical to DVC', async () => {
  const { dir, cleanup } = newRepo();
  try {
    writeTree(dir, { foo: 'foo', 'bar.txt': 'bar\n', 'crlf.txt': 'a\r\nb\r\nc', 'big.txt': 'x'.repeat(3_000_000) });
    await add({ cwd: dir, targets: ['foo', 'bar.txt', 'crlf.txt', 'big.txt'] });
    const g = join(GOLDENS, '02-files');
    for (const f of ['foo.dvc', 'bar.txt.dvc', 'crlf.txt.dvc', 'big.txt.dvc', '.gitignore']) {
      assert.equal(readFileSync(join(dir, f), 'utf8'), readFileSync(join(g, f), 'utf8'), f);
    }
    assert.equal(cacheFiles(dir), readFileSync(join(g, 'cache-files.txt'), 'utf8'));
    for (const line of cacheFiles(dir).trim().split('\n')) assert.equal(statSync(join(dir, '.dvc/cache', line)).mode & 0o777, 0o444);
    assert.deepEqual((await status({ cwd: dir }) as { json: unknown }).json, {});
  } finally { cleanup(); }
});

test('03-directory: manifest, .dvc, .gitignore, status after edit, diff v1..v2, imagery-v2.dvc', async () => {
  const { dir, cleanup } = newRepo();
  try {
    const files: Record<string, string> = {};
    for (const [k, v] of Object.entries(IMAGERY)) files[`data/imagery/${k}`] = v;
    writeTree(dir, files);
    mkdirSync(join(dir, 'data/imagery/empty'));
    await add({ cwd: dir, targets: ['data/imagery'] });
    const g = join(GOLDENS, '03-directory');
    assert.equal(readFileSync(join(dir, 'data/imagery.dvc'), 'utf8'), readFileSync(join(g, 'data/imagery.dvc'), 'utf8'));
    assert.equal(readFileSync(join(dir, 'data/.gitignore'), 'utf8'), readFileSync(join(g, 'data/.gitignore'), 'utf8'));
    assert.deepEqual(readFileSync(join(dir, '.dvc/cache/files/md5/65/8f4336679a7c1b3860e17effa0090f.dir')), readFileSync(join(g, 'dir-objects/658f4336679a7c1b3860e17effa0090f.dir')));
    assert.equal(cacheFiles(dir), readFileSync(join(g, 'cache-files.txt'), 'utf8'));
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'v1');
    writeFileSync(join(dir, 'data/imagery/foo'), 'changed');
    rmSync(join(dir, 'data/imagery/bar'));
    writeFileSync(join(dir, 'data/imagery/sub/new'), 'new');
    const st = await status({ cwd: dir }) as import('../../src/core/api/status.js').StatusResult;
    assert.deepEqual(st.json, JSON.parse(readFileSync(join(g, 'status-after-edit.json'), 'utf8')));
    assert.deepEqual(st.outputs[0]!.changes, { added: ['sub/new'], deleted: ['bar'], modified: ['foo'] });
    await add({ cwd: dir, targets: ['data/imagery'] });
    assert.equal(readFileSync(join(dir, 'data/imagery.dvc'), 'utf8'), readFileSync(join(g, 'imagery-v2.dvc'), 'utf8'));
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'v2');
    const d = await diff({ cwd: dir, a: 'HEAD~1', b: 'HEAD' });
    assert.deepEqual(d, JSON.parse(readFileSync(join(g, 'diff-v1-v2.json'), 'utf8')));
    // used objects: both revisions, expanded
    const repo = await openRepo(dir);
    const used = collectUsedObjects(repo, { revs: ['HEAD~1', 'HEAD'] });
    assert.equal(used.filter((u) => u.isDir).length, 2);
    assert.ok(used.some((u) => u.paths.includes('data/imagery/sub/new') && u.oid === '22af645d1859cb5ca6da0c484f1f37ea'));
    assert.ok(used.some((u) => u.paths.includes('data/imagery/bar') && u.revs.includes('HEAD~1')));
    // checkout of the previous revision restores it exactly
    git(dir, 'checkout', '-q', 'HEAD~1', '--', 'data/imagery.dvc');
    await checkout({ cwd: dir, force: false });
    for (const [k, v] of Object.entries(IMAGERY)) assert.equal(readFileSync(join(dir, 'data/imagery', k), 'utf8'), v, k);
    assert.equal(existsSync(join(dir, 'data/imagery/sub/new')), false);
  } finally { cleanup(); }
});

test('08-legacy: a DVC 2 .dvc (dos2unix md5, no hash:) verifies clean, stays legacy, upgrades on change', async () => {
  const { dir, cleanup } = newRepo();
  try {
    writeTree(dir, { 'legacy.txt': 'a\r\nb\r\nc', 'legacy.txt.dvc': 'outs:\n- md5: c32b2057b9bd62caa835386346177935\n  size: 7\n  path: legacy.txt\n' });
    mkdirSync(join(dir, '.dvc/cache/c3'), { recursive: true });
    writeFileSync(join(dir, '.dvc/cache/c3/2b2057b9bd62caa835386346177935'), 'a\r\nb\r\nc');
    chmodSync(join(dir, '.dvc/cache/c3/2b2057b9bd62caa835386346177935'), 0o444);
    const st = await status({ cwd: dir }) as { json: unknown };
    assert.deepEqual(st.json, JSON.parse(readFileSync(join(GOLDENS, '08-legacy-status.json'), 'utf8')));
    await commit({ cwd: dir, force: true });
    assert.equal(readFileSync(join(dir, 'legacy.txt.dvc'), 'utf8'), 'outs:\n- md5: c32b2057b9bd62caa835386346177935\n  size: 7\n  path: legacy.txt\n');
    // the legacy object checks out from the cache root
    rmSync(join(dir, 'legacy.txt'));
    await checkout({ cwd: dir });
    assert.equal(readFileSync(join(dir, 'legacy.txt'), 'utf8'), 'a\r\nb\r\nc');
    writeFileSync(join(dir, 'legacy.txt'), 'a\r\nb\r\nd');
    assert.deepEqual((await status({ cwd: dir }) as { json: unknown }).json, { 'legacy.txt.dvc': [{ 'changed outs': { 'legacy.txt': 'modified' } }] });
    await commit({ cwd: dir, force: true });
    assert.equal(readFileSync(join(dir, 'legacy.txt.dvc'), 'utf8'), 'outs:\n- md5: ca4480fba56928ea958a18e72ec5e5e9\n  size: 7\n  path: legacy.txt\n  hash: md5\n');
    assert.ok(existsSync(join(dir, '.dvc/cache/files/md5/ca/4480fba56928ea958a18e72ec5e5e9')));
  } finally { cleanup(); }
});

test('seed workflow: remote add -d + remote modify checksum xxhash makes add use xxh128', async () => {
  const { dir, cleanup } = newRepo();
  try {
    await cliOk(['remote', 'add', '-d', 'store', join(dir, '..', 'remote-x')], { cwd: dir });
    await cliOk(['remote', 'modify', 'store', 'checksum', 'xxhash'], { cwd: dir });
    writeTree(dir, { 'tiles/a.tif': 'foo', 'b.tif': 'foo' });
    await add({ cwd: dir, targets: ['tiles', 'b.tif'] });
    assert.equal(readFileSync(join(dir, 'b.tif.dvc'), 'utf8'), 'outs:\n- xxh128: 79aef92e83454121ab6e5f64077e7d8a\n  size: 3\n  hash: xxh128\n  path: b.tif\n');
    const dvc = readFileSync(join(dir, 'tiles.dvc'), 'utf8');
    assert.match(dvc, /^outs:\n- xxh128: [0-9a-f]{32}\.dir\n  size: 3\n  nfiles: 1\n  hash: xxh128\n  path: tiles\n$/);
    assert.ok(existsSync(join(dir, '.dvc/cache/files/xxh128/79/aef92e83454121ab6e5f64077e7d8a')));
    const oid = /xxh128: (\S+)/.exec(dvc)![1]!;
    assert.equal(readFileSync(join(dir, '.dvc/cache/files/xxh128', oid.slice(0, 2), oid.slice(2)), 'utf8'), '[{"relpath": "a.tif", "xxh128": "79aef92e83454121ab6e5f64077e7d8a"}]');
    assert.deepEqual((await status({ cwd: dir }) as { json: unknown }).json, {});
  } finally { cleanup(); }
});
