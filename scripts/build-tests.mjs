#!/usr/bin/env node
/**
 * Compiles the test files to plain JavaScript in `.test-build/`, so `npm test` runs them with plain
 * `node` against the compiled library in dist/ (what ships) instead of through tsx against src/.
 *
 * Why: every test-file process that starts through tsx pays its loader thread and the transpiling
 * of each src module it imports (0.3-0.8 s of CPU per process, measured: docs/testing.md), and it
 * tests src/ compiled by esbuild rather than dist/ compiled by tsc, which is what users run.
 *
 * What it does, per TypeScript file of the test graph (test/**, src/**\/*.test.ts):
 * - esbuild's transform (types stripped, nothing bundled), written to `.test-build/<same path>.js`;
 * - `import.meta.url` / `dirname` / `filename` are replaced by the *source* file's, so paths that
 *   tests compute from their own location (fixtures, REPO_ROOT, helper scripts) are unchanged;
 * - every relative import specifier is resolved against the source file: a library module
 *   (src/**, not a test) becomes its compiled file in dist/; another test-graph file its
 *   `.test-build` copy; anything else (a .mjs, .json, .py beside the test) the original file.
 *   A library module without a compiled file in dist/ (one tsc leaves out) is compiled here too.
 *
 * Only changed outputs are written (content compared), so repeated runs cost ~1 s. Outputs whose
 * source is gone are removed. dist/ must be built first (scripts/build-dist.mjs).
 *
 * Usage: node scripts/build-tests.mjs [--quiet]; also `import { buildTests }`.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transformSync } from 'esbuild';
import { walk } from './build-dist.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const OUT = join(ROOT, '.test-build');
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');

/** The folders a walk of the test graph leaves out. */
const skipTestDir = (name) => name === 'node_modules' || name === 'fixtures';

/** Every file of the test graph under `dir` (test fixtures and node_modules left out). */
export function walkTests(dir) {
  return walk(dir, [], skipTestDir);
}

const isTs = (p) => p.endsWith('.ts') && !p.endsWith('.d.ts');
const inside = (dir, p) => p === dir || p.startsWith(dir + sep);
const isLibrary = (p) => inside(SRC, p) && !p.endsWith('.test.ts');

/** The compiled output of a test-graph source file. */
export function outputOf(srcFile) {
  return join(OUT, relative(ROOT, srcFile)).replace(/\.ts$/, '.js');
}

/** The source file a `.test-build` output came from (for reports keyed by source path). */
export function sourceOf(outFile) {
  if (!inside(OUT, outFile)) return outFile;
  return join(ROOT, relative(OUT, outFile)).replace(/\.js$/, '.ts');
}

/**
 * Where a relative import of `fromSrc` should point in the compiled tree, or undefined to leave
 * it as it is. `queue` collects library modules that have no compiled file in dist/.
 */
function mapSpecifier(fromSrc, spec, queue) {
  if (!spec.startsWith('./') && !spec.startsWith('../')) return undefined;
  const target = resolve(dirname(fromSrc), spec);
  let tsTarget;
  if (target.endsWith('.js') && existsSync(target.slice(0, -3) + '.ts')) tsTarget = target.slice(0, -3) + '.ts';
  else if (target.endsWith('.ts') && existsSync(target)) tsTarget = target;
  let mapped = target; // a non-TypeScript file: the original
  if (tsTarget) {
    const compiled = isLibrary(tsTarget) ? join(DIST, relative(SRC, tsTarget)).replace(/\.ts$/, '.js') : undefined;
    if (compiled && existsSync(compiled)) mapped = compiled;
    else { queue.add(tsTarget); mapped = outputOf(tsTarget); }
  }
  let rel = relative(dirname(outputOf(fromSrc)), mapped).split(sep).join('/');
  if (!rel.startsWith('.')) rel = `./${rel}`;
  return rel;
}

// esbuild prints module specifiers as double-quoted literals after `from`, `import` and `import(`
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)"(\.{1,2}\/[^"\n]*)"/g;

function compile(srcFile, queue) {
  const code = readFileSync(srcFile, 'utf8');
  const url = pathToFileURL(srcFile).href;
  const res = transformSync(code, {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
    sourcefile: relative(ROOT, srcFile),
    define: {
      'import.meta.url': JSON.stringify(url),
      'import.meta.dirname': JSON.stringify(dirname(srcFile)),
      'import.meta.filename': JSON.stringify(srcFile),
    },
    logLevel: 'silent',
  });
  return res.code.replace(SPECIFIER, (m, lead, spec) => {
    const mapped = mapSpecifier(srcFile, spec, queue);
    return mapped === undefined ? m : `${lead}"${mapped}"`;
  });
}

/** Compiles the test graph; returns { files, written, removed, ms }. */
export function buildTests() {
  const t0 = performance.now();
  const roots = [
    ...walkTests(join(ROOT, 'test')).filter(isTs),
    ...walkTests(SRC).filter((p) => p.endsWith('.test.ts')),
  ];
  const queue = new Set();
  const done = new Set();
  const outputs = new Set();
  let written = 0;
  const emit = (srcFile) => {
    if (done.has(srcFile)) return;
    done.add(srcFile);
    const out = outputOf(srcFile);
    outputs.add(out);
    const js = compile(srcFile, queue);
    let old;
    try { old = readFileSync(out, 'utf8'); } catch { old = undefined; }
    if (old !== js) {
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, js);
      written++;
    }
  };
  for (const f of roots) emit(f);
  while (queue.size) {
    const [next] = queue;
    queue.delete(next);
    emit(next);
  }
  writeFileSync(join(OUT, 'package.json'), '{ "type": "module" }\n');
  outputs.add(join(OUT, 'package.json'));
  let removed = 0;
  for (const f of walk(OUT)) {
    if (!outputs.has(f)) { rmSync(f, { force: true }); removed++; }
  }
  return { files: done.size, written, removed, ms: performance.now() - t0 };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const quiet = process.argv.includes('--quiet');
  const r = buildTests();
  if (!quiet) console.error(`build-tests: ${r.files} test-graph files in ${(r.ms / 1000).toFixed(1)} s (${r.written} written, ${r.removed} removed) -> ${relative(ROOT, OUT)}/`);
}
