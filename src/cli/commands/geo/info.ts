import { existsSync, statSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import type { CommandModule } from '../../types.js';

/** Whether the argument names the reported file itself (not a directory holding it). */
function namesTheFile(cwd: string, arg: string, itemPath: string): boolean {
  const abs = resolve(cwd, arg);
  if (existsSync(abs) && statSync(abs).isDirectory()) return false;
  const rel = relative(cwd, abs).split(sep).join('/');
  return rel === itemPath || abs === itemPath;
}

/** The compact `meta` of an index entry in the field names of a full read, for one text layout. */
function fromMeta(m: Record<string, any>): Record<string, any> {
  if (m.kind === 'vector') {
    return { driverShortName: m.driver, layers: (m.layers ?? []).map((l: any) => ({ name: l.name, featureCount: l.features, geometryType: l.geometry, extent: l.extent, crs: typeof l.crs === 'string' && /^EPSG:\d+$/.test(l.crs) ? { epsg: Number(l.crs.slice(5)) } : { name: l.crs } })) };
  }
  const epsg = typeof m.crs === 'string' && /^EPSG:\d+$/.test(m.crs) ? Number(m.crs.slice(5)) : undefined;
  return {
    driverShortName: m.driver, size: m.size ?? [0, 0],
    bands: Array.from({ length: m.bands ?? 0 }, () => ({ type: m.dtype, block: m.block ?? [], noDataValue: m.nodata })),
    epsg, coordinateSystem: epsg === undefined && m.crs ? { name: m.crs } : undefined,
    geoTransform: m.geotransform, gcps: m.gcps ? { gcpList: { length: m.gcps } } : undefined,
    compression: m.compression, overviewCount: m.overviews ?? 0, areaOrPoint: m.area_or_point, warnings: [],
  };
}

/** Text lines for a point cloud: a full read (`info`) or the compact `meta` of the directory index. */
function pointCloudLines(path: string, i: Record<string, any> | undefined, m: Record<string, any> | undefined): string[] {
  const v = i ?? { driverShortName: m?.driver, lasVersion: m?.las_version, pointFormat: m?.point_format, pointCount: m?.points, bounds: m?.bounds, scale: m?.scale, offset: m?.offset, epsg: typeof m?.crs === 'string' && /^EPSG:\d+$/.test(m.crs) ? Number(m.crs.slice(5)) : null, coordinateSystem: m?.crs ? { name: m.crs } : undefined, warnings: [] };
  const b = (v.bounds ?? []) as number[];
  return [
    `${path}: ${v.driverShortName} ${v.lasVersion}, point format ${v.pointFormat}, ${v.pointCount} point(s)`,
    `  CRS: ${v.epsg !== null && v.epsg !== undefined ? `EPSG:${v.epsg}` : ''}${v.coordinateSystem?.name ? ` ${v.coordinateSystem.name}` : v.epsg == null ? 'none' : ''}`,
    `  bounds: x ${b[0]} .. ${b[3]}, y ${b[1]} .. ${b[4]}, z ${b[2]} .. ${b[5]}`,
    `  scale: [${(v.scale ?? []).join(', ')}]  offset: [${(v.offset ?? []).join(', ')}]`,
    ...(v.classification ? [`  classes: ${v.classification.map((c: any) => `${c.code} ${c.name}: ${c.count}`).join(', ')}`] : []),
    ...(v.warnings ?? []).map((w: string) => `  warning: ${w}`),
  ];
}

export const command: CommandModule = {
  path: ['geo', 'info'],
  describe: 'raster/vector metadata (gdalinfo -json field names) of workspace paths or tracked paths at a git revision',
  configure(cmd) {
    cmd.argument('<paths...>', 'files or directories (tracked directories are served from the per-directory index)')
      .option('--rev <rev>', 'read the tracked path at this git revision from the cache')
      .option('--no-index', 'read every file instead of the per-directory metadata index')
      .option('--variable <name>', 'NetCDF/HDF5/Zarr: describe this variable (or pass NETCDF:"file.nc":var)')
      .option('--classes', 'LAS/LAZ/COPC: count the points per classification (decodes every point; small LAS files always get it)');
  },
  async run(ctx, args, opts) {
    const { geoInfo } = await import('../../../core/api/geo-info.js');
    const items = await geoInfo({ cwd: ctx.cwd, paths: args[0] as string[], rev: opts.rev, useIndex: opts.index !== false, variable: opts.variable, classes: !!opts.classes, signal: ctx.signal, onProgress: ctx.onProgress });
    const failed = items.filter((i) => i.error).length;
    // One shape per question: a single file argument answers with one object (like gdalinfo -json);
    // a directory, several arguments or a tracked directory at --rev answer with an array, even of one.
    const paths = args[0] as string[];
    if (ctx.json) { ctx.outJson(paths.length === 1 && items.length === 1 && namesTheFile(ctx.cwd, paths[0]!, items[0]!.path) ? items[0] : items); return failed ? 1 : 0; }
    for (const it of items) {
      if (it.error) { ctx.out(`${it.path}: ERROR ${it.error.message}`, true); continue; }
      // entries of the per-directory index carry the compact `meta` of add; print them like full reads
      if (it.kind === 'gridded' && it.info) {
        const { griddedInfoLines } = await import('../../../core/api/geo-ops.js');
        ctx.out((await griddedInfoLines(it.path, it.info as any)).join('\n'), true);
        continue;
      }
      if (it.kind === 'pointcloud') { ctx.out(pointCloudLines(it.path, it.info as any, it.meta as any).join('\n'), true); continue; }
      const i: any = it.meta ? fromMeta(it.meta as Record<string, any>) : it.info;
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
