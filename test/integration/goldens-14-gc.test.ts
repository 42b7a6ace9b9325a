/**
 * DVC 3.64 golden 14 (test/fixtures/dvc-goldens/14-gc): `gc -w --dry`, `gc -a -T --dry`,
 * `gc -a -T -f`, `gc -w -f`: the warning, the per-database counts (a dry run counts the 'repo'
 * and 'local' databases, the same directory, twice), exit codes, the cache after each real run,
 * and the run-cache entry, which gc keeps, byte for byte. Progress lines (stderr, ours only) are
 * left out of the comparison.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { makeTmpDir, gitInit, git } from '../helpers/tmp.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { initRepo } from '../../src/core/repo/init.js';
import { add } from '../../src/core/api/add.js';
import { remove } from '../../src/core/api/remove.js';
import { stageAdd } from '../../src/core/api/stage.js';
import { reproduce } from '../../src/core/api/repro.js';
import { setMetaExtractor } from '../../src/core/api/meta-hook.js';

setMetaExtractor(null); // DVC writes no geo `meta:`

const G = join(REPO_ROOT, 'test', 'fixtures', 'dvc-goldens', '14-gc');
const golden = (f: string) => readFileSync(join(G, f), 'utf8');
const rcOf = (name: string) => Number(golden('rc.txt').split('\n').find((l) => l.startsWith(name + ' '))!.split(' ')[1]);
const isProgress = (l: string) => /\.\.\. \(\d+\)$/.test(l) || /: done \(/.test(l);

function cacheList(repo: string): string {
  const root = join(repo, '.dvc', 'cache');
  const out: string[] = [];
  const rec = (d: string) => { for (const e of readdirSync(d, { withFileTypes: true })) { const p = join(d, e.name); if (e.isDirectory()) rec(p); else out.push('./' + relative(root, p)); } };
  rec(root);
  return out.sort().join('\n') + '\n';
}

test('14: gc -w / -a -T, --dry and -f: messages, counts and what is kept as DVC 3.64', async () => {
  const t = makeTmpDir('geodvc-g14-');
  try {
    const repo = t.dir;
    gitInit(repo);
    initRepo(repo);
    for (const v of ['v1', 'v2', 'v3']) {
      writeFileSync(join(repo, 'data.txt'), v);
      await add({ cwd: repo, targets: ['data.txt'] });
      git(repo, 'add', '-A');
      git(repo, 'commit', '-qm', v);
      if (v === 'v1') git(repo, 'tag', 't1');
    }
    stageAdd({ cwd: repo, name: 's', deps: ['data.txt'], outs: ['out.txt'], cmd: 'cp data.txt out.txt' });
    assert.deepEqual((await reproduce({ cwd: repo })).ran, ['s']);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'stage');
    writeFileSync(join(repo, 'junk'), 'junk');
    await add({ cwd: repo, targets: ['junk'] });
    await remove({ cwd: repo, targets: ['junk.dvc'] });
    rmSync(join(repo, 'junk'));
    assert.equal(cacheList(repo), golden('cache-before.txt'));
    const runEntry = 'runs/36/3637c9b11c05ce0eadeae4a450d8c854e8b27e0dd9adb05d0f69d37629f6dc52/ea39f8a47d4a9669870f450a8464bc366d06426685fd6397fd66ea4fb8e9a001';
    assert.equal(readFileSync(join(repo, '.dvc/cache', runEntry), 'utf8'), golden(runEntry));

    const steps: [string, string[], string?][] = [
      ['gc-w-dry.txt', ['-w', '--dry']],
      ['gc-a-T-dry.txt', ['-a', '-T', '--dry']],
      ['gc-a-T-f.txt', ['-a', '-T', '-f'], 'cache-after-gc-a-T.txt'],
      ['gc-w-f.txt', ['-w', '-f'], 'cache-after-gc-w.txt'],
    ];
    for (const [file, args, after] of steps) {
      const r = await runCli(['gc', ...args], { cwd: repo });
      assert.equal(r.code, rcOf(file), `${file}: exit code\n${r.stderr}`);
      // DVC's capture is stderr (the warning) then stdout (the counts).
      const text = (r.stderr + r.stdout).split('\n').filter((l) => !isProgress(l)).join('\n');
      assert.equal(text, golden(file), file);
      if (after) assert.equal(cacheList(repo), golden(after), after);
    }
    assert.equal(readFileSync(join(repo, '.dvc/cache', runEntry), 'utf8'), golden(runEntry));
  } finally { t.cleanup(); }
});

test('gc -w after superseded pipeline runs frees their outputs as DVC, says why objects stay, and repro reruns instead of restoring', async () => {
  const t = makeTmpDir('geodvc-g14-');
  try {
    const repo = t.dir;
    gitInit(repo);
    initRepo(repo);
    writeFileSync(join(repo, 'in.txt'), 'a');
    stageAdd({ cwd: repo, name: 's', deps: ['in.txt'], outs: ['out.txt'], cmd: 'cp in.txt out.txt' });
    assert.deepEqual((await reproduce({ cwd: repo })).ran, ['s']);
    writeFileSync(join(repo, 'in.txt'), 'b');
    assert.deepEqual((await reproduce({ cwd: repo })).ran, ['s']);
    // the superseded output ("a") is only recorded by its run-cache entry
    const kept = await runCli(['gc', '-w', '-f', '--keep-run-cache'], { cwd: repo });
    assert.equal(kept.code, 0, kept.stderr);
    assert.match(kept.stdout, /^No unused 'repo' cache to remove\.$/m);
    assert.match(kept.stderr, /Kept 2 objects: 1 used by the workspace, 1 more recorded by the run-cache \(--keep-run-cache\)\./);
    const r = await runCli(['gc', '-w', '-f'], { cwd: repo });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Removed 1 objects from repo cache\.$/m);
    assert.match(r.stderr, /1 run-cache entry points at outputs no longer in the cache: repro runs those stages instead of restoring them/);
    assert.equal(cacheList(repo).split('\n').filter((l) => l.startsWith('./files/')).length, 1);
    const again = await runCli(['gc', '-w', '-f', '--json'], { cwd: repo });
    const j = JSON.parse(again.stdout);
    assert.deepEqual([j.removed.length, j.keptBy, j.runCacheEntriesWithoutOutputs], [0, { revisions: 1, runCache: 0 }, 1]);
    // back to "a": its run-cache entry has no outputs any more, so the stage runs again
    writeFileSync(join(repo, 'in.txt'), 'a');
    const rr = await reproduce({ cwd: repo });
    assert.deepEqual([rr.ran, rr.restored], [['s'], []]);
    assert.equal(readFileSync(join(repo, 'out.txt'), 'utf8'), 'a');
  } finally { t.cleanup(); }
});
