import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The CLI as users run it: bin/geodvc.js, which runs the compiled dist/cli/main.js. */
export const BIN = join(REPO_ROOT, 'bin', 'geodvc.js');

/**
 * Tests spawn the built CLI, so dist/ must match the sources. scripts/run-tests.mjs builds it
 * before the run and sets GEODVC_DIST_FRESH=1; a test file run some other way (`node --test
 * file.ts`) builds it here once (a no-op in ~0.1 s when nothing changed; incremental otherwise).
 */
function ensureFreshDist(): void {
  if (process.env.GEODVC_DIST_FRESH === '1') return;
  execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build-dist.mjs'), '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
  process.env.GEODVC_DIST_FRESH = '1';
}
ensureFreshDist();
/** The shared corpus of real geospatial files (read-only). */
export const CORPUS = process.env.GEODVC_CORPUS ?? join(REPO_ROOT, '..', 'shared', 'corpus');
/** Files written by DVC 3.64 for fixed inputs (copied from shared/reference/dvc-goldens so the repo stands alone). */
export const GOLDENS = join(REPO_ROOT, 'test', 'fixtures', 'dvc-goldens');

export interface CliResult { code: number; stdout: string; stderr: string; }

/** Spawns the real CLI (`bin/geodvc.js`) and collects its output. */
export function runCli(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: '1', CI: 'true', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`geodvc ${args.join(' ')} timed out\n${stderr}`)); }, opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, sig) => { clearTimeout(timer); resolve({ code: code ?? (sig ? 128 : 0), stdout, stderr }); });
    child.stdin.end(opts.input ?? '');
  });
}

/** Like runCli but throws with the output when the exit code is not the expected one. */
export async function cliOk(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; expect?: number }): Promise<CliResult> {
  const r = await runCli(args, opts);
  if (r.code !== (opts.expect ?? 0)) throw new Error(`geodvc ${args.join(' ')} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r;
}
