import type { CommandModule } from '../types.js';

export const command: CommandModule = {
  path: ['commit'],
  describe: 'record changes of tracked data in .dvc files and store the data in the cache',
  configure(cmd) {
    cmd.argument('[targets...]', '.dvc files or outputs (default: all)')
      .option('-f, --force', 'commit without asking for confirmation');
  },
  async run(ctx, args, opts) {
    const { commit } = await import('../../core/api/commit.js');
    const res = await commit({ cwd: ctx.cwd, targets: (args[0] as string[]) ?? [], force: !!opts.force, signal: ctx.signal, onProgress: ctx.onProgress, logger: ctx.logger });
    if (ctx.json) { ctx.outJson(res); return; }
    const changed = res.outputs.filter((o) => o.changed);
    for (const o of changed) ctx.out(`Updated '${o.dvcfile}' (${o.path})`);
    if (!changed.length) ctx.out('Nothing to commit: tracked data is unchanged.');
    else ctx.out(`\nTo track the changes with git, run:\n\n\tgit add ${changed.map((o) => o.dvcfile).join(' ')}\n`);
  },
};
