#!/usr/bin/env node
// Runs the TypeScript sources through tsx in a checkout (so they are never stale), and the
// compiled dist/ in an installed package or when GEODVC_DIST=1 (benchmarks: faster start-up).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src', 'cli', 'main.ts');
const built = join(root, 'dist', 'cli', 'main.js');
const { main } = (existsSync(src) && process.env.GEODVC_DIST !== '1')
  ? await (async () => { const { register } = await import('tsx/esm/api'); register(); return import(pathToFileURL(src).href); })()
  : await import(pathToFileURL(built).href);
process.exitCode = await main(process.argv.slice(2));
