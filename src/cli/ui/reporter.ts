import pc from 'picocolors';
import type { ProgressEvent, ProgressFn, Logger } from '../../lib/progress.js';
import { redactSecrets } from '../../lib/safepath.js';

function fmtBytes(n: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${u[i]}`;
}

export function formatBytes(n: number): string { return fmtBytes(n); }

/** The last event of a phase that is over: every counted item and byte is done. */
export function completed(e: ProgressEvent): ProgressEvent {
  return { ...e, done: e.total ?? e.done, bytesDone: e.bytesTotal ?? e.bytesDone, finished: true };
}

/**
 * Renders progress on stderr. On a TTY one line is redrawn (at most 10 times a second); otherwise
 * (CI, pipes) one line when a phase starts and one when it finishes, so logs stay readable.
 */
export class StderrReporter {
  private readonly tty: boolean;
  private phase?: string;
  private phaseStart = 0;
  private lastDraw = 0;
  private drawn = false;
  private lastEvent?: ProgressEvent;

  constructor(private readonly enabled: boolean, private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.tty = !!stream.isTTY && process.env.CI !== 'true';
  }

  readonly onProgress: ProgressFn = (e) => {
    if (!this.enabled) return;
    if (e.phase !== this.phase) {
      // a phase that ends by the next one starting (no finished event) is complete: its last
      // event may be its first, throttled or not (`reading: done (0/2)` after reading both files)
      if (this.phase && this.lastEvent && !this.lastEvent.finished) this.finishLine(completed(this.lastEvent));
      this.phase = e.phase;
      this.phaseStart = Date.now();
      if (!this.tty && !e.finished) this.stream.write(`${e.phase}...${e.total !== undefined ? ` (${e.total}${e.bytesTotal !== undefined ? `, ${fmtBytes(e.bytesTotal)}` : ''})` : ''}\n`);
    }
    this.lastEvent = e;
    if (e.finished) { this.finishLine(e); this.phase = undefined; return; }
    if (!this.tty) return;
    const now = Date.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.stream.write(`\r\x1b[K${this.describe(e)}`);
    this.drawn = true;
  };

  private describe(e: ProgressEvent): string {
    const secs = Math.max((Date.now() - this.phaseStart) / 1000, 1e-3);
    const parts = [pc.cyan(e.phase)];
    if (e.done !== undefined) parts.push(e.total !== undefined ? `${e.done}/${e.total}` : `${e.done}`);
    if (e.total && e.done !== undefined) parts.push(`${Math.floor((100 * e.done) / e.total)}%`);
    if (e.bytesDone !== undefined) {
      parts.push(e.bytesTotal !== undefined ? `${fmtBytes(e.bytesDone)}/${fmtBytes(e.bytesTotal)}` : fmtBytes(e.bytesDone));
      parts.push(`${fmtBytes(e.bytesDone / secs)}/s`);
      if (e.bytesTotal && e.bytesDone > 0 && e.bytesDone < e.bytesTotal) {
        parts.push(`ETA ${Math.ceil(((e.bytesTotal - e.bytesDone) * secs) / e.bytesDone)}s`);
      }
    } else if (e.done !== undefined && e.total && e.done > 0 && e.done < e.total) {
      parts.push(`ETA ${Math.ceil(((e.total - e.done) * secs) / e.done)}s`);
    }
    if (e.item) parts.push(pc.dim(e.item.length > 50 ? '…' + e.item.slice(-49) : e.item));
    return parts.join(' ');
  }

  private finishLine(e: ProgressEvent): void {
    const secs = (Date.now() - this.phaseStart) / 1000;
    const what = [e.done !== undefined ? `${e.done}${e.total !== undefined ? `/${e.total}` : ''}` : '', e.bytesDone !== undefined ? fmtBytes(e.bytesDone) : ''].filter(Boolean).join(', ');
    const line = `${e.phase}: done${what ? ` (${what})` : ''} in ${secs.toFixed(1)}s`;
    if (this.tty) { this.stream.write(`\r\x1b[K${line}\n`); this.drawn = false; }
    else this.stream.write(`${line}\n`);
  }

  clear(): void {
    if (this.tty && this.drawn) { this.stream.write('\r\x1b[K'); this.drawn = false; }
  }
}

export function makeLogger(verbose: number, quiet: boolean, reporter: StderrReporter): Logger {
  return {
    // log lines are redacted: no password in a URL or token reaches stderr (issue 10)
    debug(msg) { if (verbose > 0) { reporter.clear(); process.stderr.write(pc.dim(`DEBUG: ${redactSecrets(msg)}`) + '\n'); } },
    info(msg) { if (!quiet) { reporter.clear(); process.stderr.write(`${redactSecrets(msg)}\n`); } },
    warn(msg) { reporter.clear(); process.stderr.write(`${pc.yellow('WARNING')}: ${redactSecrets(msg)}\n`); },
  };
}
