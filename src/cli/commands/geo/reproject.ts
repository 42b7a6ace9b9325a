import type { CommandModule } from '../../types.js';
import { UsageError } from '../../../lib/errors.js';
import { resolveGridded, shownPath } from './_input.js';

export const command: CommandModule = {
  path: ['geo', 'reproject'],
  describe: 'reproject rasters onto one CRS and pixel grid, written as COGs or tiled GTiffs (GDAL warper: native gdal-async, else gdal3.js)',
  configure(cmd) {
    cmd.requiredOption('--input <path>', 'raster file or directory of rasters (with --rev/--remote: a tracked file or directory)')
      .requiredOption('--output <dir>', 'output directory (one COG per input)')
      .requiredOption('--crs <crs>', 'target CRS: EPSG:XXXX, or "utm" for the UTM zone of the data\'s centroid')
      .option('--res <r>', 'pixel size in target CRS units (default: the finest suggested by GDAL)')
      .option('--tap', 'align the grid to multiples of the resolution (like gdalwarp -tap)')
      .option('--per-file-grid', 'each file on its own grid, as gdalwarp alone would choose it (with --crs utm: its own zone); default: one common grid for all inputs')
      .option('--resampling <method>', 'nearest|bilinear|cubic|average|mode', 'nearest')
      .option('--nodata <v>', 'output nodata value (default: the source\'s)')
      .option('--format <f>', 'output format: COG (overviews, the default) or GTiff (tiled 512, DEFLATE, no overviews: faster)', 'COG')
      .option('-j, --jobs <n>', 'files warped at once (default: number of cores; each warp also uses every core)')
      .option('--rev <rev>', 'reproject the tracked data as of this git revision (from the cache, else fetched from the remote to a temp file)')
      .option('-r, --remote <name>', 'fetch the tracked rasters from this remote (md5-verified temp files, not the cache)')
      .option('--variable <name>', 'NetCDF/HDF5/Zarr input: the variable to reproject (or pass NETCDF:"file.nc":var as --input)')
      .option('--time <index>', 'NetCDF/HDF5/Zarr input: the 0-based time step (default: every step, one band each)');
  },
  async run(ctx, _args, opts) {
    // Strict CRS check before any work: GDAL reads 'epsg:4326x' as EPSG:4326.
    if (String(opts.crs).toLowerCase() !== 'utm') await (await import('../../../core/api/geo-ops.js')).assertCrsText(opts.crs, '--crs');
    const { reproject } = await import('../../../core/api/geo-ops.js');
    const num = (v: unknown, name: string) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n)) throw new UsageError(`${name} must be a number, got ${v}`, { hint: `e.g. ${name} 10` });
      return n;
    };
    const formatOf = (f: string) => {
      const m = ['COG', 'GTiff'].find((x) => x.toLowerCase() === String(f).toLowerCase());
      if (!m) throw new UsageError(`unknown --format ${f}`, { hint: 'use COG or GTiff' });
      return m as 'COG' | 'GTiff';
    };
    const common = {
      input: opts.input, output: opts.output, crs: opts.crs, res: num(opts.res, '--res'), tap: !!opts.tap, perFileGrid: !!opts.perFileGrid,
      resampling: opts.resampling, format: formatOf(opts.format), nodata: num(opts.nodata, '--nodata'), jobs: num(opts.jobs, '--jobs'),
      signal: ctx.signal, onProgress: ctx.onProgress, logger: ctx.logger,
    };
    let r;
    if (opts.rev || opts.remote) {
      const { reprojectTracked } = await import('../../../core/api/open-inputs.js');
      r = await reprojectTracked({ ...common, rev: opts.rev, remote: opts.remote, cwd: ctx.cwd });
      if (r.bytesFetched) ctx.info(`fetched ${r.bytesFetched} bytes from ${[...new Set(r.sources.map((x) => x.from))].join(', ')} into temp files`);
    } else {
      // JPEG2000/NetCDF/HDF5/Zarr: the variable (and time step) as a temporary GeoTIFF written by GDAL
      const gridded = await resolveGridded(ctx, opts);
      try { r = await reproject(gridded ? { ...common, input: gridded.file } : common); } finally { gridded?.cleanup(); }
    }
    if (ctx.json) ctx.outJson(r);
    else {
      for (const f of r.files) ctx.out(`${f.skipped ? 'unchanged' : 'wrote'} ${shownPath(ctx.cwd, f.output)} (${f.width}x${f.height})`);
      ctx.out(opts.perFileGrid ? `${r.files.length} raster(s), each on its own grid (${r.engine})` : `${r.files.length} raster(s) on ${r.crs} at ${r.res} (${r.engine})`);
    }
  },
};
