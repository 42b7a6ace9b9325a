import type { CommandModule } from '../../types.js';
import { addLevelOptions, levelFromOpts, rootFor } from './_shared.js';

export const command: CommandModule = {
  path: ['remote', 'rename'],
  describe: 'rename a remote (the default follows)',
  configure(cmd) { cmd.argument('<name>', 'current name').argument('<new>', 'new name'); addLevelOptions(cmd); },
  async run(ctx, [name, newName], opts) {
    const { renameRemote } = await import('../../../core/api/repo.js');
    const level = levelFromOpts(opts, 'repo')!;
    renameRemote(name, newName, { root: rootFor(ctx.cwd, level), level });
    if (ctx.json) ctx.outJson({ renamed: name, to: newName, level });
  },
};
