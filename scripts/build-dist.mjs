#!/usr/bin/env node
/**
 * Builds dist/ from src/ with tsc (tsconfig.build.json), so the CLI the tests spawn is the compiled
 * one and always fresh. tsc compiles incrementally into node_modules/.cache/geodvc/dist-build/;
 * changed files are then copied into dist/ atomically (temp + rename), because other test runs
 * may be starting the CLI from dist/ at that moment.
 *
 * - A lock (a directory under node_modules/.cache/geodvc) makes concurrent callers (several test
 *   runs at once) wait for each other instead of writing dist/ together.
 * - When no source file changed since the last build (a signature of the paths, sizes and mtimes of
 *   src/ and the tsconfig files), tsc is not started at all (~0.1 s instead of ~8 s).
 * - Outputs whose source is gone are removed (the CLI discovers commands by listing dist/).
 * - dist/cli/commands.json lists the commands (paths, descriptions, aliases, arguments) for a
 *   cheap `geodvc --help`.
 * - Type errors: tsc still emits; by default they are summarised and the build counts as done
 *   (type-checking is its own CI step, and one engineer's half-edited file must not stop everybody's
 *   tests). With --strict (prepack) they fail the build.
 *
 * Usage: node scripts/build-dist.mjs [--strict] [--quiet] [--force] [--if-possible]
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
const SIGNATURE = join(DIST, '.build-signature');
const CACHE = join(ROOT, 'node_modules', '.cache', 'geodvc');
const LOCK = join(CACHE, 'build.lock');
/** tsc's own output folder (incremental); dist/ is updated from it file by file, atomically. */
const BUILD = join(CACHE, 'dist-build');

/** Every file under `dir` (a missing dir: none); `skipDir(name)` leaves out folders by name. */
export function walk(dir, out = [], skipDir = () => false) {
  let entries;
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return out; }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) { if (!skipDir(e.name)) walk(p, out, skipDir); }
    else out.push(p);
  }
  return out;
}

const isSource = (p) => (p.endsWith('.ts') || p.endsWith('.cts')) && !p.endsWith('.test.ts');

/** Sources (non-declaration) whose compiled file is not in tsc's build folder. */
function missingOutputs(sources) {
  return sources.filter((p) => !p.endsWith('.d.ts')).filter((p) => {
    const out = join(BUILD, relative(SRC, p)).replace(/\.cts$/, '.cjs').replace(/\.ts$/, '.js');
    return !existsSync(out);
  });
}

/** Paths, sizes and mtimes of everything tsc reads from this repository. */
function sourceSignature(sources) {
  const files = [...sources, join(ROOT, 'tsconfig.json'), join(ROOT, 'tsconfig.build.json')].sort();
  const h = createHash('sha1');
  for (const f of files) {
    const s = statSync(f);
    h.update(`${relative(ROOT, f)}\t${s.size}\t${s.mtimeMs}\n`);
  }
  return h.digest('hex');
}

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function pidAlive(pid) {
  try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}

/** Runs fn holding the build lock; a lock left by a dead process (or older than 10 min) is broken. */
function withLock(fn) {
  mkdirSync(CACHE, { recursive: true });
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let stale = false;
      try {
        const age = Date.now() - statSync(LOCK).mtimeMs;
        const pid = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
        stale = age > 10 * 60_000 || (pid > 0 && !pidAlive(pid)) || (!pid && age > 5_000);
      } catch { /* the holder is between mkdir and writing its pid, or just released */ }
      if (stale) { rmSync(LOCK, { recursive: true, force: true }); continue; }
      if (Date.now() > deadline) throw new Error(`build-dist: ${LOCK} held for over 15 minutes; remove it if no build is running`);
      sleep(100);
    }
  }
  try { return fn(); } finally { rmSync(LOCK, { recursive: true, force: true }); }
}

// .cjs/.d.cts: CommonJS modules (src/**/*.cts, e.g. the stage supervisor, which starts faster as CommonJS)
const OUTPUT = /^(.*)\.(js|d\.ts|cjs|d\.cts)$/;

/** Removes compiler outputs under `dir` whose src/ file no longer exists. Returns how many. */
function removeOrphans(dir) {
  let n = 0;
  for (const f of walk(dir)) {
    const m = OUTPUT.exec(relative(dir, f));
    if (m && !existsSync(join(SRC, `${m[1]}.${m[2].endsWith('cjs') || m[2].endsWith('cts') ? 'cts' : 'ts'}`))) { unlinkSync(f); n++; }
  }
  return n;
}

