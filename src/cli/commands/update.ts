import type { CommandModule } from '../types.js';

export const command: CommandModule = {
  path: ['update'],
  describe: 'bring imports (`import`, `import-url`) up to date with their source',
  configure(cmd) {
    cmd.argument('<targets...>', '.dvc files of imports (or their outputs)')
      .option('--rev <rev>', 'git revision of the source repository to update to (recorded in the .dvc)')
      .option('--no-download', 'record the new hashes without downloading the data')
      .option('-j, --jobs <n>', 'objects downloaded in parallel', (v) => Number(v));
  },
  async run(ctx, args, opts) {
    const { update } = await import('../../core/api/update.js');
    const res = await update({
      cwd: ctx.cwd, targets: args[0] as string[], rev: opts.rev, noDownload: opts.download === false, jobs: opts.jobs,
      signal: ctx.signal, onProgress: ctx.onProgress, logger: ctx.logger,
    });
    if (ctx.json) { ctx.outJson(res); return; }
    for (const u of res.updated) {
      if (!u.changed) ctx.info(`'${u.out}' is up to date`);
      else if (u.kind === 'repo') ctx.info(`Updated '${u.out}' (${u.previousRevLock?.slice(0, 7) ?? 'none'} -> ${u.revLock?.slice(0, 7)})`);
      else ctx.info(`Updated '${u.out}' from its source`);
    }
    const changed = res.updated.filter((u) => u.changed).map((u) => u.dvcfile);
    if (changed.length) ctx.out(`\nTo track the changes with git, run:\n\n\tgit add ${changed.join(' ')}\n`);
  },
};
