/**
 * `geodvc serve` versus a local-directory remote, same script, same repo: `geodvc push` of N small
 * objects (a tracked directory of N files, plus its .dir) into an empty remote, and `geodvc pull`
 * of them into an empty cache and workspace. The server runs as its own `geodvc serve` process on
 * 127.0.0.1 with a write token (uploads hash-verified, fsynced, published with link()).
 * N = 10,000 (BENCH_SCALE=small: 500). Medians of RUNS runs and the serve/local ratio (target <= 3x).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, median, table } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = join(here, '..', 'bin', 'geodvc.js');
const small = process.env.BENCH_SCALE === 'small';
const N = small ? 500 : 10_000;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TOKEN = 'bench-write-token-0123456789abcdef';

function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', CI: 'true', ...env }, encoding: 'utf8', maxBuffer: 1 << 26 });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`geodvc ${args.join(' ')} exited ${r.status}\n${r.stderr}`);
  return secs;
}

async function startServe(root: string, tokens: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--root', root, '--port', '0', '--tokens', tokens, '--json'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d) => { out += d; });
  for (let i = 0; i < 600; i++) {
    try { return { url: JSON.parse(out).url as string, child }; } catch { await new Promise((r) => setTimeout(r, 50)); }
  }
  child.kill('SIGKILL');
  throw new Error('geodvc serve did not start');
}

async function main(): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'bench-serve-'));
  try {
    const repo = join(base, 'repo');
    mkdirSync(join(repo, 'data'), { recursive: true });
    spawnSync('git', ['init', '-q', repo]);
    cli(['init', '-q'], repo);
    for (let i = 0; i < N; i++) writeFileSync(join(repo, 'data', `chip_${String(i).padStart(5, '0')}.txt`), `chip ${i} ${'y'.repeat(i % 200)}\n`);
    cli(['add', '-q', 'data'], repo);
    const tokens = join(base, 'tokens');
    writeFileSync(tokens, `write ${TOKEN} bench\n`, { mode: 0o600 });
    const env = { GEODVC_HTTP_TOKEN: TOKEN };
    const times: Record<string, number[]> = { 'push local': [], 'push serve': [], 'pull local': [], 'pull serve': [] };

    for (let run = 0; run < RUNS; run++) {
      // local remote
      const localRemote = join(base, `local-${run}`);
      cli(['remote', 'add', '-f', '-d', 'bench', localRemote], repo);
      times['push local']!.push(cli(['push', '-q'], repo, env));
      rmSync(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
      rmSync(join(repo, 'data'), { recursive: true, force: true });
      times['pull local']!.push(cli(['pull', '-q'], repo, env));
      // serve remote (a fresh root per run)
      const srv = await startServe(join(base, `served-${run}`), tokens);
      try {
        cli(['remote', 'add', '-f', '-d', 'bench', srv.url], repo);
        times['push serve']!.push(cli(['push', '-q'], repo, env));
        rmSync(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
        rmSync(join(repo, 'data'), { recursive: true, force: true });
        times['pull serve']!.push(cli(['pull', '-q'], repo, env));
      } finally { srv.child.kill('SIGTERM'); }
      rmSync(localRemote, { recursive: true, force: true });
      rmSync(join(base, `served-${run}`), { recursive: true, force: true });
    }
    const rows: (string | number)[][] = [];
    for (const op of ['push', 'pull']) {
      const l = median(times[`${op} local`]!);
      const s = median(times[`${op} serve`]!);
      rows.push([op, N, fmt(l, 2), fmt(s, 2), `${fmt(s / l, 2)}x`, fmt(N / s, 0)]);
    }
    process.stdout.write(`geodvc push/pull of ${N} objects (+1 .dir), medians of ${RUNS} runs, CLI wall time incl. start-up\n\n`);
    process.stdout.write(table(['op', 'objects', 'local remote s', 'serve s', 'serve/local', 'serve objects/s'], rows) + '\n');
    for (const [k, v] of Object.entries(times)) process.stdout.write(`  ${k}: ${v.map((x) => fmt(x, 2)).join(', ')}\n`);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

await main();
