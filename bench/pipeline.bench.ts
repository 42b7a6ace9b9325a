/**
 * `repro` no-op on a 50-stage pipeline over 10,000 dependency files, against stat-ing the same
 * files (readdir + stat of every file) in the same process. Target: within 2x of the stat time.
 * BENCH_SCALE=small: 10 stages over 1,000 files.
 */
import { mkdirSync, readdirSync, statSync, writeFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { median, timeRuns, fmt, table } from './lib.js';
import { reproduce } from '../src/core/api/repro.js';

const small = process.env.BENCH_SCALE === 'small';
const STAGES = small ? 10 : 50;
const FILES = small ? 1_000 : 10_000;
const PER = FILES / STAGES;
const RUNS = small ? 3 : 7;

const dir = mkdtempSync(join(tmpdir(), 'geodvc-bench-pipeline-'));
try {
  execFileSync('git', ['init', '-q', dir]);
  mkdirSync(join(dir, '.dvc'));
  writeFileSync(join(dir, '.dvc', 'config'), '');
  let yaml = 'stages:\n';
  for (let s = 0; s < STAGES; s++) {
    const part = join(dir, 'data', `part_${s}`);
    mkdirSync(part, { recursive: true });
    for (let f = 0; f < PER; f++) writeFileSync(join(part, `tile_${f}.txt`), `stage ${s} file ${f}\n`);
    yaml += `  s${s}:\n    cmd: mkdir -p out && ls data/part_${s} | wc -l > out/o${s}.txt${s ? ` && cat out/o${s - 1}.txt >> out/o${s}.txt` : ''}\n    deps:\n    - data/part_${s}\n${s ? `    - out/o${s - 1}.txt\n` : ''}    outs:\n    - out/o${s}.txt\n`;
  }
  writeFileSync(join(dir, 'dvc.yaml'), yaml);
  const t0 = Date.now();
  const first = await reproduce({ cwd: dir });
  process.stdout.write(`setup: ${STAGES} stages over ${FILES} dependency files; first repro ran ${first.ran.length} stages in ${fmt((Date.now() - t0) / 1000, 2)} s\n\n`);

  const statAll = () => {
    let n = 0;
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p); else { statSync(p); n++; }
      }
    };
    walk(join(dir, 'data'));
    if (n !== FILES) throw new Error(`stat saw ${n} files`);
  };
  const noop = async () => {
    const r = await reproduce({ cwd: dir });
    if (r.ran.length || r.unchanged.length !== STAGES) throw new Error('no-op repro ran something');
  };
  // interleave to share cache effects fairly
  const statTimes: number[] = [], reproTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    statTimes.push(...(await timeRuns(1, statAll)));
    reproTimes.push(...(await timeRuns(1, noop)));
  }
  const cli = spawnSync(process.execPath, [join(process.cwd(), 'bin', 'geodvc.js'), 'repro', '-q'], { cwd: dir });
  const tc0 = Date.now();
  spawnSync(process.execPath, [join(process.cwd(), 'bin', 'geodvc.js'), 'repro', '-q'], { cwd: dir });
  const cliWall = (Date.now() - tc0) / 1000;
  const ms = median(statTimes), mr = median(reproTimes);
  process.stdout.write(table(['workload', 'median s', 'ratio to stat'], [
    [`readdir + stat of ${FILES} files`, fmt(ms), '1.00'],
    [`repro no-op, ${STAGES} stages (in-process)`, fmt(mr), fmt(mr / ms, 2)],
    [`geodvc repro -q no-op (CLI process, 1 run)`, fmt(cliWall), fmt(cliWall / ms, 2)],
  ]) + '\n');
  process.stdout.write(`\nratio repro/stat = ${fmt(mr / ms, 2)} (target <= 2.00) ${cli.status === 0 ? '' : '(CLI run failed)'}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
