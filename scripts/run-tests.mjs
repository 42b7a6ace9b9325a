#!/usr/bin/env node
// Lists the *.test.ts files (Node 20's --test does not expand globs) and runs them with node:test
// via tsx. Before that it builds dist/ (scripts/build-dist.mjs: incremental, locked against
// concurrent runs, skipped when no source changed), because the tests spawn the compiled CLI.
// Type errors do not stop the run (tsc emits anyway; `npm run typecheck` is its own step).
// At the end it prints the 10 slowest test files and the 10 slowest tests.
// Tiers: unit = src/**; integration = test/integration/**; e2e = test/e2e/**. Default: all.
// Options: --tier T, --no-build (use dist/ as it is), SUBSTRING... (files whose path contains one),
// --record-weights (write this run's per-file seconds into scripts/test-weights.json), --no-bundle
// (one process per unit-test file; by default the cheap ones share one: see below, docs/testing.md).
// Order: the files run longest first (by scripts/test-weights.json, the per-file seconds of a
// measured run; unknown files count as 10 s), so the long ones do not start last and leave one
// core idle at the end of the run (longest-processing-time-first scheduling).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawn } from 'node:child_process';
import { buildDist } from './build-dist.mjs';
import { buildTests, outputOf, sourceOf, walkTests } from './build-tests.mjs';

const args = process.argv.slice(2);
let tier = 'all';
let build = true;
let recordWeights = false;
let bundle = process.env.GEODVC_TEST_BUNDLE !== '0';
const filters = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--tier') tier = args[++i];
  else if (args[i] === '--no-build') build = false;
  else if (args[i] === '--record-weights') recordWeights = true;
  else if (args[i] === '--no-bundle') bundle = false;
  else filters.push(args[i]);
}
const roots = { unit: ['src'], integration: ['test/integration'], e2e: ['test/e2e'], all: ['src', 'test'] }[tier];
if (!roots) { console.error(`unknown tier ${tier}`); process.exit(2); }

let files = roots.flatMap((r) => walkTests(r).filter((p) => p.endsWith('.test.ts')).map((p) => relative(process.cwd(), p))).sort();
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (!files.length) { console.error('no test files found'); process.exit(1); }
const weightsFile = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'test-weights.json');
let weights = {};
try { weights = existsSync(weightsFile) ? JSON.parse(readFileSync(weightsFile, 'utf8')) : {}; } catch { weights = {}; }
const weightOf = (f) => weights[f.split('\\').join('/')] ?? 10;
files.sort((a, b) => weightOf(b) - weightOf(a) || (a < b ? -1 : 1));

