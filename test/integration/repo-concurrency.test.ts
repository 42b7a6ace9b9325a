/**
 * Two geodvc processes on one repository at once (issue 8): with GEODVC_WAIT_FOR_LOCK=1 both
 * finish and the result is what running them one after the other gives; without it the loser
 * either waits out the default retry or fails cleanly with the lock hint, and fsck stays clean.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir, gitInit, writeTree } from '../helpers/tmp.js';
import { cliOk, runCli } from '../helpers/cli.js';

function files(prefix: string, n: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < n; i++) out[`${prefix}/f${i}.txt`] = `${prefix}-${i}-`.repeat(50);
  return out;
}

test('two adds and an add + checkout at the same time both finish correctly', async () => {
  const t = makeTmpDir('geodvc-conc-');
  try {
    const root = join(t.dir, 'repo');
    mkdirSync(root);
    gitInit(root);
    await cliOk(['init'], { cwd: root });
    writeTree(root, { ...files('a', 300), ...files('b', 300), ...files('c', 50) });
    const env = { GEODVC_WAIT_FOR_LOCK: '1' };
    const [ra, rb] = await Promise.all([runCli(['add', 'a'], { cwd: root, env }), runCli(['add', 'b'], { cwd: root, env })]);
    assert.equal(ra.code, 0, ra.stderr);
    assert.equal(rb.code, 0, rb.stderr);
    assert.match(readFileSync(join(root, 'a.dvc'), 'utf8'), /nfiles: 300/);
    assert.match(readFileSync(join(root, 'b.dvc'), 'utf8'), /nfiles: 300/);
    const [rc, rco] = await Promise.all([runCli(['add', 'c'], { cwd: root, env }), runCli(['checkout', 'a.dvc', '-f'], { cwd: root, env })]);
    assert.equal(rc.code, 0, rc.stderr);
    assert.equal(rco.code, 0, rco.stderr);
    const st = await runCli(['status', '--json'], { cwd: root });
    assert.equal(st.code, 0, st.stderr);
    assert.deepEqual(JSON.parse(st.stdout), {});
    const fk = await runCli(['fsck', '--json'], { cwd: root });
    assert.equal(fk.code, 0, fk.stdout);

    // Without waiting: each either succeeds or fails cleanly with the lock hint.
    writeTree(root, { ...files('d', 200), ...files('e', 200) });
    const [rd, re] = await Promise.all([runCli(['add', 'd'], { cwd: root }), runCli(['add', 'e'], { cwd: root })]);
    for (const r of [rd, re]) {
      if (r.code !== 0) { assert.match(r.stderr, /locked by pid \d+/); assert.match(r.stderr, /--wait-for-lock/); }
    }
    assert.ok(rd.code === 0 || re.code === 0);
    assert.equal((await runCli(['fsck'], { cwd: root })).code, 0);
  } finally { t.cleanup(); }
});
