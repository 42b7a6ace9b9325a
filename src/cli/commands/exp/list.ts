import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['exp', 'list'],
  aliases: ['ls'],
  describe: 'list experiments of HEAD (or all with -A)',
  configure(cmd) { cmd.option('-A, --all', 'experiments of every baseline').option('--name-only', 'only the experiment names'); },
  async run(ctx, _args, opts) {
    const { expList, expListText } = await import('../../../core/api/exp.js');
    if (ctx.json) { ctx.outJson(expList(ctx.cwd, !!opts.all)); return; }
    const text = expListText(ctx.cwd, { all: !!opts.all, nameOnly: !!opts.nameOnly });
    // Nothing at all when there are no experiments (no blank line).
    if (text) ctx.out(text, true);
  },
};
