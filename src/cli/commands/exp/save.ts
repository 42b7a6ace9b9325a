import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['exp', 'save'],
  describe: 'save the current workspace as an experiment of HEAD without running the pipeline',
  configure(cmd) {
    cmd.option('-n, --name <name>', 'experiment name (default: generated)')
      .option('-f, --force', 'replace an experiment with the same name')
      .option('-I, --include-untracked <path...>', 'untracked files to include in the experiment (others are left out)')
      .option('-m, --message <message>', 'commit message of the experiment');
  },
  async run(ctx, _args, opts) {
    const { expSave } = await import('../../../core/api/exp.js');
    const r = await expSave({
      cwd: ctx.cwd, name: opts.name, force: !!opts.force, message: opts.message, includeUntracked: opts.includeUntracked ?? [],
      signal: ctx.signal, onProgress: ctx.onProgress, logger: ctx.logger,
    });
    if (ctx.json) { ctx.outJson({ name: r.name, ref: r.ref, rev: r.rev, baseline: r.baseline, committed: r.committed, stages: r.stages, untracked: r.untracked }); return; }
    ctx.out(`Experiment has been saved as: ${r.name}`);
  },
};
