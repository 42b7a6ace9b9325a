import type { CommandModule } from '../types.js';

export const command: CommandModule = {
  path: ['move'],
  aliases: ['mv'],
  describe: 'rename a tracked output together with its .dvc file and .gitignore entries',
  configure(cmd) {
    cmd.argument('<src>', 'tracked output').argument('<dst>', 'new path (or an existing directory to move into)');
  },
  async run(ctx, args) {
    const { move } = await import('../../core/api/move.js');
    const res = await move({ cwd: ctx.cwd, src: args[0] as string, dst: args[1] as string, signal: ctx.signal });
    if (ctx.json) { ctx.outJson(res); return; }
    ctx.out(`Moved '${res.from}' to '${res.to}' (${res.dvcfile})`);
  },
};
