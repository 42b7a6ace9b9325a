import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['geo', 'read'],
  describe: 'read a window of a tracked GeoTIFF/COG at any revision straight from a remote (byte ranges, no pull) into a GeoTIFF',
  configure(cmd) {
    cmd.argument('<path>', 'tracked raster (a file output or a file inside a tracked directory)')
      .option('--rev <rev>', 'git revision of the .dvc files (default: the workspace)')
      .option('-r, --remote <name>', 'read from this remote even when the cache has the object')
      .option('--window <x,y,w,h>', 'pixel window')
      .option('--bbox <minx,miny,maxx,maxy>', 'area (in the raster CRS, or in --crs)')
      .option('--crs <crs>', 'CRS of --bbox, e.g. EPSG:4326')
      .option('-j, --jobs <n>', 'range requests in flight')
      .requiredOption('-o, --out <file>', 'GeoTIFF to write');
  },
  async run(ctx, args, opts) {
    const { UsageError } = await import('../../../lib/errors.js');
    if (!!opts.window === !!opts.bbox) throw new UsageError('give exactly one of --window and --bbox', { hint: 'geodvc geo read data/scene.tif --window 0,0,512,512 -o chip.tif' });
    if (opts.crs && !opts.bbox) throw new UsageError('--crs applies to --bbox', { hint: 'use --bbox with --crs' });
    const jobs = opts.jobs !== undefined ? Number(opts.jobs) : undefined;
    if (jobs !== undefined && !(Number.isInteger(jobs) && jobs > 0)) throw new UsageError(`-j must be a positive integer, got '${opts.jobs}'`, { hint: '-j 8' });
    const { openRaster } = await import('../../../core/api/open.js');
    const rw = await import('../../../core/api/read-window.js');
    const { resolve } = await import('node:path');
    const t0 = performance.now();
    const r = await openRaster(args[0] as string, { cwd: ctx.cwd, rev: opts.rev, remote: opts.remote, concurrency: jobs, signal: ctx.signal });
    try {
      const g = await rw.rasterGrid(r);
      const win = opts.window ? rw.parseNumbers(opts.window, 4, '--window') as [number, number, number, number] : rw.bboxToWindow(g, rw.parseNumbers(opts.bbox, 4, '--bbox'), opts.crs);
      ctx.onProgress({ phase: 'reading', done: 0, total: 1, item: args[0] as string });
      const wr = await rw.readWindow(r, win, ctx.signal);
      const outBytes = await rw.writeWindowTiff(r, wr, resolve(ctx.cwd, opts.out));
      ctx.onProgress({ phase: 'reading', done: 1, total: 1, finished: true });
      const res = { path: args[0], from: r.from, window: win, geoTransform: wr.gt, out: opts.out, outBytes, objectSize: r.size, bytesRead: r.source.stats.bytes, requests: r.source.stats.requests, seconds: (performance.now() - t0) / 1000 };
      if (ctx.json) ctx.outJson(res);
      else ctx.out(`${opts.out}: ${win[2]}x${win[3]} px at ${win[0]},${win[1]} from ${r.from} (${res.bytesRead} of ${r.size ?? '?'} bytes read in ${res.requests} request(s))`);
      return 0;
    } finally { await r.close(); }
  },
};
