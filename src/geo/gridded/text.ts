/** Text layout of `geo info` for gridded files (the CLI prints these lines; no I/O here). */
import type { GriddedInfo } from './info.js';

export function griddedInfoLines(path: string, i: GriddedInfo): string[] {
  const lines: string[] = [];
  const crs = (epsg?: number, name?: string) => (epsg !== undefined ? `EPSG:${epsg}${name ? ` ${name}` : ''}` : name ?? 'none');
  const head = `${path}${i.variable ? ` [${i.variable}]` : ''}: ${i.driverShortName} (${i.format})`;
  if (i.size && i.bands?.length) {
    lines.push(`${head} ${i.size[0]}x${i.size[1]}, ${i.bands.length} band(s) ${[...new Set(i.bands.map((b) => b.type))].join('/')}`);
    lines.push(`  CRS: ${crs(i.epsg, i.coordinateSystem?.name)}`);
    lines.push(i.geoTransform ? `  geotransform: [${i.geoTransform.join(', ')}]` : i.gcps ? `  GCPs: ${i.gcps}` : '  not georeferenced');
    lines.push(`  block: ${i.bands[0]?.block.join('x')}  overviews: ${i.bands[0]?.overviews?.length ?? 0}  nodata: ${i.bands[0]?.noDataValue ?? '-'}`);
  } else lines.push(head);
  if (i.variables.length) {
    lines.push(`  variables (${i.variables.length}):`);
    for (const v of i.variables) {
      const dims = v.dims.map((d) => `${d.name}=${d.size}`).join(', ');
      lines.push(`    ${v.name} ${v.dtype} (${dims})${v.unit ? ` [${v.unit}]` : ''}${v.gridMapping ? ` grid_mapping=${v.gridMapping}` : ''}`);
    }
    const dims = new Map<string, GriddedInfo['variables'][number]['dims'][number]>();
    for (const v of i.variables) for (const d of v.dims) if (d.indexingVariable && !dims.has(d.fullName)) dims.set(d.fullName, d);
    if (dims.size) {
      lines.push('  coordinates:');
      for (const d of dims.values()) {
        const range = d.times?.length ? `${d.times[0]} .. ${d.times[d.times.length - 1]}` : d.first !== undefined ? `${d.first} .. ${d.last}` : '-';
        lines.push(`    ${d.name} (${d.size}${d.type ? `, ${d.type}` : ''}): ${range}${d.units ? ` [${d.units}]` : ''}`);
      }
    }
  }
  const grids = i.rasters.filter((r) => r.subdataset);
  if (grids.length) {
    lines.push(`  grids (${grids.length}):`);
    for (const r of grids) lines.push(`    ${r.subdataset} ${r.size[0]}x${r.size[1]}x${r.bands.length} ${r.bands[0]?.type ?? ''} CRS ${crs(r.epsg, r.coordinateSystem?.name)}${r.geoTransform ? ` gt [${r.geoTransform.join(', ')}]` : ' not georeferenced'}`);
  }
  for (const w of i.warnings) lines.push(`  warning: ${w}`);
  return lines;
}
