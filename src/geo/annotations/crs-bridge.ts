/**
 * CRS handling for annotations: every layer is brought to one canonical space before
 * fingerprinting or diffing.
 *   - a layer with a declared CRS goes to WGS 84 longitude/latitude (x = lon), through the
 *     project's CRS helpers (src/geo/crs: EPSG index + proj4js, grids stripped);
 *   - a layer without any CRS stays in its native units (`native` space), and can only be
 *     compared with other CRS-less layers (mixing is an error with a hint: declare with --crs).
 */
import { AppError, UsageError } from '../../lib/errors.js';
import { assertCrsText, crsFromText, proj4Def, transformer, WGS84 } from '../crs/crs.js';
import { crsLabel, type CoordinateSystem } from './types.js';

export type SpaceKind = 'lonlat' | 'native';
export type PointFn = (x: number, y: number) => [number, number];

/** Codes that are WGS 84 lon/lat for our purpose (GeoJSON x = lon). NAD83 (4269) and ETRS89
 *  (4258) differ from WGS 84 by about a metre and proj4js maps them without a shift anyway. */
const LONLAT_CODES = new Set([4326, 4269, 4979, 4258, 4171]);

/** Parses a CRS given on the command line or in a file: EPSG:n, URN, CRS84, WKT, proj4. */
export function parseCrs(text: string): CoordinateSystem {
  const s = text.trim().replace(/^\[|\]$/g, '');
  if (!/CRS84$/i.test(s)) assertCrsText(s);
  const crs = /CRS84$/i.test(s) ? crsFromText('EPSG:4326') : crsFromText(s);
  if (!crs) throw new UsageError(`cannot parse CRS '${text}'`, { hint: 'give EPSG:<code>, a WKT string or a proj4 string' });
  return crs;
}

/** A function taking the layer's coordinates to the canonical space, and which space that is. */
export function toCanonical(crs: CoordinateSystem | null | undefined): { space: SpaceKind; fn: PointFn | null; label: string } {
  const label = crsLabel(crs);
  if (!crs) return { space: 'native', fn: null, label };
  if (crs.epsg !== undefined && LONLAT_CODES.has(crs.epsg)) return { space: 'lonlat', fn: null, label };
  const def = proj4Def(crs);
  if (def && /\+proj=longlat\b/.test(def) && /\+(datum|ellps)=WGS84\b/.test(def) && !/\+(pm|towgs84|axis)=/.test(def)) return { space: 'lonlat', fn: null, label };
  let t: (xy: [number, number]) => [number, number];
  try {
    t = transformer(crs, WGS84);
  } catch (err) {
    throw new AppError('unknown-crs', `cannot transform from ${label} to WGS 84`, 1, { cause: err, hint: 'declare the CRS of the annotations with --crs EPSG:<code>' });
  }
  return { space: 'lonlat', fn: (x, y) => t([x, y]), label };
}

/** Approximate metres per canonical unit at latitude `lat` (x, y). Native space: 1 unit = 1. */
export function metresPerUnit(space: SpaceKind, lat: number): [number, number] {
  if (space === 'native') return [1, 1];
  const r = (lat * Math.PI) / 180;
  // WGS 84 meridian/parallel arc lengths per degree (series to 3 terms).
  const my = 111132.92 - 559.82 * Math.cos(2 * r) + 1.175 * Math.cos(4 * r);
  const mx = 111412.84 * Math.cos(r) - 93.5 * Math.cos(3 * r) + 0.118 * Math.cos(5 * r);
  return [Math.max(mx, 1e-6), my];
}

/** Metres per degree used to turn a metric tolerance into a lon/lat quantum. */
export const METRES_PER_DEGREE = 111320;
