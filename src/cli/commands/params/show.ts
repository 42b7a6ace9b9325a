import type { CommandModule } from '../../types.js';

export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return '-';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function renderTable(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (c ?? '').padEnd(w[i])).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export const command: CommandModule = {
  path: ['params', 'show'],
  describe: 'show the params the pipeline uses (workspace or a git revision)',
  configure(cmd) { cmd.option('--rev <rev>', 'read the params at this git revision'); },
  async run(ctx, _args, opts) {
    const { paramsShow } = await import('../../../core/api/params.js');
    const { flattenParams } = await import('../../../core/dvcfile/params.js');
    const v = paramsShow(ctx.cwd, opts.rev);
    if (ctx.json) { ctx.outJson(v); return; }
    const rows: string[][] = [];
    for (const [f, vals] of Object.entries(v)) for (const [k, x] of Object.entries(flattenParams(vals))) rows.push([f, k, formatValue(x)]);
    ctx.out(renderTable(['Path', 'Param', 'Value'], rows));
  },
};
