import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['exp', 'show'],
  describe: 'table of params, metrics and dep hashes for the workspace, HEAD and its experiments',
  configure(cmd) { cmd.option('--csv', 'print CSV').option('-A, --all', 'experiments of every baseline'); },
  async run(ctx, _args, opts) {
    const { expShow, expTable, toCsv } = await import('../../../core/api/exp.js');
    const rows = expShow(ctx.cwd, { all: !!opts.all });
    if (ctx.json) { ctx.outJson(rows); return; }
    const t = expTable(rows);
    if (opts.csv) { ctx.out(toCsv(t.header, t.cells), true); return; }
    const { renderTable } = await import('../params/show.js');
    ctx.out(renderTable(t.header, t.cells), true);
  },
};
