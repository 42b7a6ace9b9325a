/**
 * `repro --queue` on a real redis-server (issue 25): three `queue worker` processes, each with its
 * own clone and cache, run a 64-item foreach and the stage that merges its outputs, exchanging data
 * through a local DVC remote. The coordinator's dvc.lock is byte-identical to a local `repro` of
 * the same pipeline, without the outputs being downloaded; `pull` brings the same bytes; a second
 * run of the last stage answers "unchanged"; `queue status` and `queue logs` show the stage jobs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cliOk, runCli } from '../helpers/cli.js';
import { startOrSkip } from '../helpers/servers/common.js';
import { startS3rver } from '../helpers/servers/s3rver.js';
import { makePipeline, startRedis, startWorker, stopWorkers, type WorkerProc } from './pipeline-distributed-fixture.js';

test('repro --queue: 64-item foreach on 3 workers gives the dvc.lock of a local repro', async (t) => {
  const redis = await startRedis(t);
  if (!redis) return;
  const setup = await makePipeline(64);
  const workers: WorkerProc[] = [];
  try {
    const local = join(setup.root, 'local');
    cpSync(setup.dir, local, { recursive: true });
    for (let i = 0; i < 3; i++) workers.push(startWorker(redis.url, join(setup.root, `machine-${i}`)));
    // the reference (a local repro of the same repository) runs meanwhile: the machine's cores are shared
    const [r, ref] = await Promise.all([
      runCli(['repro', '--queue', '--redis-url', redis.url, '--json'], { cwd: setup.dir, timeoutMs: 300_000 }),
      runCli(['repro'], { cwd: local, timeoutMs: 300_000 }),
    ]);
    assert.equal(r.code, 0, r.stderr + workers.map((w) => w.output()).join('\n'));
    assert.equal(ref.code, 0, ref.stderr);
    const res = JSON.parse(r.stdout);
    assert.equal(res.ran.length, 65);
    assert.deepEqual(res.failed, []);
    assert.equal(res.counts.done, 65);
    assert.ok(new Set(res.jobs.map((j: { worker: string }) => j.worker)).size >= 2, 'jobs spread over the workers');
    assert.equal(readFileSync(join(setup.dir, 'dvc.lock'), 'utf8'), readFileSync(join(local, 'dvc.lock'), 'utf8'));
    assert.equal(readFileSync(join(setup.dir, '.gitignore'), 'utf8'), readFileSync(join(local, '.gitignore'), 'utf8'));
    // no outputs were downloaded; pull brings them, byte-identical
    assert.equal(existsSync(join(setup.dir, 'merged.txt')), false);
    assert.equal(existsSync(join(setup.dir, 'out', '0.txt')), false);
    assert.equal(readFileSync(join(setup.dir, 'out', '.gitignore'), 'utf8'), readFileSync(join(local, 'out', '.gitignore'), 'utf8'));
    await cliOk(['pull'], { cwd: setup.dir });
    assert.equal(readFileSync(join(setup.dir, 'merged.txt'), 'utf8'), readFileSync(join(local, 'merged.txt'), 'utf8'));
    assert.equal(readFileSync(join(setup.dir, 'out', '63.txt'), 'utf8'), 'SCENE 63\n');
    const st = await cliOk(['status', '--json'], { cwd: setup.dir });
    assert.deepEqual(JSON.parse(st.stdout), {});
    // queue status / logs show the stage jobs of the run
    const qs = JSON.parse((await cliOk(['queue', 'status', '--redis-url', redis.url, '--run', res.run, '--json'], { cwd: setup.dir })).stdout);
    assert.equal(qs.length, 65);
    assert.ok(qs.every((j: { state: string; kind: string }) => j.state === 'completed' && j.kind === 'stage'));
    const merge = qs.find((j: { name: string }) => j.name === 'merge');
    const logs = await cliOk(['queue', 'logs', merge.id, '--redis-url', redis.url], { cwd: setup.dir });
    assert.match(logs.stdout, /stage 'merge' of run/);
    assert.match(logs.stdout, /fetched 64 upstream output\(s\)/);
    // again, for the merge stage alone (-s): unchanged on the worker, dvc.lock the same
    const before = readFileSync(join(setup.dir, 'dvc.lock'), 'utf8');
    const again = JSON.parse((await cliOk(['repro', '--queue', '-s', 'merge', '--redis-url', redis.url, '--json'], { cwd: setup.dir })).stdout);
    assert.deepEqual(again.unchanged, ['merge']);
    assert.equal(again.ran.length, 0);
    assert.equal(readFileSync(join(setup.dir, 'dvc.lock'), 'utf8'), before);
  } finally {
    await stopWorkers(workers);
    await redis.stop();
    setup.cleanup();
  }
});

test('repro --queue with an S3 remote (s3rver): workers exchange data through it, dvc.lock of a local repro', async (t) => {
  const srv = await startOrSkip(t, 's3rver', () => startS3rver());
  if (!srv) return;
  const redis = await startRedis(t);
  if (!redis) { await srv.stop(); return; }
  const rem = await srv.newRemote('dist');
  const setup = await makePipeline(4, { remote: { url: rem.url, options: rem.options } });
  const workers: WorkerProc[] = [];
  try {
    const local = join(setup.root, 'local');
    cpSync(setup.dir, local, { recursive: true });
    for (let i = 0; i < 2; i++) workers.push(startWorker(redis.url, join(setup.root, `machine-${i}`)));
    const r = await runCli(['repro', '--queue', '--redis-url', redis.url, '--json'], { cwd: setup.dir });
    assert.equal(r.code, 0, r.stderr + workers.map((w) => w.output()).join('\n'));
    assert.deepEqual([...JSON.parse(r.stdout).ran].sort(), ['merge', 'prep@0', 'prep@1', 'prep@2', 'prep@3']);
    await cliOk(['repro'], { cwd: local });
    const lock = readFileSync(join(setup.dir, 'dvc.lock'), 'utf8');
    assert.equal(lock, readFileSync(join(local, 'dvc.lock'), 'utf8'));
    // the outputs and the run-cache entries are on the S3 server, not in the coordinator's workspace
    const mergedMd5 = /merged\.txt\n\s+hash: md5\n\s+md5: ([0-9a-f]{32})/.exec(lock)![1]!;
    assert.ok(existsSync(srv.objectPath!(rem.url, `files/md5/${mergedMd5.slice(0, 2)}/${mergedMd5.slice(2)}`)!), 'merged.txt pushed to S3');
    const runsDir = srv.objectPath!(rem.url, 'runs')!.replace(/\._S3rver_object$/, '');
    const runEntries = (readdirSync(runsDir, { recursive: true }) as string[]).filter((f) => f.endsWith('._S3rver_object'));
    assert.equal(runEntries.length, 5, 'one run-cache entry per stage on S3');
    assert.equal(existsSync(join(setup.dir, 'merged.txt')), false);
    await cliOk(['pull'], { cwd: setup.dir });
    assert.equal(readFileSync(join(setup.dir, 'merged.txt'), 'utf8'), readFileSync(join(local, 'merged.txt'), 'utf8'));
  } finally {
    await stopWorkers(workers);
    await redis.stop();
    await srv.stop();
    setup.cleanup();
  }
});
