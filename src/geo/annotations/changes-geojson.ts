/**
 * GeoJSON of the changes, for a map: one feature per added, removed or changed label, with the
 * new geometry (the old one for removed features), in WGS 84 lon/lat (RFC 7946) when the data
 * has a CRS, in the data's own units otherwise.
 */
import type { Part, PreparedFeature } from './canonical.js';
import type { FeatureChange, LayerDiff } from './diff.js';
import type { Geometry } from './types.js';

function ringCoords(r: Float64Array, close: boolean): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < r.length; i += 2) out.push([r[i]!, r[i + 1]!]);
  if (close && out.length) out.push([...out[0]!]);
  return out;
}

function partGeometry(p: Part): Geometry {
  if (p.kind === 'P') return { type: 'Point', coordinates: ringCoords(p.rings[0]!, false)[0] };
  if (p.kind === 'L') return { type: 'LineString', coordinates: ringCoords(p.rings[0]!, false) };
  return { type: 'Polygon', coordinates: p.rings.map((r) => ringCoords(r, true)) };
}

/** Rebuilds a GeoJSON geometry from prepared parts (canonical space). */
export function preparedToGeometry(pf: PreparedFeature | undefined): Geometry | null {
  if (!pf || !pf.parts.length) return null;
  if (pf.parts.length === 1) return partGeometry(pf.parts[0]!);
  const kinds = new Set(pf.parts.map((p) => p.kind));
  if (kinds.size === 1) {
    const k = pf.parts[0]!.kind;
    if (k === 'P') return { type: 'MultiPoint', coordinates: pf.parts.map((p) => ringCoords(p.rings[0]!, false)[0]) };
    if (k === 'L') return { type: 'MultiLineString', coordinates: pf.parts.map((p) => ringCoords(p.rings[0]!, false)) };
    return { type: 'MultiPolygon', coordinates: pf.parts.map((p) => p.rings.map((r) => ringCoords(r, true))) };
  }
  return { type: 'GeometryCollection', geometries: pf.parts.map(partGeometry) };
}

function changeProps(path: string, c: FeatureChange): Record<string, unknown> {
  const p: Record<string, unknown> = { file: path, status: c.status, changes: c.changes.join(',') };
  if (c.image !== undefined) p.image = c.image;
  if (c.a) p.old_feature = c.a;
  if (c.b) p.new_feature = c.b;
  for (const k of ['maxVertexShift', 'areaOld', 'areaNew', 'areaChange', 'iou', 'classOld', 'classNew'] as const) {
    if (c[k] !== undefined) p[k] = c[k];
  }
  if (c.attributes) p.attributes = c.attributes.map((x) => x.key).join(',');
  return p;
}

function boxGeometry(b: number[]): Geometry {
  const [x0, y0, x1, y1] = b as [number, number, number, number];
  return { type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] };
}

/** The FeatureCollection text for a set of file diffs (pixel coordinates for COCO/VOC changes). */
export function changesToGeoJson(diffs: LayerDiff[]): string {
  const features: unknown[] = [];
  let native = false;
  for (const d of diffs) {
    if (d.space === 'native') native = true;
    for (const c of d.features) {
      const box = c.status === 'removed' ? c.boxOld : (c.boxNew ?? c.boxOld);
      // image-space labels (COCO/VOC): the box, in pixels
      const geom = box ? boxGeometry(box) : preparedToGeometry(c.status === 'removed' ? c.geomOld : (c.geomNew ?? c.geomOld));
      features.push({ type: 'Feature', properties: changeProps(d.path, c), geometry: geom });
    }
  }
  const fc: Record<string, unknown> = { type: 'FeatureCollection', name: 'annotation_changes' };
  if (native) fc.crs = null;
  fc.features = features;
  return JSON.stringify(fc) + '\n';
}
