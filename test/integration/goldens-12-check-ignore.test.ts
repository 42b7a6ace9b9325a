/**
 * DVC 3.64 golden 12 (test/fixtures/dvc-goldens/12-check-ignore): `check-ignore` plain, `-d`,
 * `-d -n`, `-d --stdin`, a lone non-matching path, and the exit codes (0 when a pattern matched).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeTmpDir, gitInit } from '../helpers/tmp.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { initRepo } from '../../src/core/repo/init.js';

const G = join(REPO_ROOT, 'test', 'fixtures', 'dvc-goldens', '12-check-ignore');
const golden = (f: string) => readFileSync(join(G, f), 'utf8');
const rcOf = (name: string) => Number(golden('rc.txt').split('\n').find((l) => l.startsWith(name + ' '))!.split(' ')[1]);

test('12: check-ignore output and exit codes as DVC 3.64', async () => {
  const t = makeTmpDir('geodvc-g12-');
  try {
    const repo = t.dir;
    gitInit(repo);
    initRepo(repo);
    copyFileSync(join(G, '.dvcignore'), join(repo, '.dvcignore'));
    mkdirSync(join(repo, 'sub'));
    copyFileSync(join(G, 'sub', '.dvcignore'), join(repo, 'sub', '.dvcignore'));
    const paths = golden('paths.txt').trim().split('\n');
    // Every path exists: those with children are directories, the others files holding "x".
    for (const p of paths) {
      if (paths.some((q) => q.startsWith(p + '/'))) mkdirSync(join(repo, p), { recursive: true });
      else { mkdirSync(dirname(join(repo, p)), { recursive: true }); writeFileSync(join(repo, p), 'x'); }
    }
    const cases: [string, string[], string?][] = [
      ['check-ignore.txt', paths],
      ['check-ignore-d.txt', ['-d', ...paths]],
      ['check-ignore-d-n.txt', ['-d', '-n', ...paths]],
      ['check-ignore-nomatch.txt', ['plain.txt']],
      ['check-ignore-d-n-nomatch.txt', ['-d', '-n', 'plain.txt']],
      ['check-ignore-stdin-d.txt', ['-d', '--stdin'], golden('paths.txt')],
    ];
    const results = await Promise.all(cases.map(([, args, input]) => runCli(['check-ignore', ...args], { cwd: repo, input })));
    cases.forEach(([file], i) => {
      assert.equal(results[i]!.stdout, golden(file), file);
      assert.equal(results[i]!.code, rcOf(file), `${file} exit code\n${results[i]!.stderr}`);
    });
  } finally { t.cleanup(); }
});
