/**
 * Fallback for raster formats other than TIFF/VRT: gdal3.js (GDAL 3.8.4 in WebAssembly) gdalinfo.
 * Loaded lazily (about 0.7 s and 200 MB to initialise). See reference/geo-libs.md §2.
 */
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import type { RasterInfo, CoordinateSystem, BandInfo } from './types.js';
import { InvalidFileError } from '../../lib/errors.js';
import { wktRootEpsg } from '../crs/crs.js';
import { epsgDef } from '../crs/epsg.js';

let gdalPromise: Promise<any> | undefined;

async function gdal(): Promise<any> {
  if (!gdalPromise) {
    const req = createRequire(import.meta.url);
    const pkgDir = dirname(req.resolve('gdal3.js/package.json'));
    const init = req('gdal3.js/node.js');
    // gdal3.js treats `path` as relative to the current directory (an absolute one breaks).
    const path = relative(process.cwd(), join(pkgDir, 'dist', 'package')) || '.';
    gdalPromise = init({ path, useWorker: false });
  }
  return gdalPromise;
}

export async function readRasterInfoGdal(absPath: string): Promise<RasterInfo> {
  const G = await gdal();
  let res: any;
  try {
    res = await G.open(absPath);
  } catch (e) {
    throw new InvalidFileError(`${basename(absPath)}: not a raster format geodvc or GDAL can read`, { cause: e, hint: 'supported: GeoTIFF/BigTIFF/COG, VRT and the raster formats of GDAL 3.8 (gdal3.js)' });
  }
  const ds = res.datasets?.[0];
  if (!ds) throw new InvalidFileError(`${basename(absPath)}: GDAL could not open it as a raster`, { hint: 'check the file format' });
  try {
    const j: any = await G.gdalinfo(ds, ['-json']);
    const wkt: string | undefined = j.coordinateSystem?.wkt || undefined;
    let crs: CoordinateSystem | undefined;
    if (wkt) {
      const epsg = j.stac?.['proj:epsg'] ?? wktRootEpsg(wkt);
      crs = { wkt, epsg: epsg ?? undefined, projjson: j.stac?.['proj:projjson'], name: epsg ? epsgDef(epsg)?.name : undefined, proj4: epsg ? epsgDef(epsg)?.proj4 : undefined };
    }
    const bands: BandInfo[] = (j.bands ?? []).map((b: any) => {
      const o: BandInfo = { band: b.band, block: b.block, type: b.type, colorInterpretation: b.colorInterpretation };
      if (b.noDataValue !== undefined) o.noDataValue = b.noDataValue;
      if (b.overviews) o.overviews = b.overviews.map((x: any) => ({ size: x.size }));
      if (b.metadata) o.metadata = b.metadata;
      return o;
    });
    const info: RasterInfo = {
      description: absPath, driverShortName: j.driverShortName, driverLongName: j.driverLongName, files: (j.files ?? []).map((f: string) => basename(f)),
      size: j.size, metadata: j.metadata ?? {}, bands, compression: j.metadata?.IMAGE_STRUCTURE?.COMPRESSION,
      overviewCount: bands[0]?.overviews?.length ?? 0, hasRpc: !!j.metadata?.RPC, warnings: ['read through gdal3.js (GDAL 3.8.4-wasm)'],
    };
    if (j.geoTransform) info.geoTransform = j.geoTransform;
    if (crs) { info.coordinateSystem = crs; if (crs.epsg !== undefined) info.epsg = crs.epsg; }
    const aop = j.metadata?.['']?.AREA_OR_POINT;
    if (aop === 'Area' || aop === 'Point') info.areaOrPoint = aop;
    return info;
  } finally {
    try { G.close(ds); } catch { /* already closed */ }
  }
}
