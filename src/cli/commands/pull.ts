import type { CommandModule } from '../types.js';
import { transferOptions, transferArgs, plural, chunkSummary } from './push.js';
import { reportFetchProblems } from './fetch.js';

export const command: CommandModule = {
  path: ['pull'],
  describe: 'fetch tracked data from a remote and check it out into the workspace',
  configure(cmd) {
    transferOptions(cmd);
    cmd.option('--bbox <minx,miny,maxx,maxy>', 'only the tracked rasters/vectors whose footprint intersects this area (docs/scale.md)')
      .option('--crs <crs>', 'CRS of --bbox (default EPSG:4326)')
      .option('-f, --force', 'replace workspace files whose current content is not in the cache (it is lost)');
  },
  async run(ctx, args, opts) {
    const { pull } = await import('../../core/api/pull.js');
    const targs = transferArgs(ctx, args, opts);
    if (opts.bbox) {
      const { pullBboxTargets } = await import('./_pull-bbox.js');
      const t = await pullBboxTargets(ctx, targs, opts);
      if (!t) return 0;
      targs.targets = t;
    } else if (opts.crs) {
      const { UsageError } = await import('../../lib/errors.js');
      throw new UsageError('--crs applies to --bbox', { hint: 'geodvc pull --bbox 11.2,45.1,11.4,45.3 --crs EPSG:4326' });
    }
    const res = await pull({ ...targs, force: !!opts.force });
    if (ctx.json) ctx.outJson(res);
    const cs = chunkSummary(res.chunked, false);
    if (cs) ctx.info(cs);
    reportFetchProblems(ctx, res);
    if (res.skippedExisting && ctx.verbose) ctx.info(`${plural(res.skippedExisting, 'file')} already in the workspace were left as they are`);
    if (!ctx.json) {
      const changed = res.added.length + res.modified.length + res.deleted.length;
      if (res.fetched === 0 && changed === 0 && res.failed.length === 0) ctx.out('Everything is up to date.');
      else {
        const more = [res.modified.length ? `${plural(res.modified.length, 'file')} modified` : '', res.deleted.length ? `${plural(res.deleted.length, 'file')} deleted` : ''].filter(Boolean);
        ctx.out(`${plural(res.fetched, 'file')} fetched and ${plural(res.added.length, 'file')} added${more.length ? `, ${more.join(', ')}` : ''}`);
      }
    }
    if (res.failed.length || res.notInCache.length) {
      if (res.notInCache.length) ctx.warn(`${plural(res.notInCache.length, 'file')} could not be checked out (not in the cache): ${res.notInCache.slice(0, 5).join(', ')}${res.notInCache.length > 5 ? ', ...' : ''}`);
      return 1;
    }
    return 0;
  },
};
