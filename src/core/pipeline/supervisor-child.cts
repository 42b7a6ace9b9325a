/**
 * The stage supervisor: the entry of a small child process that geodvc starts for every stage
 * command (`executor.ts`, through `childModuleArgs`), with an IPC channel:
 *
 *   node supervisor-child.cjs CMD RECORD_DIR STAGE OWNER_JSON
 *
 * It starts `/bin/sh -c CMD` in its own process group, writes the stage record
 * (`RECORD_DIR/stage-<own pid>.json`, see `StageRecord` in `supervisor.ts`) and reports
 * `{t:'started'}`, `{t:'exit'}` or `{t:'error'}` (`SupervisorMsg`). It SIGKILLs the group the moment
 * the channel closes without geodvc having asked (geodvc died: SIGKILL cannot be caught, but the
 * channel's EOF arrives at once). On `{t:'int'}` it sends SIGINT to the group and SIGKILL 3 s later.
 *
 * It is on every stage's path, so it loads nothing but Node's built-ins and the protocol constants,
 * and it is CommonJS (`.cts`, compiled to `.cjs`): Node starts an ES module entry with its ESM
 * loader, ~15 ms of CPU more per stage. It never calls exit: it ends when its child is reaped and
 * the channel is closed.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { STAGE_RESTORE_ENV, STAGE_TAG_ENV, type ServeCommand, type ServeMsg, type SupervisorCommand, type SupervisorMsg } from './supervisor-protocol.cjs';

const [cmd = '', recordDir = '', stage = '', ownerJson = ''] = process.argv.slice(2);

/** Fields after the command name of /proc/PID/stat (state is [0], pgid [2], start time [19]). */
function statFields(pid: number | string): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch { return undefined; }
}

const startOf = (pid: number): string | undefined => statFields(pid)?.[19];

/** Always with a callback: a failed send (geodvc gone: EPIPE) must not become an 'error' event. */
function send(m: SupervisorMsg | ServeMsg, cb?: () => void): void {
  const done = () => { cb?.(); };
  try {
    if (process.connected && process.send) { process.send(m, undefined, undefined, done); return; }
  } catch { /* channel gone */ }
  done();
}

/**
 * The stage record (`record` in `dir`, written through a temp file and a rename) that lets the next
 * repro find and kill a command left by a crash. False when it could not be written: the command
 * still runs supervised.
 */
function writeRecord(dir: string, record: string, ownerText: string, f: { stage: string; cmd: string; cwd: string; pid: number; start: string | undefined; tag: string }): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `.geodvc-tmp-stage-${process.pid}-${randomBytes(4).toString('hex')}`);
    let owner = {};
    try { owner = JSON.parse(ownerText); } catch { /* unknown owner */ }
    writeFileSync(tmp, JSON.stringify({ v: 1, stage: f.stage, cmd: f.cmd, cwd: f.cwd, pid: f.pid, pgid: f.pid, start: f.start, tag: f.tag, owner, supervisor: { pid: process.pid, start: startOf(process.pid) }, time: new Date().toISOString() }));
    renameSync(tmp, record);
    return true;
  } catch { return false; }
}

function hangUp(): void {
  try { if (process.connected) process.disconnect(); } catch { /* already closed */ }
}

function main(): void {
  if (!process.connected) return;
  const env: NodeJS.ProcessEnv = { ...process.env };
  try { Object.assign(env, JSON.parse(env[STAGE_RESTORE_ENV] || '{}')); } catch { /* none */ }
  delete env[STAGE_RESTORE_ENV];
  const tag = randomBytes(8).toString('hex');
  env[STAGE_TAG_ENV] = tag;
  const record = recordDir ? join(recordDir, `stage-${process.pid}.json`) : '';
  const removeRecord = () => { if (record) { try { rmSync(record, { force: true }); } catch { /* ignore */ } } };
  let finished = false;
  let interrupted = false;
  let timer: NodeJS.Timeout | undefined;
  const child = spawn('/bin/sh', ['-c', cmd], { stdio: ['ignore', 'inherit', 'inherit'], detached: true, env });
  const groupAlive = (): boolean => groupAliveOf(child.pid!);
  const killGroup = (sig: NodeJS.Signals) => { if (child.pid) { try { process.kill(-child.pid, sig); } catch { /* gone */ } } };
  const abandon = () => {
    if (!finished) { finished = true; killGroup('SIGKILL'); removeRecord(); }
    if (timer) clearInterval(timer);
    hangUp();
  };
  child.on('error', (e: NodeJS.ErrnoException) => { finished = true; removeRecord(); send({ t: 'error', message: e.message, code: e.code }, hangUp); });
  if (child.pid) {
    const start = startOf(child.pid);
    if (record) writeRecord(recordDir, record, ownerJson, { stage, cmd, cwd: process.cwd(), pid: child.pid, start, tag });
    send({ t: 'started', pid: child.pid, start });
  }
  process.on('message', (m: SupervisorCommand | undefined) => {
    if (!m || m.t !== 'int' || interrupted) return;
    interrupted = true;
    killGroup('SIGINT');
    const t0 = Date.now();
    // SIGKILL after 3 s; zombies of reparented children count as members until init reaps them,
    // so stop watching after 4 s.
    timer = setInterval(() => {
      const waited = Date.now() - t0;
      if (!groupAlive() || waited >= 4000) { if (finished) { clearInterval(timer); hangUp(); } return; }
      if (waited >= 3000) killGroup('SIGKILL');
    }, 100);
  });
  // geodvc is gone (SIGKILL cannot be caught, but the channel's EOF arrives at once).
  process.on('disconnect', () => { if (!finished) abandon(); });
  process.on('error', abandon);
  // Whatever goes wrong here, the command must not outlive its supervisor.
  process.on('uncaughtException', abandon);
  process.on('SIGTERM', abandon);
  process.on('SIGHUP', abandon);
  process.on('SIGINT', () => { /* Ctrl-C reaches geodvc, which decides (the 'int' message) */ });
  child.on('exit', (code, signal) => {
    finished = true;
    removeRecord();
    send({ t: 'exit', code, signal }, () => { if (!interrupted) hangUp(); });
  });
}

