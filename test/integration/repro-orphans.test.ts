/**
 * A SIGKILLed `geodvc repro` leaves no stage command running (issue 8): the stage supervisor kills
 * the command's process group as soon as geodvc dies; when the supervisor is gone too, the next
 * `repro` finds the stage record in `.dvc/tmp/geodvc-stages/`, kills the group (only after checking
 * it is really ours) and rebuilds the stage. A killed repro's temp files are swept by the next one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BIN, cliOk } from '../helpers/cli.js';
import { makeTmpDir, gitInit, writeTree } from '../helpers/tmp.js';
import { reproduce } from '../../src/core/api/repro.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// 40 lines, one every 0.1 s, appended to out/log.txt: a survivor would add lines the rerun does not.
const SLOW = 'stages:\n  slow:\n    cmd: mkdir -p out && i=0; while [ $i -lt 40 ]; do echo "line $i" >> out/log.txt; i=$((i+1)); sleep 0.1; done; cp in.txt out/in.txt\n    deps: [in.txt]\n    outs: [out]\n';
const EXPECTED_LOG = Array.from({ length: 40 }, (_, i) => `line ${i}\n`).join('');

async function setup(yaml: string): Promise<{ dir: string; cleanup: () => void }> {
  const t = makeTmpDir('geodvc-repro-orphans-');
  gitInit(t.dir);
  await cliOk(['init', '-q'], { cwd: t.dir });
  writeTree(t.dir, { 'in.txt': 'input\n', 'dvc.yaml': yaml });
  return t;
}

function statOf(pid: number): { state: string; pgid: number; start: string } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: f[0]!, pgid: Number(f[2]), start: f[19]! };
  } catch { return undefined; }
}

/** Live (non-zombie) members of a process group. */
function groupMembers(pgid: number): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number)
    .filter((pid) => { const st = statOf(pid); return !!st && st.pgid === pgid && st.state !== 'Z' && st.state !== 'X'; });
}

