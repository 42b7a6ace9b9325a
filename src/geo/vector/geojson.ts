/** GeoJSON reader: FeatureCollection / Feature / bare geometry, legacy `crs` member (GeoJSON 2008). */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { InvalidFileError } from '../../lib/errors.js';
import { crsFromText } from '../crs/crs.js';
import type { CoordinateSystem } from '../raster/types.js';
import { Extent, hasZ, ogrTypeName } from './geometry.js';
import type { Feature, FeatureSet, FieldInfo, Geometry, VectorInfo } from './types.js';

function crsOf(doc: any): CoordinateSystem | undefined {
  const c = doc?.crs;
  if (!c || typeof c !== 'object') return undefined;
  const name: string | undefined = c.properties?.name ?? (c.type === 'EPSG' ? `EPSG:${c.properties?.code}` : undefined);
  if (!name) return undefined;
  if (/CRS84$/i.test(name)) return crsFromText('EPSG:4326');
  return crsFromText(name.replace(/^urn:ogc:def:crs:EPSG::/i, 'EPSG:'));
}

/** True when a `.json` file looks like GeoJSON (a GeoJSON "type" member in its first 64 KiB). */
export function looksLikeGeoJson(absPath: string): boolean {
  let head = '';
  try {
    const fd = openSync(absPath, 'r');
    try { const b = Buffer.alloc(65536); const n = readSync(fd, b, 0, b.length, 0); head = b.toString('utf8', 0, n); } finally { closeSync(fd); }
  } catch { return false; }
  return /"type"\s*:\s*"(FeatureCollection|Feature|Point|LineString|Polygon|MultiPoint|MultiLineString|MultiPolygon|GeometryCollection)"/.test(head);
}

const GEOM_TYPES = new Set(['Point', 'LineString', 'Polygon', 'MultiPoint', 'MultiLineString', 'MultiPolygon', 'GeometryCollection']);

/** Deepest array/object nesting accepted (a MultiPolygon inside a FeatureCollection nests 7). */
export const MAX_JSON_DEPTH = 256;
/** Largest GeoJSON read as one document (V8 strings stop at ~512 MiB). */
export const MAX_GEOJSON_BYTES = 400 * 1024 * 1024;

/**
 * The first offset where arrays/objects nest deeper than `max` (strings skipped), or -1. Linear and
 * iterative, run before JSON.parse so that nothing recursive ever walks a 1e6-deep document.
 */
export function jsonDepthExceeded(text: string, max = MAX_JSON_DEPTH): number {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) { // skip a string
      for (i++; i < n; i++) { const d = text.charCodeAt(i); if (d === 92) i++; else if (d === 34) break; }
    } else if (c === 91 || c === 123) { if (++depth > max) return i; } else if (c === 93 || c === 125) depth--;
  }
  return -1;
}

export function readGeoJsonFeatures(absPath: string): FeatureSet & { doc: any } {
  let doc: any;
  const size = statSync(absPath).size;
  if (size > MAX_GEOJSON_BYTES) throw new InvalidFileError(`${basename(absPath)}: ${size} bytes is too large to read as one GeoJSON document (limit ${MAX_GEOJSON_BYTES})`, { hint: 'convert it to FlatGeobuf or GeoPackage (ogr2ogr -f FlatGeobuf out.fgb in.geojson), or split it' });
  const text = readFileSync(absPath, 'utf8');
  const deep = jsonDepthExceeded(text);
  if (deep >= 0) throw new InvalidFileError(`${basename(absPath)}: JSON nested more than ${MAX_JSON_DEPTH} levels deep (at offset ${deep}); not a GeoJSON document geodvc reads`, { hint: 'GeoJSON nests a few levels (a MultiPolygon in a FeatureCollection: 7); the file is damaged or crafted', details: { offset: deep } });
  try { doc = JSON.parse(text); } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    throw new InvalidFileError(`${basename(absPath)}: not valid JSON: ${(e as Error).message}`, { cause: e, hint: 'the file may be truncated; check it with `geodvc geo check`', details: { offset: m ? Number(m[1]) : undefined } });
  }
  let features: Feature[];
  if (doc?.type === 'FeatureCollection') {
    if (!Array.isArray(doc.features)) throw new InvalidFileError(`${basename(absPath)}: FeatureCollection without a "features" array`, { hint: 'fix the GeoJSON document' });
    features = doc.features;
  } else if (doc?.type === 'Feature') features = [doc];
  else if (GEOM_TYPES.has(doc?.type)) features = [{ type: 'Feature', geometry: doc, properties: {} }];
  else throw new InvalidFileError(`${basename(absPath)}: not a GeoJSON object (type ${JSON.stringify(doc?.type)})`, { hint: 'expected a FeatureCollection, Feature or geometry' });
  const layer = typeof doc.name === 'string' && doc.name ? doc.name : basename(absPath, extname(absPath));
  const explicit = crsOf(doc);
  // Without a crs member GDAL uses WGS 84, and its 3D variant (EPSG:4979) when coordinates have Z.
  const crs = explicit ?? crsFromText(features.some((f) => f?.geometry && hasZ(f.geometry.type === 'GeometryCollection' ? f.geometry.geometries?.map((g) => g.coordinates) : f.geometry.coordinates)) ? 'EPSG:4979' : 'EPSG:4326');
  return { layer, crs, features: features.map((f) => ({ type: 'Feature', id: f?.id, geometry: (f?.geometry ?? null) as Geometry | null, properties: f?.properties ?? {} })), doc };
}

