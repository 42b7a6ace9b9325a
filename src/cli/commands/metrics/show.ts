import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['metrics', 'show'],
  describe: 'show the metrics files of the pipeline',
  configure(cmd) { cmd.option('--rev <rev...>', 'git revisions to read instead of the workspace'); },
  async run(ctx, _args, opts) {
    const { metricsShow } = await import('../../../core/api/metrics.js');
    const { flattenParams } = await import('../../../core/dvcfile/params.js');
    const { renderTable, formatValue } = await import('../params/show.js');
    const v = metricsShow(ctx.cwd, opts.rev ?? []);
    if (ctx.json) { ctx.outJson(v); return; }
    const rows: string[][] = [];
    for (const [rev, r] of Object.entries(v)) for (const [f, d] of Object.entries(r.data)) for (const [k, x] of Object.entries(flattenParams(d.data))) rows.push([rev, f, k, formatValue(x)]);
    if (!rows.length) { ctx.info('no metrics files found'); return; }
    ctx.out(renderTable(['Revision', 'Path', 'Metric', 'Value'], rows));
  },
};
