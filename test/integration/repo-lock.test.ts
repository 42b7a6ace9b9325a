import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { makeTmpDir } from '../helpers/tmp.js';
import { REPO_ROOT } from '../helpers/cli.js';

const LOCK = pathToFileURL(join(REPO_ROOT, 'src', 'core', 'repo', 'lock.ts')).href;

function runWorker(dir: string, mode: 'write' | 'read', n: number, tag: string): Promise<{ code: number; out: string; err: string }> {
  const script = `
    import { withRepoLock } from ${JSON.stringify(LOCK)};
    import { readFileSync, writeFileSync, appendFileSync, existsSync } from 'node:fs';
    const dir = ${JSON.stringify(dir)};
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    for (let i = 0; i < ${n}; i++) {
      await withRepoLock({ tmpDir: dir + '/tmp' }, { write: ${mode === 'write'}, wait: true, cmd: ${JSON.stringify(tag)} }, async () => {
        if (${mode === 'write'}) {
          const v = Number(readFileSync(dir + '/counter', 'utf8'));
          await sleep(2);
          writeFileSync(dir + '/counter', String(v + 1));
        } else {
          // Hold the shared lock until the other process holds it too (or give up after 60 s).
          writeFileSync(dir + '/' + ${JSON.stringify(tag)} + '.holding', '');
          const other = ${JSON.stringify(tag)} === 'A' ? 'B' : 'A';
          const t0 = Date.now();
          while (!existsSync(dir + '/' + other + '.holding') && Date.now() - t0 < 60000) await sleep(20);
          appendFileSync(dir + '/reads', ${JSON.stringify(tag)} + ' ' + (existsSync(dir + '/' + other + '.holding') ? 'both' : 'alone') + '\\n');
        }
      });
    }
  `;
  return new Promise((res) => {
    const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = ''; let err = '';
    c.stdout.on('data', (d) => { out += d; });
    c.stderr.on('data', (d) => { err += d; });
    c.on('close', (code) => res({ code: code ?? 1, out, err }));
  });
}

test('two processes taking the write lock at once never lose an update', async () => {
  const t = makeTmpDir();
  try {
    writeFileSync(join(t.dir, 'counter'), '0');
    const [a, b] = await Promise.all([runWorker(t.dir, 'write', 40, 'A'), runWorker(t.dir, 'write', 40, 'B')]);
    assert.equal(a.code, 0, a.err);
    assert.equal(b.code, 0, b.err);
    assert.equal(readFileSync(join(t.dir, 'counter'), 'utf8'), '80');
  } finally { t.cleanup(); }
});

test('readers in two processes hold the lock at the same time', async () => {
  const t = makeTmpDir();
  try {
    mkdirSync(join(t.dir, 'tmp'), { recursive: true });
    writeFileSync(join(t.dir, 'reads'), '');
    const [a, b] = await Promise.all([runWorker(t.dir, 'read', 1, 'A'), runWorker(t.dir, 'read', 1, 'B')]);
    assert.equal(a.code, 0, a.err);
    assert.equal(b.code, 0, b.err);
    const rows = readFileSync(join(t.dir, 'reads'), 'utf8').trim().split('\n').sort();
    assert.deepEqual(rows, ['A both', 'B both'], 'each reader saw the other holding the shared lock at the same time');
  } finally { t.cleanup(); }
});
