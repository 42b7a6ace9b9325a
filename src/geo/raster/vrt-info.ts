/**
 * GDAL VRT (XML) metadata: size, SRS, geotransform, GCPs, bands (type, nodata, block), metadata.
 * Block size follows GDAL 3.6: `blockXSize` + `blockYSize` band attributes, else min(128, size).
 */
import { readFileSync, statSync } from 'node:fs';
import { assertXmlStructure } from './xml-guard.js';
import { basename } from 'node:path';
import type { BandInfo, CoordinateSystem, Gcp, RasterInfo } from './types.js';
import { parseNodata } from './geotiff-info.js';
import { crsFromText } from '../crs/crs.js';
import { InvalidFileError } from '../../lib/errors.js';

function unescapeXml(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&#(\d+);/g, (_m, d) => String.fromCharCode(Number(d))).replace(/&amp;/g, '&');
}
function attrs(s: string): Record<string, string> {
  const o: Record<string, string> = {};
  for (const a of s.matchAll(/([\w:]+)\s*=\s*"([^"]*)"/g)) o[a[1]!] = unescapeXml(a[2]!);
  return o;
}
function metadataOf(xml: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const m of xml.matchAll(/<Metadata([^>]*)>([\s\S]*?)<\/Metadata>/g)) {
    const dom = attrs(m[1]!).domain ?? '';
    for (const it of m[2]!.matchAll(/<MDI\s+key="([^"]*)"\s*>([\s\S]*?)<\/MDI>/g)) (out[dom] ??= {})[unescapeXml(it[1]!)] = unescapeXml(it[2]!);
  }
  return out;
}

/** Largest VRT read (V8 strings stop at ~512 MiB). */
export const MAX_VRT_BYTES = 256 * 1024 * 1024;

/** The VRT's XML, refused with a clear error when too large or not well nested (before any regex runs). */
export function readVrtXml(absPath: string): string {
  const size = statSync(absPath).size;
  if (size > MAX_VRT_BYTES) throw new InvalidFileError(`${basename(absPath)}: ${size} bytes is too large for a VRT (limit ${MAX_VRT_BYTES})`, { hint: 'a VRT is a small XML file; check that this is the file you meant' });
  const xml = readFileSync(absPath, 'utf8');
  assertXmlStructure(xml, basename(absPath), 'VRT XML');
  return xml;
}

export function readVrtInfo(absPath: string): RasterInfo {
  const xml = readVrtXml(absPath);
  const root = /<VRTDataset\b([^>]*)>/.exec(xml);
  if (!root) throw new InvalidFileError(`${basename(absPath)} is not a VRT (no <VRTDataset> element)`, { hint: 'check that the file is a GDAL VRT XML document' });
  const ra = attrs(root[1]!);
  const width = Number(ra.rasterXSize);
  const height = Number(ra.rasterYSize);
  if (!(width > 0) || !(height > 0)) throw new InvalidFileError(`${basename(absPath)}: VRTDataset has no valid rasterXSize/rasterYSize`, { hint: 'fix the VRT header' });
  const bandXmls = [...xml.matchAll(/<VRTRasterBand\b([^>]*)>([\s\S]*?)<\/VRTRasterBand>/g)];
  // Dataset-level parts are outside the bands.
  const datasetXml = xml.replace(/<VRTRasterBand\b[\s\S]*?<\/VRTRasterBand>/g, '');
  const warnings: string[] = [];
  let crs: CoordinateSystem | undefined;
  const srs = /<SRS\b[^>]*>([\s\S]*?)<\/SRS>/.exec(datasetXml);
  if (srs) crs = crsFromText(unescapeXml(srs[1]!.trim()));
  let geoTransform: number[] | undefined;
  const gt = /<GeoTransform>([\s\S]*?)<\/GeoTransform>/.exec(datasetXml);
  if (gt) {
    const v = gt[1]!.split(',').map((x) => Number(x.trim()));
    if (v.length === 6 && v.every(Number.isFinite)) geoTransform = v;
  }
  let gcps: RasterInfo['gcps'];
  const gl = /<GCPList\b([^>]*)>([\s\S]*?)<\/GCPList>/.exec(datasetXml);
  if (gl) {
    const la = attrs(gl[1]!);
    const list: Gcp[] = [];
    for (const g of gl[2]!.matchAll(/<GCP\b([^>]*)\/?>/g)) {
      const a = attrs(g[1]!);
      list.push({ id: a.Id ?? '', info: a.Info ?? '', pixel: Number(a.Pixel), line: Number(a.Line), x: Number(a.X), y: Number(a.Y), z: Number(a.Z ?? 0) });
    }
    gcps = { gcpList: list };
    if (la.Projection) gcps.coordinateSystem = crsFromText(la.Projection);
  }
  const metadata = metadataOf(datasetXml);
  const bands: BandInfo[] = bandXmls.map((bm, i) => {
    const a = attrs(bm[1]!);
    const type = a.dataType ?? 'Byte';
    // GDAL 3.6 honours band block attributes only as a pair (gdal_translate -of VRT writes a lone
    // blockYSize that gdalinfo then ignores).
    const both = a.blockXSize !== undefined && a.blockYSize !== undefined;
    const bx = both ? Number(a.blockXSize) : Math.min(128, width);
    const by = both ? Number(a.blockYSize) : Math.min(128, height);
    const b: BandInfo = { band: Number(a.band ?? i + 1), block: [bx, by], type };
    const ci = /<ColorInterp>([^<]*)<\/ColorInterp>/.exec(bm[2]!);
    if (ci) b.colorInterpretation = ci[1]!.trim();
    const nd = /<NoDataValue>([^<]*)<\/NoDataValue>/i.exec(bm[2]!);
    if (nd) { const v = parseNodata(unescapeXml(nd[1]!), type); if (v !== undefined) b.noDataValue = v; }
    const bmd = metadataOf(bm[2]!.replace(/<(Simple|Complex|Averaged|Kernel)Source\b[\s\S]*?<\/\1Source>/g, ''));
    if (Object.keys(bmd).length) b.metadata = bmd;
    return b;
  });
  const info: RasterInfo = {
    description: absPath, driverShortName: 'VRT', driverLongName: 'Virtual Raster', files: [basename(absPath)],
    size: [width, height], metadata, bands, overviewCount: 0, hasRpc: !!metadata.RPC, warnings,
  };
  if (crs) { info.coordinateSystem = crs; if (crs.epsg !== undefined) info.epsg = crs.epsg; }
  info.geoTransform = geoTransform ?? (crs || gcps ? undefined : undefined);
  if (!info.geoTransform) delete info.geoTransform;
  if (gcps) info.gcps = gcps;
  const aop = metadata['']?.AREA_OR_POINT;
  if (aop === 'Area' || aop === 'Point') info.areaOrPoint = aop;
  return info;
}
