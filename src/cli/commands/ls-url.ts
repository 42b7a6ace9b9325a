import type { CommandModule } from '../types.js';

export const command: CommandModule = {
  path: ['ls-url'],
  describe: 'list a file or directory at a URL or local path (s3:// azure:// gs:// ssh:// http(s):// webdav(s)://)',
  configure(cmd) {
    cmd.argument('<url>', 'local path or URL')
      .option('-R, --recursive', 'list files in subdirectories too')
      .option('-s, --size', 'show sizes');
  },
  async run(ctx, args, opts) {
    const { lsUrl } = await import('../../core/api/ls-url.js');
    const res = await lsUrl({ cwd: ctx.cwd, url: args[0] as string, recursive: !!opts.recursive, signal: ctx.signal });
    if (ctx.json) { ctx.outJson(res); return; }
    for (const e of res) ctx.out(`${opts.size ? `${String(e.size ?? '-').padStart(12)}  ` : ''}${e.path}${e.isdir ? '/' : ''}`);
  },
};
