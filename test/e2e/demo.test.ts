/**
 * `npm run demo` is the README's main command: it must complete on a scratch repository and show
 * each step of the seed walkthrough. This runs it as a user would and checks the repository it
 * leaves: the seed pipeline ran with the built-in geo commands on rasters in three CRSs, its
 * outputs are tracked in dvc.lock and pushed, and the normalized rasters pass the alignment gate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { makeShmTmpDir } from '../helpers/tmp.js';
import { REPO_ROOT, cliOk } from '../helpers/cli.js';

test('npm run demo walks the seed workflow end to end', { timeout: 900_000 }, async () => {
  const { dir, cleanup } = makeShmTmpDir('geodvc-demo-test-');
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'demo.ts')], {
      cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, DEMO_DIR: dir, NO_COLOR: '1' }, maxBuffer: 1 << 26, timeout: 880_000,
    });
    assert.equal(r.status, 0, `demo failed:\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-2000)}`);
    const out = r.stdout;
    for (const step of ['geodvc init', 'geodvc remote add -d geospatial-remote', 'geodvc add data/raw', 'geodvc geo validate data/raw', 'geodvc repro', 'geodvc push', 'geodvc exp run -S tile_size=32', 'geodvc geo diff', 'geodvc fsck --repair', 'geodvc checkout data/raw.dvc', 'geodvc gc -w -f']) {
      assert.ok(out.includes(`$ ${step}`), `the demo shows \`${step}\``);
    }
    assert.match(out, /changed without a semantic change/);
    assert.match(out, /identical/);
    const repo = join(dir, 'project');
    const lock = parse(readFileSync(join(repo, 'dvc.lock'), 'utf8'));
    assert.deepEqual(Object.keys(lock.stages), ['normalize_crs', 'generate_chips', 'export_labels']);
    // Pipeline outputs are recorded with md5, the hash DVC's dvc.lock understands, whatever core.checksum says.
    for (const name of ['normalize_crs', 'generate_chips', 'export_labels']) assert.match(lock.stages[name].outs[0].md5, /^[0-9a-f]{32}\.dir$/);
    const normalized = readdirSync(join(repo, 'data', 'processed', 'normalized')).filter((f) => f.endsWith('.tif'));
    assert.equal(normalized.length, 3);
    const chips = readdirSync(join(repo, 'data', 'processed', 'chips')).filter((f) => f.endsWith('.tif'));
    const masks = readdirSync(join(repo, 'data', 'processed', 'masks')).filter((f) => f.endsWith('.tif'));
    assert.ok(chips.length > 0 && masks.length === chips.length, `one mask per chip (${chips.length} chips, ${masks.length} masks)`);
    const gate = await cliOk(['geo', 'validate', 'data/processed/normalized', '--json'], { cwd: repo });
    assert.ok(gate.stdout.length > 0);
    const status = await cliOk(['status', '-c', '--json'], { cwd: repo });
    assert.deepEqual(JSON.parse(status.stdout), {}, 'everything the workspace uses is on the remote');
    assert.ok(existsSync(join(dir, 'remote-storage', 'files', 'xxh128')));
  } finally {
    cleanup();
  }
});
