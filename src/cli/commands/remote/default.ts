import type { CommandModule } from '../../types.js';
import { addLevelOptions, levelFromOpts, rootFor } from './_shared.js';

export const command: CommandModule = {
  path: ['remote', 'default'],
  describe: 'print, set or unset the default remote',
  configure(cmd) { cmd.argument('[name]', 'remote to make the default').option('-u, --unset', 'unset the default remote'); addLevelOptions(cmd); },
  async run(ctx, [name], opts) {
    const { defaultRemote } = await import('../../../core/api/repo.js');
    const level = levelFromOpts(opts);
    const root = rootFor(ctx.cwd, level);
    const res = defaultRemote(name, { root, level, unset: !!opts.unset });
    if (ctx.json) ctx.outJson({ default: res ?? null });
    else if (name === undefined && !opts.unset) ctx.out(res!, true);
  },
};
