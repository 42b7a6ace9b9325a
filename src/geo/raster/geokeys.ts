/**
 * GeoTIFF GeoKeyDirectory parsing (tags 34735/34736/34737). Keys pointing outside their parameter
 * tags make the whole directory invalid, as libgeotiff decides (GDAL then ignores the CRS).
 */
import { Tag, type TiffFile, type TiffIfd } from './tiff.js';

export const GEOKEY_NAMES: Record<number, string> = {
  1024: 'GTModelTypeGeoKey', 1025: 'GTRasterTypeGeoKey', 1026: 'GTCitationGeoKey', 2048: 'GeographicTypeGeoKey',
  2049: 'GeogCitationGeoKey', 2050: 'GeogGeodeticDatumGeoKey', 2051: 'GeogPrimeMeridianGeoKey', 2052: 'GeogLinearUnitsGeoKey',
  2054: 'GeogAngularUnitsGeoKey', 2056: 'GeogEllipsoidGeoKey', 2057: 'GeogSemiMajorAxisGeoKey', 2058: 'GeogSemiMinorAxisGeoKey',
  2059: 'GeogInvFlatteningGeoKey', 3072: 'ProjectedCSTypeGeoKey', 3073: 'PCSCitationGeoKey', 3074: 'ProjectionGeoKey',
  3075: 'ProjCoordTransGeoKey', 3076: 'ProjLinearUnitsGeoKey', 4096: 'VerticalCSTypeGeoKey', 4097: 'VerticalCitationGeoKey',
  4098: 'VerticalDatumGeoKey', 4099: 'VerticalUnitsGeoKey',
};

export class GeoKeys {
  constructor(readonly entries: Map<number, number | string | number[]>) {}
  num(id: number): number | undefined { const v = this.entries.get(id); return typeof v === 'number' ? v : Array.isArray(v) ? v[0] : undefined; }
  str(id: number): string | undefined { const v = this.entries.get(id); return typeof v === 'string' ? v : undefined; }
  toJSON(): Record<string, number | string | number[]> {
    const o: Record<string, number | string | number[]> = {};
    for (const [k, v] of [...this.entries].sort((a, b) => a[0] - b[0])) o[GEOKEY_NAMES[k] ?? String(k)] = v;
    return o;
  }
}

export function parseGeoKeys(t: TiffFile, ifd: TiffIfd): GeoKeys {
  const dirE = ifd.entries.get(Tag.GeoKeyDirectory)!;
  const dir = t.values(dirE, 4 + 4 * 512);
  if (dir.length < 4) throw new Error('GeoKeyDirectory shorter than its header');
  const n = dir[3]!;
  if (dir.length < 4 + 4 * n) throw new Error(`GeoKeyDirectory declares ${n} keys but holds ${(dir.length - 4) >> 2}`);
  const dE = ifd.entries.get(Tag.GeoDoubleParams);
  const aE = ifd.entries.get(Tag.GeoAsciiParams);
  const doubles = dE && !dE.outOfFile ? t.values(dE, 10000) : [];
  const ascii = aE && !aE.outOfFile ? t.read(aE.valueOffset, aE.count).toString('latin1') : '';
  const entries = new Map<number, number | string | number[]>();
  for (let k = 0; k < n; k++) {
    const [id, loc, count, val] = dir.slice(4 + 4 * k, 8 + 4 * k) as [number, number, number, number];
    if (loc === 0) entries.set(id, val);
    else if (loc === Tag.GeoDoubleParams) {
      if (val + count > doubles.length) throw new Error(`key ${GEOKEY_NAMES[id] ?? id} points past GeoDoubleParams`);
      entries.set(id, count === 1 ? doubles[val]! : doubles.slice(val, val + count));
    } else if (loc === Tag.GeoAsciiParams) {
      if (val + count > ascii.length) throw new Error(`key ${GEOKEY_NAMES[id] ?? id} points past GeoAsciiParams`);
      entries.set(id, ascii.slice(val, val + count).replace(/[|\0]+$/, ''));
    } else if (loc === Tag.GeoKeyDirectory) {
      entries.set(id, dir.slice(val, val + count));
    } else throw new Error(`key ${GEOKEY_NAMES[id] ?? id} has an unknown location tag ${loc}`);
  }
  return new GeoKeys(entries);
}
