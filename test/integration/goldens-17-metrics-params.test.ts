/**
 * DVC 3.64 golden 17 (test/fixtures/dvc-goldens/17-metrics-params): `metrics show --json` (and
 * -A with the real commit shas), `metrics diff --json` (and --all), `params diff --json` (and
 * --all, --targets), the `--md` tables. The two commits are made as the golden's README says
 * (author/committer g <g@example.com> at 2024-01-01T00:00:00Z), so their shas are DVC's.
 * JSON is compared as values; the metrics `--md` rows are compared without their order (DVC's
 * file order there is Python set order: metrics.yaml came first in that run).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir, gitInit } from '../helpers/tmp.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { initRepo } from '../../src/core/repo/init.js';
import { execFileSync } from 'node:child_process';

const G = join(REPO_ROOT, 'test', 'fixtures', 'dvc-goldens', '17-metrics-params');
const golden = (f: string) => readFileSync(join(G, f), 'utf8');
const rcOf = (name: string) => Number(golden('rc.txt').split('\n').find((l) => l.startsWith(name + ' '))!.split(' ')[1]);
const GIT_ENV = {
  GIT_AUTHOR_NAME: 'g', GIT_AUTHOR_EMAIL: 'g@example.com', GIT_COMMITTER_NAME: 'g', GIT_COMMITTER_EMAIL: 'g@example.com',
  GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2024-01-01T00:00:00Z',
};
const commit = (repo: string, msg: string) => {
  execFileSync('git', ['-C', repo, 'add', '-A']);
  execFileSync('git', ['-C', repo, 'commit', '-qm', msg], { env: { ...process.env, ...GIT_ENV } });
  return execFileSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
};

test('17: metrics show/diff and params diff (JSON and --md) as DVC 3.64', async () => {
  const t = makeTmpDir('geodvc-g17-');
  try {
    const repo = t.dir;
    gitInit(repo);
    initRepo(repo);
    for (const f of ['dvc.yaml', 'params.yaml', 'params.json', 'params.toml', 'metrics.json', 'metrics.yaml']) copyFileSync(join(G, f), join(repo, f));
    const v1 = commit(repo, 'v1');
    for (const f of readdirSync(join(G, 'v2'))) copyFileSync(join(G, 'v2', f), join(repo, f));
    const v2 = commit(repo, 'v2');
    // The shas DVC's run had: same tree, same dates, same messages.
    const shown = JSON.parse(golden('metrics-show-all-commits.json'));
    assert.deepEqual(Object.keys(shown).sort(), ['workspace', v1, v2].sort());

    const cases: [string, string[]][] = [
      ['metrics-show.json', ['metrics', 'show', '--json']],
      ['metrics-show-all-commits.json', ['metrics', 'show', '--json', '-A']],
      ['metrics-diff.json', ['metrics', 'diff', '--json', 'HEAD~1']],
      ['metrics-diff-all.json', ['metrics', 'diff', '--json', '--all', 'HEAD~1', 'HEAD']],
      ['params-diff.json', ['params', 'diff', '--json', 'HEAD~1']],
      ['params-diff-all.json', ['params', 'diff', '--json', '--all', 'HEAD~1']],
      ['params-diff-all-targets-json.json', ['params', 'diff', '--json', '--all', '--targets', 'params.json', '--', 'HEAD~1']],
      ['metrics-diff.md', ['metrics', 'diff', '--md', 'HEAD~1']],
      ['params-diff.md', ['params', 'diff', '--md', 'HEAD~1']],
    ];
    const results = await Promise.all(cases.map(([, args]) => runCli(args, { cwd: repo })));
    cases.forEach(([file], i) => {
      const r = results[i]!;
      assert.equal(r.code, rcOf(file), `${file}: exit code\n${r.stderr}`);
      if (file.endsWith('.json')) assert.deepEqual(JSON.parse(r.stdout), JSON.parse(golden(file)), file);
      else if (file === 'params-diff.md') assert.equal(r.stdout, golden(file), file);
      else {
        const ours = r.stdout.split('\n'), theirs = golden(file).split('\n');
        assert.deepEqual(ours.slice(0, 2), theirs.slice(0, 2), `${file}: header`);
        assert.deepEqual(ours.slice(2).sort(), theirs.slice(2).sort(), `${file}: rows`);
      }
    });
  } finally { t.cleanup(); }
});
