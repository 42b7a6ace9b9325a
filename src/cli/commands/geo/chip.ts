import type { CommandModule } from '../../types.js';
import { UsageError } from '../../../lib/errors.js';

export const command: CommandModule = {
  path: ['geo', 'chip'],
  describe: 'cut georeferenced GeoTIFF chips and write a chip index (GeoJSON)',
  configure(cmd) {
    cmd.requiredOption('--input <path>', 'GeoTIFF file or directory')
      .requiredOption('--output <dir>', 'output directory for chips and chips.geojson')
      .option('--size <n>', 'chip size in pixels', '512')
      .option('--overlap <n>', 'overlap between neighbouring chips in pixels')
      .option('--stride <n>', 'step between chips in pixels (instead of --overlap)')
      .option('--edge <mode>', 'drop|pad|shift: what to do with the partial chips at the right/bottom edge', 'drop')
      .option('--max-nodata <fraction>', 'skip chips with a larger nodata fraction (0..1)')
      .option('--bands <list>', 'comma-separated 1-based bands to keep, e.g. 4,3,2')
      .option('--aoi <file>', 'vector file: keep only chips intersecting its features');
  },
  async run(ctx, _args, opts) {
    const { chip } = await import('../../../geo/ops/chip.js');
    const int = (v: unknown, name: string) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isInteger(n)) throw new UsageError(`${name} must be an integer, got ${v}`, { hint: `e.g. ${name} 64` });
      return n;
    };
    const maxNodata = opts.maxNodata === undefined ? undefined : Number(opts.maxNodata);
    if (maxNodata !== undefined && !(maxNodata >= 0 && maxNodata <= 1)) throw new UsageError(`--max-nodata must be a fraction between 0 and 1, got ${opts.maxNodata}`, { hint: 'e.g. --max-nodata 0.2' });
    const bands = opts.bands ? String(opts.bands).split(',').map((b) => int(b.trim(), '--bands')!) : undefined;
    const r = await chip({
      input: opts.input, output: opts.output, size: int(opts.size, '--size')!, overlap: int(opts.overlap, '--overlap'), stride: int(opts.stride, '--stride'),
      edge: opts.edge, maxNodata, bands, aoi: opts.aoi, signal: ctx.signal, onProgress: ctx.onProgress, logger: ctx.logger,
    });
    const summary = { chips: r.chips.length, written: r.written, unchanged: r.unchanged, removed: r.removed, skippedNodata: r.skippedNodata, skippedAoi: r.skippedAoi, index: r.index };
    if (ctx.json) ctx.outJson(summary);
    else ctx.out(`${r.chips.length} chips (${r.written} written, ${r.unchanged} unchanged, ${r.skippedNodata} over --max-nodata, ${r.skippedAoi} outside the AOI); index ${r.index}`);
  },
};
