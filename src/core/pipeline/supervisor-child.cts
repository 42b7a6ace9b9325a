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
import { STAGE_RESTORE_ENV, STAGE_TAG_ENV, type SupervisorCommand, type SupervisorMsg } from './supervisor-protocol.cjs';

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
function send(m: SupervisorMsg, cb?: () => void): void {
  const done = () => { cb?.(); };
  try {
    if (process.connected && process.send) { process.send(m, undefined, undefined, done); return; }
  } catch { /* channel gone */ }
  done();
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
  // A member that is a zombie (reparented, not yet reaped by init) does not count.
  const groupAlive = (): boolean => {
    try { process.kill(-child.pid!, 0); } catch { return false; }
    let names: string[];
    try { names = readdirSync('/proc'); } catch { return true; }
    for (const n of names) {
      if (!/^\d+$/.test(n)) continue;
      const f = statFields(n);
      if (f && Number(f[2]) === child.pid && f[0] !== 'Z' && f[0] !== 'X') return true;
    }
    return false;
  };
  const killGroup = (sig: NodeJS.Signals) => { if (child.pid) { try { process.kill(-child.pid, sig); } catch { /* gone */ } } };
  const abandon = () => {
    if (!finished) { finished = true; killGroup('SIGKILL'); removeRecord(); }
    if (timer) clearInterval(timer);
    hangUp();
  };
  child.on('error', (e: NodeJS.ErrnoException) => { finished = true; removeRecord(); send({ t: 'error', message: e.message, code: e.code }, hangUp); });
  if (child.pid) {
    const start = startOf(child.pid);
    if (record) {
      try {
        mkdirSync(recordDir, { recursive: true });
        const tmp = join(recordDir, `.geodvc-tmp-stage-${process.pid}-${randomBytes(4).toString('hex')}`);
        let owner = {};
        try { owner = JSON.parse(ownerJson); } catch { /* unknown owner */ }
        writeFileSync(tmp, JSON.stringify({ v: 1, stage, cmd, cwd: process.cwd(), pid: child.pid, pgid: child.pid, start, tag, owner, supervisor: { pid: process.pid, start: startOf(process.pid) }, time: new Date().toISOString() }));
        renameSync(tmp, record);
      } catch { /* no record: the command still runs supervised */ }
    }
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

main();
