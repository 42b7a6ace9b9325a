/** The stage executor under its supervisor: exit codes, output, env, records, Ctrl-C, temp-file sweep. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand, StageFailedError } from './executor.js';
import { childModuleArgs } from '../../lib/worker.js';
import { processAlive, processStart, reapOrphanStages, supervisorArgs, sweepTempFiles, tempFileOwner, STAGE_TAG_ENV } from './supervisor.js';

function tmp(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-exec-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function deadPid(): Promise<number> {
  const c = spawn('true');
  await new Promise((r) => c.on('close', r));
  return c.pid!;
}

test('runCommand: output, exit codes, the stage env (NODE_OPTIONS kept, tag added), record kept while running', async () => {
  const t = tmp();
  try {
    const out: string[] = [];
    const rec = join(t.dir, 'records');
    const p = runCommand('s', `echo "opts=$NODE_OPTIONS ca=$NODE_EXTRA_CA_CERTS tag=\${${STAGE_TAG_ENV}:+yes}"; echo err >&2; sleep 1`, t.dir, {
      recordDir: rec, env: { NODE_OPTIONS: '--no-warnings', NODE_EXTRA_CA_CERTS: '/nonexistent/ca.pem' }, onOutput: (_s, c, stream) => out.push(`${stream}:${c}`),
    });
    let seen: string[] = [];
    for (let i = 0; i < 500 && !seen.length; i++) { await new Promise((r) => setTimeout(r, 20)); seen = existsSync(rec) ? readdirSync(rec).filter((n) => /^stage-\d+\.json$/.test(n)) : []; }
    assert.equal(seen.length, 1, 'a record while the command runs');
    const r = JSON.parse(readFileSync(join(rec, seen[0]!), 'utf8'));
    assert.equal(r.stage, 's');
    assert.equal(r.owner.pid, process.pid);
    assert.equal(r.pgid, r.pid);
    assert.equal(r.start, processStart(r.pid));
    const supEnv = readFileSync(`/proc/${r.supervisor.pid}/environ`, 'latin1');
    assert.ok(!/(^|\0)NODE_(OPTIONS|EXTRA_CA_CERTS)=/.test(supEnv), 'the supervisor starts without slow start-up variables');
    await p;
    assert.deepEqual(readdirSync(rec), [], 'the record (written via a temp file and rename) is removed when the command ends');
    assert.ok(out.includes('stdout:opts=--no-warnings ca=/nonexistent/ca.pem tag=yes\n'), out.join('|'));
    assert.ok(out.includes('stderr:err\n'));
    await assert.rejects(runCommand('s', 'echo boom; exit 3', t.dir, {}), (e: unknown) => e instanceof StageFailedError && /exited with code 3/.test(e.message) && /boom/.test(e.message));
    await assert.rejects(runCommand('s', 'kill -TERM $$', t.dir, {}), /was killed by SIGTERM/);
    await assert.rejects(runCommand('s', 'true', join(t.dir, 'nope'), {}), /cannot start the command of 's': its directory '.*nope' does not exist/);
  } finally { t.cleanup(); }
});

test('abort: SIGINT to the group, SIGKILL 3 s later when ignored; nothing of the group is left', async () => {
  const t = tmp();
  try {
    const ac = new AbortController();
    const pidFile = join(t.dir, 'pid');
    const p = runCommand('s', `trap '' INT; sleep 30 & echo $! > ${pidFile}; wait; wait`, t.dir, { signal: ac.signal });
    for (let i = 0; i < 500 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 20));
    const sleeper = Number(readFileSync(pidFile, 'utf8'));
    const t0 = Date.now();
    ac.abort();
    await assert.rejects(p, /interrupted while running 's'/);
    const took = Date.now() - t0;
    assert.ok(took >= 2500 && took < 8000, `stopped after ${took} ms`);
    assert.ok(!processAlive({ pid: sleeper }), 'the background child was killed too');
  } finally { t.cleanup(); }
});

test('temp-file owners and the sweep: dead writers only, not ours, not live ones, age limit', async () => {
  const t = tmp();
  try {
    const d = await deadPid();
    assert.equal(tempFileOwner(`.geodvc-tmp-dvc.lock-${d}-0a1b2c3d`), d);
    assert.equal(tempFileOwner('.geodvc-tmp-a-b-c-12-0a1b2c3d'), 12);
    assert.equal(tempFileOwner('dvc.lock'), undefined);
    const names = [`.geodvc-tmp-x-${d}-0a1b2c3d`, `.geodvc-tmp-x-${process.pid}-0a1b2c3d`, `.geodvc-tmp-x-1-0a1b2c3d`, 'keep.txt'];
    for (const n of names) writeFileSync(join(t.dir, n), 'x');
    assert.deepEqual(sweepTempFiles([t.dir], { minAgeMs: 60_000 }), [], 'too fresh');
    assert.deepEqual(sweepTempFiles([t.dir]), [join(t.dir, names[0]!)]);
    assert.deepEqual(readdirSync(t.dir).sort(), names.slice(1).sort());
  } finally { t.cleanup(); }
});

test('reapOrphanStages: kills the group of a dead owner, spares live owners and recycled PIDs', async () => {
  const t = tmp();
  const orphan = spawn('/bin/sh', ['-c', 'sleep 30 & wait'], { detached: true, stdio: 'ignore' });
  const stranger = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  const mine = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 200));
    const d = await deadPid();
    const rec = (pid: number, start: string | undefined, owner: { pid: number; start?: string }) =>
      JSON.stringify({ v: 1, stage: 's', cmd: 'c', cwd: t.dir, pid, pgid: pid, start, tag: 'ab', owner, supervisor: { pid: d }, time: '' });
    writeFileSync(join(t.dir, 'stage-1.json'), rec(orphan.pid!, processStart(orphan.pid!), { pid: d }));
    writeFileSync(join(t.dir, 'stage-2.json'), rec(stranger.pid!, 'not-its-start', { pid: d }));
    writeFileSync(join(t.dir, 'stage-3.json'), rec(mine.pid!, processStart(mine.pid!), { pid: process.pid, start: processStart(process.pid) }));
    const reaped = await reapOrphanStages(t.dir);
    const byPid = new Map(reaped.map((r) => [r.pid, r.processesKilled]));
    assert.deepEqual([...byPid.keys()].sort(), [orphan.pid, stranger.pid].sort(), 'records of dead owners are handled');
    assert.ok(byPid.get(orphan.pid!)! >= 1, 'the orphan group was found alive');
    assert.equal(byPid.get(stranger.pid!), 0, 'nothing is killed for a record whose PID was recycled');
    assert.ok(!processAlive({ pid: orphan.pid! }), 'the orphan group was killed');
    assert.ok(processAlive({ pid: stranger.pid! }), 'a recycled PID is not killed');
    assert.ok(processAlive({ pid: mine.pid! }), 'a live owner\'s stage is left alone');
    assert.deepEqual(readdirSync(t.dir), ['stage-3.json']);
  } finally {
    for (const c of [orphan, stranger, mine]) { try { process.kill(-c.pid!, 'SIGKILL'); } catch { /* gone */ } }
    t.cleanup();
  }
});