// Cheap unit-test files (src/**, measured at <= BUNDLE_MAX_S s) run together in one process: each
// test-file process pays node + tsx start-up and the transpiling of what it imports (~0.8 s of CPU
// for a file whose tests take milliseconds). Files that change process-wide state (environment
// variables, module hooks, mocks) keep their own process, and so do files that time themselves
// (performance.now, Date.now: a wall-clock limit is for the code alone). Tests keep their file in the
// report (node:test names the module that defines a test). --no-bundle or GEODVC_TEST_BUNDLE=0
// gives every file its own process.
const BUNDLE_MAX_S = 2;
const SHARED_STATE = /process\.env\.[A-Za-z_]+\s*=[^=]|process\.env\[[^\]]+\]\s*=[^=]|\bdelete process\.env|\bmock\.|setMetaExtractor|process\.chdir|process\.on\(|performance\.now\(|Date\.now\(|^\s*(before|after|beforeEach|afterEach)\(/m;
let bundled = [];
if (bundle) {
  bundled = files.filter((f) => f.startsWith('src') && weights[f.split('\\').join('/')] !== undefined && weightOf(f) <= BUNDLE_MAX_S
    && !SHARED_STATE.test(readFileSync(f, 'utf8')));
  if (bundled.length < 2) bundled = [];
}

if (build) {
  const res = buildDist();
  if (res.built || res.errors || !res.ok) console.error(`run-tests: ${res.message}`);
  if (!res.ok) { console.error('run-tests: dist/cli/main.js could not be built; the tests spawn it'); process.exit(1); }
}

// The test files run as plain JavaScript against dist/ (scripts/build-tests.mjs), not through tsx:
// what ships is what is tested, and no test process pays tsx's loader (docs/testing.md).
{
  const r = buildTests();
  if (r.written || r.removed) console.error(`run-tests: test files compiled to .test-build/ (${r.written} written, ${r.removed} removed, ${(r.ms / 1000).toFixed(1)} s)`);
}
const compiled = (f) => outputOf(join(process.cwd(), f));

// 3 files at a time on 2 cores: much of the suite waits on servers, child processes and sleeps, so a
// third file keeps the cores busier; TEST_CONCURRENCY overrides
const conc = process.env.TEST_CONCURRENCY ?? '3';
const tmp = mkdtempSync(join(tmpdir(), 'geodvc-run-tests-'));
const durations = join(tmp, 'durations.json');
const cpuLog = join(tmp, 'cpu.jsonl');
const cpuAccount = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'test-cpu-account.mjs');
let runFiles = files.map(compiled);
if (bundled.length) {
  const entry = join(tmp, 'unit-bundle.test.mjs');
  writeFileSync(entry, `// ${bundled.length} cheap unit-test files in one process (scripts/run-tests.mjs)\n${bundled.map((f) => `await import(${JSON.stringify(pathToFileURL(compiled(f)).href)});`).join('\n')}\n`);
  const inBundle = new Set(bundled);
  const bundleWeight = bundled.reduce((a, f) => a + weightOf(f), 0);
  // the bundle takes its place in the longest-first order by the sum of its files' weights
  const rest = files.filter((f) => !inBundle.has(f));
  const at = rest.findIndex((f) => weightOf(f) < bundleWeight);
  runFiles = (at < 0 ? [...rest, entry] : [...rest.slice(0, at), entry, ...rest.slice(at)]).map((f) => (f === entry ? f : compiled(f)));
  console.error(`run-tests: ${bundled.length} cheap unit-test files run in one process (--no-bundle: one each)`);
}
const reporters = ['--test-reporter=spec', '--test-reporter-destination=stdout', `--test-reporter=${join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'test-durations-reporter.mjs')}`, `--test-reporter-destination=${durations}`];
const t0 = Date.now();
const child = spawn(process.execPath, ['--import', pathToFileURL(cpuAccount).href, '--test', `--test-concurrency=${conc}`, ...reporters, ...runFiles], {
  stdio: 'inherit',
  env: { ...process.env, GEODVC_DIST_FRESH: '1', GEODVC_TEST_CPU_LOG: cpuLog, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --openssl-legacy-provider`.trim() },
});
const forward = (sig) => () => child.kill(sig);
process.on('SIGINT', forward('SIGINT'));
process.on('SIGTERM', forward('SIGTERM'));
// CPU seconds per test file (its own + the children it waited for), from scripts/test-cpu-account.mjs
function printCpu() {
  if (!existsSync(cpuLog)) return;
  const rows = readFileSync(cpuLog, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l))
    .filter((r) => r.file && !r.file.endsWith('run-tests.mjs'));
  // the test runner's own process (its children are the test files) is not a file's cost
  const perFile = rows.filter((r) => /\.test\.(ts|mjs|js)$/.test(r.file));
  if (!perFile.length) return;
  perFile.sort((a, b) => b.self + b.children - (a.self + a.children));
  const total = perFile.reduce((s, r) => s + r.self + r.children, 0);
  console.log(`\nCPU by test file (own + waited-for children; ${perFile.length} processes, ${total.toFixed(0)} CPU-s in all):`);
  for (const r of perFile.slice(0, 15)) {
    const name = r.file.includes('unit-bundle') ? 'unit-test bundle' : relative(process.cwd(), sourceOf(r.file));
    console.log(`  ${(r.self + r.children).toFixed(1).padStart(7)} s  (${r.self.toFixed(1)} own)  ${name}`);
  }
  if (process.env.GEODVC_TEST_CPU_OUT) writeFileSync(process.env.GEODVC_TEST_CPU_OUT, JSON.stringify(perFile.map((r) => ({ ...r, file: sourceOf(r.file) })), null, 1));
}
child.on('exit', (code, sig) => {
  try {
    const raw = JSON.parse(readFileSync(durations, 'utf8'));
    const byFile = {};
    for (const [f, ms] of Object.entries(raw.files)) byFile[sourceOf(f)] = (byFile[sourceOf(f)] ?? 0) + ms;
    const tests = raw.tests.map((t) => ({ ...t, file: sourceOf(t.file) }));
    const perFile = Object.entries(byFile).sort((a, b) => b[1] - a[1]);
    const secs = (ms) => `${(ms / 1000).toFixed(1).padStart(7)} s`;
    if (perFile.length > 1) {
      console.log(`\nslowest test files (of ${perFile.length}; wall ${((Date.now() - t0) / 1000).toFixed(1)} s, concurrency ${conc}):`);
      for (const [f, ms] of perFile.slice(0, 10)) console.log(`  ${secs(ms)}  ${relative(process.cwd(), f)}`);
    }
    if (recordWeights) {
      // seconds per test file: the sum of its top-level tests (the durations reporter keys a test by
      // the module that defines it, so a shared suite module is handed back to its files below)
      const byRunFile = {};
      for (const t of tests) {
        const f = relative(process.cwd(), t.file).split('\\').join('/');
        byRunFile[f] = (byRunFile[f] ?? 0) + t.ms;
      }
      // a shared suite module (storage-roundtrip.ts) is split evenly over the test files named after it
      for (const [k, ms] of Object.entries(byRunFile)) {
        if (k.endsWith('.test.ts')) continue;
        const stem = k.replace(/\.ts$/, '');
        const users = files.filter((f) => f.split('\\').join('/').startsWith(`${stem}-`));
        for (const u of users) byRunFile[u.split('\\').join('/')] = (byRunFile[u.split('\\').join('/')] ?? 0) + ms / users.length;
      }
      const out = { ...weights };
      for (const f of files) {
        const k = f.split('\\').join('/');
        if (byRunFile[k] !== undefined) out[k] = Math.round(byRunFile[k] / 100) / 10;
      }
      writeFileSync(weightsFile, JSON.stringify(Object.fromEntries(Object.entries(out).sort()), null, 1) + '\n');
      console.log(`run-tests: per-file seconds written to ${relative(process.cwd(), weightsFile)}`);
    }
    printCpu();
    if (tests.length > 1) {
      tests.sort((a, b) => b.ms - a.ms);
      console.log(`slowest tests (of ${tests.length}):`);
      for (const t of tests.slice(0, 10)) console.log(`  ${secs(t.ms)}  ${relative(process.cwd(), t.file)}: ${t.name}`);
    }
  } catch { /* no durations (the run was interrupted) */ }
  rmSync(tmp, { recursive: true, force: true });
  process.exit(code ?? (sig ? 1 : 0));
});
