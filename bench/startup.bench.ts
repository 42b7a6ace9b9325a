/**
 * Start-up of the installed CLI (bin/geodvc.js running dist/, built first): `geodvc --help`,
 * `geodvc status` of a repository of 20 tracked files, `geodvc geo info` of one GeoTIFF, beside
 * `node -e 0` (the floor of any Node CLI), `git status` of the same repository and native
 * `gdalinfo` of the same file, interleaved run by run. The CLI from the sources through tsx
 * (GEODVC_DEV=1, how every command ran before dist/) is measured once more for comparison.
 * Wall and CPU (user+sys) medians; the CPU time is the steadier figure on a shared machine.
 * DVC cannot be installed here (no PyPI): its figures on this machine come from issue 19.
 * BENCH_SCALE=small: 5 runs per row; default 15.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, median, table } from './lib.js';

const here = import.meta.dirname;
const ROOT = join(here, '..');
const BIN = join(ROOT, 'bin', 'geodvc.js');
const CORPUS = process.env.GEODVC_CORPUS ?? join(ROOT, '..', 'shared', 'corpus');
const RUNS = process.env.BENCH_SCALE === 'small' ? 5 : 15;
/** DVC 3.x on this machine (issue 19): `dvc --help` 0.40-0.52 s, `dvc status` of a 20-file repo 1.46-1.52 s. */
const DVC = { help: [0.40, 0.52], status: [1.46, 1.52] } as const;

const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-dist.mjs')], { stdio: 'inherit' });
if (build.status !== 0) throw new Error('dist/ could not be built');

interface Sample { wall: number; cpu: number }
/** One run under GNU time (`%e %U %S`): wall and CPU seconds; throws on a failing command. */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Sample {
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S', cmd, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8', maxBuffer: 1 << 26 });
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr ?? '');
  if (r.status !== 0 || !m) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]) };
}

interface Row { name: string; runs: () => Sample; samples: Sample[] }
/** Runs every row once per round (interleaved, so load changes hit all rows alike), RUNS rounds. */
function measure(rows: Row[]): void {
  for (const r of rows) r.runs(); // warm the page cache
  for (let i = 0; i < RUNS; i++) for (const r of rows) r.samples.push(r.runs());
}
const med = (r: Row, k: keyof Sample) => median(r.samples.map((s) => s[k]));

const have = (cmd: string) => spawnSync(cmd, ['--version']).status === 0;
if (!have('/usr/bin/time') && spawnSync('/usr/bin/time', ['true']).status !== 0) throw new Error('GNU time (/usr/bin/time) is needed');

const dir = mkdtempSync(join(tmpdir(), 'geodvc-bench-startup-'));
try {
  // a repository with 20 tracked files, committed
  const repo = join(dir, 'repo');
  mkdirSync(join(repo, 'data'), { recursive: true });
  const git = (...a: string[]) => spawnSync('git', ['-C', repo, ...a], { encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'bench@geodvc.local');
  git('config', 'user.name', 'bench');
  run(process.execPath, [BIN, 'init', '-q'], repo);
  const files: string[] = [];
  for (let i = 0; i < 20; i++) { const f = join('data', `f${String(i).padStart(2, '0')}.bin`); writeFileSync(join(repo, f), `file ${i}\n`.repeat(1000)); files.push(f); }
  run(process.execPath, [BIN, 'add', '-q', ...files], repo);
  git('add', '-A');
  git('commit', '-qm', 'data');
  const raster = join(CORPUS, 'RGB.byte.tif');
  const gdal = have('gdalinfo');

  const mk = (name: string, runs: () => Sample): Row => ({ name, runs, samples: [] });
  const dev = { GEODVC_DEV: '1' };
  const rows: Row[] = [
    mk('node -e 0 (Node start-up floor)', () => run(process.execPath, ['-e', '0'], dir)),
    mk('geodvc --help', () => run(process.execPath, [BIN, '--help'], dir)),
    mk('geodvc --help, sources via tsx', () => run(process.execPath, [BIN, '--help'], ROOT, dev)),
    mk('git status (same repo)', () => run('git', ['status', '--porcelain'], repo)),
    mk('geodvc status, 20 tracked files', () => run(process.execPath, [BIN, 'status'], repo)),
    mk('geodvc status, sources via tsx', () => run(process.execPath, [BIN, 'status'], repo, dev)),
    ...(gdal ? [mk('gdalinfo RGB.byte.tif', () => run('gdalinfo', [raster], dir))] : []),
    mk('geodvc geo info RGB.byte.tif', () => run(process.execPath, [BIN, 'geo', 'info', raster], dir)),
  ];
  measure(rows);
  const by = (prefix: string) => rows.find((r) => r.name.startsWith(prefix))!;
  const ratio = (a: Row, b: Row, k: keyof Sample) => (med(b, k) > 0 ? fmt(med(a, k) / med(b, k), 2) : '—');
  console.log(`\n## start-up (medians of ${RUNS} interleaved runs; load average at the end ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')})\n`);
  console.log(table(['command', 'wall s', 'cpu s'], rows.map((r) => [r.name, fmt(med(r, 'wall')), fmt(med(r, 'cpu'))])));
  const help = by('geodvc --help');
  const status = by('geodvc status, 20');
  const nodeFloor = by('node -e 0');
  const dvcMid = (x: readonly [number, number]) => (x[0] + x[1]) / 2;
  const lines = [
    ['geodvc --help vs node -e 0', ratio(help, nodeFloor, 'wall'), ratio(help, nodeFloor, 'cpu'), `DVC --help ${DVC.help[0]}-${DVC.help[1]} s: geodvc/DVC ${fmt(med(help, 'wall') / dvcMid(DVC.help), 2)} (target <= 1)`],
    ['geodvc --help: dist vs tsx', ratio(help, by('geodvc --help, sources'), 'wall'), ratio(help, by('geodvc --help, sources'), 'cpu'), ''],
    ['geodvc status vs git status', ratio(status, by('git status'), 'wall'), ratio(status, by('git status'), 'cpu'), `DVC status ${DVC.status[0]}-${DVC.status[1]} s: geodvc/DVC ${fmt(med(status, 'wall') / dvcMid(DVC.status), 2)} (target <= 0.6)`],
    ['geodvc status: dist vs tsx', ratio(status, by('geodvc status, sources'), 'wall'), ratio(status, by('geodvc status, sources'), 'cpu'), ''],
  ];
  if (gdal) {
    const gi = by('geodvc geo info');
    const gd = by('gdalinfo');
    lines.push(['geodvc geo info vs gdalinfo', ratio(gi, gd, 'wall'), ratio(gi, gd, 'cpu'), `target <= 2: ${med(gi, 'wall') / med(gd, 'wall') <= 2 ? 'met' : 'NOT met'}`]);
  }
  console.log('\n' + table(['ratio', 'wall', 'cpu', 'against DVC (its figures from issue 19) / target'], lines));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
