import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['exp', 'pull'],
  describe: 'fetch experiment refs from a git remote',
  configure(cmd) { cmd.argument('<git_remote>', 'git remote name or URL').argument('[experiments...]', 'names (default: all)'); },
  async run(ctx, args) {
    const { expPull } = await import('../../../core/api/exp.js');
    const refs = expPull(ctx.cwd, args[0], args[1] ?? []);
    if (ctx.json) { ctx.outJson({ pulled: refs }); return; }
    ctx.out(`Pulled ${refs.join(', ')}`);
  },
};
