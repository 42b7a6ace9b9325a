import type { CommandModule } from '../../types.js';
import { addLevelOptions, levelFromOpts, rootFor } from './_shared.js';

export const command: CommandModule = {
  path: ['remote', 'remove'],
  aliases: ['rm'],
  describe: 'remove a remote (and unset it as default where it was)',
  configure(cmd) { cmd.argument('<name>', 'remote name'); addLevelOptions(cmd); },
  async run(ctx, [name], opts) {
    const { removeRemote } = await import('../../../core/api/repo.js');
    const level = levelFromOpts(opts, 'repo')!;
    removeRemote(name, { root: rootFor(ctx.cwd, level), level });
    if (ctx.json) ctx.outJson({ removed: name, level });
  },
};
