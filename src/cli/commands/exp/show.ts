import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['exp', 'show'],
  describe: 'table of params, metrics and dep hashes for the workspace, HEAD and its experiments',
  configure(cmd) { cmd.option('--csv', 'print CSV (as DVC writes it)').option('-A, --all', 'experiments of every baseline'); },
  async run(ctx, _args, opts) {
    const exp = await import('../../../core/api/exp.js');
    // --json and --csv answer in DVC 3's shapes; the table is geodvc's compact view.
    if (ctx.json) { ctx.outJson(exp.expShowDvc(ctx.cwd, { all: !!opts.all })); return; }
    if (opts.csv) { ctx.out(exp.expShowCsv(ctx.cwd, { all: !!opts.all }), true); return; }
    const rows = exp.expShow(ctx.cwd, { all: !!opts.all });
    const t = exp.expTable(rows);
    const { renderTable } = await import('../params/show.js');
    ctx.out(renderTable(t.header, t.cells), true);
  },
};
