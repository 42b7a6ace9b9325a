import type { CommandModule } from '../../types.js';
import { resolve } from 'node:path';
import { UsageError } from '../../../lib/errors.js';
import { resolveGridded, shownPath } from './_input.js';

export const command: CommandModule = {
  path: ['geo', 'chip'],
  describe: 'cut georeferenced GeoTIFF chips and write a chip index (GeoJSON)',
  configure(cmd) {
    cmd.requiredOption('--input <path>', 'GeoTIFF file or directory (with --rev/--remote: a tracked file or directory)')
      .requiredOption('--output <dir>', 'output directory for chips and chips.geojson')
      .option('--size <n>', 'chip size in pixels', '512')
      .option('--overlap <n>', 'overlap between neighbouring chips in pixels')
      .option('--stride <n>', 'step between chips in pixels (instead of --overlap)')
      .option('--edge <mode>', 'drop|pad|shift: what to do with the partial chips at the right/bottom edge', 'drop')
      .option('--max-nodata <fraction>', 'skip chips with a larger nodata fraction (0..1)')
      .option('--bands <list>', 'comma-separated 1-based bands to keep, e.g. 4,3,2')
      .option('--aoi <file>', 'vector file: keep only chips intersecting its features')
      .option('--format <format>', 'chip files: GTiff (tiled, DEFLATE; default) or COG (native GDAL engine)')
      .option('--rev <rev>', 'chip the tracked data as of this git revision (read from the cache, else from the remote, in place)')
      .option('-r, --remote <name>', 'read the tracked rasters from this remote in place by byte ranges (no pull)')
      .option('-j, --jobs <n>', 'with --rev/--remote: range requests in flight')
      .option('--buffer <units>', 'point clouds (LAS/LAZ/COPC input): width of the buffer part written beside each tile, in CRS units')
      .option('--origin <x,y>', 'point clouds: grid origin in CRS units (default 0,0)')
      .option('--variable <name>', 'NetCDF/HDF5/Zarr input: the variable to chip (or pass NETCDF:"file.nc":var as --input)')
      .option('--time <index>', 'NetCDF/HDF5/Zarr input: the 0-based time step (default: every step, one band each)');
  },
  async run(ctx, _args, opts) {
    // LAS/LAZ/COPC input: square tiles of --size CRS units (src/geo/pointcloud/tile.ts)
    const { isPointCloudInput, tilePointCloud } = await import('../../../core/api/geo-ops.js');
    if (!opts.rev && !opts.remote && (await isPointCloudInput(resolve(ctx.cwd, opts.input)))) {
      const size = Number(opts.size), buffer = opts.buffer === undefined ? 0 : Number(opts.buffer);
      const origin = opts.origin === undefined ? undefined : String(opts.origin).split(',').map(Number);
      if (origin && (origin.length !== 2 || !origin.every(Number.isFinite))) throw new UsageError(`--origin must be two numbers x,y, got ${opts.origin}`, { hint: 'e.g. --origin 500000,4000000' });
      const r = await tilePointCloud({ input: resolve(ctx.cwd, opts.input), output: resolve(ctx.cwd, opts.output), size, buffer, origin: origin as [number, number] | undefined, signal: ctx.signal, onProgress: ctx.onProgress, logger: ctx.logger });
      const summary = { tiles: r.tiles.length, points: r.points, bufferPoints: r.bufferPoints, pointsPerSecond: Math.round(r.points / Math.max(r.seconds, 1e-9)), index: r.index };
      if (ctx.json) ctx.outJson(summary);
      else ctx.out(`${r.tiles.length} tile(s), ${r.points} point(s)${buffer ? ` (+${r.bufferPoints} in buffer parts)` : ''}; index ${shownPath(ctx.cwd, r.index)}`);
      return 0;
    }
    const { chip } = await import('../../../core/api/geo-ops.js');
    const int = (v: unknown, name: string) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isInteger(n)) throw new UsageError(`${name} must be an integer, got ${v}`, { hint: `e.g. ${name} 64` });
      return n;
    };
    const maxNodata = opts.maxNodata === undefined ? undefined : Number(opts.maxNodata);
    if (maxNodata !== undefined && !(maxNodata >= 0 && maxNodata <= 1)) throw new UsageError(`--max-nodata must be a fraction between 0 and 1, got ${opts.maxNodata}`, { hint: 'e.g. --max-nodata 0.2' });
    const bands = opts.bands ? String(opts.bands).split(',').map((b) => int(b.trim(), '--bands')!) : undefined;
    const jobs = int(opts.jobs, '--jobs');
    if (jobs !== undefined && jobs <= 0) throw new UsageError(`--jobs must be a positive integer, got ${opts.jobs}`, { hint: '-j 8' });
    if (jobs !== undefined && !opts.rev && !opts.remote) throw new UsageError('--jobs applies to --rev/--remote inputs', { hint: 'add --remote NAME (or --rev REV), or drop -j' });
    const common = {
      input: opts.input, output: opts.output, size: int(opts.size, '--size')!, overlap: int(opts.overlap, '--overlap'), stride: int(opts.stride, '--stride'),
      edge: opts.edge, maxNodata, bands, aoi: opts.aoi, format: opts.format, signal: ctx.signal, onProgress: ctx.onProgress, logger: ctx.logger,
    };
    let r, tracked: { sources: { path: string; oid: string; size: number; from: string }[]; bytesRead: number; requests: number } | undefined;
    if (opts.rev || opts.remote) {
      const { chipTracked } = await import('../../../core/api/open-inputs.js');
      const t0 = performance.now();
      r = await chipTracked({ ...common, rev: opts.rev, remote: opts.remote, cwd: ctx.cwd, concurrency: jobs });
      tracked = { sources: r.sources, bytesRead: r.bytesRead, requests: r.requests };
      ctx.info(`read ${r.bytesRead} bytes in ${r.requests} range request(s) from ${[...new Set(r.sources.map((x) => x.from))].join(', ')} in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
    } else {
      // JPEG2000/NetCDF/HDF5/Zarr: the variable (and time step) as a temporary GeoTIFF written by GDAL
      const gridded = await resolveGridded(ctx, opts);
      try { r = await chip(gridded ? { ...common, input: gridded.file } : common); } finally { gridded?.cleanup(); }
    }
    const summary = { chips: r.chips.length, written: r.written, unchanged: r.unchanged, removed: r.removed, skippedNodata: r.skippedNodata, skippedAoi: r.skippedAoi, index: r.index, ...tracked };
    if (ctx.json) ctx.outJson(summary);
    else ctx.out(`${r.chips.length} chips (${r.written} written, ${r.unchanged} unchanged, ${r.skippedNodata} over --max-nodata, ${r.skippedAoi} outside the AOI); index ${shownPath(ctx.cwd, r.index)}${tracked ? `; ${tracked.bytesRead} bytes read from the remote in ${tracked.requests} request(s)` : ''}`);
  },
};