/** Writes a file as temp + rename, so a process loading it at that moment sees old or new, never half. */
function writeAtomic(path, data) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/**
 * Third-party packages the CLI imports on most runs, bundled into one ES module each under
 * dist/vendor/ (esbuild, a development dependency): `yaml` is ~80 CommonJS files, and Node loading
 * them through ESM costs a CLI run ~0.06-0.1 s of CPU; the single-file bundle ~0.03 s (measured:
 * docs/testing.md). The compiled modules' `from 'yaml'` is pointed at it while syncing dist/.
 * The package stays a dependency (its types are in the .d.ts files; `yaml-lazy` requires it).
 */
const VENDOR = { yaml: 'vendor/yaml.js' };

function esbuildInstalled() {
  try { createRequire(join(ROOT, 'package.json')).resolve('esbuild'); return true; } catch { return false; }
}

/** Bundles each VENDOR package into dist/ when missing or its version changed. Returns a note on failure. */
function buildVendor() {
  const req = createRequire(join(ROOT, 'package.json'));
  let esbuild;
  try { esbuild = req('esbuild'); } catch { return 'esbuild is not installed (a development dependency): dist/ imports the packages as they are'; }
  for (const [pkg, rel] of Object.entries(VENDOR)) {
    const version = JSON.parse(readFileSync(req.resolve(`${pkg}/package.json`), 'utf8')).version;
    const out = join(DIST, rel);
    const stamp = `// ${pkg} ${version}, bundled by scripts/build-dist.mjs\n`;
    try { if (readFileSync(out, 'utf8').startsWith(stamp)) continue; } catch { /* not built yet */ }
    // named exports from the CommonJS package's own export list (a bundle of `export *` from
    // CommonJS cannot know them statically)
    const names = Object.keys(req(pkg)).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default');
    const r = esbuild.buildSync({
      stdin: { contents: `export { ${names.join(', ')} } from ${JSON.stringify(pkg)};\n`, resolveDir: ROOT, loader: 'js' },
      bundle: true, platform: 'node', format: 'esm', target: 'node20', write: false, logLevel: 'silent', legalComments: 'inline',
      // the package's CommonJS `require('process')` and the like
      banner: { js: `${stamp}import { createRequire as __geodvcRequire } from 'node:module';\nconst require = __geodvcRequire(import.meta.url);` },
    });
    writeAtomic(out, r.outputFiles[0].text);
  }
  return undefined;
}

/** The VENDOR bundles present in dist/, each with the pattern of a static import of its package. */
function vendorImports() {
  return Object.entries(VENDOR).filter(([, vrel]) => existsSync(join(DIST, vrel)))
    .map(([pkg, vrel]) => ({ vrel, re: new RegExp(`(\\bfrom\\s*)(['"])${pkg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\2`, 'g') }));
}

/** A compiled module's text with its static imports of `vendored` packages pointed at dist/vendor/. */
function useVendor(rel, data, vendored) {
  if (!rel.endsWith('.js') || !vendored.length) return data;
  let text = data.toString('utf8');
  let changed = false;
  for (const { vrel, re } of vendored) {
    let spec = relative(dirname(join(DIST, rel)), join(DIST, vrel)).split('\\').join('/');
    if (!spec.startsWith('.')) spec = `./${spec}`;
    const next = text.replace(re, (_m, lead) => `${lead}'${spec}'`);
    if (next !== text) { text = next; changed = true; }
  }
  return changed ? Buffer.from(text, 'utf8') : data;
}

/**
 * Copies the staging build into dist/, each changed file atomically, and removes dist/ outputs the
 * build no longer has. tsc writes in place; other test runs may be spawning the CLI from dist/
 * meanwhile. Returns how many files changed.
 */
function syncToDist() {
  let n = 0;
  const built = new Set();
  const vendored = vendorImports();
  for (const f of walk(BUILD)) {
    const rel = relative(BUILD, f);
    if (!OUTPUT.test(rel)) continue;
    built.add(rel);
    const data = useVendor(rel, readFileSync(f), vendored);
    const dest = join(DIST, rel);
    let same = false;
    try { same = statSync(dest).size === data.length && readFileSync(dest).equals(data); } catch { /* new file */ }
    if (!same) { writeAtomic(dest, data); n++; }
  }
  for (const f of walk(DIST)) {
    const rel = relative(DIST, f);
    if (rel.startsWith(`vendor${sep}`)) continue;
    // source maps are not built (their paths would point from the staging folder)
    if ((OUTPUT.test(rel) && !built.has(rel)) || rel.endsWith('.map')) { unlinkSync(f); n++; }
  }
  return n;
}

/**
 * dist/cli/commands.json: every command's path, description, aliases and arguments, and every
 * group's, so `geodvc --help` lists them without importing ~70 command modules. One child process
 * imports the compiled modules. Returns a note when it could not be written (the CLI then imports
 * the modules for --help, as it does from the sources).
 */
