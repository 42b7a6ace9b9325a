import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['plots', 'diff'],
  describe: 'plots of several revisions (default: the workspace against HEAD; one REV: the workspace against it)',
  configure(cmd) {
    cmd.argument('[revisions...]', 'git revisions to compare')
      .option('--targets <targets...>', 'plot ids or data files (default: every plot)')
      .option('-o, --out <dir>', 'directory for index.html (default dvc_plots)');
  },
  async run(ctx, [revisions], opts) {
    const { plots, plotsDiffRevs } = await import('../../../core/api/plots.js');
    const { renderPlots } = await import('./_render.js');
    return renderPlots(ctx, plots({ cwd: ctx.cwd, targets: opts.targets ?? [], revs: plotsDiffRevs(revisions ?? []), signal: ctx.signal }), opts);
  },
};
