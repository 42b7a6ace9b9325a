/** CLI behaviour of repro: Ctrl-C (SIGINT) exit code and a valid lock, --pull, metrics show/diff, -j output. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, cliOk, runCli } from '../helpers/cli.js';
import { makeTmpDir, gitInit, git, writeTree } from '../helpers/tmp.js';

function setup(files: Record<string, string>): { dir: string; cleanup: () => void } {
  const t = makeTmpDir('geodvc-pl-cli-');
  gitInit(t.dir);
  writeTree(t.dir, files);
  return t;
}

test('SIGINT during repro stops the command, exits 252 and leaves dvc.lock valid', async () => {
  const { dir, cleanup } = setup({
    'in.txt': 'x',
    'dvc.yaml': 'stages:\n  fast:\n    cmd: cp in.txt a.txt\n    deps: [in.txt]\n    outs: [a.txt]\n  slow:\n    cmd: echo started && sleep 60 && cp a.txt b.txt\n    deps: [a.txt]\n    outs: [b.txt]\n',
  });
  try {
    await cliOk(['init', '-q'], { cwd: dir });
    const child = spawn(process.execPath, [BIN, 'repro'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const t0 = Date.now();
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d) => { out += d; if (out.includes('started')) child.kill('SIGINT'); });
      child.on('close', (c) => resolve(c));
    });
    assert.equal(code, 252);
    assert.ok(Date.now() - t0 < 30_000);
    const lock = readFileSync(join(dir, 'dvc.lock'), 'utf8');
    assert.match(lock, /^schema: '2\.0'\nstages:\n  fast:\n/);
    assert.doesNotMatch(lock, /slow/);
    assert.ok(!existsSync(join(dir, 'b.txt')));
  } finally { cleanup(); }
});

test('repro --pull restores outputs from the remote instead of running; metrics show/diff', async () => {
  const { dir, cleanup } = setup({
    'in.txt': 'hello',
    'dvc.yaml': 'stages:\n  a:\n    cmd: "cp in.txt a.txt && echo ran >> ran.log && printf \'{\\"acc\\": 0.5, \\"n\\": 2}\' > m.json"\n    deps: [in.txt]\n    outs: [a.txt]\n    metrics:\n    - m.json:\n        cache: false\n',
  });
  const remote = makeTmpDir('geodvc-pl-remote-');
  try {
    await cliOk(['init', '-q'], { cwd: dir });
    await cliOk(['repro', '-q'], { cwd: dir });
    await cliOk(['remote', 'add', '-d', 'r', remote.dir], { cwd: dir });
    await cliOk(['push', '-q'], { cwd: dir });
    rmSync(join(dir, '.dvc', 'cache'), { recursive: true, force: true });
    rmSync(join(dir, 'a.txt'));
    const r = JSON.parse((await cliOk(['repro', '--pull', '--json'], { cwd: dir })).stdout);
    assert.deepEqual(r.ran, []);
    assert.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), 'hello');
    assert.equal(readFileSync(join(dir, 'ran.log'), 'utf8'), 'ran\n');
    const show = JSON.parse((await cliOk(['metrics', 'show', '--json'], { cwd: dir })).stdout);
    assert.deepEqual(show, { '': { data: { 'm.json': { data: { acc: 0.5, n: 2 } } } } }); // DVC 3.64: "" = the workspace alone (golden 17)
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'one');
    writeFileSync(join(dir, 'm.json'), '{"acc": 0.75, "n": 2}');
    const diff = JSON.parse((await cliOk(['metrics', 'diff', '--json'], { cwd: dir })).stdout);
    assert.deepEqual(diff, { 'm.json': { acc: { old: 0.5, new: 0.75, diff: 0.25 } } });
  } finally { cleanup(); remote.cleanup(); }
});

test('repro -j 2 keeps each stage output together; bad -j is a usage error', async () => {
  const { dir, cleanup } = setup({
    'in.txt': 'x',
    'dvc.yaml': 'stages:\n  a:\n    cmd: echo a1; sleep 0.3; echo a2; cp in.txt a.txt\n    deps: [in.txt]\n    outs: [a.txt]\n  b:\n    cmd: echo b1; sleep 0.3; echo b2; cp in.txt b.txt\n    deps: [in.txt]\n    outs: [b.txt]\n',
  });
  try {
    await cliOk(['init', '-q'], { cwd: dir });
    const r = await cliOk(['repro', '-j', '2'], { cwd: dir });
    assert.match(r.stdout, /--- output of 'a' ---\na1\na2\n/);
    assert.match(r.stdout, /--- output of 'b' ---\nb1\nb2\n/);
    const bad = await runCli(['repro', '-j', '0'], { cwd: dir });
    assert.equal(bad.code, 254);
    assert.match(bad.stderr, /invalid --jobs/);
  } finally { cleanup(); }
});
