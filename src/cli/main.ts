#!/usr/bin/env node
/**
 * The only process-facing file: argv parsing, Ctrl-C -> AbortSignal, the reporter, and the one
 * catch that turns errors into `ERROR: ...` plus an exit code. Commands are discovered from
 * src/cli/commands/** (see CommandModule in ./types.ts).
 */
import { createRequire } from 'node:module';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import v8 from 'node:v8';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CliContext, CommandGroup, CommandModule } from './types.js';
import type { ProgressEvent, ProgressFn } from '../lib/progress.js';
import { StderrReporter, makeLogger } from './ui/reporter.js';
import { renderError } from './ui/errors.js';

// commander through require: its ESM wrapper makes Node scan the CommonJS sources for exports on
// every start; required, they are only compiled (start-up of every command).
const { Command, CommanderError, Option } = createRequire(import.meta.url)('commander') as typeof import('commander');
type Command = import('commander').Command;
import { redactSecrets } from '../lib/safepath.js';
import { AppError, InterruptedError, UsageError, toAppError } from '../lib/errors.js';
import { missingDependency } from '../lib/optional-deps.js';

const here = dirname(fileURLToPath(import.meta.url));
const commandsDir = join(here, 'commands');

function listCommandFiles(dir: string, out: string[] = []): string[] {
  let entries;
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return out; }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) listCommandFiles(p, out);
    else if (/\.(ts|js)$/.test(e.name) && !/\.(test|d)\.(ts|js)$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

/**
 * The command modules this argv needs. Files mirror command paths (`remote/add.ts` is
 * `remote add`), so `geodvc push …` imports push.ts alone instead of all ~70 modules and their
 * dependencies (~50 ms of every run). Anything else (no command, `--help`, an alias, a typo)
 * loads them all, so help, aliases and commander's suggestions are unchanged.
 */
/** The positional words of argv (`--cd`'s value excluded): the command path comes first. */
function commandWords(argv: string[]): string[] {
  return argv.filter((a, i) => !a.startsWith('-') && argv[i - 1] !== '--cd');
}

export function commandFilesFor(argv: string[]): string[] {
  const words = commandWords(argv);
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const file = (...parts: string[]) => join(commandsDir, ...parts) + ext;
  const exists = (p: string) => { try { return statSync(p).isFile(); } catch { return false; } };
  const [w1, w2] = words;
  if (w1 && !w1.startsWith('_') && /^[\w-]+$/.test(w1)) {
    if (exists(file(w1))) return [file(w1)];
    const group = file(w1, '_group');
    if (exists(group)) {
      if (w2 && !w2.startsWith('_') && /^[\w-]+$/.test(w2) && exists(file(w1, w2))) return [group, file(w1, w2)];
      return listCommandFiles(join(commandsDir, w1));
    }
  }
  return listCommandFiles(commandsDir);
}

interface CommandManifest {
  groups: { path: string[]; describe: string; aliases: string[] }[];
  commands: { path: string[]; describe: string; aliases: string[]; args: string }[];
}

/**
 * The command list written at build time (scripts/build-dist.mjs, dist/cli/commands.json), for the
 * runs that only print the top-level help or the version, or name an unknown command: they then
 * import no command module. Not used from the sources (tsx) or with GEODVC_NO_COMMAND_MANIFEST=1.
 */
export function commandManifest(argv: string[]): CommandManifest | undefined {
  if (import.meta.url.endsWith('.ts') || process.env.GEODVC_NO_COMMAND_MANIFEST === '1') return undefined;
  const [first] = commandWords(argv);
  if (first === 'help') return undefined;
  let m: CommandManifest;
  try {
    m = JSON.parse(readFileSync(join(here, 'commands.json'), 'utf8')) as CommandManifest;
    if (!Array.isArray(m.commands) || !Array.isArray(m.groups)) return undefined;
  } catch {
    return undefined;
  }
  if (first === undefined) return m;
  // an unknown first word: the stub tree is enough to refuse it with suggestions
  const known = [...m.commands, ...m.groups].some((c) => c.path[0] === first || (c.path.length === 1 && c.aliases.includes(first)));
  return known ? undefined : m;
}

function packageVersion(): string {
  try {
    return JSON.parse(readFileSync(join(here, '..', '..', 'package.json'), 'utf8')).version;
  } catch {
    try { return JSON.parse(readFileSync(join(here, '..', '..', '..', 'package.json'), 'utf8')).version; } catch { return '0.0.0'; }
  }
}

/** Commands that hold one small record per object for minutes while the network works. */
const TRANSFER_COMMANDS = new Set(['push', 'pull', 'fetch', 'status']);

/**
 * V8 lets the old generation grow to up to four times what survived the last full collection
 * before collecting again. A push of 100,000 objects keeps ~75 MiB alive but allocates gigabytes
 * of short-lived request objects, so with the default the heap reached 400 MiB (peak RSS 517-615
 * MiB). Growing by at most 2x between full collections keeps it at ~300 MiB for the same CPU
 * time (measured: docs/remotes.md). The user's own NODE_OPTIONS/flags win. heapAwareProgress
 * lifts the cap again when the transfer turns out to be a few big objects.
 */
export function tuneHeap(argv: string[]): boolean {
  const cmd = commandWords(argv)[0];
  if (!cmd || !TRANSFER_COMMANDS.has(cmd)) return false;
  if (process.execArgv.some((a) => a.includes('heap-growing')) || process.env.NODE_OPTIONS?.includes('heap-growing')) return false;
  v8.setFlagsFromString('--heap-growing-percent=100');
  return true;
}

/** At least 1 MiB per object on average: a few big objects, not many small ones. */
export const fewBigObjects = (e: ProgressEvent): boolean => !!(e.total && e.bytesTotal && e.bytesTotal / e.total >= 1 << 20);

/**
 * Undoes tuneHeap once a transfer turns out to be a few big objects (a progress event with at
 * least 1 MiB per object on average): there the live set is tiny, memory is bounded by the
 * parts in flight, and the 2x cap only added collections (S3 fetch of 2 GiB: +1.5-2 s CPU,
 * 7.5 -> 8.5 s wall). Many small objects keep the cap for the whole run.
 */
export function heapAwareProgress(inner: ProgressFn, capped: boolean): ProgressFn {
  if (!capped) return inner;
  return (e) => {
    if (capped && fewBigObjects(e)) {
      v8.setFlagsFromString('--heap-growing-percent=0');
      capped = false;
    }
    inner(e);
  };
}

/** Edit distance with transpositions (optimal string alignment), for "did you mean". */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The known names closest to `word` (typos and prefixes), best first. */
export function similarNames(word: string, names: string[]): string[] {
  const w = word.toLowerCase();
  const scored = names
    .map((n) => ({ n, d: n.startsWith(w) && w.length >= 2 ? 0.5 : editDistance(w, n) }))
    .filter(({ n, d }) => d <= Math.max(1, Math.floor(Math.max(w.length, n.length) * 0.4)));
  return scored.sort((x, y) => x.d - y.d || x.n.localeCompare(y.n)).map((x) => x.n).slice(0, 3);
}

/**
 * A command word that names no command (at the top or inside a group) is a usage error (exit 254)
 * even with `--help`: commander would print the parent's help and exit 0, hiding the typo.
 */
export function unknownCommand(program: Command, argv: string[], leafKeys: Set<string>): UsageError | undefined {
  let node = program;
  const path: string[] = [];
  for (const word of commandWords(argv)) {
    if (leafKeys.has(path.join(' ')) || !node.commands.length) return undefined;
    if (node === program && word === 'help') return undefined;
    const child = node.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (!child) {
      const where = ['geodvc', ...path].join(' ');
      const names = node.commands.flatMap((c) => [c.name(), ...c.aliases()]).filter((n) => n !== 'help');
      const similar = similarNames(word, names);
      const hint = (similar.length ? `did you mean ${similar.map((n) => `'${n}'`).join(' or ')}? ` : '') + `'${where} --help' lists the commands`;
      return new UsageError(`'${[...path, word].join(' ')}' is not a geodvc command`, { hint, details: { command: [...path, word], suggestions: similar } });
    }
    node = child;
    path.push(child.name());
  }
  return undefined;
}

export async function main(argv: string[]): Promise<number> {
  const heapCapped = tuneHeap(argv);
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    controller.abort(new InterruptedError());
    if (interrupts > 1) process.exit(252);
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);

  let exitCode = 0;
  let activeCtx: CliContext | undefined;
  let reporter: StderrReporter | undefined;
  let wantJson = argv.includes('--json');
  let verbose = argv.filter((a) => a === '-v' || a === '--verbose').length;

  const program = new Command('geodvc')
    .description('Data version control for geospatial ML training data (DVC 3.x compatible)')
    .version(packageVersion(), '-V, --version', 'print the geodvc version')
    .option('--cd <dir>', 'change to this directory before running the command')
    // DVC takes -q/-v before the command too (`dvc -q repro`)
    .option('-q, --quiet', 'print only errors and results (any command)')
    .option('-v, --verbose', 'be verbose (any command; repeat for more)', (_v: string, prev: number | undefined) => (prev ?? 0) + 1)
    .showHelpAfterError()
    .exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });

  const manifest = commandManifest(argv);
  const files = manifest ? [] : commandFilesFor(argv);
  const leafKeys = new Set<string>();
  const nodes = new Map<string, Command>();
  nodes.set('', program);
  const ensureParent = (path: string[]): Command => {
    let key = '';
    let node = program;
    for (const part of path) {
      key = key ? `${key} ${part}` : part;
      let child = nodes.get(key);
      if (!child) {
        child = node.command(part).exitOverride();
        nodes.set(key, child);
      }
      node = child;
    }
    return node;
  };
  if (manifest) {
    // help/version only: the same tree with descriptions, aliases and arguments, and no actions
    for (const g of manifest.groups) {
      const node = ensureParent(g.path);
      node.description(g.describe);
      if (g.aliases.length) node.aliases(g.aliases);
    }
    for (const c of manifest.commands) {
      const cmd = ensureParent(c.path.slice(0, -1)).command(c.path[c.path.length - 1]!).description(c.describe).exitOverride();
      if (c.aliases.length) cmd.aliases(c.aliases);
      if (c.args) cmd.arguments(c.args);
      cmd.addOption(new Option('-q, --quiet', 'print only errors and results'));
      nodes.set(c.path.join(' '), cmd);
      leafKeys.add(c.path.join(' '));
    }
  }
  const mods = await Promise.all(files.map(async (f) => ({ f, m: await import(pathToFileURL(f).href) })));
  // Groups first so their descriptions attach before leaves are added.
  for (const { m } of mods) {
    const g = m.group as CommandGroup | undefined;
    if (g) {
      const node = ensureParent(g.path);
      node.description(g.describe);
      if (g.aliases) node.aliases(g.aliases);
    }
  }
  for (const { f, m } of mods) {
    const spec = m.command as CommandModule | undefined;
    if (!spec) continue;
    const parent = ensureParent(spec.path.slice(0, -1));
    const name = spec.path[spec.path.length - 1]!;
    const key = spec.path.join(' ');
    if (nodes.has(key)) throw new Error(`duplicate command ${key} (${relative(commandsDir, f).split(sep).join('/')})`);
    const cmd = parent.command(name).description(spec.describe).exitOverride();
    nodes.set(key, cmd);
    leafKeys.add(key);
    if (spec.aliases) cmd.aliases(spec.aliases);
    spec.configure?.(cmd);
    cmd.addOption(new Option('-q, --quiet', 'print only errors and results'));
    cmd.addOption(new Option('-v, --verbose', 'be verbose (repeat for more)').argParser((_v: string, prev: number | undefined) => (prev ?? 0) + 1));
    cmd.addOption(new Option('--json', 'print the result as JSON on stdout'));
    cmd.action(async (...actionArgs: any[]) => {
      const c = actionArgs[actionArgs.length - 1] as Command;
      const opts = c.opts();
      const positional = actionArgs.slice(0, -2);
      const cd = program.opts().cd as string | undefined;
      if (cd) process.chdir(cd);
      const json = !!opts.json;
      const top = program.opts();
      const quiet = !!opts.quiet || !!top.quiet;
      const vlevel = Number(opts.verbose ?? 0) + Number(top.verbose ?? 0);
      wantJson = json;
      verbose = vlevel;
      reporter = new StderrReporter(!quiet);
      const logger = makeLogger(vlevel, quiet, reporter);
      const ctx: CliContext = {
        json, quiet, verbose: vlevel, cwd: process.cwd(), signal: controller.signal,
        onProgress: heapAwareProgress(reporter.onProgress, heapCapped), logger,
        out(text, force) { if (!quiet || force) { reporter!.clear(); process.stdout.write(text.endsWith('\n') ? text : text + '\n'); } },
        outJson(value) { reporter!.clear(); process.stdout.write(JSON.stringify(value, null, 2) + '\n'); },
        warn(text) { logger.warn(text); },
        info(text) { logger.info(text); },
      };
      activeCtx = ctx;
      const code = await spec.run(ctx, positional, opts);
      exitCode = typeof code === 'number' ? code : 0;
    });
  }

  try {
    const unknown = unknownCommand(program, argv, leafKeys);
    if (unknown) throw unknown;
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      if (err.code === 'commander.executeSubCommandAsync') return 0;
      // Commander already printed its message; mirror DVC's usage exit code.
      if (wantJson) process.stdout.write(JSON.stringify(new UsageError(err.message, { hint: 'see `geodvc COMMAND --help`' }).toJSON(), null, 2) + '\n');
      return 254;
    }
    // an optional peer dependency (cloud SDK, BullMQ) that is not installed: name it
    const appErr: AppError = controller.signal.aborted ? new InterruptedError(undefined, { cause: err }) : (missingDependency(err) ?? toAppError(err));
    reporter?.clear();
    process.stderr.write(renderError(appErr, verbose));
    if (wantJson || activeCtx?.json) process.stdout.write(redactSecrets(JSON.stringify(appErr.toJSON(), null, 2)) + '\n');
    return appErr.exitCode;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

const invokedDirectly = (() => {
  const a = process.argv[1];
  if (!a) return false;
  try { return fileURLToPath(import.meta.url) === a; } catch { return false; }
})();

if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err) => { process.stderr.write(`ERROR: ${err?.stack ?? err}\n`); process.exitCode = 255; },
  );
}
