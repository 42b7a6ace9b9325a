import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['queue', 'start'],
  describe: 'run the queued experiments one after another, each in a temporary git worktree',
  async run(ctx) {
    const { queueStart } = await import('../../../core/api/exp.js');
    const done = await queueStart(ctx.cwd, { signal: ctx.signal, onEntry: (e) => { if (!ctx.json) ctx.info(`${e.status}: ${e.name} (${e.id})`); } });
    if (ctx.json) { ctx.outJson(done); return done.some((e) => e.status === 'failed') ? 1 : 0; }
    ctx.out(done.length ? done.map((e) => `${e.name}: ${e.status}${e.error ? ` - ${e.error.split('\n')[0]}` : ''}`).join('\n') : 'No queued experiments.');
    return done.some((e) => e.status === 'failed') ? 1 : 0;
  },
};
