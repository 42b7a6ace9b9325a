/**
 * Vector integrity: parse every feature. Shapefile record structure is walked first (record
 * lengths against the file size); FlatGeobuf features must match the header count; GeoPackage
 * blobs must parse; GeoJSON geometries must be well-formed.
 */
import { basename } from 'node:path';
import type { CheckProblem, FileCheck } from '../raster/check.js';
import { vectorFormat } from './info.js';
import { readGeoJsonFeatures, validateGeoJsonGeometry } from './geojson.js';
import { readShapefileFeatures, sidecar, walkShp } from './shapefile.js';
import { readFgbHeader, readFgbFeatures } from './flatgeobuf.js';
import { readGpkgInfo, readGpkgFeatures } from './geopackage.js';
import { AppError } from '../../lib/errors.js';

export async function checkVector(absPath: string): Promise<FileCheck> {
  const problems: CheckProblem[] = [];
  const fmt = vectorFormat(absPath);
  const err = (code: string, structure: string, message: string, offset?: number) => problems.push({ code, structure, offset, message, severity: 'error' });
  let parsed = 0;
  try {
    switch (fmt) {
      case 'geojson': {
        const fs = readGeoJsonFeatures(absPath);
        fs.features.forEach((f, i) => { const r = validateGeoJsonGeometry(f.geometry); if (r) err('bad-geometry', `feature ${i}`, r); else parsed++; });
        break;
      }
      case 'shapefile': {
        const w = walkShp(absPath);
        for (const i of w.issues) err('shp-structure', '.shp records', i.message, i.offset);
        if (!sidecar(absPath, '.shx')) problems.push({ code: 'missing-sidecar', structure: '.shx', message: 'no .shx index beside the .shp', severity: 'warning' });
        if (!problems.length) { const fs = await readShapefileFeatures(absPath); parsed = fs.features.length; }
        break;
      }
      case 'flatgeobuf': {
        const h = readFgbHeader(absPath);
        try {
          const fs = await readFgbFeatures(absPath);
          parsed = fs.features.length;
        } catch (e) {
          err('bad-feature', `feature ${parsed}`, `feature parsing failed: ${(e as Error).message}`);
        }
        if (h.featuresCount > 0 && parsed !== h.featuresCount && !problems.length) err('feature-count', 'header features_count', `header declares ${h.featuresCount} features, ${parsed} could be read`, 12);
        break;
      }
      case 'geopackage': {
        await readGpkgInfo(absPath);
        for (const layer of await readGpkgFeatures(absPath)) parsed += layer.features.length;
        break;
      }
      default:
        err('unknown-format', 'file', 'not a vector format geodvc reads');
    }
  } catch (e) {
    const off = e instanceof AppError ? (e.details?.offset as number | undefined) : undefined;
    err('unreadable', fmt ?? 'file', (e as Error).message.replace(`${basename(absPath)}: `, ''), off);
  }
  return { file: absPath, kind: 'vector', format: fmt, ok: !problems.some((p) => p.severity === 'error'), problems, featuresParsed: parsed };
}
