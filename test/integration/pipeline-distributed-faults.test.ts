/**
 * Faults of `repro --queue` (issue 25) on a real redis-server with `queue worker` processes:
 * a worker SIGKILLed in the middle of a stage loses the job to another worker (BullMQ's stalled-job
 * check, short lock in the test) and the run completes; a failing stage stops its dependants, the
 * coordinator exits 1 naming the stage and the job whose log `queue logs` shows; a stage over its
 * --stage-timeout fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { cliOk, runCli } from '../helpers/cli.js';
import { killChild } from '../helpers/servers/common.js';
import { stageQueueStatus } from '../../src/core/api/repro.js';
import { makePipeline, startRedis, startWorker, stopWorkers, type WorkerProc } from './pipeline-distributed-fixture.js';

test('repro --queue: a SIGKILLed worker\'s stage completes on another worker', async (t) => {
  const redis = await startRedis(t);
  if (!redis) return;
  const setup = await makePipeline(2, { merge: false, itemCmd: 'sleep 3 && mkdir -p out && tr a-z A-Z < data/${item}.txt > out/${item}.txt' });
  const workers: WorkerProc[] = [];
  try {
    const doomed = startWorker(redis.url, join(setup.root, 'machine-a'), ['--lock-duration', '4']);
    workers.push(doomed);
    const run = runCli(['repro', '--queue', '--redis-url', redis.url, '--json'], { cwd: setup.dir });
    // wait until the doomed worker runs a stage command, then kill it
    const t0 = Date.now();
    while (!/\[start\] prep@\d/.test(doomed.output())) {
      assert.ok(Date.now() - t0 < 60_000, `no stage started: ${doomed.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await killChild(doomed.child, 'SIGKILL');
    // its stage command (under the worker's kept-warm supervisor) dies with it
    const inDoomed = () => readdirSync('/proc').filter((n) => /^\d+$/.test(n)).filter((n) => {
      try { return readlinkSync(`/proc/${n}/cwd`).startsWith(join(setup.root, 'machine-a')); } catch { return false; }
    });
    const k0 = Date.now();
    while (inDoomed().length) {
      assert.ok(Date.now() - k0 < 5000, `processes of the killed worker still run: ${inDoomed().join(' ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const rescuer = startWorker(redis.url, join(setup.root, 'machine-b'), ['--lock-duration', '4']);
    workers.push(rescuer);
    const r = await run;
    assert.equal(r.code, 0, r.stderr + rescuer.output());
    const res = JSON.parse(r.stdout);
    assert.deepEqual([...res.ran].sort(), ['prep@0', 'prep@1']);
    assert.equal(res.counts.done, 2);
    const rescuerName = new RegExp(`:${rescuer.child.pid}$`);
    assert.ok(res.jobs.every((j: { worker: string }) => rescuerName.test(j.worker)), JSON.stringify(res.jobs));
    // the killed worker's job is the one the rescuer took after the stall
    assert.ok((await stageQueueStatus(redis.url, res.run)).every((j) => j.state === 'completed'));
    const lock = readFileSync(join(setup.dir, 'dvc.lock'), 'utf8');
    assert.match(lock, /prep@0:/);
    assert.match(lock, /prep@1:/);
    await cliOk(['pull'], { cwd: setup.dir });
    assert.equal(readFileSync(join(setup.dir, 'out', '1.txt'), 'utf8'), 'SCENE 1\nSCENE 1\n');
  } finally {
    await stopWorkers(workers);
    await redis.stop();
    setup.cleanup();
  }
});

test('repro --queue -k: a failing stage stops its dependants, names its job; --stage-timeout stops a slow stage', async (t) => {
  const redis = await startRedis(t);
  if (!redis) return;
  const yaml = `stages:
  bad:
    cmd: echo broken input >&2 && exit 3
    deps:
      - data/0.txt
    outs:
      - bad.txt
  after:
    cmd: cp bad.txt after.txt
    deps:
      - bad.txt
    outs:
      - after.txt
  good:
    cmd: cp data/1.txt good.txt
    deps:
      - data/1.txt
    outs:
      - good.txt
  slow:
    cmd: sleep 120 && cp data/1.txt slow.txt
    deps:
      - data/1.txt
    outs:
      - slow.txt
`;
  const setup = await makePipeline(2, { dvcYaml: yaml });
  const workers: WorkerProc[] = [];
  try {
    workers.push(startWorker(redis.url, join(setup.root, 'machine-a'), ['-j', '2']));
    const r = await runCli(['repro', '--queue', '-k', '--stage-timeout', '12', '--redis-url', redis.url, '--json'], { cwd: setup.dir });
    assert.equal(r.code, 1, r.stderr);
    const res = JSON.parse(r.stdout);
    assert.deepEqual(res.ran, ['good']);
    assert.deepEqual(res.skipped, ['after']);
    assert.deepEqual(res.failed.map((f: { stage: string }) => f.stage).sort(), ['bad', 'slow']);
    const bad = res.jobs.find((j: { stage: string }) => j.stage === 'bad');
    assert.match(r.stderr, new RegExp(`failed to reproduce 'bad' on a worker \\(job ${bad.jobId.replace('.', '\\.')}\\)`));
    assert.match(r.stderr, new RegExp(`geodvc queue logs ${bad.jobId.replace('.', '\\.')}`));
    assert.match(res.failed.find((f: { stage: string }) => f.stage === 'slow').message, /exceeded its time limit of 12000 ms/);
    const lock = readFileSync(join(setup.dir, 'dvc.lock'), 'utf8');
    assert.match(lock, /^ {2}good:/m);
    assert.doesNotMatch(lock, /^ {2}(bad|after|slow):/m);
    const logs = await cliOk(['queue', 'logs', bad.jobId, '--redis-url', redis.url], { cwd: setup.dir });
    assert.match(logs.stdout, /broken input/);
    assert.match(logs.stdout, /exited with code 3/);
  } finally {
    await stopWorkers(workers);
    await redis.stop();
    setup.cleanup();
  }
});
