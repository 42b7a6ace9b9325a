import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['metrics', 'diff'],
  describe: 'compare metrics between a git revision (default HEAD) and the workspace or another revision',
  configure(cmd) {
    cmd.argument('[a_rev]', 'old revision', 'HEAD').argument('[b_rev]', 'new revision (default: workspace)')
      .option('--all', 'list unchanged metrics too')
      .option('--targets <files...>', 'only these metrics files')
      .option('--md', 'print a markdown table')
      .option('--precision <n>', 'significant digits of numbers in tables (default 5)', (v) => Number.parseInt(v, 10));
  },
  async run(ctx, args, opts) {
    const { metricsDiff } = await import('../../../core/api/metrics.js');
    const { renderTable, renderMdTable, formatValue, formatG } = await import('../params/show.js');
    const d = metricsDiff({ cwd: ctx.cwd, a: args[0], b: args[1], all: !!opts.all, targets: opts.targets });
    if (ctx.json) { ctx.outJson(d); return; }
    const precision = opts.precision ?? 5;
    const fmt = (v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? formatG(v, precision) : formatValue(v));
    const rows: string[][] = [];
    for (const [f, keys] of Object.entries(d)) {
      for (const k of Object.keys(keys).sort()) {
        const v = keys[k]!;
        rows.push([f, k, fmt(v.old), fmt(v.new), v.diff === undefined ? '-' : fmt(v.diff)]);
      }
    }
    const header = ['Path', 'Metric', args[0] ?? 'HEAD', args[1] ?? 'workspace', 'Change'];
    if (opts.md) { ctx.out(renderMdTable(header, rows) + '\n', true); return; }
    if (rows.length) ctx.out(renderTable(header, rows));
  },
};
