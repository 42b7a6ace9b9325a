/**
 * Progress events. Core code never prints: it calls `onProgress` with these events and the CLI's
 * reporter renders them on stderr (a redrawn bar on a TTY, one line per phase otherwise).
 */
export interface ProgressEvent {
  /** A short phase name: "hashing", "linking", "pushing", ... */
  phase: string;
  /** Units done so far (files, objects, chips...). */
  done?: number;
  /** Units in all, when known. */
  total?: number;
  bytesDone?: number;
  bytesTotal?: number;
  /** The item being worked on, for verbose output. */
  item?: string;
  /** Set once, when the phase has finished. */
  finished?: boolean;
}

export type ProgressFn = (e: ProgressEvent) => void;
export const noProgress: ProgressFn = () => {};

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
}
export const nullLogger: Logger = { debug() {}, info() {}, warn() {} };

/** Options every core operation accepts. */
export interface OpContext {
  signal?: AbortSignal;
  onProgress?: ProgressFn;
  logger?: Logger;
}

/**
 * Throttles progress events of one phase so hot loops can report every item cheaply.
 * Always passes through the first and the finished event.
 */
export function throttledProgress(fn: ProgressFn | undefined, intervalMs = 100): ProgressFn {
  if (!fn) return noProgress;
  let last = 0;
  return (e) => {
    const now = Date.now();
    if (e.finished || now - last >= intervalMs) {
      last = now;
      fn(e);
    }
  };
}
