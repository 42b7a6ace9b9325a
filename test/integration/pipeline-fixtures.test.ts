/**
 * Seven pipelines whose dvc.lock files were derived by hand from dvc-formats.md §4-§6 (hashes by
 * Python's hashlib/json, not by our code): nested foreach, matrix over several keys, params in
 * YAML/JSON/TOML/Python, wdir, persist/uncached outs/metrics/plots/dir outs/list cmd, frozen and
 * quoting/folding, several dvc.yaml files with a `vars` file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/cli.js';
import { makeTmpDir, gitInit } from '../helpers/tmp.js';
import { reproduce } from '../../src/core/api/repro.js';
import { pipelineStatus } from '../../src/core/api/stage-status.js';

const FIX = join(REPO_ROOT, 'test', 'fixtures', 'pipelines');

function setup(name: string): { dir: string; cleanup: () => void } {
  const t = makeTmpDir(`geodvc-pl-${name}-`);
  gitInit(t.dir);
  cpSync(join(FIX, name), t.dir, { recursive: true });
  mkdirSync(join(t.dir, '.dvc'), { recursive: true });
  writeFileSync(join(t.dir, '.dvc', 'config'), '');
  return t;
}

function lockMatches(dir: string, rel = ''): void {
  assert.equal(readFileSync(join(dir, rel, 'dvc.lock'), 'utf8'), readFileSync(join(dir, rel, 'expected.lock'), 'utf8'), `${rel || '.'}/dvc.lock`);
}

for (const name of ['foreach-nested', 'matrix-multi', 'params-formats', 'wdir', 'outs-kinds']) {
  test(`fixture ${name}: dvc.lock as DVC writes it, second repro runs nothing`, async () => {
    const { dir, cleanup } = setup(name);
    try {
      const r = await reproduce({ cwd: dir });
      assert.equal(r.failed.length, 0);
      lockMatches(dir);
      const r2 = await reproduce({ cwd: dir });
      assert.deepEqual(r2.ran, []);
      assert.deepEqual(await pipelineStatus(undefined, [], dir), {});
    } finally { cleanup(); }
  });
}

test('fixture outs-kinds: persist outputs are kept, uncached ones are not git-ignored', async () => {
  const { dir, cleanup } = setup('outs-kinds');
  try {
    await reproduce({ cwd: dir });
    const gi = readFileSync(join(dir, '.gitignore'), 'utf8');
    assert.match(gi, /^\/chips$/m);
    assert.match(gi, /^\/history\.log$/m);
    assert.doesNotMatch(gi, /scores\.json|loss\.csv|scratch\.txt/);
    // forced rerun: the persist out is not deleted before the command (the command removes it itself)
    writeFileSync(join(dir, 'history.log'), 'old\n');
    const r = await reproduce({ cwd: dir, force: true });
    assert.deepEqual(r.ran, ['gen']);
    lockMatches(dir);
  } finally { cleanup(); }
});

test('fixture frozen-quoting: quoting/folding, always_changed, frozen stage keeps its lock', async () => {
  const { dir, cleanup } = setup('frozen-quoting');
  try {
    await reproduce({ cwd: dir });
    lockMatches(dir);
    const r2 = await reproduce({ cwd: dir });
    assert.deepEqual(r2.ran, ['stamp']); // always_changed
    assert.deepEqual(await pipelineStatus(undefined, ['stamp'], dir), { stamp: ['always changed'] });
    writeFileSync(join(dir, 'dvc.yaml'), readFileSync(join(dir, 'dvc.yaml'), 'utf8').replace('    cmd: cp in.txt prep.txt\n', '    cmd: cp in.txt prep.txt\n    frozen: true\n'));
    writeFileSync(join(dir, 'in.txt'), 'changed');
    const r3 = await reproduce({ cwd: dir });
    assert.deepEqual(r3.ran, ['stamp']);
    assert.equal(readFileSync(join(dir, 'prep.txt'), 'utf8'), 'in');
    lockMatches(dir);
  } finally { cleanup(); }
});

test('fixture multi-dvcyaml: one lock per dvc.yaml, cross-file dependency, vars file keys', async () => {
  const { dir, cleanup } = setup('multi-dvcyaml');
  try {
    const r = await reproduce({ cwd: dir, allPipelines: true });
    assert.deepEqual(r.ran, ['root', 'sub/dvc.yaml:child']);
    lockMatches(dir);
    lockMatches(dir, 'sub');
    // from the subdirectory, `repro` covers its dvc.yaml and pulls in the upstream stage
    rmSync(join(dir, 'root.txt'));
    const r2 = await reproduce({ cwd: join(dir, 'sub') });
    assert.deepEqual(r2.ran.concat(r2.restored), ['root']);
    assert.ok(existsSync(join(dir, 'root.txt')));
    lockMatches(dir);
    lockMatches(dir, 'sub');
  } finally { cleanup(); }
});
