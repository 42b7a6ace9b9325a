import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['queue', 'worker'],
  describe: 'take experiments from the shared Redis queue (GEODVC_QUEUE_URL or --redis-url) until stopped',
  configure(cmd) {
    cmd.option('--redis-url <url>', 'redis://HOST:PORT[/DB] (default: $GEODVC_QUEUE_URL)')
      .option('-j, --jobs <n>', 'experiments run at once by this worker', '1')
      .option('--exit-when-empty', 'stop when no job is waiting or running');
  },
  async run(ctx, _args, opts) {
    const { redisUrlOf, redisWorker } = await import('../../../core/api/exp.js');
    const url = redisUrlOf(opts.redisUrl);
    if (!url) {
      const { UsageError } = await import('../../../lib/errors.js');
      throw new UsageError('no Redis queue configured', { hint: 'set GEODVC_QUEUE_URL=redis://HOST:PORT or pass --redis-url' });
    }
    const n = await redisWorker(url, { concurrency: Number(opts.jobs) || 1, exitWhenEmpty: !!opts.exitWhenEmpty, signal: ctx.signal, log: (s) => ctx.info(s) });
    if (ctx.json) ctx.outJson({ completed: n });
    else ctx.out(`Worker finished ${n} experiment(s).`);
  },
};
