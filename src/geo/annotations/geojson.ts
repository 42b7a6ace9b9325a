/**
 * GeoJSON text -> AnnotationLayer. Accepts a FeatureCollection, a single Feature or a bare
 * geometry. CRS: the legacy `crs` member (named CRS), JSON-FG `coordRefSys`, else the RFC 7946
 * default (WGS 84 lon/lat), which counts as declared.
 */
import { InvalidFileError } from '../../lib/errors.js';
import { parseCrs } from './crs-bridge.js';
import { crsLabel, type AnnotationFeature, type AnnotationLayer, type CoordinateSystem, type Geometry } from './types.js';

function crsOf(obj: Record<string, unknown> | undefined): CoordinateSystem | undefined {
  if (!obj) return undefined;
  const crs = obj.crs as { type?: string; properties?: { name?: string } } | null | undefined;
  if (crs && crs.type === 'name' && typeof crs.properties?.name === 'string') {
    return parseCrs(crs.properties.name);
  }
  const fg = obj.coordRefSys;
  if (typeof fg === 'string') return parseCrs(fg);
  if (Array.isArray(fg) && typeof fg[0] === 'string') return parseCrs(fg[0]);
  return undefined;
}

export function parseGeoJsonLayer(text: string, name: string): AnnotationLayer {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InvalidFileError(`${name}: not valid JSON (${(err as Error).message})`, { cause: err, hint: 'check that the file is GeoJSON and not truncated' });
  }
  if (!doc || typeof doc !== 'object') throw new InvalidFileError(`${name}: not a GeoJSON object`, { hint: 'expected a FeatureCollection, Feature or geometry' });
  let raw: Record<string, unknown>[];
  if (doc.type === 'FeatureCollection') {
    if (!Array.isArray(doc.features)) throw new InvalidFileError(`${name}: FeatureCollection without a features array`, { hint: 'the file is not valid GeoJSON' });
    raw = doc.features as Record<string, unknown>[];
  } else if (doc.type === 'Feature') raw = [doc];
  else if (typeof doc.type === 'string') raw = [{ type: 'Feature', properties: {}, geometry: doc }];
  else throw new InvalidFileError(`${name}: no GeoJSON "type" member`, { hint: 'expected a FeatureCollection, Feature or geometry' });

  let crs = crsOf(doc);
  const features: AnnotationFeature[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const f = raw[i] ?? {};
    const fcrs = crsOf(f);
    if (fcrs && crs === undefined) crs = fcrs;
    else if (fcrs && crs && crsLabel(fcrs) !== crsLabel(crs)) {
      throw new InvalidFileError(`${name}: feature #${i} declares CRS ${crsLabel(fcrs)} but the collection uses ${crsLabel(crs)}`, {
        hint: 'mixed CRSs in one file are not supported: reproject the file to one CRS (ogr2ogr -t_srs EPSG:<code>)',
      });
    }
    const props = f.properties && typeof f.properties === 'object' ? (f.properties as Record<string, unknown>) : {};
    const id = typeof f.id === 'string' || typeof f.id === 'number' ? f.id : undefined;
    features[i] = { index: i, id, properties: props, geometry: (f.geometry as Geometry | null) ?? null };
  }
  return { features, crs: crs ?? parseCrs('EPSG:4326'), format: 'GeoJSON', name: typeof doc.name === 'string' ? doc.name : undefined };
}
