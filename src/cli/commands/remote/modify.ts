import type { CommandModule } from '../../types.js';
import { addLevelOptions, levelFromOpts, rootFor } from './_shared.js';

export const command: CommandModule = {
  path: ['remote', 'modify'],
  describe: 'set or unset an option of a remote (e.g. credentialpath, endpointurl, jobs, checksum)',
  configure(cmd) {
    cmd.argument('<name>', 'remote name').argument('<option>', 'option name').argument('[value]', 'option value')
      .option('-u, --unset', 'remove the option');
    addLevelOptions(cmd);
  },
  async run(ctx, [name, option, value], opts) {
    const { modifyRemote } = await import('../../../core/api/repo.js');
    const { maskSecret } = await import('../../../core/api/repo.js');
    const level = levelFromOpts(opts, 'repo')!;
    const root = rootFor(ctx.cwd, level);
    modifyRemote(name, option, value, { root, cwd: ctx.cwd, level, unset: !!opts.unset });
    if (ctx.json) ctx.outJson({ name, option: option.toLowerCase(), value: opts.unset ? null : maskSecret(option, value), level });
  },
};
