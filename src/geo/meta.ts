/**
 * `extractGeoMeta(absPath)`: compact, deterministic metadata for a `.dvc` file's `meta` field:
 * CRS, grid (size, geotransform, resolution), bands (count, dtype, nodata), block/compression,
 * acquisition tags (TIFFTAG_DATETIME, GDAL metadata `ACQUISITION*`/`SENSOR*`/`CLOUD*` items) for
 * rasters; layers (name, count, geometry type, extent, CRS) for vectors; merged with a companion
 * YAML (`<file>.metadata.yaml`, else `metadata.yaml` in the same folder). Keys are sorted so the
 * same file always yields the same bytes. Returns undefined for files that are not geodata.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseYamlLazy as parseYaml } from '../lib/yaml-lazy.js';
import { geoKind } from './sniff.js';

export interface GeoMeta {
  kind: 'raster' | 'vector' | 'pointcloud' | 'gridded' | 'annotation';
  [key: string]: unknown;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) o[k] = sortKeys(x);
    }
    return o;
  }
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v;
}

/** Companion metadata: `<file>.metadata.yaml` beside the file, else `metadata.yaml` in its folder. */
export function readCompanionMetadata(absPath: string): Record<string, unknown> | undefined {
  for (const p of [`${absPath}.metadata.yaml`, join(dirname(absPath), 'metadata.yaml')]) {
    if (!existsSync(p)) continue;
    try {
      const v = parseYaml(readFileSync(p, 'utf8'));
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch { /* a broken companion file is ignored, never fatal for add */ }
  }
  return undefined;
}

const ACQ_KEYS = /^(TIFFTAG_DATETIME|ACQUISITION.*|SENSING.*|DATE.*|SENSOR.*|SATELLITE.*|PLATFORM.*|CLOUD.*|SPACECRAFT.*|PRODUCT_ID)$/i;

export async function extractGeoMeta(absPath: string): Promise<GeoMeta | undefined> {
  const kind = geoKind(absPath);
  let meta: GeoMeta | undefined;
  if (kind === 'raster') {
    // readers load per kind (a gridded file's metadata needs neither geotiff nor proj4)
    const [{ readRasterInfo }, { resolution }] = await Promise.all([import('./raster/info.js'), import('./crs/grid.js')]);
    const info = await readRasterInfo(absPath);
    const acquisition: Record<string, string> = {};
    for (const dom of Object.values(info.metadata)) for (const [k, v] of Object.entries(dom)) if (ACQ_KEYS.test(k)) acquisition[k] = v;
    const gt = info.geoTransform;
    const b0 = info.bands[0];
    meta = {
      kind: 'raster',
      driver: info.driverShortName,
      size: info.size,
      bands: info.bands.length,
      dtype: b0?.type,
      nodata: b0?.noDataValue,
      crs: info.epsg !== undefined ? `EPSG:${info.epsg}` : info.coordinateSystem?.name,
      geotransform: gt,
      resolution: gt ? resolution(gt) : undefined,
      block: b0?.block,
      compression: info.compression,
      overviews: info.overviewCount || undefined,
      area_or_point: info.areaOrPoint,
      gcps: info.gcps ? info.gcps.gcpList.length : undefined,
      acquisition: Object.keys(acquisition).length ? acquisition : undefined,
    };
  } else if (kind === 'pointcloud') {
    // LAS/LAZ/COPC: header and VLRs only, never the points (src/geo/pointcloud)
    const { pointCloudMeta } = await import('./pointcloud/info.js');
    try { meta = pointCloudMeta(absPath) as GeoMeta; } catch { return undefined; }
  } else if (kind === 'vector') {
    const { readVectorInfo } = await import('./vector/info.js');
    let info;
    try { info = await readVectorInfo(absPath); } catch { return undefined; }
    meta = {
      kind: 'vector',
      driver: info.driverShortName,
      layers: info.layers.map((l) => ({ name: l.name, features: l.featureCount, geometry: l.geometryType, extent: l.extent, crs: l.crs?.epsg !== undefined ? `EPSG:${l.crs.epsg}` : l.crs?.name })),
    };
  } else if (kind === 'gridded') {
    // JPEG2000, NetCDF, HDF5: header readers without GDAL where they are sure, else native GDAL (metadata only)
    const { griddedFastMetaLazy } = await import('./gridded/fast-meta-lazy.js');
    meta = ((await griddedFastMetaLazy(absPath)) ?? (await import('./gridded/meta.js')).griddedMeta(absPath)) as GeoMeta;
  } else if (kind === 'annotation') {
    // COCO instance JSON / Pascal VOC XML: format, counts, category names (src/geo/annotations)
    const { pixelMeta } = await import('./annotations/pixel-load.js');
    meta = pixelMeta(absPath) as GeoMeta;
  } else return undefined;
  const companion = readCompanionMetadata(absPath);
  if (companion) meta.user = companion;
  return sortKeys(meta) as GeoMeta;
}
