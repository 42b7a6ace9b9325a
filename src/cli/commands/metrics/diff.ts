import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['metrics', 'diff'],
  describe: 'compare metrics between a git revision (default HEAD) and the workspace or another revision',
  configure(cmd) {
    cmd.argument('[a_rev]', 'old revision', 'HEAD').argument('[b_rev]', 'new revision (default: workspace)').option('--all', 'list unchanged metrics too');
  },
  async run(ctx, args, opts) {
    const { metricsDiff } = await import('../../../core/api/metrics.js');
    const { renderTable, formatValue } = await import('../params/show.js');
    const d = metricsDiff(ctx.cwd, args[0], args[1], !!opts.all);
    if (ctx.json) { ctx.outJson(d); return; }
    const rows: string[][] = [];
    for (const [f, keys] of Object.entries(d)) for (const [k, v] of Object.entries(keys)) rows.push([f, k, formatValue(v.old), formatValue(v.new), v.diff === undefined ? '-' : String(v.diff)]);
    if (rows.length) ctx.out(renderTable(['Path', 'Metric', args[0] ?? 'HEAD', args[1] ?? 'workspace', 'Change'], rows));
  },
};