function writeCommandManifest() {
  const target = join(DIST, 'cli', 'commands.json');
  const files = walk(join(DIST, 'cli', 'commands')).filter((f) => f.endsWith('.js')).sort();
  const script = `
    import { Command } from 'commander';
    const files = ${JSON.stringify(files.map((f) => pathToFileURL(f).href))};
    const out = { groups: [], commands: [] };
    for (const f of files) {
      const m = await import(f);
      if (m.group) out.groups.push({ path: m.group.path, describe: m.group.describe, aliases: m.group.aliases ?? [] });
      if (m.command) {
        const c = new Command(m.command.path.at(-1));
        m.command.configure?.(c);
        const args = c.registeredArguments.map((a) => { const n = a.name() + (a.variadic ? '...' : ''); return a.required ? '<' + n + '>' : '[' + n + ']'; }).join(' ');
        out.commands.push({ path: m.command.path, describe: m.command.describe, aliases: m.command.aliases ?? [], args });
      }
    }
    process.stdout.write(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) {
    rmSync(target, { force: true });
    return `command manifest not written: ${(r.stderr || '').split('\n').find((l) => l.trim()) ?? 'import failed'}`;
  }
  writeAtomic(target, r.stdout);
  return undefined;
}

function tscPath() {
  try {
    const req = createRequire(join(ROOT, 'package.json'));
    return join(dirname(req.resolve('typescript/package.json')), 'bin', 'tsc');
  } catch {
    return undefined;
  }
}

/**
 * Builds dist/ when sources changed. Returns { built, errors, ok, message }: `ok` is false when the
 * CLI could not be emitted (or, with strict, when tsc reported errors).
 */
export function buildDist({ strict = false, force = false } = {}) {
  return withLock(() => {
    const sources = walk(SRC).filter(isSource);
    const sig = sourceSignature(sources);
    const main = join(DIST, 'cli', 'main.js');
    const [lastSig, lastErrors] = existsSync(SIGNATURE) ? readFileSync(SIGNATURE, 'utf8').split('\n') : [];
    // a strict build never trusts a build that had type errors
    // without esbuild (a development dependency) nothing is vendored, and that is no reason to rebuild
    const vendored = Object.values(VENDOR).every((v) => existsSync(join(DIST, v))) || !esbuildInstalled();
    if (!force && existsSync(main) && lastSig === sig && vendored && !(strict && Number(lastErrors) > 0)) {
      return { built: false, errors: 0, ok: true, message: 'dist/ is up to date' };
    }
    const tsc = tscPath();
    if (!tsc) return { built: false, errors: 0, ok: existsSync(main), noCompiler: true, message: 'typescript is not installed (a development dependency): cannot build dist/' };
    // tsc --incremental trusts its build info even when outputs were deleted (or when the build
    // folder is shared with another checkout, e.g. node_modules copied with hard links): start
    // over when any source's output is missing
    const tsbuildinfo = join(BUILD, '.tsbuildinfo');
    if (missingOutputs(sources).length) rmSync(tsbuildinfo, { force: true });
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', BUILD, '--tsBuildInfoFile', tsbuildinfo, '--sourceMap', 'false', '--pretty', 'false'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
    const errorLines = `${r.stdout}${r.stderr}`.split('\n').filter((l) => /error TS\d+/.test(l));
    const orphans = removeOrphans(BUILD);
    const vendorNote = buildVendor();
    const changed = existsSync(join(BUILD, 'cli', 'main.js')) ? syncToDist() : 0;
    const manifestNote = existsSync(main) ? writeCommandManifest() : undefined;
    const ok = existsSync(main) && (!strict || r.status === 0);
    if (existsSync(main) && r.status !== null) writeAtomic(SIGNATURE, `${sig}\n${errorLines.length || (r.status === 0 ? 0 : 1)}`);
    const parts = [`dist/ built in ${((Date.now() - t0) / 1000).toFixed(1)} s (${changed} file(s) changed)`];
    if (orphans) parts.push(`${orphans} stale file(s) removed`);
    if (errorLines.length) parts.push(`tsc reported ${errorLines.length} type error(s)${strict ? '' : ' (emitted anyway; `npm run typecheck` lists them)'}:\n  ${errorLines.slice(0, 8).join('\n  ')}${errorLines.length > 8 ? '\n  ...' : ''}`);
    else if (r.status !== 0) parts.push(`tsc exited ${r.status}:\n${r.stdout}${r.stderr}`);
    if (manifestNote) parts.push(manifestNote);
    if (vendorNote) parts.push(vendorNote);
    return { built: true, errors: errorLines.length, ok, message: parts.join('; ') };
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const res = buildDist({ strict: args.includes('--strict'), force: args.includes('--force') });
  if (!args.includes('--quiet') || !res.ok || res.errors) process.stderr.write(`build-dist: ${res.message}\n`);
  // --if-possible (npm's `prepare`): an install without dev dependencies has no compiler; not an error
  process.exitCode = res.ok || (res.noCompiler && args.includes('--if-possible')) ? 0 : 1;
}

