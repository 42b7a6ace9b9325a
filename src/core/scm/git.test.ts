import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir, writeTree, gitInit, git } from '../../../test/helpers/tmp.js';
import { Git } from './git.js';
import { ignoreOutput, unignoreOutput, escapeGitignoreEntry } from './gitignore.js';

test('Git: open, add, commit, showFile(s), listFiles, log, refs', () => {
  const t = makeTmpDir();
  try {
    assert.equal(Git.open(t.dir), null);
    gitInit(t.dir);
    writeTree(t.dir, { 'a.dvc': 'v1\n', 'd/b.txt': 'b' });
    const g = Git.open(join(t.dir, 'd'))!;
    assert.ok(g);
    assert.equal(g.hasCommits(), false);
    assert.deepEqual(g.allCommits(), []);
    g.add(['a.dvc', join(t.dir, 'd', 'b.txt')]);
    const c1 = g.commit('one');
    writeFileSync(join(t.dir, 'a.dvc'), 'v2\n');
    g.add(['a.dvc']);
    const c2 = g.commit('two');
    git(t.dir, 'tag', 'v1', c1);
    git(t.dir, 'branch', 'side', c1);
    assert.equal(g.isTracked('a.dvc'), true);
    assert.equal(g.isTracked('nope'), false);
    assert.equal(g.showFile(c1, 'a.dvc')!.toString(), 'v1\n');
    assert.equal(g.showFile(c1, 'missing'), undefined);
    assert.deepEqual(g.showFiles([`${c1}:a.dvc`, `${c2}:a.dvc`, `${c2}:nope`]).map((b) => b?.toString()), ['v1\n', 'v2\n', undefined]);
    assert.deepEqual(g.listFiles('HEAD').sort(), ['a.dvc', 'd/b.txt']);
    assert.deepEqual(g.listFiles('HEAD', 'd'), ['d/b.txt']);
    assert.equal(g.revParse('HEAD'), c2);
    assert.equal(g.revParse('nope'), undefined);
    assert.equal(g.currentBranch(), 'main');
    assert.deepEqual(g.branches().sort(), ['main', 'side']);
    assert.deepEqual(g.tags(), ['v1']);
    assert.deepEqual(g.allCommits().sort(), [c1, c2].sort());
    assert.deepEqual(g.revAndAncestors('HEAD', 2), [c2, c1]);
    assert.deepEqual(g.log('a.dvc').map((c) => c.subject), ['two', 'one']);
  } finally { t.cleanup(); }
});

test('.gitignore upkeep like DVC: /basename in the parent dir, no duplicates, removal', () => {
  const t = makeTmpDir();
  try {
    gitInit(t.dir);
    writeTree(t.dir, { 'data/raw/x.tif': 'x', 'data/.gitignore': '/other' });
    const gi = ignoreOutput(t.dir, join(t.dir, 'data', 'raw'));
    assert.equal(gi, join(t.dir, 'data', '.gitignore'));
    assert.equal(readFileSync(gi!, 'utf8'), '/other\n/raw\n');
    assert.equal(ignoreOutput(t.dir, join(t.dir, 'data', 'raw')), undefined);
    ignoreOutput(t.dir, join(t.dir, 'foo'));
    assert.equal(readFileSync(join(t.dir, '.gitignore'), 'utf8'), '/foo\n');
    assert.equal(escapeGitignoreEntry('/a[1]*?!#'), '/a\\[1\\]\\*\\?\\!\\#');
    assert.equal(unignoreOutput(t.dir, join(t.dir, 'foo')), join(t.dir, '.gitignore'));
    assert.equal(existsSync(join(t.dir, '.gitignore')), false);
    unignoreOutput(t.dir, join(t.dir, 'data', 'raw'));
    assert.equal(readFileSync(join(t.dir, 'data', '.gitignore'), 'utf8'), '/other\n');
    assert.equal(ignoreOutput({ root: t.dir, noScm: true }, join(t.dir, 'bar')), undefined);
    assert.throws(() => ignoreOutput(t.dir, '/elsewhere/x'), /outside of the repository/);
  } finally { t.cleanup(); }
});

test('Git: trackedUnder and ignoredAmong answer many paths at once as ls-files / check-ignore do one by one', () => {
  const t = makeTmpDir();
  try {
    gitInit(t.dir);
    writeTree(t.dir, {
      'd/a.txt': 'a', 'd/sub/b.txt': 'b', 'e.txt': 'e', 'data[1].tif': 'x', 'data1.tif': 'y', 'new.bin': 'n',
      'logs/x.log': 'l', 'big/z.tif': 'z', '.gitignore': '*.log\n/big\n', 'sp ace.tif': 's',
    });
    git(t.dir, 'add', 'd', 'e.txt', 'data1.tif', '.gitignore', 'sp ace.tif');
    const g = Git.open(t.dir)!;
    const asked = ['d', 'd/sub', 'e.txt', 'data[1].tif', 'new.bin', 'logs/x.log', 'big', 'big/z.tif', 'sp ace.tif', 'missing'];
    const tracked = g.trackedUnder(asked);
    assert.deepEqual(tracked.get('d')!.sort(), ['d/a.txt', 'd/sub/b.txt']);
    assert.deepEqual(tracked.get('d/sub'), ['d/sub/b.txt']);
    assert.deepEqual(tracked.get('e.txt'), ['e.txt']);
    assert.deepEqual(tracked.get('data[1].tif'), [], 'literal: the brackets are not a glob matching data1.tif');
    assert.deepEqual(tracked.get('new.bin'), []);
    assert.deepEqual(tracked.get('sp ace.tif'), ['sp ace.tif']);
    assert.deepEqual(tracked.get('missing'), []);
    const ignored = g.ignoredAmong(asked)!;
    for (const p of asked) assert.equal(ignored.has(p), g.isIgnored(p), `check-ignore of ${p}`);
    assert.deepEqual([...ignored].sort(), ['big', 'big/z.tif', 'logs/x.log']);
    assert.deepEqual(g.ignoredAmong([]), new Set());
  } finally { t.cleanup(); }
});
