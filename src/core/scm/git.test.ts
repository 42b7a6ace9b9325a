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
