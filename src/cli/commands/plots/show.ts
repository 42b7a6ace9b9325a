import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['plots', 'show'],
  describe: 'plots of the workspace: vega-lite specs (--json) or an offline HTML report',
  configure(cmd) {
    cmd.argument('[targets...]', 'plot ids from dvc.yaml or data files (JSON, YAML, CSV, TSV); default: every plot')
      .option('-o, --out <dir>', 'directory for index.html (default dvc_plots)');
  },
  async run(ctx, [targets], opts) {
    const { plots } = await import('../../../core/api/plots.js');
    const { renderPlots } = await import('./_render.js');
    return renderPlots(ctx, plots({ cwd: ctx.cwd, targets: targets ?? [], signal: ctx.signal }), opts);
  },
};
