import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTmpDir, writeTree } from '../../../test/helpers/tmp.js';
import { loadDvcIgnore } from './dvcignore.js';

test('gitignore semantics: anchoring, dir-only, globs, **, negation, nested files', () => {
  const t = makeTmpDir();
  try {
    writeTree(t.dir, {
      '.dvcignore': '# comment\n*.tmp\n/build\nlogs/\n!keep.tmp\ndata/**/cache\nsub/x[0-9].txt\n',
      'data/.dvcignore': '*.aux.xml\n!important.aux.xml\n/local-only\n',
    });
    const ig = loadDvcIgnore(t.dir);
    assert.equal(ig.ignores('a.tmp', false), true);
    assert.equal(ig.ignores('deep/down/a.tmp', false), true);
    assert.equal(ig.ignores('keep.tmp', false), false);
    assert.equal(ig.ignores('build', false), true);
    assert.equal(ig.ignores('x/build', false), false);
    assert.equal(ig.ignores('logs', false), false);
    assert.equal(ig.ignores('logs', true), true);
    assert.equal(ig.ignores('a/logs/f.txt', false), true);
    assert.equal(ig.ignores('data/a/b/cache', true), true);
    assert.equal(ig.ignores('data/cache/f', false), true);
    assert.equal(ig.ignores('sub/x1.txt', false), true);
    assert.equal(ig.ignores('sub/xa.txt', false), false);
    assert.equal(ig.ignores('data/t.tif.aux.xml', false), true);
    assert.equal(ig.ignores('data/s/t.tif.aux.xml', false), true);
    assert.equal(ig.ignores('data/important.aux.xml', false), false);
    assert.equal(ig.ignores('t.tif.aux.xml', false), false);
    assert.equal(ig.ignores('data/local-only', false), true);
    assert.equal(ig.ignores('data/x/local-only', false), false);
    assert.equal(ig.ignores('.git/config', false), true);
    assert.equal(ig.ignores('.dvc', true), true);
    assert.equal(ig.ignores('ok/file.tif', false), false);
  } finally { t.cleanup(); }
});

test('100k path checks are fast', () => {
  const t = makeTmpDir();
  try {
    writeTree(t.dir, { '.dvcignore': '*.tmp\n!keep.tmp\n/build\nlogs/\n' });
    const ig = loadDvcIgnore(t.dir);
    const t0 = performance.now();
    let n = 0;
    for (let d = 0; d < 100; d++) for (let f = 0; f < 1000; f++) if (ig.ignores(`chips/d${d}/f${f}${f % 10 === 0 ? '.tmp' : '.tif'}`, false)) n++;
    const ms = performance.now() - t0;
    assert.equal(n, 10_000);
    assert.ok(ms < 2000, `took ${ms} ms`);
  } finally { t.cleanup(); }
});
