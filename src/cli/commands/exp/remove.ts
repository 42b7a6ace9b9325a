import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['exp', 'remove'],
  aliases: ['rm'],
  describe: 'remove experiments (their refs) or queued experiments',
  configure(cmd) { cmd.argument('[experiments...]', 'names or revs').option('-A, --all', 'remove every experiment').option('--queue', 'also remove queued experiments'); },
  async run(ctx, args, opts) {
    const { expRemove } = await import('../../../core/api/exp.js');
    if (!opts.all && !opts.queue && !(args[0]?.length)) {
      const { UsageError } = await import('../../../lib/errors.js');
      throw new UsageError('no experiments given', { hint: 'name them, or use --all / --queue' });
    }
    const removed = expRemove(ctx.cwd, args[0] ?? [], { all: !!opts.all, queue: !!opts.queue });
    if (ctx.json) { ctx.outJson({ removed }); return; }
    ctx.out(removed.length ? `Removed experiments: ${removed.join(', ')}` : 'No experiments removed.');
  },
};
