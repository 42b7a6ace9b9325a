/**
 * ESRI Shapefile sets: the .shp header and record walk are ours (counts, extent, geometry type,
 * byte offsets of bad records); attributes and geometries come through the `shapefile` package
 * with the .cpg encoding. The .prj is matched case-insensitively (poly.PRJ) and identified to an
 * EPSG code from its ESRI WKT.
 */
import { existsSync, readdirSync, readFileSync, openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { InvalidFileError } from '../../lib/errors.js';
import { identifyEpsg } from '../crs/identify.js';
import { epsgDef } from '../crs/epsg.js';
import type { CoordinateSystem } from '../raster/types.js';
import type { Feature, FeatureSet, FieldInfo, VectorInfo } from './types.js';

const SHAPE_TYPES: Record<number, string> = {
  0: 'None', 1: 'Point', 3: 'Line String', 5: 'Polygon', 8: 'Multi Point',
  11: '3D Point', 13: '3D Line String', 15: '3D Polygon', 18: '3D Multi Point',
  21: 'Measured Point', 23: 'Measured Line String', 25: 'Measured Polygon', 28: 'Measured Multi Point', 31: '3D Multi Polygon',
};

/** Finds a sidecar of a shapefile with any case of the extension (`.prj`, `.PRJ`). */
export function sidecar(shpPath: string, ext: string): string | undefined {
  const dir = dirname(shpPath);
  const stem = basename(shpPath, extname(shpPath));
  const exact = join(dir, stem + ext);
  if (existsSync(exact)) return exact;
  try {
    const want = (stem + ext).toLowerCase();
    const hit = readdirSync(dir).find((n) => n.toLowerCase() === want);
    return hit ? join(dir, hit) : undefined;
  } catch { return undefined; }
}

export function shapefileCrs(shpPath: string): CoordinateSystem | undefined {
  const prj = sidecar(shpPath, '.prj');
  if (!prj) return undefined;
  const wkt = readFileSync(prj, 'utf8').trim();
  if (!wkt) return undefined;
  const epsg = identifyEpsg(wkt);
  const def = epsg !== undefined ? epsgDef(epsg) : undefined;
  const name = /^\s*\w+\s*\[\s*"([^"]*)"/.exec(wkt)?.[1];
  return { wkt, epsg, name: def?.name ?? name, proj4: def?.proj4 || undefined };
}

export interface ShpIssue { message: string; offset: number }

/** Walks the .shp header and records: shape type, bbox, record count and structural problems. */
export function walkShp(shpPath: string): { shapeType: number; bbox: [number, number, number, number]; records: number; recordTypes: Record<number, number>; issues: ShpIssue[]; fileLength: number } {
  const fd = openSync(shpPath, 'r');
  try {
    const size = fstatSync(fd).size;
    const h = Buffer.alloc(100);
    if (readSync(fd, h, 0, 100, 0) < 100) throw new InvalidFileError(`${basename(shpPath)}: shorter than the 100-byte shapefile header`, { hint: 'the file is truncated', details: { offset: 0 } });
    if (h.readInt32BE(0) !== 9994) throw new InvalidFileError(`${basename(shpPath)}: bad shapefile file code ${h.readInt32BE(0)} (expected 9994)`, { hint: 'not a shapefile, or corrupted', details: { offset: 0 } });
    const declared = h.readInt32BE(24) * 2;
    const shapeType = h.readInt32LE(32);
    const bbox: [number, number, number, number] = [h.readDoubleLE(36), h.readDoubleLE(44), h.readDoubleLE(52), h.readDoubleLE(60)];
    const issues: ShpIssue[] = [];
    if (declared !== size) issues.push({ message: `header file length ${declared} differs from the actual size ${size}`, offset: 24 });
    let off = 100;
    let records = 0;
    const recordTypes: Record<number, number> = {};
    const rh = Buffer.alloc(12);
    while (off + 8 <= size) {
      readSync(fd, rh, 0, 12, off);
      const len = rh.readInt32BE(4) * 2;
      if (len < 4 || off + 8 + len > size) {
        issues.push({ message: `record ${records + 1} at byte ${off} declares ${len} content bytes, beyond the end of the file (${size} bytes)`, offset: off });
        break;
      }
      const t = rh.readInt32LE(8);
      recordTypes[t] = (recordTypes[t] ?? 0) + 1;
      records++;
      off += 8 + len;
    }
    if (off < size && off + 8 > size) issues.push({ message: `${size - off} trailing bytes after the last record`, offset: off });
    return { shapeType, bbox, records, recordTypes, issues, fileLength: size };
  } finally { closeSync(fd); }
}

function encodingOf(shpPath: string): string | undefined {
  const cpg = sidecar(shpPath, '.cpg');
  if (!cpg) return undefined;
  const e = readFileSync(cpg, 'utf8').trim().toLowerCase();
  if (!e) return undefined;
  if (/^(utf-?8|65001)$/.test(e)) return 'utf-8';
  if (/^(8859_?1|iso-?8859-?1|latin1)$/.test(e)) return 'iso-8859-1';
  if (/^\d+$/.test(e)) return `windows-${e}`;
  return e;
}

function dbfFields(dbfPath: string | undefined): FieldInfo[] {
  if (!dbfPath) return [];
  const b = readFileSync(dbfPath);
  if (b.length < 32) return [];
  const headerLen = b.readUInt16LE(8);
  const out: FieldInfo[] = [];
  for (let o = 32; o + 32 <= Math.min(headerLen, b.length) && b[o] !== 0x0d; o += 32) {
    const name = b.toString('latin1', o, o + 11).replace(/\0.*$/, '');
    const t = String.fromCharCode(b[o + 11]!);
    const dec = b[o + 17]!;
    const type = t === 'N' || t === 'F' ? (dec > 0 ? 'Real' : 'Integer') : t === 'D' ? 'Date' : t === 'L' ? 'String' : 'String';
    out.push({ name, type });
  }
  return out;
}

export function readShapefileInfo(absPath: string): VectorInfo {
  const w = walkShp(absPath);
  const crs = shapefileCrs(absPath);
  const files = [basename(absPath)];
  for (const e of ['.shx', '.dbf', '.prj', '.cpg']) { const s = sidecar(absPath, e); if (s) files.push(basename(s)); }
  const hist: Record<string, number> = {};
  for (const [t, n] of Object.entries(w.recordTypes)) hist[SHAPE_TYPES[Number(t)] ?? `type ${t}`] = n;
  const nonNull = Object.entries(w.recordTypes).filter(([t]) => t !== '0').reduce((a, [, n]) => a + n, 0);
  return {
    driverShortName: 'ESRI Shapefile', files, warnings: w.issues.map((i) => i.message),
    layers: [{
      name: basename(absPath, extname(absPath)), geometryType: SHAPE_TYPES[w.shapeType] ?? 'Unknown (any)', featureCount: w.records,
      extent: nonNull > 0 ? w.bbox : undefined, crs, fields: dbfFields(sidecar(absPath, '.dbf')), geometryTypes: hist,
    }],
  };
}

export async function readShapefileFeatures(absPath: string): Promise<FeatureSet> {
  const shp = await import('shapefile');
  const dbf = sidecar(absPath, '.dbf');
  const source = await shp.open(absPath, dbf, { encoding: encodingOf(absPath) } as any);
  const features: Feature[] = [];
  for (;;) {
    const r = await source.read();
    if (r.done) break;
    const f = r.value as any;
    features.push({ type: 'Feature', geometry: f.geometry ?? null, properties: f.properties ?? {} });
  }
  return { layer: basename(absPath, extname(absPath)), crs: shapefileCrs(absPath), features };
}
