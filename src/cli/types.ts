import type { Command } from 'commander';
import type { ProgressFn, Logger } from '../lib/progress.js';

/** What every command's `run` gets: output channels, flags, the abort signal and a progress sink. */
export interface CliContext {
  json: boolean;
  quiet: boolean;
  verbose: number;
  cwd: string;
  signal: AbortSignal;
  onProgress: ProgressFn;
  logger: Logger;
  /** Writes a line of result text to stdout (suppressed by -q unless `force`). */
  out(text: string, force?: boolean): void;
  /** Writes a JSON document to stdout (always, -q does not suppress it). */
  outJson(value: unknown): void;
  /** Writes a note/warning for the user on stderr. */
  warn(text: string): void;
  info(text: string): void;
}

/**
 * One file under src/cli/commands/ exports `command: CommandModule`. The loader finds every file,
 * builds the commander tree from `path` (e.g. ['remote', 'add']) and adds -q/-v/--json to each.
 * Keep the top of a command file light: import heavy modules inside `run` with `await import()`.
 */
export interface CommandModule {
  path: string[];
  describe: string;
  /** Other names, e.g. ['list'] for 'ls'. Only for the last element of path. */
  aliases?: string[];
  configure?(cmd: Command): void;
  /** Returns the exit code (0 when void). `args` are commander's positional arguments. */
  run(ctx: CliContext, args: any[], opts: Record<string, any>): Promise<number | void>;
}

/** Description of a parent command group (e.g. `remote`), file `<group>/_group.ts`. */
export interface CommandGroup {
  path: string[];
  describe: string;
  aliases?: string[];
}
