import type { CommandModule } from '../types.js';

export const command: CommandModule = {
  path: ['unprotect'],
  describe: 'make linked data files private and writable so they can be edited',
  configure(cmd) {
    cmd.argument('<targets...>', 'tracked outputs or files inside them');
  },
  async run(ctx, args) {
    const { unprotect } = await import('../../core/api/unprotect.js');
    const res = await unprotect({ cwd: ctx.cwd, targets: args[0] as string[], signal: ctx.signal });
    if (ctx.json) { ctx.outJson(res); return; }
    ctx.info(`Unprotected ${res.unprotected.length} file(s)`);
  },
};
