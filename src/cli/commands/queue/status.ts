import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['queue', 'status'],
  describe: 'list queued, running, finished and failed experiments and (with Redis) stage jobs',
  configure(cmd) {
    cmd.option('--redis-url <url>', 'show the shared Redis queue (default: $GEODVC_QUEUE_URL)')
      .option('--run <id>', 'only the stage jobs of this `repro --queue` run');
  },
  async run(ctx, _args, opts) {
    const { queueStatus, redisUrlOf, redisQueueStatus } = await import('../../../core/api/exp.js');
    const { renderTable } = await import('../params/show.js');
    const url = redisUrlOf(opts.redisUrl);
    if (url) {
      const { stageQueueStatus } = await import('../../../core/api/repro.js');
      const jobs = opts.run ? [] : (await redisQueueStatus(url)).map((j) => ({ ...j, kind: 'exp' as const }));
      const stages = await stageQueueStatus(url, opts.run);
      if (ctx.json) { ctx.outJson([...jobs, ...stages]); return; }
      const out: string[] = [];
      if (jobs.length) out.push(renderTable(['Task', 'Name', 'Status', 'Ref'], jobs.map((j) => [j.id, j.name, j.state, j.result?.ref ?? j.error ?? ''])));
      if (stages.length) {
        const counts = new Map<string, number>();
        for (const s of stages) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
        out.push(renderTable(['Job', 'Stage', 'Status', 'Result', 'Worker'], stages.map((s) => [s.id, s.name, s.state, s.action ?? (s.error ? (s.error.split('\n')[0] ?? '').slice(0, 60) : ''), s.worker ?? ''])));
        out.push(`Stage jobs: ${[...counts].map(([k, v]) => `${v} ${k}`).join(', ')}`);
      }
      ctx.out(out.length ? out.join('\n\n') : 'No experiments or stage jobs in the queue.');
      return;
    }
    const q = queueStatus(ctx.cwd);
    if (ctx.json) { ctx.outJson(q); return; }
    if (!q.length) { ctx.out('No experiments in the queue.'); return; }
    ctx.out(renderTable(['Task', 'Name', 'Created', 'Status', 'Params'], q.map((e) => [e.id, e.name, e.created, e.status, e.set.join(' ')])));
  },
};
