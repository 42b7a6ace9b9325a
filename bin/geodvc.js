#!/usr/bin/env node
// The geodvc command. Runs the compiled CLI in dist/ (built by `npm run build`, by `prepare` on a
// checkout's `npm install`, by `prepack` for the package, and by the test runner before tests).
// Only when dist/ is missing (a fresh checkout before any build) or GEODVC_DEV=1 does it run the
// TypeScript sources through tsx, a development dependency; `npm run geodvc -- …` always does.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'cli', 'main.js');
const src = join(root, 'src', 'cli', 'main.ts');
const fromSources = existsSync(src) && (process.env.GEODVC_DEV === '1' || !existsSync(built));

let entry;
if (fromSources) {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write('ERROR: geodvc is not built (dist/ is missing) and tsx is not installed to run its sources\nhint: run `npm ci && npm run build` in the geodvc checkout\n');
    process.exit(1);
  }
  register();
  entry = src;
} else {
  entry = built;
}
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));