/** Live members of process group `pgid`: a zombie (reparented, not yet reaped by init) does not count. */
function groupAliveOf(pgid: number): boolean {
  try { process.kill(-pgid, 0); } catch { return false; }
  let names: string[];
  try { names = readdirSync('/proc'); } catch { return true; }
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    const f = statFields(n);
    if (f && Number(f[2]) === pgid && f[0] !== 'Z' && f[0] !== 'X') return true;
  }
  return false;
}

/**
 * `--serve`: commands on request (`ServeCommand`), each in its own process group with its record,
 * as `main` runs one; when the channel closes (geodvc died or is done) every group still running
 * is SIGKILLed and this process ends.
 */
function serve(): void {
  if (!process.connected) return;
  interface Run { pid: number; record: string; finished: boolean; interrupted: boolean; timer?: NodeJS.Timeout }
  const runs = new Map<number, Run>();
  const kill = (r: Run, sig: NodeJS.Signals) => { try { process.kill(-r.pid, sig); } catch { /* gone */ } };
  const drop = (r: Run) => { if (r.record) { try { rmSync(r.record, { force: true }); } catch { /* ignore */ } } };
  const abandonAll = () => {
    for (const r of runs.values()) { if (!r.finished) { r.finished = true; kill(r, 'SIGKILL'); drop(r); } if (r.timer) clearInterval(r.timer); }
    runs.clear();
    hangUp();
    // Nothing is left to report to (the worker is gone or asked us to stop), and the pipes of
    // killed commands may still hold the loop open: end at once (core never calls process.exit).
    process.kill(process.pid, 'SIGKILL');
  };
  const run = (m: Extract<ServeCommand, { t: 'run' }>) => {
    const tag = randomBytes(8).toString('hex');
    const env: NodeJS.ProcessEnv = { ...m.env, [STAGE_TAG_ENV]: tag };
    const child = spawn('/bin/sh', ['-c', m.cmd], { cwd: m.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env });
    const r: Run = { pid: child.pid ?? 0, record: '', finished: false, interrupted: false };
    child.on('error', (e: NodeJS.ErrnoException) => { r.finished = true; drop(r); runs.delete(m.id); send({ t: 'error', id: m.id, message: e.message, code: e.code }); });
    if (!child.pid) return;
    runs.set(m.id, r);
    const start = startOf(child.pid);
    if (m.recordDir) {
      const record = join(m.recordDir, `stage-${process.pid}-${child.pid}.json`);
      if (writeRecord(m.recordDir, record, m.owner, { stage: m.stage, cmd: m.cmd, cwd: m.cwd, pid: child.pid, start, tag })) r.record = record;
    }
    child.stdout!.setEncoding('utf8').on('data', (d: string) => send({ t: 'out', id: m.id, err: false, d }));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => send({ t: 'out', id: m.id, err: true, d }));
    send({ t: 'started', id: m.id, pid: child.pid, start });
    child.on('exit', () => { r.finished = true; drop(r); });
    child.on('close', (code, signal) => {
      r.finished = true;
      drop(r);
      if (r.timer && !r.interrupted) clearInterval(r.timer);
      runs.delete(m.id);
      send({ t: 'exit', id: m.id, code, signal });
    });
  };
  process.on('message', (m: ServeCommand | undefined) => {
    if (!m) return;
    if (m.t === 'run') { run(m); return; }
    const r = m.t === 'int' ? runs.get(m.id) : undefined;
    if (!r || r.interrupted) return;
    r.interrupted = true;
    kill(r, 'SIGINT');
    const t0 = Date.now();
    r.timer = setInterval(() => {
      const waited = Date.now() - t0;
      if (!groupAliveOf(r.pid) || waited >= 4000) { clearInterval(r.timer); return; }
      if (waited >= 3000) kill(r, 'SIGKILL');
    }, 100);
  });
  process.on('disconnect', abandonAll);
  process.on('error', abandonAll);
  process.on('uncaughtException', abandonAll);
  process.on('SIGTERM', abandonAll);
  process.on('SIGHUP', abandonAll);
  process.on('SIGINT', () => { /* Ctrl-C reaches geodvc, which decides */ });
}

if (cmd === '--serve' && process.argv.length === 3) serve();
else main();
