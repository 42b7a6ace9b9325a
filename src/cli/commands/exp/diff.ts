import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['exp', 'diff'],
  describe: 'compare params and metrics of an experiment with its baseline, or of two experiments',
  configure(cmd) { cmd.argument('<a>', 'experiment name or rev').argument('[b]', 'second experiment or rev').option('--all', 'list unchanged values too'); },
  async run(ctx, args, opts) {
    const { expDiff } = await import('../../../core/api/exp.js');
    const { renderTable, formatValue } = await import('../params/show.js');
    const d = expDiff(ctx.cwd, args[0], args[1], !!opts.all);
    if (ctx.json) { ctx.outJson(d); return; }
    const rows: string[][] = [];
    for (const [kind, dd] of [['param', d.params], ['metric', d.metrics]] as const) {
      for (const [f, keys] of Object.entries(dd)) for (const [k, v] of Object.entries(keys)) rows.push([kind, f, k, formatValue(v.old), formatValue(v.new)]);
    }
    if (rows.length) ctx.out(renderTable(['Type', 'Path', 'Key', 'Old', 'New'], rows));
  },
};
