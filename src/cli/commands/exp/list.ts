import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['exp', 'list'],
  aliases: ['ls'],
  describe: 'list experiments of HEAD (or all with -A)',
  configure(cmd) { cmd.option('-A, --all', 'experiments of every baseline'); },
  async run(ctx, _args, opts) {
    const { expList } = await import('../../../core/api/exp.js');
    const l = expList(ctx.cwd, !!opts.all);
    if (ctx.json) { ctx.outJson(l); return; }
    ctx.out(l.map((e) => `${e.baseline.slice(0, 7)}: ${e.name} (${e.rev.slice(0, 7)})`).join('\n'));
  },
};
