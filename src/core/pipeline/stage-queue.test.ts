/**
 * Pieces of the stage worker (issue 25) without Redis: the kept-warm stage supervisor (one per
 * worker: output, exit codes, records, Ctrl-C, concurrent commands, the loss of the supervisor) and
 * the batched `.gitignore` upkeep (`ignoreOutputs`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keepSupervisorWarm, runCommand, StageFailedError } from './executor.js';
import { processAlive } from './supervisor.js';
import { ignoreOutputs } from './stage-queue.js';
import { InterruptedError } from '../../lib/errors.js';

function tmp(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-warm-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Pids of the live children of `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).filter((p) => {
    try { const s = readFileSync(`/proc/${p}/stat`, 'utf8'); return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]) === pid; } catch { return false; }
  });
}

test('kept-warm supervisor: one process runs many commands with their output, exit codes and records', async () => {
  const t = tmp();
  const records = join(t.dir, 'records');
  keepSupervisorWarm(true);
  try {
    const out: string[] = [];
    const before = new Set(childrenOf(process.pid));
    await runCommand('a', 'echo one; echo two >&2; test -n "$GEODVC_STAGE_RUN"', t.dir, { recordDir: records, onOutput: (_s, c, st) => out.push(`${st}:${c.trim()}`) });
    assert.deepEqual(out.sort(), ['stderr:two', 'stdout:one']);
    const sup = childrenOf(process.pid).filter((p) => !before.has(p));
    assert.equal(sup.length, 1, 'one supervisor');
    // several at once (a worker with -j), in their own directories, each with its record while it runs
    mkdirSync(join(t.dir, 'x'));
    // b runs until the test has seen both records; c, once b's shell runs, prints a line every 50 ms
    // until then (b's record is written right after its spawn): each wait is capped at 10 s
    const waitFor = (cond: string, body = 'sleep 0.02') => `i=0; while ${cond} && [ $i -lt 200 ]; do ${body}; i=$((i+1)); done`;
    let most = 0;
    await Promise.all([
      runCommand('b', `pwd > where; ${waitFor('[ ! -e seen ]', 'sleep 0.05')}`, join(t.dir, 'x'), { recordDir: records }),
      runCommand('c', `${waitFor('[ ! -s x/where ]')}; ${waitFor('[ ! -e x/seen ]', 'echo tick; sleep 0.05')}`, t.dir, {
        recordDir: records,
        onOutput: () => {
          const now = readdirSync(records).filter((n) => n.startsWith('stage-'));
          most = Math.max(most, now.length);
          if (now.length >= 2) writeFileSync(join(t.dir, 'x', 'seen'), '');
        },
      }),
    ]);
    assert.equal(readFileSync(join(t.dir, 'x', 'where'), 'utf8').trim(), join(t.dir, 'x'));
    assert.ok(most >= 2, `records while running: at most ${most} at once`);
    assert.deepEqual(readdirSync(records).filter((n) => n.startsWith('stage-')), [], 'records removed at the end');
    await assert.rejects(runCommand('d', 'echo broken; exit 3', t.dir, {}), (e: unknown) => e instanceof StageFailedError && /code 3/.test(e.message) && /broken/.test(e.message));
    assert.deepEqual(childrenOf(process.pid).filter((p) => !before.has(p)), sup, 'the same supervisor all along');
    // Ctrl-C: SIGINT to the command's group
    const ctl = new AbortController();
    const run = runCommand('e', 'sleep 5', t.dir, { signal: ctl.signal });
    await new Promise((r) => setTimeout(r, 200));
    ctl.abort();
    await assert.rejects(run, (e: unknown) => e instanceof InterruptedError);
  } finally {
    keepSupervisorWarm(false);
    t.cleanup();
  }
});

test('kept-warm supervisor: its loss fails the running command and kills its group; the next command starts a new one', async () => {
  const t = tmp();
  keepSupervisorWarm(true);
  try {
    const before = new Set(childrenOf(process.pid));
    const run = runCommand('a', 'echo $$ > pid; sleep 30', t.dir, {});
    let sup: number[] = [];
    for (let i = 0; i < 100 && !(existsSync(join(t.dir, 'pid')) && readFileSync(join(t.dir, 'pid'), 'utf8').endsWith('\n')); i++) await new Promise((r) => setTimeout(r, 20));
    sup = childrenOf(process.pid).filter((p) => !before.has(p));
    assert.equal(sup.length, 1);
    const shell = Number(readFileSync(join(t.dir, 'pid'), 'utf8'));
    process.kill(sup[0]!, 'SIGKILL');
    await assert.rejects(run, (e: unknown) => e instanceof StageFailedError && /loss of its supervisor/.test(e.message));
    assert.equal(processAlive({ pid: shell }), false, 'the command is gone with its supervisor');
    await runCommand('b', 'true', t.dir, {});
  } finally {
    keepSupervisorWarm(false);
    t.cleanup();
  }
});

test('ignoreOutputs: lines as the one-by-one upkeep adds them, git asked once and only when a line is missing', async () => {
  const t = tmp();
  try {
    const r = t.dir;
    mkdirSync(join(r, 'out'));
    writeFileSync(join(r, '.gitignore'), '/data\n/models');
    const asked: string[][] = [];
    const check = (ignored: string[]) => async (rels: string[]) => { asked.push(rels); return new Set(ignored.filter((x) => rels.includes(x))); };
    // every line there already: git is not asked
    assert.deepEqual(await ignoreOutputs(r, [join(r, 'data'), join(r, 'models')], check([])), []);
    assert.equal(asked.length, 0);
    // missing lines: one question for all; ignored paths get none; a path under an earlier one is covered by its line
    const changed = await ignoreOutputs(r, [join(r, 'out', '0.txt'), join(r, 'logs'), join(r, 'out', 'a[1].txt'), join(r, 'cache'), join(r, 'cache', 'x'), join(r, 'out', '0.txt')], check(['logs']));
    assert.equal(asked.length, 1);
    assert.deepEqual(asked[0], ['out/0.txt', 'logs', 'out/a[1].txt', 'cache', 'cache/x']);
    assert.deepEqual(changed.sort(), [join(r, '.gitignore'), join(r, 'out', '.gitignore')]);
    assert.equal(readFileSync(join(r, '.gitignore'), 'utf8'), '/data\n/models\n/cache\n');
    assert.equal(readFileSync(join(r, 'out', '.gitignore'), 'utf8'), '/0.txt\n/a\\[1\\].txt\n');
  } finally { t.cleanup(); }
});
