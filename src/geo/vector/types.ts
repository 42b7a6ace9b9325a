/** Vector metadata and features, with OGR's names for geometry types ("Multi Polygon", "3D Point"). */
import type { CoordinateSystem } from '../raster/types.js';

export interface FieldInfo { name: string; type: string }

export interface VectorLayerInfo {
  name: string;
  /** Declared geometry type, OGR style: 'Polygon', 'Multi Polygon', '3D Measured Line String', 'Unknown (any)'. */
  geometryType: string;
  featureCount: number;
  /** [minx, miny, maxx, maxy] in the layer CRS; undefined when there are no geometries. */
  extent?: [number, number, number, number];
  crs?: CoordinateSystem;
  fields: FieldInfo[];
  /** Histogram of the geometry types actually found (when features were read). */
  geometryTypes?: Record<string, number>;
}

export interface VectorInfo {
  driverShortName: 'GeoJSON' | 'ESRI Shapefile' | 'FlatGeobuf' | 'GPKG';
  files: string[];
  layers: VectorLayerInfo[];
  warnings: string[];
}

export interface Geometry {
  type: string;
  coordinates?: unknown;
  geometries?: Geometry[];
}

export interface Feature {
  type: 'Feature';
  id?: string | number;
  geometry: Geometry | null;
  properties: Record<string, unknown>;
}

export interface FeatureSet {
  layer: string;
  crs?: CoordinateSystem;
  features: Feature[];
}
