import type { CommandModule } from '../../types.js';

export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return '-';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function renderTable(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (c ?? '').padEnd(w[i] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/**
 * A GitHub-flavoured markdown table as DVC prints `--md` (tabulate's "github" format with number
 * parsing off): every cell left-aligned, a column as wide as its widest cell and at least its
 * header plus 2, one space of padding inside the pipes; DVC ends it with an empty line.
 */
export function renderMdTable(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length + 2, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (c ?? '').padEnd(w[i]!)).join(' | ')} |`;
  return [line(header), `|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`, ...rows.map(line)].join('\n') + '\n';
}

/** Python's `f"{x:.{precision}g}"` (DVC's number format in metrics tables). */
export function formatG(x: number, precision = 5): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(Number(x.toPrecision(precision)))));
  if (exp < -4 || exp >= precision) {
    const [m, e] = x.toExponential(precision - 1).split('e');
    const mant = m!.includes('.') ? m!.replace(/0+$/, '').replace(/\.$/, '') : m!;
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const fixed = x.toFixed(Math.max(0, precision - 1 - exp));
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

export const command: CommandModule = {
  path: ['params', 'show'],
  describe: 'show the params the pipeline uses (workspace or a git revision)',
  configure(cmd) { cmd.option('--rev <rev>', 'read the params at this git revision'); },
  async run(ctx, _args, opts) {
    const { paramsShow } = await import('../../../core/api/params.js');
    const { flattenParams } = await import('../../../core/api/params.js');
    const v = paramsShow(ctx.cwd, opts.rev);
    if (ctx.json) { ctx.outJson(v); return; }
    const rows: string[][] = [];
    for (const [f, vals] of Object.entries(v)) for (const [k, x] of Object.entries(flattenParams(vals))) rows.push([f, k, formatValue(x)]);
    ctx.out(renderTable(['Path', 'Param', 'Value'], rows));
  },
};
