/**
 * GeoPackage read directly with better-sqlite3 (read-only): layers from gpkg_contents and
 * gpkg_geometry_columns, CRS from gpkg_spatial_ref_sys (EPSG only when the organisation is EPSG),
 * features from the GeoPackage binary geometry (header + WKB, parsed by us).
 */
import { basename } from 'node:path';
import { AppError, InvalidFileError } from '../../lib/errors.js';
import { epsgDef } from '../crs/epsg.js';
import type { CoordinateSystem } from '../raster/types.js';
import { Extent, geometryExtent, ogrTypeName, parseWkb } from './geometry.js';
import type { Feature, FeatureSet, FieldInfo, Geometry, VectorInfo, VectorLayerInfo } from './types.js';

type Db = import('better-sqlite3').Database;

async function openDb(absPath: string): Promise<Db> {
  const { default: Database } = await import('better-sqlite3');
  try {
    const db = new Database(absPath, { readonly: true, fileMustExist: true });
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return db;
  } catch (e) {
    throw new InvalidFileError(`${basename(absPath)}: not a readable SQLite/GeoPackage file: ${(e as Error).message}`, { cause: e, hint: 'the file may be truncated or corrupted' });
  }
}

function qi(name: string): string { return `"${name.replace(/"/g, '""')}"`; }

/** Parses a GeoPackage binary geometry blob; null for empty/NULL. */
export function parseGpkgGeometry(blob: Uint8Array | null): { geometry: Geometry | null; z: boolean; m: boolean } {
  if (!blob || blob.length === 0) return { geometry: null, z: false, m: false };
  if (blob[0] !== 0x47 || blob[1] !== 0x50) throw new Error('GeoPackage geometry without the "GP" magic');
  const flags = blob[3]!;
  const envCode = (flags >> 1) & 7;
  const envLen = [0, 32, 48, 48, 64][envCode];
  if (envLen === undefined) throw new Error(`bad GeoPackage envelope code ${envCode}`);
  const empty = (flags & 0x10) !== 0;
  const r = parseWkb(blob, 8 + envLen);
  return { geometry: empty ? null : r.geometry, z: r.z, m: r.m };
}

interface LayerRow { table_name: string; min_x: number | null; min_y: number | null; max_x: number | null; max_y: number | null; column_name: string; geometry_type_name: string; srs_id: number; z: number; m: number }

function layerRows(db: Db): LayerRow[] {
  return db.prepare(`SELECT c.table_name, c.min_x, c.min_y, c.max_x, c.max_y, g.column_name, g.geometry_type_name, g.srs_id, g.z, g.m
    FROM gpkg_contents c JOIN gpkg_geometry_columns g ON g.table_name = c.table_name WHERE c.data_type = 'features' ORDER BY c.table_name`).all() as LayerRow[];
}

function srsOf(db: Db, srsId: number): CoordinateSystem | undefined {
  const r = db.prepare('SELECT srs_name, organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?').get(srsId) as any;
  if (!r) return undefined;
  const isEpsg = String(r.organization ?? '').toUpperCase() === 'EPSG' && Number(r.organization_coordsys_id) > 0;
  const epsg = isEpsg ? Number(r.organization_coordsys_id) : undefined;
  const def = epsg ? epsgDef(epsg) : undefined;
  if (srsId === 0 || srsId === -1) return undefined;
  return { epsg, name: def?.name ?? r.srs_name ?? undefined, wkt: r.definition && r.definition !== 'undefined' ? r.definition : def?.wkt, proj4: def?.proj4 || undefined };
}

function fieldsOf(db: Db, table: string, geomCol: string): FieldInfo[] {
  const cols = db.prepare(`PRAGMA table_info(${qi(table)})`).all() as { name: string; type: string; pk: number }[];
  return cols.filter((c) => c.name !== geomCol && !(c.pk && /INT/i.test(c.type))).map((c) => ({ name: c.name, type: c.type || 'String' }));
}

