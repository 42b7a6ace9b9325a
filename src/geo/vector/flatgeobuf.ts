/**
 * FlatGeobuf: the header (name, geometry type, Z/M, feature count, envelope, CRS) is read with the
 * generated flatbuffers accessors; features through the package's ReadableStream API, which also
 * reads files without a spatial index (its Uint8Array path does not, reference/geo-libs.md §4).
 */
import { createReadStream, openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { Readable } from 'node:stream';
import { basename } from 'node:path';
import * as flatbuffers from 'flatbuffers';
import { Header } from 'flatgeobuf/lib/mjs/flat-geobuf/header.js';
import { InvalidFileError } from '../../lib/errors.js';
import { epsgDef } from '../crs/epsg.js';
import type { CoordinateSystem } from '../raster/types.js';
import { Extent, ogrTypeName } from './geometry.js';
import type { Feature, FeatureSet, FieldInfo, VectorInfo } from './types.js';

const FGB_TYPES = ['Unknown', 'Point', 'LineString', 'Polygon', 'MultiPoint', 'MultiLineString', 'MultiPolygon', 'GeometryCollection', 'CircularString', 'CompoundCurve', 'CurvePolygon', 'MultiCurve', 'MultiSurface', 'Curve', 'Surface', 'PolyhedralSurface', 'TIN', 'Triangle'];
const COLUMN_TYPES = ['Byte', 'UByte', 'Bool', 'Short', 'UShort', 'Int', 'UInt', 'Long', 'ULong', 'Float', 'Double', 'String', 'Json', 'DateTime', 'Binary'];
const MAGIC = [0x66, 0x67, 0x62];

export interface FgbHeader {
  name: string;
  geometryType: string;
  hasZ: boolean;
  hasM: boolean;
  featuresCount: number;
  envelope?: [number, number, number, number];
  crs?: CoordinateSystem;
  fields: FieldInfo[];
  indexNodeSize: number;
  headerSize: number;
}

export function readFgbHeader(absPath: string): FgbHeader {
  const fd = openSync(absPath, 'r');
  try {
    const size = fstatSync(fd).size;
    const pre = Buffer.alloc(12);
    const n = readSync(fd, pre, 0, 12, 0);
    if (n < 12 || !MAGIC.every((b, i) => pre[i] === b)) throw new InvalidFileError(`${basename(absPath)}: not a FlatGeobuf file (bad magic bytes)`, { hint: 'check the file format', details: { offset: 0 } });
    const hsize = pre.readUInt32LE(8);
    if (hsize < 4 || 12 + hsize > size || hsize > 64 * 1024 * 1024) throw new InvalidFileError(`${basename(absPath)}: FlatGeobuf header of ${hsize} bytes does not fit in the file (${size} bytes)`, { hint: 'the file is truncated or corrupted', details: { offset: 8 } });
    const hb = Buffer.alloc(hsize);
    readSync(fd, hb, 0, hsize, 12);
    const bb = new flatbuffers.ByteBuffer(new Uint8Array(hb.buffer, hb.byteOffset, hb.byteLength));
    const h = Header.getRootAsHeader(bb);
    const env: number[] = [];
    for (let i = 0; i < h.envelopeLength(); i++) env.push(h.envelope(i) ?? NaN);
    const crsT = h.crs();
    let crs: CoordinateSystem | undefined;
    if (crsT) {
      const org = (crsT.org() ?? 'EPSG').toUpperCase();
      const code = crsT.code();
      const def = org === 'EPSG' && code > 0 ? epsgDef(code) : undefined;
      crs = { epsg: org === 'EPSG' && code > 0 ? code : undefined, name: def?.name ?? crsT.name() ?? undefined, wkt: crsT.wkt() ?? def?.wkt, proj4: def?.proj4 || undefined };
    }
    const fields: FieldInfo[] = [];
    for (let i = 0; i < h.columnsLength(); i++) { const c = h.columns(i)!; fields.push({ name: c.name() ?? '', type: COLUMN_TYPES[c.type()] ?? String(c.type()) }); }
    return {
      name: h.name() ?? basename(absPath).replace(/\.fgb$/i, ''),
      geometryType: FGB_TYPES[h.geometryType()] ?? 'Unknown', hasZ: h.hasZ(), hasM: h.hasM(),
      featuresCount: Number(h.featuresCount()),
      envelope: env && env.length >= 4 && env.every(Number.isFinite) && env[0]! <= env[2]! ? [env[0]!, env[1]!, env[2]!, env[3]!] : undefined,
      crs, fields, indexNodeSize: h.indexNodeSize(), headerSize: hsize,
    };
  } finally { closeSync(fd); }
}

export async function readFgbFeatures(absPath: string, opts: { limit?: number } = {}): Promise<FeatureSet> {
  const h = readFgbHeader(absPath);
  const { deserializeStream } = await import('flatgeobuf/lib/mjs/generic/featurecollection.js');
  const { parseProperties } = await import('flatgeobuf/lib/mjs/generic/feature.js');
  const { fromGeometry } = await import('flatgeobuf/lib/mjs/geojson/geometry.js');
  const web = Readable.toWeb(createReadStream(absPath)) as unknown as ReadableStream;
  const features: Feature[] = [];
  // JSON-typed columns are read as strings and parsed here: the package's JSON.parse throws on
  // values GDAL accepts (a bare "X" in alldatatypes.fgb).
  const fromFeature = (_id: number, feature: any, header: any) => {
    const cols = (header.columns ?? []).map((c: any) => (c.type === 12 ? { ...c, type: 11 } : c));
    const props = parseProperties(feature, cols) as Record<string, unknown>;
    for (const c of header.columns ?? []) {
      if (c.type === 12 && typeof props[c.name] === 'string') { try { props[c.name] = JSON.parse(props[c.name] as string); } catch { /* keep the text */ } }
    }
    return { geometry: fromGeometry(feature.geometry(), header.geometryType), properties: props } as any;
  };
  for await (const f of deserializeStream(web, { fromFeature }) as AsyncGenerator<any>) {
    features.push({ type: 'Feature', geometry: f.geometry ?? null, properties: f.properties ?? {} });
    if (opts.limit !== undefined && features.length >= opts.limit) break;
  }
  return { layer: h.name, crs: h.crs, features };
}

export async function readFgbInfo(absPath: string): Promise<VectorInfo> {
  const h = readFgbHeader(absPath);
  let extent = h.featuresCount > 0 ? h.envelope : undefined;
  let count = h.featuresCount;
  const warnings: string[] = [];
  if (!extent || count === 0) {
    // No envelope or no count in the header (files written without an index): read the features.
    try {
      const fs = await readFgbFeatures(absPath);
      const e = new Extent();
      for (const f of fs.features) e.addGeometry(f.geometry as any);
      extent = extent ?? e.toArray();
      if (count === 0) count = fs.features.length;
    } catch (err) { warnings.push(`features unreadable: ${(err as Error).message}`); }
  }
  return {
    driverShortName: 'FlatGeobuf', files: [basename(absPath)], warnings,
    layers: [{ name: h.name, geometryType: ogrTypeName(h.geometryType, h.hasZ, h.hasM), featureCount: count, extent, crs: h.crs, fields: h.fields }],
  };
}
