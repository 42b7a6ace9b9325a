#!/usr/bin/env node
// Lists the *.test.ts files (Node 20's --test does not expand globs) and runs them with node:test via tsx.
// Tiers: unit = src/**; integration = test/integration/**; e2e = test/e2e/**. Default: all.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';

const args = process.argv.slice(2);
let tier = 'all';
const filters = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--tier') tier = args[++i];
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
const conc = process.env.TEST_CONCURRENCY ?? '2';
const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${conc}`, '--test-reporter=spec', ...files], { stdio: 'inherit', env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --openssl-legacy-provider`.trim() } });
child.on('exit', (code, sig) => process.exit(code ?? (sig ? 1 : 0)));
