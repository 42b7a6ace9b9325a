import type { CommandModule } from '../types.js';

export const command: CommandModule = {
  path: ['freeze'],
  describe: 'freeze stages or .dvc files: repro and status leave them as they are',
  configure(cmd) {
    cmd.argument('<targets...>', 'stage names (or dvc.yaml:stage) and .dvc files');
  },
  async run(ctx, [targets]) {
    const { freeze } = await import('../../core/api/freeze.js');
    const res = await freeze({ cwd: ctx.cwd, targets, frozen: true, signal: ctx.signal });
    if (ctx.json) ctx.outJson(res);
  },
};
