import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['queue', 'status'],
  describe: 'list queued, running, finished and failed experiments',
  async run(ctx) {
    const { queueStatus } = await import('../../../core/api/exp.js');
    const { renderTable } = await import('../params/show.js');
    const q = queueStatus(ctx.cwd);
    if (ctx.json) { ctx.outJson(q); return; }
    if (!q.length) { ctx.out('No experiments in the queue.'); return; }
    ctx.out(renderTable(['Task', 'Name', 'Created', 'Status', 'Params'], q.map((e) => [e.id, e.name, e.created, e.status, e.set.join(' ')])));
  },
};
