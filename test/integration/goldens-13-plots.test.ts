/**
 * DVC 3.64 golden 13 (test/fixtures/dvc-goldens/13-plots): `plots show --json` of bare targets
 * (before dvc.yaml), `plots show --json` of the dvc.yaml plots (linear, scatter, confusion, a bare
 * path, a plot taking x and y from two files), `plots diff --json HEAD` (workspace v2 against v1)
 * and `plots diff --json HEAD~1 HEAD`: the whole vega-lite specs compared as values. Then the
 * offline HTML report: the same specs inline, nothing loaded from the network.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir, gitInit, git } from '../helpers/tmp.js';
import { REPO_ROOT, cliOk } from '../helpers/cli.js';
import { initRepo } from '../../src/core/repo/init.js';

const G = join(REPO_ROOT, 'test', 'fixtures', 'dvc-goldens', '13-plots');
const golden = (f: string) => readFileSync(join(G, f), 'utf8');
const rcOf = (name: string) => Number(golden('rc.txt').split('\n').find((l) => l.startsWith(name + ' '))!.split(' ')[1]);

test('13: plots show/diff --json give DVC\'s vega-lite specs; the HTML report is offline with the data inline', async () => {
  const t = makeTmpDir('geodvc-g13-');
  try {
    const repo = t.dir;
    gitInit(repo);
    initRepo(repo);
    for (const f of ['train.json', 'data.csv', 'data.tsv', 'confusion.csv']) copyFileSync(join(G, f), join(repo, f));
    const json = async (file: string, args: string[]) => {
      const r = await cliOk(args, { cwd: repo, expect: rcOf(file) });
      assert.deepEqual(JSON.parse(r.stdout), JSON.parse(golden(file)), file);
    };
    await json('show-default-targets.json', ['plots', 'show', '--json', 'train.json', 'data.csv', 'data.tsv']);
    copyFileSync(join(G, 'dvc.yaml'), join(repo, 'dvc.yaml'));
    await json('show.json', ['plots', 'show', '--json']);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'v1');
    for (const f of ['train', 'data', 'confusion']) {
      const ext = f === 'train' ? 'json' : 'csv';
      copyFileSync(join(G, `${f}-v2.${ext}`), join(repo, `${f}.${ext}`));
    }
    await json('diff-head-workspace.json', ['plots', 'diff', '--json', 'HEAD']);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'v2');
    await json('diff-v1-v2.json', ['plots', 'diff', '--json', 'HEAD~1', 'HEAD']);

    // The HTML report: every spec inline and equal to the JSON answer; nothing fetched.
    const r = await cliOk(['plots', 'diff', 'HEAD~1', 'HEAD', '-o', 'report'], { cwd: repo });
    assert.equal(r.stdout.trim(), `file://${join(repo, 'report', 'index.html')}`);
    const html = readFileSync(join(repo, 'report', 'index.html'), 'utf8');
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|<img[^>]+src="http|@import|url\(/i);
    assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
    const inline = [...html.matchAll(/<script type="application\/json" id="spec-\d+">(.*?)<\/script>/gs)].map((m) => JSON.parse(m[1]!));
    const want = JSON.parse(golden('diff-v1-v2.json')).data as Record<string, { content: unknown }[]>;
    assert.deepEqual(inline, Object.values(want).map((e) => e[0]!.content));
    assert.equal((html.match(/<svg /g) ?? []).length, 4, 'linear and scatter plots drawn as SVG');
    assert.equal((html.match(/<table class="cm">/g) ?? []).length, 2, 'the confusion matrix as a table per revision');
  } finally { t.cleanup(); }
});
