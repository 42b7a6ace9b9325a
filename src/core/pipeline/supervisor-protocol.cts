/**
 * What the stage supervisor (`supervisor-child.cts`, a child process of geodvc) and its parent
 * (`executor.ts`) share: the environment variables it handles and the messages on its IPC channel.
 * Kept apart from `supervisor.ts` so the supervisor loads nothing but Node's built-ins and this file;
 * CommonJS like the supervisor (ES modules import it as well).
 */

/** Environment variable the supervisor puts in the stage command's environment (the record's tag). */
export const STAGE_TAG_ENV = 'GEODVC_STAGE_RUN';
/**
 * Variables that slow down a Node start-up (`NODE_OPTIONS` may load tsx; `NODE_EXTRA_CA_CERTS`
 * parses a CA bundle: ~100 ms of CPU) are kept out of the supervisor's environment: they travel as
 * JSON under `STAGE_RESTORE_ENV` and the supervisor gives them back to the stage command.
 */
export const STAGE_RESTORE_ENV = 'GEODVC_STAGE_RESTORE_ENV';
export const SUPERVISOR_DROPPED_ENV = ['NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS'] as const;

/** Messages from the supervisor to geodvc. */
export type SupervisorMsg =
  | { t: 'started'; pid: number; start?: string }
  | { t: 'exit'; code: number | null; signal: NodeJS.Signals | null }
  | { t: 'error'; message: string; code?: string };

/** Messages from geodvc to the supervisor: `int` is Ctrl-C (SIGINT to the group, SIGKILL 3 s later). */
export type SupervisorCommand = { t: 'int' };

/**
 * A kept-warm supervisor (`supervisor-child.cjs --serve`, used by `queue worker`: one Node start
 * per worker instead of one per stage) runs many commands, each known by `id`; their output comes
 * back on the channel. Records are `stage-<supervisor pid>-<command pid>.json`.
 */
export type ServeCommand =
  | { t: 'run'; id: number; cmd: string; cwd: string; recordDir: string; stage: string; owner: string; env: Record<string, string> }
  | { t: 'int'; id: number };
export type ServeMsg =
  | { t: 'started'; id: number; pid: number; start?: string }
  | { t: 'out'; id: number; err: boolean; d: string }
  | { t: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null }
  | { t: 'error'; id: number; message: string; code?: string };
