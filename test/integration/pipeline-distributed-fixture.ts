/**
 * Shared setup of the distributed-repro tests and bench (issue 25): a real redis-server, a bare git
 * remote, a local DVC remote, a coordinator repository with a foreach pipeline, and `queue worker`
 * CLI processes each with its own clone and cache (--workdir), standing in for machines.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { makeTmpDir, gitInit, git, writeTree } from '../helpers/tmp.js';
import { BIN, cliOk } from '../helpers/cli.js';
import { freePort, spawnUntil, killChild, startOrSkip } from '../helpers/servers/common.js';

export const GIT_ENV = { GIT_AUTHOR_NAME: 'w', GIT_AUTHOR_EMAIL: 'w@x', GIT_COMMITTER_NAME: 'w', GIT_COMMITTER_EMAIL: 'w@x' };

export interface RedisServer { url: string; pid?: number; stop: () => Promise<void> }

export async function startRedis(t: { skip(msg?: string): void }): Promise<RedisServer | undefined> {
  const data = makeTmpDir('geodvc-redis-');
  const s = await startOrSkip(t, 'redis-server', async () => {
    const port = await freePort();
    const sp = await spawnUntil('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--dir', data.dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'yes'], /Ready to accept connections/);
    return { ...sp, url: `redis://127.0.0.1:${port}` };
  });
  if (!s) { data.cleanup(); return undefined; }
  return { url: s.url, pid: s.child.pid, stop: async () => { await killChild(s.child); data.cleanup(); } };
}

export interface PipelineSetup { dir: string; root: string; remote: string; origin: string; cleanup: () => void }

/**
 * A repository with `data/` (n small files, tracked by data.dvc) and the stages `dvcYaml` (a
 * string, or built from a per-item command: `prep@i` writes out/i.txt from data/i.txt and
 * `merge` reads out/). Committed and pushed to a bare origin; data pushed to the DVC remote.
 */
export async function makePipeline(n: number, opts: { itemCmd?: string; dvcYaml?: string; merge?: boolean; remote?: { url: string; options?: object } } = {}): Promise<PipelineSetup> {
  const root = makeTmpDir('geodvc-dist-');
  const dir = join(root.dir, 'work');
  const origin = join(root.dir, 'origin.git');
  const remote = join(root.dir, 'store');
  mkdirSync(dir); mkdirSync(remote);
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', origin]);
  gitInit(dir);
  mkdirSync(join(dir, '.dvc'));
  const items = Array.from({ length: n }, (_, i) => i);
  const data: Record<string, string> = {};
  for (const i of items) data[`data/${i}.txt`] = `scene ${i}\n`.repeat(1 + (i % 7));
  const itemCmd = opts.itemCmd ?? 'mkdir -p out && tr a-z A-Z < data/${item}.txt > out/${item}.txt';
  const yaml = opts.dvcYaml ?? `stages:\n  prep:\n    foreach: [${items.join(', ')}]\n    do:\n      cmd: ${itemCmd}\n      deps:\n        - data/\${item}.txt\n      outs:\n        - out/\${item}.txt\n${opts.merge === false ? '' : '  merge:\n    cmd: cat out/*.txt | wc -l > merged.txt && cat out/*.txt >> merged.txt\n    deps:\n      - out\n    outs:\n      - merged.txt\n'}`;
  // the DVC remote: a local directory, or the one given (S3 with its options, committed for the workers)
  const remoteLines = opts.remote
    ? [`    url = ${opts.remote.url}`, ...Object.entries(opts.remote.options ?? {} as Record<string, unknown>).filter(([, v]) => v !== undefined).map(([k, v]) => `    ${k} = ${v}`)].join('\n')
    : `    url = ${remote}`;
  writeTree(dir, {
    '.dvc/config': `[core]\n    remote = store\n['remote "store"']\n${remoteLines}\n`, '.dvc/.gitignore': '/config.local\n/tmp\n/cache\n',
    ...data, 'dvc.yaml': yaml,
  });
  await cliOk(['add', 'data'], { cwd: dir });
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'pipeline');
  git(dir, 'remote', 'add', 'origin', origin);
  git(dir, 'push', '-q', 'origin', 'main');
  await cliOk(['push'], { cwd: dir });
  return { dir, root: root.dir, remote, origin, cleanup: root.cleanup };
}

export interface WorkerProc { child: ChildProcess; closed: Promise<number | null>; output: () => string }

/** A `queue worker --only stages` process with its own clone and cache under `workdir`. */
export function startWorker(url: string, workdir: string, extra: string[] = []): WorkerProc {
  const child = spawn(process.execPath, [BIN, 'queue', 'worker', '--only', 'stages', '--redis-url', url, '--workdir', workdir, '--stalled-interval', '1', '--lock-duration', '30', ...extra], {
    cwd: workdir.replace(/\/[^/]+$/, ''), env: { ...process.env, NO_COLOR: '1', ...GIT_ENV }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d) => { out += d; });
  child.stderr!.setEncoding('utf8').on('data', (d) => { out += d; });
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, closed, output: () => out };
}

export async function stopWorkers(ws: WorkerProc[]): Promise<void> {
  for (const w of ws) if (w.child.exitCode === null) w.child.kill('SIGTERM');
  await Promise.race([Promise.all(ws.map((w) => w.closed)), new Promise((r) => setTimeout(r, 5000))]);
  for (const w of ws) if (w.child.exitCode === null) await killChild(w.child);
}

/** Resolves once every worker listens for stage jobs (machines already up when the run starts). */
export async function workersReady(ws: WorkerProc[], timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!ws.every((w) => /waiting for stage jobs/.test(w.output()))) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`workers not ready:\n${ws.map((w) => w.output()).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
