import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['metrics', 'show'],
  describe: 'show the metrics files of the pipeline',
  configure(cmd) {
    cmd.option('--rev <rev...>', 'git revisions to read (besides the workspace)')
      .option('-a, --all-branches', 'every branch')
      .option('-T, --all-tags', 'every tag')
      .option('-A, --all-commits', 'every commit')
      .option('--md', 'print a markdown table')
      .option('--precision <n>', 'significant digits of numbers in tables (default 5)', (v) => Number.parseInt(v, 10));
  },
  async run(ctx, _args, opts) {
    const { metricsShow } = await import('../../../core/api/metrics.js');
    const { flattenParams } = await import('../../../core/api/params.js');
    const { renderTable, renderMdTable, formatValue, formatG } = await import('../params/show.js');
    const v = metricsShow(ctx.cwd, { revs: opts.rev ?? [], allBranches: !!opts.allBranches, allTags: !!opts.allTags, allCommits: !!opts.allCommits });
    if (ctx.json) { ctx.outJson(v); return; }
    const precision = opts.precision ?? 5;
    const fmt = (x: unknown) => (typeof x === 'number' && !Number.isInteger(x) ? formatG(x, precision) : formatValue(x));
    const rows: string[][] = [];
    for (const [rev, r] of Object.entries(v)) for (const [f, d] of Object.entries(r.data)) for (const [k, x] of Object.entries(flattenParams(d.data))) rows.push([rev || 'workspace', f, k, fmt(x)]);
    if (!rows.length) { ctx.info('no metrics files found'); return; }
    const header = ['Revision', 'Path', 'Metric', 'Value'];
    ctx.out(opts.md ? renderMdTable(header, rows) + '\n' : renderTable(header, rows), !!opts.md);
  },
};
