/**
 * Enforces the one-way layering of DESIGN.md by reading imports:
 * cli -> apps (ui, serve) | core/api -> core/* -> storage | geo -> lib (the CLI only through core/api). Nothing imports cli; storage and geo do not
 * import each other or core; lib imports nothing of ours. Outside src/cli, no console.*,
 * process.exit or process.stdout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, dirname, resolve, sep } from 'node:path';
import { REPO_ROOT } from './helpers/cli.js';

const SRC = join(REPO_ROOT, 'src');

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (/\.c?ts$/.test(e.name) && !e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

function layerOf(file: string): string {
  const rel = relative(SRC, file).split(sep);
  if (rel[0] === 'core') return rel[1] === 'api' ? 'core/api' : 'core';
  return rel[0]!;
}

const allowed: Record<string, string[]> = {
  // the CLI goes through the door only (core/api), never around it into core/*, storage or geo
  cli: ['cli', 'core/api', 'apps', 'lib'],
  // the web apps (ui, serve) sit above core: they use it, core never imports them
  apps: ['apps', 'core/api', 'core', 'storage', 'geo', 'lib'],
  'core/api': ['core/api', 'core', 'storage', 'geo', 'lib'],
  core: ['core', 'storage', 'geo', 'lib'],
  storage: ['storage', 'lib'],
  geo: ['geo', 'lib'],
  lib: ['lib'],
  // the public library entry (src/index.ts) re-exports core/api and geo
  'index.ts': ['core/api', 'geo', 'lib'],
};

test('imports follow the layering of DESIGN.md', () => {
  const bad: string[] = [];
  for (const f of walk(SRC)) {
    const from = layerOf(f);
    const text = readFileSync(f, 'utf8');
    const re = /(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
    for (const m of text.matchAll(re)) {
      const spec = m[1] ?? m[2]!;
      const target = resolve(dirname(f), spec);
      if (!target.startsWith(SRC)) continue;
      const to = layerOf(target);
      if (!(allowed[from] ?? []).includes(to)) bad.push(`${relative(REPO_ROOT, f)} (${from}) imports ${spec} (${to})`);
    }
  }
  assert.deepEqual(bad, []);
});

/**
 * Dynamic imports whose module is not a string literal hide an edge from the test above. Allowed
 * only for the command files the CLI discovers, never a module of ours picked by a variable.
 */
const COMPUTED_IMPORTS: Record<string, string> = {
  'src/cli/main.ts': 'command modules found in src/cli/commands',
};

