import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['geo', 'info'],
  describe: 'raster/vector metadata (gdalinfo -json field names) of workspace paths or tracked paths at a git revision',
  configure(cmd) {
    cmd.argument('<paths...>', 'files or directories (tracked directories are served from the per-directory index)')
      .option('--rev <rev>', 'read the tracked path at this git revision from the cache')
      .option('--no-index', 'read every file instead of the per-directory metadata index');
  },
  async run(ctx, args, opts) {
    const { geoInfo } = await import('../../../core/api/geo-info.js');
    const items = await geoInfo({ cwd: ctx.cwd, paths: args[0] as string[], rev: opts.rev, useIndex: opts.index !== false, signal: ctx.signal, onProgress: ctx.onProgress });
    const failed = items.filter((i) => i.error).length;
    if (ctx.json) { ctx.outJson(items.length === 1 && !(args[0] as string[])[1] && items[0]!.source !== 'index' ? items[0] : items); return failed ? 1 : 0; }
    for (const it of items) {
      if (it.error) { ctx.out(`${it.path}: ERROR ${it.error.message}`, true); continue; }
      if (it.meta) { ctx.out(`${it.path}: ${JSON.stringify(it.meta)}`, true); continue; }
      const i: any = it.info;
      if (it.kind === 'raster') {
        const b = i.bands;
        ctx.out([
          `${it.path}: ${i.driverShortName} ${i.size[0]}x${i.size[1]}, ${b.length} band(s) ${[...new Set(b.map((x: any) => x.type))].join('/')}`,
          `  CRS: ${i.epsg !== undefined ? `EPSG:${i.epsg}` : ''}${i.coordinateSystem?.name ? ` ${i.coordinateSystem.name}` : i.epsg === undefined ? 'none' : ''}`,
          i.geoTransform ? `  geotransform: [${i.geoTransform.join(', ')}]` : i.gcps ? `  GCPs: ${i.gcps.gcpList.length}` : '  not georeferenced',
          `  block: ${b[0]?.block.join('x')}  compression: ${i.compression ?? '-'}  overviews: ${i.overviewCount}  nodata: ${b[0]?.noDataValue ?? '-'}${i.areaOrPoint ? `  ${i.areaOrPoint}` : ''}`,
          ...i.warnings.map((w: string) => `  warning: ${w}`),
        ].join('\n'), true);
      } else {
        ctx.out(`${it.path}: ${i.driverShortName}, ${i.layers.length} layer(s)`, true);
        for (const l of i.layers) ctx.out(`  ${l.name}: ${l.featureCount} feature(s), ${l.geometryType}, CRS ${l.crs?.epsg !== undefined ? `EPSG:${l.crs.epsg}` : l.crs?.name ?? 'none'}, extent ${l.extent ? `[${l.extent.join(', ')}]` : '-'}`, true);
      }
    }
    return failed ? 1 : 0;
  },
};
