/**
 * The in-memory model of an annotation (label) dataset as the annotation tools see it: features
 * with an optional id, properties and a GeoJSON-shaped geometry, plus the layer's CRS.
 */

/** A GeoJSON-shaped geometry (coordinates nested arrays of [x, y, ...]). */
export interface Geometry {
  type: string;
  coordinates?: unknown;
  geometries?: Geometry[];
}

export interface AnnotationFeature {
  /** Position of the feature in its file (0-based), used to name it when it has no id. */
  index: number;
  id?: string | number;
  properties: Record<string, unknown>;
  geometry: Geometry | null;
}

import type { CoordinateSystem } from '../raster/types.js';
export type { CoordinateSystem } from '../raster/types.js';

/** Short label of a CRS for messages: `EPSG:32631`, its name, or `custom CRS`. */
export function crsLabel(crs: CoordinateSystem | null | undefined): string {
  if (!crs) return 'no CRS';
  if (crs.epsg !== undefined) return `EPSG:${crs.epsg}`;
  return crs.name ? crs.name : 'custom CRS';
}

export interface AnnotationLayer {
  features: AnnotationFeature[];
  /** The layer CRS, or null when the file declares none (e.g. a Shapefile without .prj). */
  crs: CoordinateSystem | null;
  /** Format name for reports (`GeoJSON`, `GPKG`, `ESRI Shapefile`, `FlatGeobuf`). */
  format: string;
  name?: string;
}

/** A problem found in the input that does not stop the operation (reported, not thrown). */
export interface GeometryIssue {
  /** Feature label (`id=…` or `#n`, 1-based). */
  feature: string;
  problem: 'unclosed-ring' | 'too-few-points' | 'self-intersection' | 'non-finite-coordinate' | 'unknown-geometry-type' | 'empty-geometry' | 'odd-coordinate-count';
  detail?: string;
}

/** `id=<id>` when the feature has an id (its --id-field), else `#<n>` counted from 1 (the n-th feature of the file). */
export function featureLabel(f: Pick<AnnotationFeature, 'id' | 'index'>): string {
  return f.id !== undefined && f.id !== null ? `id=${String(f.id)}` : `#${f.index + 1}`;
}
