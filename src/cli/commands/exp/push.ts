import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['exp', 'push'],
  describe: 'push experiment refs to a git remote',
  configure(cmd) { cmd.argument('<git_remote>', 'git remote name or URL').argument('<experiments...>', 'names or revs'); },
  async run(ctx, args) {
    const { expPush } = await import('../../../core/api/exp.js');
    const refs = expPush(ctx.cwd, args[0], args[1]);
    if (ctx.json) { ctx.outJson({ pushed: refs }); return; }
    ctx.out(`Pushed ${refs.join(', ')}`);
  },
};
