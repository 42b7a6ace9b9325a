import type { CommandModule } from '../types.js';

export const command: CommandModule = {
  path: ['get-url'],
  describe: 'download a file or directory from a URL or local path (nothing tracked; works outside a repository)',
  configure(cmd) {
    cmd.argument('<url>', 'local path, or s3:// azure:// gs:// ssh:// http(s):// webdav(s):// URL')
      .argument('[out]', 'where to put it (default: the last part of URL)')
      .option('-f, --force', 'overwrite an existing OUT');
  },
  async run(ctx, args, opts) {
    const { getUrl } = await import('../../core/api/import-url.js');
    const res = await getUrl({ cwd: ctx.cwd, url: args[0] as string, out: args[1] as string | undefined, force: !!opts.force, signal: ctx.signal, onProgress: ctx.onProgress, logger: ctx.logger });
    if (ctx.json) { ctx.outJson(res); return; }
    const { relative } = await import('node:path');
    ctx.info(`Downloaded '${res.url}' -> '${relative(ctx.cwd, res.out) || res.out}' (${res.bytes} bytes)`);
  },
};