async function waitFor<T>(what: string, fn: () => T | undefined, ms = 30_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

interface Rec { pid: number; pgid: number; start: string; stage: string; tag: string; owner: { pid: number }; supervisor: { pid: number } }

function startRepro(dir: string): ChildProcess {
  return spawn(process.execPath, [BIN, 'repro'], { cwd: dir, stdio: 'ignore', env: { ...process.env, CI: 'true' } });
}

async function waitForRecord(dir: string, child: ChildProcess): Promise<Rec> {
  const recDir = join(dir, '.dvc', 'tmp', 'geodvc-stages');
  const rec = await waitFor('the stage record', () => {
    const n = existsSync(recDir) ? readdirSync(recDir).find((x) => x.startsWith('stage-') && x.endsWith('.json')) : undefined;
    return n ? JSON.parse(readFileSync(join(recDir, n), 'utf8')) as Rec : undefined;
  });
  assert.equal(rec.owner.pid, child.pid, 'the record names the geodvc process as owner');
  assert.equal(rec.stage, 'slow');
  // the command has started writing
  await waitFor('the first output line', () => existsSync(join(dir, 'out', 'log.txt')) || undefined);
  return rec;
}

const closed = (c: ChildProcess) => new Promise<void>((r) => { if (c.exitCode !== null || c.signalCode !== null) r(); else c.on('close', () => r()); });

test('SIGKILL of repro: the supervisor kills the stage command at once; the next repro rebuilds the stage', { timeout: 120_000 }, async () => {
  const { dir, cleanup } = await setup(SLOW);
  try {
    const child = startRepro(dir);
    const rec = await waitForRecord(dir, child);
    assert.ok(groupMembers(rec.pgid).length >= 1, 'the stage command runs in its own process group');
    const t0 = Date.now();
    child.kill('SIGKILL');
    await closed(child);
    await waitFor('the stage group to die', () => (groupMembers(rec.pgid).length === 0 ? true : undefined), 5000);
    const took = Date.now() - t0;
    assert.ok(took < 2000, `the stage command was killed ${took} ms after geodvc`);
    await waitFor('the supervisor to exit', () => { const st = statOf(rec.supervisor.pid); return !st || st.state === 'Z' ? true : undefined; }, 5000);
    assert.deepEqual(readdirSync(join(dir, '.dvc', 'tmp', 'geodvc-stages')).filter((n) => n.startsWith('stage-')), [], 'the supervisor removed the record');
    const partial = readFileSync(join(dir, 'out', 'log.txt'), 'utf8');
    assert.ok(partial.length < EXPECTED_LOG.length, 'the output was left half-written');
    assert.ok(!existsSync(join(dir, 'dvc.lock')), 'dvc.lock does not claim the half-written output');

    await cliOk(['repro', '-q'], { cwd: dir });
    assert.equal(readFileSync(join(dir, 'out', 'log.txt'), 'utf8'), EXPECTED_LOG);
    assert.match(readFileSync(join(dir, 'dvc.lock'), 'utf8'), /nfiles: 2/);
    assert.deepEqual(JSON.parse((await cliOk(['status', '--json'], { cwd: dir })).stdout), {});
  } finally { cleanup(); }
});

test('SIGKILL of repro and its supervisor: the next repro kills the orphaned stage group and rebuilds', { timeout: 120_000 }, async () => {
  const { dir, cleanup } = await setup(SLOW);
  try {
    const child = startRepro(dir);
    const rec = await waitForRecord(dir, child);
    // Stop the supervisor first so it cannot react, then kill geodvc and the supervisor.
    process.kill(rec.supervisor.pid, 'SIGSTOP');
    child.kill('SIGKILL');
    await closed(child);
    process.kill(rec.supervisor.pid, 'SIGKILL');
    await sleep(400);
    const before = readFileSync(join(dir, 'out', 'log.txt'), 'utf8').length;
    await sleep(400);
    assert.ok(groupMembers(rec.pgid).length >= 1, 'the stage command survived (the case the records are for)');
    assert.ok(readFileSync(join(dir, 'out', 'log.txt'), 'utf8').length > before, 'and keeps writing into its output');
    assert.equal(statOf(rec.pid)?.start, rec.start, 'the record has the start time of the command');

    await cliOk(['repro', '-q'], { cwd: dir });
    assert.deepEqual(groupMembers(rec.pgid), [], 'the orphaned group was killed');
    assert.equal(readFileSync(join(dir, 'out', 'log.txt'), 'utf8'), EXPECTED_LOG, 'the rebuilt output has no line of the orphan');
    assert.deepEqual(readdirSync(join(dir, '.dvc', 'tmp', 'geodvc-stages')), [], 'records and journals are gone');
    assert.deepEqual(JSON.parse((await cliOk(['status', '--json'], { cwd: dir })).stdout), {});
  } finally { cleanup(); }
});

test('a stale record whose PID now belongs to another process never gets that process killed', { timeout: 60_000 }, async () => {
  const { dir, cleanup } = await setup('stages:\n  a:\n    cmd: cp in.txt a.txt\n    deps: [in.txt]\n    outs: [a.txt]\n');
  const other = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
  try {
    await waitFor('sleep to start', () => statOf(other.pid!) ? true : undefined);
    const dead = spawn('true');
    await closed(dead);
    const recDir = join(dir, '.dvc', 'tmp', 'geodvc-stages');
    mkdirSync(recDir, { recursive: true });
    // Same pid/pgid as the live `sleep` (its own group), but another start time: a recycled PID.
    writeFileSync(join(recDir, 'stage-1.json'), JSON.stringify({ v: 1, stage: 'a', cmd: 'x', cwd: dir, pid: other.pid, pgid: other.pid, start: '1', tag: 'feedfacefeedface', owner: { pid: dead.pid, start: '1' }, supervisor: { pid: dead.pid, start: '1' }, time: new Date().toISOString() }));
    const r = await reproduce({ cwd: dir });
    assert.deepEqual(r.ran, ['a']);
    assert.ok(statOf(other.pid!) && statOf(other.pid!)!.state !== 'Z', 'the unrelated process still runs');
    assert.deepEqual(readdirSync(recDir), [], 'the stale record was removed');
  } finally { other.kill('SIGKILL'); cleanup(); }
});

test('temp files of a killed repro are swept by the next one; live writers and fresh run-cache temps are kept', { timeout: 60_000 }, async () => {
  const { dir, cleanup } = await setup('stages:\n  a:\n    cmd: mkdir -p sub && cp in.txt sub/a.txt\n    deps: [in.txt]\n    outs: [sub/a.txt]\n');
  try {
    const dead = spawn('true');
    await closed(dead);
    const d = dead.pid!;
    const recDir = join(dir, '.dvc', 'tmp', 'geodvc-stages');
    mkdirSync(recDir, { recursive: true });
    writeFileSync(join(recDir, `repro-${d}-abcdef.json`), JSON.stringify({ pid: d, start: '1' }));
    const runs = join(dir, '.dvc', 'cache', 'runs', 'ab', 'abcd');
    const files = {
      lockTmp: join(dir, `.geodvc-tmp-dvc.lock-${d}-0123abcd`),
      outTmp: join(dir, 'sub', `.geodvc-tmp-a.txt-${d}-0123abcd`),
      stateTmp: join(dir, '.dvc', 'tmp', `.geodvc-tmp-pipeline-hashes.files.json-${d}-0123abcd`),
      liveTmp: join(dir, `.geodvc-tmp-dvc.lock-${process.pid}-0123abcd`),
      oldRunTmp: join(runs, `.geodvc-tmp-e3b0c44298fc1c149afbf4c8996fb92427ae41e4-${d}-0123abcd`),
      freshRunTmp: join(runs, `.geodvc-tmp-5feceb66ffc86f38d952786c6d696c79c2dbc239-${d}-0123abcd`),
    };
    for (const p of Object.values(files)) { mkdirSync(dirname(p), { recursive: true }); writeFileSync(p, 'partial'); }
    const old = new Date(Date.now() - 5 * 60_000);
    utimesSync(files.oldRunTmp, old, old);
    await reproduce({ cwd: dir });
    const left = Object.fromEntries(Object.entries(files).map(([k, p]) => [k, existsSync(p)]));
    assert.deepEqual(left, { lockTmp: false, outTmp: false, stateTmp: false, liveTmp: true, oldRunTmp: false, freshRunTmp: true });
    assert.deepEqual(readdirSync(recDir), [], 'the dead journal was replaced and ours removed');
  } finally { cleanup(); }
});
