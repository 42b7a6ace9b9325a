import type { CommandModule } from '../types.js';

export const command: CommandModule = {
  path: ['unfreeze'],
  describe: 'unfreeze stages or .dvc files frozen by freeze',
  configure(cmd) {
    cmd.argument('<targets...>', 'stage names (or dvc.yaml:stage) and .dvc files');
  },
  async run(ctx, [targets]) {
    const { freeze } = await import('../../core/api/freeze.js');
    const res = await freeze({ cwd: ctx.cwd, targets, frozen: false, signal: ctx.signal });
    if (ctx.json) ctx.outJson(res);
  },
};
