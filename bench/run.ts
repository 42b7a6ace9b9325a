/**
 * `npm run bench [NAME...]`: runs every bench/*.bench.ts (or those whose name contains an argument)
 * in sequence, each in its own process, so figures from different areas do not disturb each other.
 * Set BENCH_SCALE=small for a quick smoke run with reduced sizes.
 */
import { readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here).filter((f) => f.endsWith('.bench.ts')).filter((f) => !filters.length || filters.some((x) => f.includes(x))).sort();
if (!files.length) { process.stderr.write('no benchmarks matched\n'); process.exitCode = 1; }
let failed = 0;
for (const f of files) {
  process.stdout.write(`\n## ${f.replace('.bench.ts', '')}\n\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', join(here, f)], { stdio: 'inherit' });
  if (r.status !== 0) { failed++; process.stdout.write(`(${f} failed with exit ${r.status})\n`); }
}
process.exitCode = failed ? 1 : 0;
