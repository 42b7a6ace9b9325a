import type { CommandModule } from '../types.js';

export const command: CommandModule = {
  path: ['get'],
  describe: 'download data from a git+DVC repository without tracking it (works outside a repository)',
  configure(cmd) {
    cmd.argument('<url>', 'the source repository: a local path or a git URL')
      .argument('<path>', 'path inside the source repository (DVC- or git-tracked)')
      .option('-o, --out <path>', 'where to put it (default: the basename of PATH)')
      .option('--rev <rev>', 'git revision (branch, tag, commit) of the source')
      .option('-f, --force', 'overwrite an existing OUT')
      .option('-j, --jobs <n>', 'objects downloaded in parallel', (v) => Number(v));
  },
  async run(ctx, args, opts) {
    const { get } = await import('../../core/api/get.js');
    const res = await get({
      cwd: ctx.cwd, url: args[0] as string, path: args[1] as string, out: opts.out, rev: opts.rev, force: !!opts.force, jobs: opts.jobs,
      signal: ctx.signal, onProgress: ctx.onProgress, logger: ctx.logger,
    });
    if (ctx.json) { ctx.outJson(res); return; }
    const { relative } = await import('node:path');
    ctx.info(`Downloaded '${res.path}' (${res.url} @ ${res.revLock.slice(0, 7)}) -> '${relative(ctx.cwd, res.out) || res.out}': ${res.files} file(s), ${res.bytes} bytes`);
  },
};
