/**
 * The 06-pipeline scenario written by DVC 3.64.0: our dvc.lock must be byte-identical, DVC's lock
 * must be accepted as up to date, and status/params diff/dag must match DVC's answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GOLDENS, cliOk } from '../helpers/cli.js';
import { makeTmpDir, gitInit, git, writeTree } from '../helpers/tmp.js';
import { reproduce } from '../../src/core/api/repro.js';
import { pipelineStatus } from '../../src/core/api/stage-status.js';
import { paramsDiff } from '../../src/core/api/params.js';
import { buildDag, dagToDot } from '../../src/core/api/dag.js';

const G = join(GOLDENS, '06-pipeline');

function setup(): { dir: string; cleanup: () => void } {
  const t = makeTmpDir('geodvc-pl-golden-');
  gitInit(t.dir);
  mkdirSync(join(t.dir, '.dvc'));
  writeFileSync(join(t.dir, '.dvc', 'config'), '');
  for (const f of ['dvc.yaml', 'params.yaml', 'train.json', 'conf.toml']) copyFileSync(join(G, f), join(t.dir, f));
  writeTree(t.dir, { 'data/raw.txt': 'raw', 'src/a.py': 'x' });
  return t;
}

test('06-pipeline: dvc.lock, .gitignore files, status, params diff and dag match DVC', async () => {
  const { dir, cleanup } = setup();
  try {
    const r = await reproduce({ cwd: dir });
    assert.deepEqual(r.ran, ['normalize_crs', 'chips@256', 'chips@512', 'train@3', 'train@5', 'in_sub']);
    assert.equal(readFileSync(join(dir, 'dvc.lock'), 'utf8'), readFileSync(join(G, 'dvc.lock'), 'utf8'));
    assert.equal(readFileSync(join(dir, 'data/.gitignore'), 'utf8'), readFileSync(join(G, 'data/.gitignore'), 'utf8'));
    assert.equal(readFileSync(join(dir, 'models/.gitignore'), 'utf8'), readFileSync(join(G, 'models/.gitignore'), 'utf8'));
    // second repro runs nothing
    const r2 = await reproduce({ cwd: dir });
    assert.deepEqual(r2.ran, []);
    assert.equal(r2.unchanged.length, 6);
    assert.deepEqual(await pipelineStatus(undefined, [], dir), JSON.parse(readFileSync(join(G, 'status-clean.json'), 'utf8')));
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'pipeline');
    assert.deepEqual(paramsDiff({ cwd: dir }), JSON.parse(readFileSync(join(G, 'params-diff.json'), 'utf8')));
    // dag --dot: same nodes and edges as DVC's (DVC's node order comes from a hash-ordered set)
    const dot = dagToDot(buildDag(dir));
    const lines = (s: string) => s.split('\n').filter((l) => l.trim()).sort();
    assert.deepEqual(lines(dot), lines(readFileSync(join(G, 'dag.dot'), 'utf8')));
    // tile_size 512 -> 256
    writeFileSync(join(dir, 'params.yaml'), readFileSync(join(dir, 'params.yaml'), 'utf8').replace('tile_size: 512', 'tile_size: 256'));
    assert.deepEqual(await pipelineStatus(undefined, [], dir), JSON.parse(readFileSync(join(G, 'status-after-param.json'), 'utf8')));
    assert.deepEqual(paramsDiff({ cwd: dir }), { 'params.yaml': { tile_size: { old: 512, new: 256, diff: -256 } } }); // DVC adds diff for numbers (golden 17)
    const r3 = await reproduce({ cwd: dir });
    // chips re-run; train depends on data/chips_256 whose content is unchanged, so it stays
    assert.deepEqual(r3.ran.concat(r3.restored).sort(), ['chips@256', 'chips@512']);
    assert.match(readFileSync(join(dir, 'dvc.lock'), 'utf8'), /tile_size: 256/);
  } finally { cleanup(); }
});

test("06-pipeline: DVC's own dvc.lock is accepted as up to date", async () => {
  const { dir, cleanup } = setup();
  try {
    await reproduce({ cwd: dir });
    copyFileSync(join(G, 'dvc.lock'), join(dir, 'dvc.lock'));
    rmSync(join(dir, '.dvc', 'tmp'), { recursive: true, force: true }); // no memoised hashes
    assert.deepEqual(await pipelineStatus(undefined, [], dir), {});
    const r = await reproduce({ cwd: dir });
    assert.deepEqual(r.ran, []);
    assert.deepEqual(r.restored, []);
    assert.equal(readFileSync(join(dir, 'dvc.lock'), 'utf8'), readFileSync(join(G, 'dvc.lock'), 'utf8'));
    // as in DVC's scenario (no git commit yet): status --json through the CLI and params diff --json
    writeFileSync(join(dir, 'params.yaml'), readFileSync(join(dir, 'params.yaml'), 'utf8').replace('tile_size: 512', 'tile_size: 256'));
    const st = await cliOk(['status', '--json'], { cwd: dir });
    assert.deepEqual(JSON.parse(st.stdout), JSON.parse(readFileSync(join(G, 'status-after-param.json'), 'utf8')));
    const pd = await cliOk(['params', 'diff', '--json'], { cwd: dir });
    assert.deepEqual(JSON.parse(pd.stdout), JSON.parse(readFileSync(join(G, 'params-diff.json'), 'utf8')));
  } finally { cleanup(); }
});
