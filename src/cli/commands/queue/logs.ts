import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['queue', 'logs'],
  describe: 'show the output of a queued experiment run or (with Redis) of a stage job',
  configure(cmd) {
    cmd.argument('<task>', 'task id or experiment name, or a stage job id (`queue status`)')
      .option('--redis-url <url>', 'look for stage jobs on this Redis queue (default: $GEODVC_QUEUE_URL)');
  },
  async run(ctx, args, opts) {
    const { queueLogs, redisUrlOf } = await import('../../../core/api/exp.js');
    const url = redisUrlOf(opts.redisUrl);
    if (url) {
      const { stageJobLogs } = await import('../../../core/api/repro.js');
      const log = await stageJobLogs(url, args[0]);
      if (log !== undefined) {
        if (ctx.json) { ctx.outJson({ task: args[0], log }); return; }
        ctx.out(log.trimEnd(), true);
        return;
      }
    }
    const text = queueLogs(ctx.cwd, args[0]);
    if (ctx.json) { ctx.outJson({ task: args[0], log: text }); return; }
    ctx.out(text.trimEnd(), true);
  },
};
