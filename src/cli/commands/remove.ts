import type { CommandModule } from '../types.js';

export const command: CommandModule = {
  path: ['remove'],
  describe: 'stop tracking data: remove .dvc files and their .gitignore entries (data kept unless --outs)',
  configure(cmd) {
    cmd.argument('<targets...>', '.dvc files or tracked outputs').option('--outs', 'also delete the outputs from the workspace');
  },
  async run(ctx, args, opts) {
    const { remove } = await import('../../core/api/remove.js');
    const res = await remove({ cwd: ctx.cwd, targets: args[0] as string[], outs: !!opts.outs, signal: ctx.signal });
    if (ctx.json) { ctx.outJson(res); return; }
    for (const r of res.removed) ctx.out(`Removed '${r.dvcfile}'${r.outsDeleted ? ` and ${r.outputs.join(', ')}` : ''}`);
  },
};
