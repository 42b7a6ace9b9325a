import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['stage', 'list'],
  describe: 'list the stages of every dvc.yaml',
  async run(ctx) {
    const { listStages } = await import('../../../core/api/stage.js');
    const rows = listStages(ctx.cwd);
    if (ctx.json) { ctx.outJson(rows); return; }
    const w = Math.max(0, ...rows.map((r) => r.stage.length));
    ctx.out(rows.map((r) => `${r.stage.padEnd(w)}  ${r.desc || (r.outs.length ? 'Outputs ' + r.outs.join(', ') : '')}`.trimEnd()).join('\n'));
  },
};
