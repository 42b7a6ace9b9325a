import type { CommandModule } from '../../types.js';
import { addLevelOptions, levelFromOpts, rootFor } from './_shared.js';

export const command: CommandModule = {
  path: ['remote', 'list'],
  aliases: ['ls'],
  describe: 'list remotes (name, url; credentials are never shown)',
  configure(cmd) { addLevelOptions(cmd); },
  async run(ctx, _args, opts) {
    const { listRemotes } = await import('../../../core/repo/remotes.js');
    const level = levelFromOpts(opts);
    const root = level === 'global' || level === 'system' ? undefined : rootFor(ctx.cwd, level);
    const remotes = listRemotes({ root, level });
    if (ctx.json) { ctx.outJson(remotes); return; }
    for (const r of remotes) ctx.out(`${r.name}\t${r.url}${r.default ? '\t(default)' : ''}`, true);
  },
};
