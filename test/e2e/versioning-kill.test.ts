/**
 * Killing `add` or `checkout` (SIGKILL, at several moments) never leaves a corrupt cache object or
 * a half-written workspace file that a later command takes for data; re-running completes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir, gitInit } from '../helpers/tmp.js';
import { BIN, cliOk } from '../helpers/cli.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

function killAfter(args: string[], cwd: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: 'ignore', env: { ...process.env, CI: 'true' } });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('close', () => { clearTimeout(timer); resolve(); });
  });
}

/** Objects at their final names are complete: content hashes to the name. Temp files are allowed. */
function assertCacheSound(root: string): void {
  const base = join(root, '.dvc/cache/files/md5');
  if (!existsSync(base)) return;
  for (const pre of readdirSync(base)) {
    for (const rest of readdirSync(join(base, pre))) {
      if (rest.startsWith('.geodvc-tmp-')) continue;
      const p = join(base, pre, rest);
      const h = md5(readFileSync(p)) + (rest.endsWith('.dir') ? '.dir' : '');
      if (h !== pre + rest) {
        // Only acceptable when the object is not trusted (not 0o444): it gets re-verified.
        assert.notEqual(statSync(p).mode & 0o777, 0o444, `corrupt trusted object ${pre}/${rest}`);
      }
    }
  }
}

test('SIGKILL during add and checkout leaves nothing corrupt taken for data', async () => {
  const { dir, cleanup } = makeTmpDir('geodvc-kill-');
  try {
    gitInit(dir);
    await cliOk(['init', '-q'], { cwd: dir });
    mkdirSync(join(dir, 'data'));
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 4; i++) files[`big${i}.bin`] = randomBytes(24 << 20);
    for (let i = 0; i < 400; i++) files[`small${i}.bin`] = randomBytes(2048);
    for (const [n, b] of Object.entries(files)) writeFileSync(join(dir, 'data', n), b);
    for (const ms of [700, 1400, 2200]) {
      await killAfter(['add', 'data'], dir, ms);
      assertCacheSound(dir);
      // the workspace data is untouched by a killed add (copy mode)
      for (const [n, b] of Object.entries(files)) assert.equal(md5(readFileSync(join(dir, 'data', n))), md5(b), n);
    }
    await cliOk(['add', 'data', '-q'], { cwd: dir });
    assertCacheSound(dir);
    assert.deepEqual(JSON.parse((await cliOk(['status', '--json'], { cwd: dir })).stdout), {});

    for (const ms of [600, 1300, 2100]) {
      rmSync(join(dir, 'data'), { recursive: true, force: true });
      await killAfter(['checkout'], dir, ms);
      // Whatever exists under a data name is complete and correct.
      if (existsSync(join(dir, 'data'))) {
        for (const n of readdirSync(join(dir, 'data'))) {
          if (n.startsWith('.geodvc-tmp-')) continue;
          assert.equal(md5(readFileSync(join(dir, 'data', n))), md5(files[n]!), `half-written ${n}`);
        }
      }
      assertCacheSound(dir);
    }
    await cliOk(['checkout', '-q'], { cwd: dir });
    assert.deepEqual(readdirSync(join(dir, 'data')).filter((n) => n.startsWith('.geodvc-tmp-')), [], 'stale temp files cleaned by checkout');
    for (const [n, b] of Object.entries(files)) assert.equal(md5(readFileSync(join(dir, 'data', n))), md5(b), n);
    assert.deepEqual(JSON.parse((await cliOk(['status', '--json'], { cwd: dir })).stdout), {});
  } finally { cleanup(); }
});
