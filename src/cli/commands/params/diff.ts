import type { CommandModule } from '../../types.js';
import { formatValue } from './show.js';

export const command: CommandModule = {
  path: ['params', 'diff'],
  describe: 'compare params between a git revision (default HEAD) and the workspace or another revision',
  configure(cmd) {
    cmd.argument('[a_rev]', 'old revision', 'HEAD').argument('[b_rev]', 'new revision (default: workspace)')
      .option('--all', 'list unchanged params too');
  },
  async run(ctx, args, opts) {
    const { paramsDiff } = await import('../../../core/api/params.js');
    const d = paramsDiff({ cwd: ctx.cwd, a: args[0], b: args[1], all: !!opts.all });
    if (ctx.json) { ctx.outJson(d); return; }
    const rows: string[][] = [];
    for (const [f, keys] of Object.entries(d)) for (const [k, v] of Object.entries(keys)) rows.push([f, k, formatValue(v.old), formatValue(v.new)]);
    if (!rows.length) return;
    const { renderTable } = await import('./show.js');
    ctx.out(renderTable(['Path', 'Param', args[0] ?? 'HEAD', args[1] ?? 'workspace'], rows));
  },
};
