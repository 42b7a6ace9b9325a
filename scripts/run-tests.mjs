#!/usr/bin/env node
// Lists the *.test.ts files (Node 20's --test does not expand globs) and runs them with node:test
// via tsx. Before that it builds dist/ (scripts/build-dist.mjs: incremental, locked against
// concurrent runs, skipped when no source changed), because the tests spawn the compiled CLI.
// Type errors do not stop the run (tsc emits anyway; `npm run typecheck` is its own step).
// At the end it prints the 10 slowest test files and the 10 slowest tests.
// Tiers: unit = src/**; integration = test/integration/**; e2e = test/e2e/**. Default: all.
// Options: --tier T, --no-build (use dist/ as it is), SUBSTRING... (files whose path contains one).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';
import { buildDist } from './build-dist.mjs';

const args = process.argv.slice(2);
let tier = 'all';
let build = true;
const filters = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--tier') tier = args[++i];
  else if (args[i] === '--no-build') build = false;
  else filters.push(args[i]);
}
const roots = { unit: ['src'], integration: ['test/integration'], e2e: ['test/e2e'], all: ['src', 'test'] }[tier];
if (!roots) { console.error(`unknown tier ${tier}`); process.exit(2); }

function walk(dir, out) {
  let entries;
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return out; }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== 'node_modules' && e.name !== 'fixtures') walk(p, out); }
    else if (e.name.endsWith('.test.ts')) out.push(relative(process.cwd(), p));
  }
  return out;
}
let files = roots.flatMap((r) => walk(r, [])).sort();
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (!files.length) { console.error('no test files found'); process.exit(1); }

if (build) {
  const res = buildDist();
  if (res.built || res.errors || !res.ok) console.error(`run-tests: ${res.message}`);
  if (!res.ok) { console.error('run-tests: dist/cli/main.js could not be built; the tests spawn it'); process.exit(1); }
}

const conc = process.env.TEST_CONCURRENCY ?? '2';
const tmp = mkdtempSync(join(tmpdir(), 'geodvc-run-tests-'));
const durations = join(tmp, 'durations.json');
const reporters = ['--test-reporter=spec', '--test-reporter-destination=stdout', `--test-reporter=${join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'test-durations-reporter.mjs')}`, `--test-reporter-destination=${durations}`];
const t0 = Date.now();
const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${conc}`, ...reporters, ...files], {
  stdio: 'inherit',
  env: { ...process.env, GEODVC_DIST_FRESH: '1', NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --openssl-legacy-provider`.trim() },
});
const forward = (sig) => () => child.kill(sig);
process.on('SIGINT', forward('SIGINT'));
process.on('SIGTERM', forward('SIGTERM'));
child.on('exit', (code, sig) => {
  try {
    const { files: byFile, tests } = JSON.parse(readFileSync(durations, 'utf8'));
    const perFile = Object.entries(byFile).sort((a, b) => b[1] - a[1]);
    const secs = (ms) => `${(ms / 1000).toFixed(1).padStart(7)} s`;
    if (perFile.length > 1) {
      console.log(`\nslowest test files (of ${perFile.length}; wall ${((Date.now() - t0) / 1000).toFixed(1)} s, concurrency ${conc}):`);
      for (const [f, ms] of perFile.slice(0, 10)) console.log(`  ${secs(ms)}  ${relative(process.cwd(), f)}`);
    }
    if (tests.length > 1) {
      tests.sort((a, b) => b.ms - a.ms);
      console.log(`slowest tests (of ${tests.length}):`);
      for (const t of tests.slice(0, 10)) console.log(`  ${secs(t.ms)}  ${relative(process.cwd(), t.file)}: ${t.name}`);
    }
  } catch { /* no durations (the run was interrupted) */ }
  rmSync(tmp, { recursive: true, force: true });
  process.exit(code ?? (sig ? 1 : 0));
});