/** The supervisor's node arguments with the sources forced (`.ts` through tsx), restoring the environment. */
/** The supervisor's arguments as the TypeScript sources compute them (development, through tsx). */
function sourceSupervisorArgs(): string[] {
  const before = process.env.GEODVC_FROM_SOURCES;
  process.env.GEODVC_FROM_SOURCES = '1';
  try { return childModuleArgs(new URL('./supervisor.ts', import.meta.url).href, 'supervisor-child.cjs'); } finally {
    if (before === undefined) delete process.env.GEODVC_FROM_SOURCES;
    else process.env.GEODVC_FROM_SOURCES = before;
  }
}

test('the supervisor is a module: compiled from dist/ when current, else its .ts source through tsx', async () => {
  const args = supervisorArgs();
  const src = sourceSupervisorArgs();
  assert.match(src.at(-1)!, /src\/core\/pipeline\/supervisor-child\.cts$/);
  assert.equal(src[0], '--import', 'the source runs through tsx');
  assert.ok(args.length === 1 ? /dist\/core\/pipeline\/supervisor-child\.cjs$/.test(args[0]!) : args.join(' ') === src.join(' '), args.join(' '));
  // it is on every stage's path: Node's built-ins and the protocol constants only
  const imports = (name: string) => [...readFileSync(new URL(`./${name}.cts`, import.meta.url), 'utf8').matchAll(/^import\s(?!type\b)[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
  assert.deepEqual(imports('supervisor-child').filter((m) => !m.startsWith('node:')), ['./supervisor-protocol.cjs']);
  assert.deepEqual(imports('supervisor-protocol'), []);
  // the tsx path runs a stage too (the suite runs the compiled one): the sources in a process of
  // their own, through tsx, with GEODVC_FROM_SOURCES=1
  const t = tmp();
  try {
    const script = [
      `const { runCommand } = await import(${JSON.stringify(new URL('./executor.ts', import.meta.url).href)});`,
      `const { STAGE_TAG_ENV } = await import(${JSON.stringify(new URL('./supervisor.ts', import.meta.url).href)});`,
      'const out = [];',
      "await runCommand('s', 'echo \"tag=${' + STAGE_TAG_ENV + ':+yes}\"', process.cwd(), { onOutput: (_s, c) => out.push(c) });",
      'process.stdout.write(JSON.stringify(out));',
    ].join('\n');
    const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', script], { cwd: t.dir, env: { ...process.env, GEODVC_FROM_SOURCES: '1' }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), ['tag=yes\n']);
  } finally {
    t.cleanup();
  }
});

test('a supervisor whose geodvc dies at any moment (even before the supervisor is up) kills its command', async () => {
  const t = tmp();
  try {
    const parent = join(t.dir, 'parent.mjs');
    writeFileSync(parent, [
      "import { spawn } from 'node:child_process';",
      "import { existsSync } from 'node:fs';",
      "const c = spawn(process.execPath, [...JSON.parse(process.env.SUP_ARGS), process.env.SUP_CMD, '', 's', '{}'], { detached: true, stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });",
      "const die = () => process.kill(process.pid, 'SIGKILL');",
      "const whenStarted = () => setInterval(() => { if (existsSync(process.env.PID_FILE)) die(); }, 10);",
      "process.stdout.write(String(c.pid) + '\\n', () => { if (process.env.DELAY === 'started') whenStarted(); else setTimeout(die, Number(process.env.DELAY)); });",
    ].join('\n'));
    // the delays: before the supervisor is up, while it starts, once the command runs (the
    // supervisor as the suite runs it: compiled when dist/ is current; its tsx start is tested above)
    const runs: [number | 'started', string[]][] = [[0, supervisorArgs()], [60, supervisorArgs()], ['started', supervisorArgs()]];
    for (const [n, [delay, args]] of runs.entries()) {
      const pidFile = join(t.dir, `pid-${n}`);
      const p = spawn(process.execPath, [parent], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, SUP_ARGS: JSON.stringify(args), SUP_CMD: `echo $$ > ${pidFile}.tmp; mv ${pidFile}.tmp ${pidFile}; exec sleep 30`, PID_FILE: pidFile, DELAY: String(delay) } });
      let out = '';
      p.stdout.on('data', (d) => { out += d; });
      await new Promise((r) => p.on('close', r));
      const sup = Number(out.trim());
      assert.ok(sup > 0, 'the parent started a supervisor');
      for (let i = 0; i < 500 && processAlive({ pid: sup }); i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(!processAlive({ pid: sup }), `delay ${delay}: the supervisor ended`);
      if (delay === 'started') assert.ok(existsSync(pidFile), 'the command had started');
      if (existsSync(pidFile)) {
        const cmdPid = Number(readFileSync(pidFile, 'utf8'));
        for (let i = 0; i < 100 && processAlive({ pid: cmdPid }); i++) await new Promise((r) => setTimeout(r, 20));
        assert.ok(!processAlive({ pid: cmdPid }), `delay ${delay}: the command was killed`);
      }
    }
  } finally { t.cleanup(); }
});
