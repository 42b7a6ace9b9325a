import type { CommandModule } from '../../types.js';
import { UsageError } from '../../../lib/errors.js';

export const command: CommandModule = {
  path: ['geo', 'rasterize'],
  describe: 'burn vector labels into masks aligned pixel for pixel to each grid raster (highest class wins on overlaps)',
  configure(cmd) {
    cmd.requiredOption('--annotations <path>', 'vector file or directory (GeoJSON, Shapefile, FlatGeobuf, GeoPackage)')
      .requiredOption('--grid <path>', 'raster file or directory (chips or scenes) defining the mask grids')
      .requiredOption('--output <dir>', 'output directory: one mask per grid raster, same file name')
      .option('--class-field <name>', 'attribute holding the class (default: burn 1)')
      .option('--class-map <file>', 'JSON {"value": classId} translating the class field')
      .option('--all-touched', 'burn every pixel a geometry touches (gdal_rasterize -at)')
      .option('--background <v>', 'value of unlabelled pixels', '0')
      .option('-j, --jobs <n>', 'masks burnt at once with native GDAL (default: number of cores)');
  },
  async run(ctx, _args, opts) {
    const { rasterize } = await import('../../../core/api/geo-ops.js');
    const background = Number(opts.background);
    if (!Number.isInteger(background) || background < 0) throw new UsageError(`--background must be a non-negative integer, got ${opts.background}`, { hint: 'e.g. --background 0' });
    const jobs = opts.jobs === undefined ? undefined : Number(opts.jobs);
    if (jobs !== undefined && !(Number.isInteger(jobs) && jobs > 0)) throw new UsageError(`--jobs must be a positive integer, got ${opts.jobs}`, { hint: 'e.g. -j 2' });
    const r = await rasterize({ jobs,
      annotations: opts.annotations, grid: opts.grid, output: opts.output, classField: opts.classField, classMap: opts.classMap,
      allTouched: !!opts.allTouched, background, signal: ctx.signal, onProgress: ctx.onProgress, logger: ctx.logger,
    });
    if (ctx.json) ctx.outJson({ masks: r.masks.length, features: r.features, classes: r.classes, engine: r.engine, files: r.masks.map((m) => m.mask) });
    else ctx.out(`${r.masks.length} mask(s) from ${r.features} feature(s), classes ${r.classes.join(',') || '-'}`);
  },
};
