/**
 * The shared experiment queue on a real redis-server (Debian) through BullMQ: a submitter queues a
 * sweep, two worker processes (the CLI) take the jobs from clones of the git remote, push the
 * experiment refs back, and the submitter pulls them. Skips locally without redis-server; fails
 * under CI=true.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { makeTmpDir, gitInit, git, writeTree } from '../helpers/tmp.js';
import { BIN } from '../helpers/cli.js';
import { freePort, spawnUntil, killChild, startOrSkip } from '../helpers/servers/common.js';
import { expRun, expPull, expList, redisQueueStatus } from '../../src/core/api/exp.js';

test('exp run --queue on Redis: two CLI workers run a sweep from clones, refs come back with exp pull', async (t) => {
  const data = makeTmpDir('geodvc-redis-');
  const server = await startOrSkip(t, 'redis-server', async () => {
    const port = await freePort();
    const s = await spawnUntil('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--dir', data.dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'yes'], /Ready to accept connections/);
    return { ...s, url: `redis://127.0.0.1:${port}` };
  });
  if (!server) { data.cleanup(); return; }
  const origin = makeTmpDir('geodvc-redis-origin-');
  const work = makeTmpDir('geodvc-redis-work-');
  try {
    execFileSync('git', ['init', '-q', '--bare', '-b', 'main', origin.dir]);
    const dir = work.dir;
    gitInit(dir);
    mkdirSync(join(dir, '.dvc'));
    writeTree(dir, {
      '.dvc/config': '', '.dvc/.gitignore': '/tmp\n/cache\n',
      'params.yaml': 'tile_size: 512\n',
      'in.txt': 'scene',
      'dvc.yaml': 'stages:\n  chips:\n    cmd: echo ${tile_size} > chips.txt && cat in.txt >> chips.txt\n    deps: [in.txt]\n    params: [tile_size]\n    outs: [chips.txt]\n',
    });
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'base');
    git(dir, 'remote', 'add', 'origin', origin.dir);
    git(dir, 'push', '-q', 'origin', 'main');
    const q = await expRun({ cwd: dir, set: ['tile_size=256,128'], queue: true, name: 'ts', redisUrl: server.url });
    assert.equal(q.name, 'ts-1');
    const workers = [0, 1].map(() => new Promise<number | null>((resolve) => {
      const c = spawn(process.execPath, [BIN, 'queue', 'worker', '--redis-url', server.url, '--exit-when-empty'], { cwd: dir, env: { ...process.env, NO_COLOR: '1', GIT_AUTHOR_NAME: 'w', GIT_AUTHOR_EMAIL: 'w@x', GIT_COMMITTER_NAME: 'w', GIT_COMMITTER_EMAIL: 'w@x' }, stdio: 'ignore' });
      c.on('close', resolve);
    }));
    assert.deepEqual(await Promise.all(workers), [0, 0]);
    const jobs = await redisQueueStatus(server.url);
    assert.deepEqual(jobs.map((j) => [j.name, j.state]).sort(), [['ts-1', 'completed'], ['ts-2', 'completed']]);
    expPull(dir, 'origin', []);
    const exps = expList(dir);
    assert.deepEqual(exps.map((e) => e.name).sort(), ['ts-1', 'ts-2']);
    const sizes = exps.map((e) => git(dir, 'show', `${e.rev}:params.yaml`).trim()).sort();
    assert.deepEqual(sizes, ['tile_size: 128', 'tile_size: 256']);
    for (const e of exps) assert.match(git(dir, 'show', `${e.rev}:dvc.lock`), /tile_size: (128|256)/);
    // the submitter's workspace was not touched
    assert.equal(git(dir, 'status', '--porcelain').trim(), '');
  } finally {
    await killChild(server.child);
    data.cleanup(); origin.cleanup(); work.cleanup();
  }
});