test('dynamic imports name their module (the layering test sees every edge)', () => {
  const bad: string[] = [];
  for (const f of walk(SRC)) {
    const rel = relative(REPO_ROOT, f).split(sep).join('/');
    if (COMPUTED_IMPORTS[rel]) continue;
    readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, '');
      // `import(` not followed by a quote
      for (const m of code.matchAll(/(?<![\w.$`])import\(\s*([^'"\s)][^)]*)\)/g)) {
        if (/^['"]/.test(m[1]!)) continue;
        bad.push(`${rel}:${i + 1}: import(${m[1]})`);
      }
    });
  }
  assert.deepEqual(bad, []);
});

test('only src/cli talks to the process', () => {
  const bad: string[] = [];
  for (const f of walk(SRC)) {
    if (layerOf(f) === 'cli') continue;
    const lines = readFileSync(f, 'utf8').split('\n');
    lines.forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, '');
      if (/\bconsole\.(log|error|warn|info|debug)\b|\bprocess\.exit\b|\bprocess\.stdout\b/.test(code)) bad.push(`${relative(REPO_ROOT, f)}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(bad, []);
});

/**
 * No code in strings: workers and child processes are ordinary modules started through
 * src/lib/worker.ts (`startWorker`, `childModuleArgs`), never source text handed to `eval`,
 * `new Function`, `vm`, a Worker with `eval: true`, or `node -e`/`--eval`/`-p`, nor functions'
 * sources spliced into a script (`${fn.toString()}`, `String.raw` scripts).
 */
const CODE_IN_STRINGS: [RegExp, string][] = [
  [/\bnew\s+Function\s*\(/, 'new Function'],
  [/(?<![\w.$])eval\s*\(/, 'eval()'],
  [/\beval\s*:\s*true\b/, 'a Worker with eval: true'],
  [/\b(?:runInNewContext|runInThisContext|runInContext|compileFunction|SourceTextModule)\b|\bnew\s+(?:vm\.)?Script\s*\(/, 'node:vm'],
  [/\$\{\s*[\w$.]+\.toString\(\)\s*\}|\bFunction\.prototype\.toString\b/, 'a function\'s source spliced into a string'],
  [/\bString\.raw\s*`/, 'String.raw script text'],
];

test('src/ has no code in strings (workers and children are modules)', () => {
  const bad: string[] = [];
  for (const f of walk(SRC)) {
    const rel = relative(REPO_ROOT, f).split(sep).join('/');
    const lines = readFileSync(f, 'utf8').split('\n').map((line) => line.replace(/^\s*(\/\/|\*|\/\*).*$/, '').replace(/\s\/\/.*$/, ''));
    lines.forEach((code, i) => {
      const at = `${rel}:${i + 1}`;
      for (const [re, what] of CODE_IN_STRINGS) if (re.test(code)) bad.push(`${at}: ${what}: ${code.trim().slice(0, 120)}`);
      // source text as node's argument: -e/--eval/-p/--print/--input-type near a node start-up
      if (/['"`](?:-e|--eval|-p|--print|--input-type(?:=\w+)?)['"`]/.test(code) && /\bexecPath\b|['"`]node['"`]|\bexecArgv\b|NODE_OPTIONS/.test(lines.slice(Math.max(0, i - 3), i + 2).join('\n'))) {
        bad.push(`${at}: node -e/--eval/-p/--input-type (source text as an argument): ${code.trim().slice(0, 120)}`);
      }
    });
  }
  assert.deepEqual(bad, []);
});

test('the worker and child modules that src/ starts exist beside their callers', () => {
  const bad: string[] = [];
  let found = 0;
  for (const f of walk(SRC)) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/\b(childModuleArgs|workerUrl)\(\s*import\.meta\.url\s*,\s*(?:'([^']+)'|([^)]*))\)/g)) {
      const rel = relative(REPO_ROOT, f);
      if (!m[2]) { bad.push(`${rel}: ${m[1]} with a computed name (${m[3]})`); continue; }
      const file = join(dirname(f), m[1] === 'workerUrl' ? `${m[2]}.worker.ts` : m[2].endsWith('.cjs') ? `${m[2].slice(0, -4)}.cts` : `${m[2]}.ts`);
      found++;
      try { readFileSync(file); } catch { bad.push(`${rel}: ${m[1]}('${m[2]}'): no ${relative(REPO_ROOT, file)}`); }
    }
  }
  assert.deepEqual(bad, []);
  // the supervisor, the GDAL runner, the TIFF decode child, the ui preview child, the worker pools
  assert.ok(found >= 6, `${found} module starts found`);
});

test('docs/architecture.md maps every folder of src/', () => {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'architecture.md'), 'utf8');
  const diagram = /```\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
  const missing: string[] = [];
  const dirs = (d: string): string[] => readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap((e) => [join(d, e.name), ...dirs(join(d, e.name))]);
  for (const d of dirs(SRC)) {
    const rel = relative(SRC, d).split(sep);
    const name = rel.at(-1)!;
    // command groups are listed by name; other folders as `name/`
    const shown = rel[0] === 'cli' && rel[1] === 'commands' && rel.length === 3 ? new RegExp(`\\b${name}\\b`).test(diagram) : diagram.includes(`${name}/`);
    if (!shown) missing.push(rel.join('/'));
  }
  assert.ok(diagram.length > 0, 'the diagram is found');
  assert.deepEqual(missing, []);
});

test('only src/core/scm runs git (every other module goes through its Git class and helpers)', () => {
  const bad: string[] = [];
  for (const f of walk(SRC)) {
    const rel = relative(REPO_ROOT, f).split(sep).join('/');
    if (rel.startsWith('src/core/scm/')) continue;
    readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
      if (/\b(?:spawn|spawnSync|execFile|execFileSync|exec|execSync|fork)\(\s*['"`]git['"`]/.test(line)) bad.push(`${rel}:${i + 1}`);
    });
  }
  assert.deepEqual(bad, []);
});
