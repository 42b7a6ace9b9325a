import type { CommandModule } from '../../types.js';
import { addLevelOptions, levelFromOpts, rootFor } from '../remote/_shared.js';

export const command: CommandModule = {
  path: ['cache', 'dir'],
  describe: 'print or set the cache directory (cache.dir)',
  configure(cmd) {
    cmd.argument('[path]', 'new cache directory (relative to the current directory)')
      .option('-u, --unset', 'unset cache.dir (back to .dvc/cache)');
    addLevelOptions(cmd);
  },
  async run(ctx, [path], opts) {
    const cfg = await import('../../../core/api/repo.js');
    const { openRepoSync } = await import('../../../core/api/repo.js');
    const { ConfigError } = await import('../../../lib/errors.js');
    const level = levelFromOpts(opts);
    const root = rootFor(ctx.cwd, level);
    if (opts.unset) {
      const l = level ?? 'repo';
      if (!cfg.unsetConfigValue(root, l, 'cache.dir')) throw new ConfigError(`cache.dir is not set in the ${l} config`, { hint: 'see `geodvc config -l --show-origin`' });
      if (ctx.json) ctx.outJson({ cacheDir: openRepoSync(root!).cacheDir, unset: true });
      return;
    }
    if (path === undefined) {
      const repo = openRepoSync(root ?? ctx.cwd);
      if (ctx.json) ctx.outJson({ cacheDir: repo.cacheDir });
      else ctx.out(repo.cacheDir, true);
      return;
    }
    cfg.setConfigValue(root, level ?? 'repo', 'cache.dir', path, { cwd: ctx.cwd });
    if (ctx.json) ctx.outJson({ cacheDir: openRepoSync(root!).cacheDir });
  },
};
