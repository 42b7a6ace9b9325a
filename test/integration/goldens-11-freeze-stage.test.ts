/**
 * DVC 3.64 golden 11 (test/fixtures/dvc-goldens/11-freeze-stage): `stage add`, `repro`, `freeze s`
 * (`frozen: true` in dvc.yaml), a changed dependency that `status` ignores and `repro` skips with
 * DVC's warning, `unfreeze s`, then `status` sees the change and `repro` runs it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir, gitInit } from '../helpers/tmp.js';
import { REPO_ROOT, cliOk, runCli } from '../helpers/cli.js';
import { initRepo } from '../../src/core/repo/init.js';
import { stageAdd } from '../../src/core/api/stage.js';
import { reproduce } from '../../src/core/api/repro.js';
import { add } from '../../src/core/api/add.js';
import { setMetaExtractor } from '../../src/core/api/meta-hook.js';

setMetaExtractor(null);

const G = join(REPO_ROOT, 'test', 'fixtures', 'dvc-goldens', '11-freeze-stage');
const golden = (f: string) => readFileSync(join(G, f), 'utf8');
const rcOf = (name: string) => Number(golden('rc.txt').split('\n').find((l) => l.startsWith(name + ' '))!.split(' ')[1]);

test('11: freeze/unfreeze write dvc.yaml as DVC; status and repro leave a frozen stage alone', async () => {
  const t = makeTmpDir('geodvc-g11-');
  try {
    const repo = t.dir;
    gitInit(repo);
    initRepo(repo);
    const read = (f: string) => readFileSync(join(repo, f), 'utf8');
    writeFileSync(join(repo, 'in.txt'), 'in\n');
    // Setup through the same core calls the commands make (fewer process starts); the commands
    // under test (freeze, status, repro of a frozen stage, unfreeze) run through the CLI.
    stageAdd({ cwd: repo, name: 's', deps: ['in.txt'], outs: ['out.txt'], cmd: 'cp in.txt out.txt' });
    assert.equal(read('dvc.yaml'), golden('dvc.yaml.added'));
    assert.deepEqual((await reproduce({ cwd: repo })).ran, ['s']);
    assert.equal(read('dvc.lock'), golden('dvc.lock'));
    assert.equal(read('.gitignore'), golden('.gitignore'));

    await cliOk(['freeze', 's'], { cwd: repo });
    assert.equal(read('dvc.yaml'), golden('dvc.yaml.frozen'));
    assert.equal(read('dvc.lock'), golden('dvc.lock.frozen'));
    writeFileSync(join(repo, 'in.txt'), 'in2\n');
    const st = await cliOk(['status', '--json'], { cwd: repo, expect: rcOf('status-frozen-changed.json') });
    assert.deepEqual(JSON.parse(st.stdout), JSON.parse(golden('status-frozen-changed.json')));
    const rp = await cliOk(['repro'], { cwd: repo, expect: rcOf('repro-frozen.txt') });
    // DVC's capture is stdout+stderr: the warning (stderr) came first, then the two result lines.
    assert.equal(rp.stderr + rp.stdout, golden('repro-frozen.txt'));
    assert.equal(read('out.txt'), golden('out-after-frozen-repro.txt'));
    assert.equal(read('dvc.lock'), golden('dvc.lock.frozen'));

    await cliOk(['unfreeze', 's'], { cwd: repo });
    assert.equal(read('dvc.yaml'), golden('dvc.yaml.unfrozen'));
    const st2 = await cliOk(['status', '--json'], { cwd: repo, expect: rcOf('status-unfrozen-changed.json') });
    assert.deepEqual(JSON.parse(st2.stdout), JSON.parse(golden('status-unfrozen-changed.json')));
    assert.deepEqual((await reproduce({ cwd: repo })).ran, ['s']);
    assert.equal(read('dvc.lock'), golden('dvc.lock.after-unfreeze'));
    assert.equal(read('out.txt'), 'in2\n');
  } finally { t.cleanup(); }
});

test('status text names a changed params file and lists its keys below it, as DVC prints them', async () => {
  const t = makeTmpDir('geodvc-g11-');
  try {
    const repo = t.dir;
    gitInit(repo);
    initRepo(repo);
    writeFileSync(join(repo, 'params.yaml'), 'chip: 1\nx: 2\n');
    writeFileSync(join(repo, 'in.txt'), 'a');
    stageAdd({ cwd: repo, name: 's', deps: ['in.txt'], params: ['chip,x'], outs: ['out.txt'], cmd: 'cp in.txt out.txt' });
    assert.deepEqual((await reproduce({ cwd: repo })).ran, ['s']);
    writeFileSync(join(repo, 'params.yaml'), 'chip: 2\nx: 2\n');
    writeFileSync(join(repo, 'in.txt'), 'b');
    const r = await cliOk(['status'], { cwd: repo });
    assert.equal(r.stdout, 's:\n\tchanged deps:\n\t\tmodified:           in.txt\n\t\tparams.yaml:\n\t\t\tmodified:           chip\n');
  } finally { t.cleanup(); }
});

test('freeze/unfreeze of a .dvc file: `frozen: true` before its deps/outs (after md5:, as DVC orders it), removed again', async () => {
  const t = makeTmpDir('geodvc-g11-');
  try {
    const repo = t.dir;
    gitInit(repo);
    initRepo(repo);
    writeFileSync(join(repo, 'f.txt'), 'f');
    await add({ cwd: repo, targets: ['f.txt'] });
    const before = readFileSync(join(repo, 'f.txt.dvc'), 'utf8');
    // an import-style .dvc with a top-level md5 gets it right after that line
    writeFileSync(join(repo, 'g.dvc'), 'md5: 7572cba3a2e56a77166a2ae6fb49856e\ndeps:\n- path: x\nouts:\n- path: g\n');
    await cliOk(['freeze', 'f.txt.dvc', 'g.dvc'], { cwd: repo });
    assert.equal(readFileSync(join(repo, 'f.txt.dvc'), 'utf8'), `frozen: true\n${before}`);
    assert.equal(readFileSync(join(repo, 'g.dvc'), 'utf8'), 'md5: 7572cba3a2e56a77166a2ae6fb49856e\nfrozen: true\ndeps:\n- path: x\nouts:\n- path: g\n');
    await cliOk(['unfreeze', 'f.txt.dvc', 'g.dvc'], { cwd: repo });
    assert.equal(readFileSync(join(repo, 'f.txt.dvc'), 'utf8'), before);
    assert.equal(readFileSync(join(repo, 'g.dvc'), 'utf8'), 'md5: 7572cba3a2e56a77166a2ae6fb49856e\ndeps:\n- path: x\nouts:\n- path: g\n');
    const bad = await runCli(['freeze', 'nosuchstage'], { cwd: repo });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /stage 'nosuchstage' not found/);
  } finally { t.cleanup(); }
});
