import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['exp', 'branch'],
  describe: 'create a git branch from an experiment',
  configure(cmd) { cmd.argument('<experiment>', 'experiment name or rev').argument('<branch>', 'new branch name'); },
  async run(ctx, args) {
    const { expBranch } = await import('../../../core/api/exp.js');
    const r = expBranch(ctx.cwd, args[0], args[1]);
    if (ctx.json) { ctx.outJson(r); return; }
    ctx.out(`Git branch '${r.branch}' has been created from experiment '${args[0]}'.`);
  },
};
