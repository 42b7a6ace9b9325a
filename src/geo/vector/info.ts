/**
 * `readVectorInfo(absPath)` and `readVectorFeatures(absPath)` for GeoJSON, Shapefile sets,
 * FlatGeobuf and GeoPackage, chosen by extension and magic bytes.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { InvalidFileError } from '../../lib/errors.js';
import type { FeatureSet, VectorInfo } from './types.js';

export type { VectorInfo, VectorLayerInfo, FeatureSet, Feature, Geometry, FieldInfo } from './types.js';

export type VectorFormat = 'geojson' | 'shapefile' | 'flatgeobuf' | 'geopackage';

export function vectorFormat(absPath: string): VectorFormat | undefined {
  const ext = extname(absPath).toLowerCase();
  let head = Buffer.alloc(0);
  try {
    const fd = openSync(absPath, 'r');
    try { const b = Buffer.alloc(16); const n = readSync(fd, b, 0, 16, 0); head = b.subarray(0, n); } finally { closeSync(fd); }
  } catch { /* missing file: decided by extension, reported by the reader */ }
  if (head.length >= 3 && head[0] === 0x66 && head[1] === 0x67 && head[2] === 0x62) return 'flatgeobuf';
  if (head.toString('latin1').startsWith('SQLite format 3')) return ext === '.gpkg' || ext === '.sqlite' ? 'geopackage' : 'geopackage';
  if (ext === '.shp') return 'shapefile';
  if (ext === '.geojson' || ext === '.json') return 'geojson';
  if (ext === '.fgb') return 'flatgeobuf';
  if (ext === '.gpkg') return 'geopackage';
  return undefined;
}

export { looksLikeVector } from '../sniff.js';

export async function readVectorInfo(absPath: string): Promise<VectorInfo> {
  switch (vectorFormat(absPath)) {
    // each reader is loaded when its format is met (FlatGeobuf's flatbuffers and GeoPackage's
    // SQLite would otherwise load for every raster a command looks at)
    case 'geojson': return (await import('./geojson.js')).readGeoJsonInfo(absPath);
    case 'shapefile': return (await import('./shapefile.js')).readShapefileInfo(absPath);
    case 'flatgeobuf': return (await import('./flatgeobuf.js')).readFgbInfo(absPath);
    case 'geopackage': return (await import('./geopackage.js')).readGpkgInfo(absPath);
    default: throw new InvalidFileError(`${basename(absPath)}: not a vector format geodvc reads`, { hint: 'supported: GeoJSON, Shapefile (.shp with .shx/.dbf/.prj/.cpg), FlatGeobuf, GeoPackage' });
  }
}

/** All features, GeoJSON-like, with the layer CRS. GeoPackage may hold several layers. */
export async function readVectorFeatures(absPath: string): Promise<FeatureSet[]> {
  switch (vectorFormat(absPath)) {
    case 'geojson': { const { doc: _doc, ...fs } = (await import('./geojson.js')).readGeoJsonFeatures(absPath); return [fs]; }
    case 'shapefile': return [await (await import('./shapefile.js')).readShapefileFeatures(absPath)];
    case 'flatgeobuf': return [await (await import('./flatgeobuf.js')).readFgbFeatures(absPath)];
    case 'geopackage': return (await import('./geopackage.js')).readGpkgFeatures(absPath);
    default: throw new InvalidFileError(`${basename(absPath)}: not a vector format geodvc reads`, { hint: 'supported: GeoJSON, Shapefile, FlatGeobuf, GeoPackage' });
  }
}
