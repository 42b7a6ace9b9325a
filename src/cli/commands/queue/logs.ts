import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['queue', 'logs'],
  describe: 'show the output of a queued experiment run',
  configure(cmd) { cmd.argument('<task>', 'task id or experiment name'); },
  async run(ctx, args) {
    const { queueLogs } = await import('../../../core/api/exp.js');
    const text = queueLogs(ctx.cwd, args[0]);
    if (ctx.json) { ctx.outJson({ task: args[0], log: text }); return; }
    ctx.out(text.trimEnd(), true);
  },
};
