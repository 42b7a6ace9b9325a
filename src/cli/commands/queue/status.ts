import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['queue', 'status'],
  describe: 'list queued, running, finished and failed experiments',
  configure(cmd) { cmd.option('--redis-url <url>', 'show the shared Redis queue (default: $GEODVC_QUEUE_URL)'); },
  async run(ctx, _args, opts) {
    const { queueStatus, redisUrlOf, redisQueueStatus } = await import('../../../core/api/exp.js');
    const { renderTable } = await import('../params/show.js');
    const url = redisUrlOf(opts.redisUrl);
    if (url) {
      const jobs = await redisQueueStatus(url);
      if (ctx.json) { ctx.outJson(jobs); return; }
      ctx.out(jobs.length ? renderTable(['Task', 'Name', 'Status', 'Ref'], jobs.map((j) => [j.id, j.name, j.state, j.result?.ref ?? j.error ?? ''])) : 'No experiments in the queue.');
      return;
    }
    const q = queueStatus(ctx.cwd);
    if (ctx.json) { ctx.outJson(q); return; }
    if (!q.length) { ctx.out('No experiments in the queue.'); return; }
    ctx.out(renderTable(['Task', 'Name', 'Created', 'Status', 'Params'], q.map((e) => [e.id, e.name, e.created, e.status, e.set.join(' ')])));
  },
};
