import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['queue', 'start'],
  describe: 'run the queued experiments one after another, each in a temporary git worktree',
  configure(cmd) { cmd.option('--redis-url <url>', 'with a Redis queue: work on it here until it is empty'); },
  async run(ctx, _args, opts) {
    const { queueStart, redisUrlOf, redisWorker } = await import('../../../core/api/exp.js');
    const url = redisUrlOf(opts.redisUrl);
    if (url) {
      const n = await redisWorker(url, { exitWhenEmpty: true, signal: ctx.signal, log: (s) => ctx.info(s) });
      if (ctx.json) ctx.outJson({ completed: n }); else ctx.out(`Ran ${n} experiment(s) from the Redis queue.`);
      return;
    }
    const done = await queueStart(ctx.cwd, { signal: ctx.signal, onEntry: (e) => { if (!ctx.json) ctx.info(`${e.status}: ${e.name} (${e.id})`); } });
    if (ctx.json) { ctx.outJson(done); return done.some((e) => e.status === 'failed') ? 1 : 0; }
    ctx.out(done.length ? done.map((e) => `${e.name}: ${e.status}${e.error ? ` - ${e.error.split('\n')[0]}` : ''}`).join('\n') : 'No queued experiments.');
    return done.some((e) => e.status === 'failed') ? 1 : 0;
  },
};
