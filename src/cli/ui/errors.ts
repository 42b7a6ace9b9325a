import pc from 'picocolors';
import { AppError } from '../../lib/errors.js';
import { redactSecrets } from '../../lib/safepath.js';

/** `ERROR: message` and `hint: ...` on stderr; with -v the cause chain and stack. */
export function renderError(err: AppError, verbose: number): string {
  const lines = [`${pc.red('ERROR')}: ${err.message}`];
  if (err.hint) lines.push(`${pc.cyan('hint')}: ${err.hint}`);
  if (verbose > 0) {
    let cause: unknown = err.cause;
    let depth = 0;
    while (cause && depth++ < 8) {
      const c = cause as Error;
      lines.push(pc.dim(`caused by: ${c?.stack ?? String(c)}`));
      cause = c?.cause;
    }
    if (err.stack) lines.push(pc.dim(err.stack));
  } else if (err.cause && err.code === 'internal') {
    lines.push(pc.dim('rerun with -v for details'));
  }
  // secrets (passwords in URLs, tokens) never reach the terminal or CI logs (issue 10)
  return redactSecrets(lines.join('\n')) + '\n';
}
