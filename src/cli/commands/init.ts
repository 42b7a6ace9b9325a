import type { CommandModule } from '../types.js';

export const command: CommandModule = {
  path: ['init'],
  describe: 'initialize a geodvc (DVC-compatible) repository in the current directory',
  configure(cmd) {
    cmd.option('--no-scm', 'initialize without git (core.no_scm)')
      .option('-f, --force', 're-initialize: delete and re-create an existing .dvc/')
      .option('--subdir', 'initialize in a subdirectory of a git repository');
  },
  async run(ctx, _args, opts) {
    const { initRepo } = await import('../../core/api/init.js');
    const res = initRepo(ctx.cwd, { noScm: opts.scm === false, force: !!opts.force, subdir: !!opts.subdir });
    if (ctx.json) { ctx.outJson(res); return; }
    ctx.out('Initialized DVC repository.');
    if (!res.noScm) ctx.out('\nYou can now commit the changes to git.');
  },
};
