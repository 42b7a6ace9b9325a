import type { CommandModule } from '../../types.js';
import { formatValue } from './show.js';

export const command: CommandModule = {
  path: ['params', 'diff'],
  describe: 'compare params between a git revision (default HEAD) and the workspace or another revision',
  configure(cmd) {
    cmd.argument('[a_rev]', 'old revision', 'HEAD').argument('[b_rev]', 'new revision (default: workspace)')
      .option('--all', 'list unchanged params too')
      .option('--targets <files...>', 'only these params files')
      .option('--md', 'print a markdown table');
  },
  async run(ctx, args, opts) {
    const { paramsDiff } = await import('../../../core/api/params.js');
    const d = paramsDiff({ cwd: ctx.cwd, a: args[0], b: args[1], all: !!opts.all, targets: opts.targets });
    if (ctx.json) { ctx.outJson(d); return; }
    const rows: string[][] = [];
    for (const f of Object.keys(d).sort()) {
      const keys = d[f]!;
      for (const k of Object.keys(keys).sort()) rows.push([f, k, formatValue(keys[k]!.old), formatValue(keys[k]!.new)]);
    }
    const header = ['Path', 'Param', args[0] ?? 'HEAD', args[1] ?? 'workspace'];
    const { renderTable, renderMdTable } = await import('./show.js');
    if (opts.md) { ctx.out(renderMdTable(header, rows) + '\n', true); return; }
    if (!rows.length) return;
    ctx.out(renderTable(header, rows));
  },
};