/** Checks every feature's geometry structure; returns the index and reason of the first bad one. */
export function validateGeoJsonGeometry(g: any): string | undefined {
  if (g === null) return undefined;
  if (typeof g !== 'object' || !GEOM_TYPES.has(g.type)) return `unknown geometry type ${JSON.stringify(g?.type)}`;
  if (g.type === 'GeometryCollection') {
    if (!Array.isArray(g.geometries)) return 'GeometryCollection without "geometries"';
    for (const x of g.geometries) { const r = validateGeoJsonGeometry(x); if (r) return r; }
    return undefined;
  }
  const depth: Record<string, number> = { Point: 0, LineString: 1, MultiPoint: 1, Polygon: 2, MultiLineString: 2, MultiPolygon: 3 };
  const check = (c: any, d: number): boolean => {
    if (d === 0) return Array.isArray(c) && (c.length === 0 || (c.length >= 2 && c.every((v: any) => typeof v === 'number' && Number.isFinite(v))));
    return Array.isArray(c) && c.every((x: any) => check(x, d - 1));
  };
  if (!check(g.coordinates, depth[g.type]!)) return `${g.type} has malformed coordinates`;
  return undefined;
}

export function readGeoJsonInfo(absPath: string): VectorInfo {
  const fs = readGeoJsonFeatures(absPath);
  const ext = new Extent();
  const types: Record<string, number> = {};
  let z = false;
  const fields = new Map<string, string>();
  for (const f of fs.features) {
    if (f.geometry) {
      types[f.geometry.type] = (types[f.geometry.type] ?? 0) + 1;
      ext.addGeometry(f.geometry);
      if (!z && hasZ(f.geometry.type === 'GeometryCollection' ? f.geometry.geometries?.map((g) => g.coordinates) : f.geometry.coordinates)) z = true;
    }
    for (const [k, v] of Object.entries(f.properties ?? {})) {
      const t = v === null || v === undefined ? undefined : typeof v === 'number' ? (Number.isInteger(v) ? 'Integer' : 'Real') : typeof v === 'boolean' ? 'Integer' : typeof v === 'string' ? 'String' : 'String';
      const prev = fields.get(k);
      if (!prev) fields.set(k, t ?? '');
      else if (t && prev !== t) fields.set(k, prev === '' ? t : (prev === 'Integer' && t === 'Real') || (prev === 'Real' && t === 'Integer') ? 'Real' : 'String');
    }
  }
  const kinds = Object.keys(types);
  const geometryType = kinds.length === 1 ? ogrTypeName(kinds[0]!, z) : 'Unknown (any)';
  const fieldList: FieldInfo[] = [...fields].map(([name, type]) => ({ name, type: type || 'String' }));
  return {
    driverShortName: 'GeoJSON', files: [basename(absPath)], warnings: [],
    layers: [{ name: fs.layer, geometryType, featureCount: fs.features.length, extent: ext.toArray(), crs: fs.crs, fields: fieldList, geometryTypes: types }],
  };
}
