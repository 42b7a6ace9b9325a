/**
 * `repro` of a stage whose outputs were corrupted, truncated or deleted in the workspace rebuilds
 * them (issue 8, item 5): by running the command again (`--no-run-cache`), from the run-cache, or
 * with `-f` when the damage kept size and mtime (invisible to status, as in DVC).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliOk } from '../helpers/cli.js';
import { makeTmpDir, gitInit, writeTree } from '../helpers/tmp.js';

const YAML = 'stages:\n  build:\n    cmd: echo run >> runs.log && mkdir -p out && cp raw/*.txt out/ && cat raw/*.txt > all.txt\n    deps: [raw]\n    outs: [out, all.txt]\n';

function flipByte(path: string, keepTimes = false): void {
  const st = statSync(path);
  const b = readFileSync(path);
  const mid = Math.floor(b.length / 2);
  b.writeUInt8(b.readUInt8(mid) ^ 0x20, mid);
  writeFileSync(path, b);
  if (keepTimes) utimesSync(path, st.atime, st.mtime);
}

test('repro rebuilds outputs that were corrupted, truncated or deleted', { timeout: 120_000 }, async () => {
  const t = makeTmpDir('geodvc-repro-rebuild-');
  const dir = t.dir;
  try {
    gitInit(dir);
    await cliOk(['init', '-q'], { cwd: dir });
    writeTree(dir, { 'dvc.yaml': YAML, 'raw/a.txt': 'alpha '.repeat(50), 'raw/b.txt': 'bravo '.repeat(60), 'raw/c.txt': 'charlie '.repeat(70) });
    await cliOk(['repro', '-q'], { cwd: dir });
    const read = () => ({ a: readFileSync(join(dir, 'out/a.txt')), b: readFileSync(join(dir, 'out/b.txt')), c: readFileSync(join(dir, 'out/c.txt')), all: readFileSync(join(dir, 'all.txt')) });
    const good = read();
    const lock = readFileSync(join(dir, 'dvc.lock'), 'utf8');
    const runs = () => readFileSync(join(dir, 'runs.log'), 'utf8').split('\n').filter(Boolean).length;
    const status = async () => JSON.parse((await cliOk(['status', '--json'], { cwd: dir })).stdout);
    const same = (label: string) => {
      const now = read();
      for (const k of Object.keys(good) as (keyof typeof good)[]) assert.ok(now[k].equals(good[k]), `${label}: ${k} rebuilt`);
      assert.equal(readFileSync(join(dir, 'dvc.lock'), 'utf8'), lock, `${label}: dvc.lock unchanged`);
    };

    // 1. Flipped byte, truncation and deletion; no run-cache: the command runs again.
    flipByte(join(dir, 'out/b.txt'));
    truncateSync(join(dir, 'all.txt'), 10);
    rmSync(join(dir, 'out/c.txt'));
    assert.deepEqual(await status(), { build: [{ 'changed outs': { out: 'modified', 'all.txt': 'modified' } }] });
    const r1 = await cliOk(['repro', '--no-run-cache'], { cwd: dir });
    assert.match(r1.stdout, /Running stage 'build'/);
    assert.equal(runs(), 2);
    same('after --no-run-cache');
    assert.deepEqual(await status(), {});

    // 2. Output dir deleted and a flipped byte: restored from the run-cache, the command does not run.
    rmSync(join(dir, 'out'), { recursive: true });
    flipByte(join(dir, 'all.txt'));
    assert.deepEqual(await status(), { build: [{ 'changed outs': { out: 'deleted', 'all.txt': 'modified' } }] });
    const r2 = await cliOk(['repro'], { cwd: dir });
    assert.match(r2.stdout, /is cached - skipping run, checking out outputs/);
    assert.equal(runs(), 2);
    same('after the run-cache restore');

    // 3. A flipped byte that kept size and mtime is not seen by status (the hash memo trusts them,
    //    as DVC's state db does); `repro -f` rebuilds it.
    flipByte(join(dir, 'out/a.txt'), true);
    await cliOk(['repro', '-f', '-q'], { cwd: dir });
    assert.equal(runs(), 3);
    same('after repro -f');
  } finally { t.cleanup(); }
});
