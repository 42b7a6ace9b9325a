/**
 * DVC 3.64 golden 15 (test/fixtures/dvc-goldens/15-data-status-diff): `data status --json`
 * (plain, --granular --unchanged, --untracked-files all, --granular --not-in-remote),
 * `status --json`, `status -c --json` (and -r store), `diff --json` (all, --targets d,
 * --targets f.txt h.txt) and `git status --short`, on a repository with committed, uncommitted,
 * not-in-cache and not-pushed data and a local remote. JSON is compared as values; lists inside
 * `data status` are compared as sets (DVC's order there varies from run to run).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir, writeTree, gitInit, git } from '../helpers/tmp.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { initRepo } from '../../src/core/repo/init.js';
import { addRemote } from '../../src/core/repo/remotes.js';
import { add } from '../../src/core/api/add.js';
import { push } from '../../src/core/api/push.js';
import { setMetaExtractor } from '../../src/core/api/meta-hook.js';

setMetaExtractor(null);

const G = join(REPO_ROOT, 'test', 'fixtures', 'dvc-goldens', '15-data-status-diff');
const golden = (f: string) => readFileSync(join(G, f), 'utf8');
const rcOf = (name: string) => Number(golden('rc.txt').split('\n').find((l) => l.startsWith(name + ' '))!.split(' ')[1]);

/** Lists sorted at every level (for outputs whose list order DVC does not fix). */
function sortedLists(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedLists).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sortedLists(x)]));
  return v;
}

test('15: data status, status, status -c and diff answers as DVC 3.64', async () => {
  const t = makeTmpDir('geodvc-g15-');
  try {
    const repo = join(t.dir, 'repo');
    mkdirSync(repo);
    gitInit(repo);
    initRepo(repo);
    addRemote('store', '../remote', { root: repo, cwd: repo, default: true });
    writeTree(repo, { 'd/a': 'a', 'd/b': 'b', 'd/c': 'c', 'f.txt': 'f', 'g.txt': 'g', 'kept.txt': 'kept' });
    await add({ cwd: repo, targets: ['d', 'f.txt', 'g.txt', 'kept.txt'] });
    await push({ cwd: repo });
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'data');
    writeTree(repo, { 'h.txt': 'h' });
    await add({ cwd: repo, targets: ['h.txt'] });
    rmSync(join(repo, '.dvc/cache/files/md5/b2/f5ff47436671b6e533d8dc3614845d'), { force: false }); // g.txt ("g")
    writeFileSync(join(repo, 'd/a'), 'a2');
    rmSync(join(repo, 'd/b'));
    writeFileSync(join(repo, 'd/new'), 'new');
    rmSync(join(repo, 'f.txt'));
    writeFileSync(join(repo, 'untracked.txt'), 'u');
    assert.equal(git(repo, 'status', '--short'), golden('git-status.txt'));

    const cases: [string, string[], boolean][] = [
      ['data-status.json', ['data', 'status', '--json'], true],
      ['data-status-granular-unchanged.json', ['data', 'status', '--json', '--granular', '--unchanged'], true],
      ['data-status-untracked-all.json', ['data', 'status', '--json', '--untracked-files', 'all'], true],
      ['data-status-not-in-remote.json', ['data', 'status', '--json', '--granular', '--not-in-remote'], true],
      ['status.json', ['status', '--json'], false],
      ['status-c.json', ['status', '-c', '--json'], false],
      ['status-c-r-store.json', ['status', '-c', '-r', 'store', '--json'], false],
      ['diff.json', ['diff', '--json'], false],
      ['diff-targets-d.json', ['diff', '--json', '--targets', 'd'], false],
      ['diff-targets-f-h.json', ['diff', '--json', '--targets', 'f.txt', 'h.txt'], false],
    ];
    const results = await Promise.all(cases.map(([, args]) => runCli(args, { cwd: repo })));
    cases.forEach(([file, , anyOrder], i) => {
      const r = results[i]!;
      assert.equal(r.code, rcOf(file), `${file}: exit code\n${r.stderr}`);
      const ours = JSON.parse(r.stdout), theirs = JSON.parse(golden(file));
      if (anyOrder) assert.deepEqual(sortedLists(ours), sortedLists(theirs), file);
      else assert.deepEqual(ours, theirs, file);
    });
  } finally { t.cleanup(); }
});
