import type { CommandModule } from '../../types.js';
import { UsageError } from '../../../lib/errors.js';

export const command: CommandModule = {
  path: ['geo', 'reproject'],
  describe: 'reproject rasters onto one CRS and pixel grid, written as COGs (GDAL warper via gdal3.js)',
  configure(cmd) {
    cmd.requiredOption('--input <path>', 'raster file or directory of rasters')
      .requiredOption('--output <dir>', 'output directory (one COG per input)')
      .requiredOption('--crs <crs>', 'target CRS: EPSG:XXXX, or "utm" for the UTM zone of the data\'s centroid')
      .option('--res <r>', 'pixel size in target CRS units (default: the finest suggested by GDAL)')
      .option('--tap', 'align the grid to multiples of the resolution (like gdalwarp -tap)')
      .option('--resampling <method>', 'nearest|bilinear|cubic|average|mode', 'nearest')
      .option('--nodata <v>', 'output nodata value (default: the source\'s)')
      .option('-j, --jobs <n>', 'worker threads (default: number of cores)');
  },
  async run(ctx, _args, opts) {
    const { reproject } = await import('../../../geo/ops/reproject.js');
    const num = (v: unknown, name: string) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n)) throw new UsageError(`${name} must be a number, got ${v}`, { hint: `e.g. ${name} 10` });
      return n;
    };
    const r = await reproject({
      input: opts.input, output: opts.output, crs: opts.crs, res: num(opts.res, '--res'), tap: !!opts.tap,
      resampling: opts.resampling, nodata: num(opts.nodata, '--nodata'), jobs: num(opts.jobs, '--jobs'),
      signal: ctx.signal, onProgress: ctx.onProgress, logger: ctx.logger,
    });
    if (ctx.json) ctx.outJson(r);
    else {
      for (const f of r.files) ctx.out(`${f.skipped ? 'unchanged' : 'wrote'} ${f.output} (${f.width}x${f.height})`);
      ctx.out(`${r.files.length} raster(s) on ${r.crs} at ${r.res} (${r.engine})`);
    }
  },
};
