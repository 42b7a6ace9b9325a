import type { CommandModule } from '../../types.js';
import { addLevelOptions, levelFromOpts, rootFor } from './_shared.js';

export const command: CommandModule = {
  path: ['remote', 'add'],
  describe: 'add a data remote (local path/file://, s3://, azure://, gs://, ssh://, http(s)://, webdav(s)://)',
  configure(cmd) {
    cmd.argument('<name>', 'remote name').argument('<url>', 'remote url or local path')
      .option('-d, --default', 'make it the default remote (core.remote)')
      .option('-f, --force', 'overwrite an existing remote of that name');
    addLevelOptions(cmd);
  },
  async run(ctx, [name, url], opts) {
    const { addRemote } = await import('../../../core/api/repo.js');
    const level = levelFromOpts(opts, 'repo')!;
    const root = rootFor(ctx.cwd, level);
    addRemote(name, url, { root, cwd: ctx.cwd, level, default: !!opts.default, force: !!opts.force });
    if (ctx.json) ctx.outJson({ name, url, default: !!opts.default, level });
    else if (opts.default) ctx.info(`Setting '${name}' as a default remote.`);
  },
};
