import type { CommandModule } from '../../types.js';
import { UsageError } from '../../../lib/errors.js';

const int = (v: string | undefined, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`${flag} must be a whole number of days, not '${v}'`, { hint: `for example \`${flag} 30\`` });
  return Number(v);
};

export const command: CommandModule = {
  path: ['remote', 'lifecycle'],
  describe: 'write the bucket lifecycle rule moving the remote\'s objects to an infrequent-access tier after N days',
  configure(cmd) {
    cmd.argument('[name]', 'remote name (default: the default remote)')
      .requiredOption('--transition-days <n>', 'move objects this many days after they were written')
      .option('--storage-class <class>', 'target class (s3: STANDARD_IA default, GLACIER_IR…; gs: NEARLINE default, COLDLINE, ARCHIVE; azure: Cool default, Cold, Archive)')
      .option('--expire-noncurrent-days <m>', 'also delete noncurrent object versions after M days (versioned buckets)')
      .option('--dry', 'print the rule without writing it');
  },
  async run(ctx, [name], opts) {
    const { remoteLifecycle } = await import('../../../core/api/remote-lifecycle.js');
    const r = await remoteLifecycle({
      cwd: ctx.cwd, remote: name, signal: ctx.signal,
      transitionDays: int(opts.transitionDays, '--transition-days')!,
      expireNoncurrentDays: int(opts.expireNoncurrentDays, '--expire-noncurrent-days'),
      storageClass: opts.storageClass, dry: !!opts.dry,
    });
    if (ctx.json) { ctx.outJson(r); return 0; }
    const doc = JSON.stringify(r.document, null, 2);
    const where = `${r.scheme === 'azure' ? 'container' : 'bucket'} '${r.bucket}', prefix '${r.prefix}'`;
    if (r.applied) {
      ctx.out(`lifecycle rule '${r.ruleId}' written to ${where}: objects move to ${r.storageClass} after ${r.transitionDays} days${r.keptRules ? ` (${r.keptRules} other rule(s) kept)` : ''}`);
      ctx.out(doc);
    } else if (r.dry) {
      ctx.out(`would write lifecycle rule '${r.ruleId}' for ${where}:`);
      ctx.out(doc);
    } else {
      ctx.out(doc);
      if (r.note) ctx.warn(r.note);
    }
    return 0;
  },
};
