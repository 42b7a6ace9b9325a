/** Shared by `plots show` and `plots diff`: JSON answer or the offline HTML report. */
import type { CliContext } from '../../types.js';

export async function renderPlots(ctx: CliContext, res: import('../../../core/api/plots.js').PlotsResult, opts: Record<string, any>): Promise<number> {
  for (const e of res.errors ?? []) ctx.warn(`plot '${e.id}' at ${e.rev}: ${e.message}`);
  if (ctx.json) { ctx.outJson(res); return 0; }
  const { resolve, relative } = await import('node:path');
  const { writePlotsHtml } = await import('../../../core/api/plots.js');
  if (!Object.keys(res.data).length) { ctx.warn('no plots to show (define `plots:` in dvc.yaml or name data files)'); return 0; }
  const file = writePlotsHtml(res, resolve(ctx.cwd, opts.out ?? 'dvc_plots'));
  ctx.out(`file://${file}`, true);
  ctx.info(`wrote ${relative(ctx.cwd, file)}: ${Object.keys(res.data).length} plot(s), data inline, opens offline`);
  return 0;
}