export async function readGpkgInfo(absPath: string): Promise<VectorInfo> {
  const db = await openDb(absPath);
  try {
    let rows: LayerRow[];
    try { rows = layerRows(db); } catch (e) {
      throw new InvalidFileError(`${basename(absPath)}: no GeoPackage feature tables (${(e as Error).message})`, { cause: e, hint: 'is it a GeoPackage? gpkg_contents/gpkg_geometry_columns are required' });
    }
    const layers: VectorLayerInfo[] = [];
    for (const r of rows) {
      const count = (db.prepare(`SELECT count(*) AS n FROM ${qi(r.table_name)}`).get() as { n: number }).n;
      let extent: [number, number, number, number] | undefined;
      if (r.min_x !== null && r.min_y !== null && r.max_x !== null && r.max_y !== null) extent = [r.min_x, r.min_y, r.max_x, r.max_y];
      else {
        const e = new Extent();
        for (const row of db.prepare(`SELECT ${qi(r.column_name)} AS g FROM ${qi(r.table_name)}`).iterate() as Iterable<{ g: Uint8Array | null }>) {
          try { const p = parseGpkgGeometry(row.g); const ge = geometryExtent(p.geometry); if (!ge.empty) { e.addXY(ge.minx, ge.miny); e.addXY(ge.maxx, ge.maxy); } } catch { /* reported by check */ }
        }
        extent = e.toArray();
      }
      const t = r.geometry_type_name.toUpperCase();
      const typeMap: Record<string, string> = { GEOMETRY: 'Unknown', POINT: 'Point', LINESTRING: 'LineString', POLYGON: 'Polygon', MULTIPOINT: 'MultiPoint', MULTILINESTRING: 'MultiLineString', MULTIPOLYGON: 'MultiPolygon', GEOMETRYCOLLECTION: 'GeometryCollection', CIRCULARSTRING: 'CircularString', COMPOUNDCURVE: 'CompoundCurve', CURVEPOLYGON: 'CurvePolygon', MULTICURVE: 'MultiCurve', MULTISURFACE: 'MultiSurface', CURVE: 'Curve', SURFACE: 'Surface' };
      layers.push({
        name: r.table_name, geometryType: ogrTypeName(typeMap[t] ?? 'Unknown', r.z === 1 || r.z === 2, r.m === 1 || r.m === 2),
        featureCount: count, extent, crs: srsOf(db, r.srs_id), fields: fieldsOf(db, r.table_name, r.column_name),
      });
    }
    return { driverShortName: 'GPKG', files: [basename(absPath)], layers, warnings: [] };
  } catch (e) { throw corrupted(absPath, e); } finally { db.close(); }
}

/** Features of every layer (or the one named), geometry parsed from the GeoPackage blobs. */
export async function readGpkgFeatures(absPath: string, layer?: string): Promise<FeatureSet[]> {
  const db = await openDb(absPath);
  try {
    const out: FeatureSet[] = [];
    for (const r of layerRows(db)) {
      if (layer && r.table_name !== layer) continue;
      const features: Feature[] = [];
      for (const row of db.prepare(`SELECT * FROM ${qi(r.table_name)}`).iterate() as Iterable<Record<string, unknown>>) {
        const { [r.column_name]: g, ...props } = row;
        const p = parseGpkgGeometry(g as Uint8Array | null);
        features.push({ type: 'Feature', geometry: p.geometry, properties: props });
      }
      out.push({ layer: r.table_name, crs: srsOf(db, r.srs_id), features });
    }
    return out;
  } catch (e) { throw corrupted(absPath, e); } finally { db.close(); }
}

/** A corrupted page or geometry blob surfaces as InvalidFileError, never a raw SqliteError (hardening, issue 10; found by fuzzing). */
function corrupted(absPath: string, e: unknown): unknown {
  if (e instanceof AppError || !(e instanceof Error)) return e;
  return new InvalidFileError(`${basename(absPath)}: corrupted GeoPackage: ${e.message}`, { cause: e, hint: 'the file may be truncated or corrupted; check it with `geodvc geo check`' });
}
