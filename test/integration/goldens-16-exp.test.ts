/**
 * DVC 3.64 golden 16 (test/fixtures/dvc-goldens/16-exp): `exp show --json`, `exp show --csv`,
 * `exp list`, `exp list --name-only` and the experiment refs after `repro` + commit and two
 * `exp run -n` with lr 0.2 and 0.3. DVC's experiment commits carry wall-clock times, so the
 * golden has placeholders for their shas and times; ours fill them in. The golden's train.py is
 * not in it (only its md5 and size, 192 bytes): ours writes the same outputs (metrics.json,
 * model.txt, byte-identical, so their hashes are DVC's), is padded to 192 bytes, and its md5 and
 * the baseline commit it leads to stand in for DVC's in the comparison.
 * Not compared: the `exp run` console text (exp-run-*.txt) and DVC's internal `refs/exps/exec/EXEC_HEAD`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { makeTmpDir, gitInit, git } from '../helpers/tmp.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { initRepo } from '../../src/core/repo/init.js';
import { reproduce } from '../../src/core/api/repro.js';
import { expRun } from '../../src/core/api/exp.js';

const G = join(REPO_ROOT, 'test', 'fixtures', 'dvc-goldens', '16-exp');
const golden = (f: string) => readFileSync(join(G, f), 'utf8');
const rcOf = (name: string) => Number(golden('rc.txt').split('\n').find((l) => l.startsWith(name + ' '))!.split(' ')[1]);

const TRAIN_BODY = [
  'import json',
  'lr = float(open("params.yaml").read().split()[1])',
  'json.dump({"score": round(lr * 10, 1)}, open("metrics.json", "w"))',
  'open("model.txt", "w").write(f"model lr={lr}\\n")',
  '',
].join('\n');
const TRAIN_PY = TRAIN_BODY + '#'.repeat(191 - Buffer.byteLength(TRAIN_BODY)) + '\n';

test('16: exp show --json/--csv and exp list as DVC 3.64 (placeholders filled with our shas and times)', async () => {
  assert.equal(Buffer.byteLength(TRAIN_PY), 192);
  const t = makeTmpDir('geodvc-g16-');
  try {
    const repo = t.dir;
    gitInit(repo);
    initRepo(repo);
    copyFileSync(join(G, 'dvc.yaml'), join(repo, 'dvc.yaml'));
    writeFileSync(join(repo, 'params.yaml'), 'lr: 0.1\nepochs: 2\n');
    writeFileSync(join(repo, 'train.py'), TRAIN_PY);
    assert.deepEqual((await reproduce({ cwd: repo })).ran, ['train']);
    git(repo, 'add', '-A');
    execFileSync('git', ['-C', repo, 'commit', '-qm', 'baseline'], { env: { ...process.env, GIT_AUTHOR_NAME: 'g', GIT_AUTHOR_EMAIL: 'g@example.com', GIT_COMMITTER_NAME: 'g', GIT_COMMITTER_EMAIL: 'g@example.com', GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2024-01-01T00:00:00Z' } });
    const base = git(repo, 'rev-parse', 'HEAD').trim();
    writeFileSync(join(repo, 'params.yaml'), 'lr: 0.2\nepochs: 2\n');
    const a = await expRun({ cwd: repo, name: 'exp-a', onOutput: () => {} });
    writeFileSync(join(repo, 'params.yaml'), 'lr: 0.3\nepochs: 2\n');
    const b = await expRun({ cwd: repo, name: 'exp-b', onOutput: () => {} });
    // The workspace ends as DVC's: results of the last experiment.
    for (const f of ['params.yaml', 'metrics.json', 'dvc.lock']) {
      const want = f === 'dvc.lock' ? golden(f).replace('f60e141cd271772f4d6295cdb0159b0c', createHash('md5').update(TRAIN_PY).digest('hex')) : golden(f);
      assert.equal(readFileSync(join(repo, f), 'utf8'), want, f);
    }

    const time = (rev: string) => new Date(Number(git(repo, 'show', '-s', '--format=%ct', rev).trim()) * 1000).toISOString().slice(0, 19);
    const trainMd5 = createHash('md5').update(TRAIN_PY).digest('hex');
    const fill = (s: string) => {
      // <TIME> appears for exp-b first, then exp-a (newest first), in both JSON and CSV.
      let n = 0;
      return s.replaceAll('<EXP-A-SHA7>', a.rev!.slice(0, 7)).replaceAll('<EXP-B-SHA7>', b.rev!.slice(0, 7))
        .replaceAll('<EXP-A-SHA>', a.rev!).replaceAll('<EXP-B-SHA>', b.rev!)
        .replace(/<TIME>/g, () => time(n++ % 2 === 0 ? b.rev! : a.rev!))
        .replaceAll(golden('baseline-rev.txt').trim(), base).replaceAll('f60e141cd271772f4d6295cdb0159b0c', trainMd5);
    };
    const showJson = JSON.parse(golden('exp-show.json'));
    // one <TIME> per experiment in JSON (data.timestamp): fill each experiment's own
    const expTimes: Record<string, string> = { 'exp-a': time(a.rev!), 'exp-b': time(b.rev!) };
    for (const e of showJson[1].experiments) e.revs[0].data.timestamp = expTimes[e.name];
    const want = JSON.parse(fill(JSON.stringify(showJson)));

    const cases: [string, string[]][] = [
      ['exp-show.json', ['exp', 'show', '--json']],
      ['exp-show.csv', ['exp', 'show', '--csv']],
      ['exp-list.txt', ['exp', 'list']],
      ['exp-list-names.txt', ['exp', 'list', '--name-only']],
    ];
    const results = await Promise.all(cases.map(([, args]) => runCli(args, { cwd: repo })));
    cases.forEach(([file], i) => {
      const r = results[i]!;
      assert.equal(r.code, rcOf(file), `${file}: exit code\n${r.stderr}`);
      if (file === 'exp-show.json') assert.deepEqual(JSON.parse(r.stdout), want, file);
      else assert.equal(r.stdout, fill(golden(file)), file);
    });
    const refs = git(repo, 'for-each-ref', '--format=%(refname)', 'refs/exps').trim().split('\n');
    const wantRefs = fill(golden('exps-refs.txt')).trim().split('\n').filter((l) => !l.startsWith('refs/exps/exec/'));
    assert.deepEqual(refs, wantRefs.map((l) => l.replace(`refs/exps/91/c8f8fad7ed4e85da88051e6a3fdebd9b49cac8`, `refs/exps/${base.slice(0, 2)}/${base.slice(2)}`)));
    // Experiments of another commit: `exp list` prints nothing (no blank line), -A names their baseline.
    git(repo, 'commit', '-qam', 'next');
    const none = await runCli(['exp', 'list'], { cwd: repo });
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, '');
    const all = await runCli(['exp', 'list', '-A'], { cwd: repo });
    assert.equal(all.stdout, `${base.slice(0, 7)}:\n\t${a.rev!.slice(0, 7)} [exp-a]\n\t${b.rev!.slice(0, 7)} [exp-b]\n`);
  } finally { t.cleanup(); }
});
