/**
 * Annotation layers from vector files, through the project's vector readers
 * (`readVectorFeatures`: GeoJSON, Shapefile sets, FlatGeobuf, GeoPackage).
 * GeoPackage's primary key column (`fid`, OGR's default name) is an artefact of the format, not
 * a label attribute: it is dropped so GeoJSON -> GPKG conversions compare equal.
 */
import { basename } from 'node:path';
import { readVectorFeatures, vectorFormat } from '../vector/info.js';
import type { FeatureSet } from '../vector/types.js';
import type { AnnotationLayer } from './types.js';
import type { NamedLayer } from './fingerprint.js';

const FORMAT_NAMES: Record<string, string> = { geojson: 'GeoJSON', shapefile: 'ESRI Shapefile', flatgeobuf: 'FlatGeobuf', geopackage: 'GPKG' };

export function layerFromFeatureSet(fs: FeatureSet, format: string): AnnotationLayer {
  const dropFid = format === 'GPKG';
  return {
    format,
    name: fs.layer,
    crs: fs.crs ?? null,
    features: fs.features.map((f, index) => {
      let properties = f.properties ?? {};
      if (dropFid && 'fid' in properties) { const { fid: _fid, ...rest } = properties; properties = rest; }
      return { index, id: f.id ?? undefined, properties, geometry: f.geometry ?? null };
    }),
  };
}

/** True when the file is a vector format the readers know (by extension and magic bytes). */
export function isVectorFile(absPath: string): boolean {
  return vectorFormat(absPath) !== undefined;
}

/**
 * Reads every layer of a vector file. `path` names the file in reports; a file with several
 * layers (GeoPackage) gives `path:layer` names.
 */
export async function readAnnotationFile(absPath: string, path = basename(absPath)): Promise<NamedLayer[]> {
  const fmt = vectorFormat(absPath);
  const format = FORMAT_NAMES[fmt ?? ''] ?? 'unknown';
  const sets = await readVectorFeatures(absPath);
  return sets.map((fs) => ({ path: sets.length > 1 ? `${path}:${fs.layer}` : path, layer: layerFromFeatureSet(fs, format) }));
}
