/**
 * `geo info` for point clouds: header + VLRs (+ EVLRs) only by default, so the answer costs a few
 * kilobytes of reads whatever the file size; classification counts decode every point and are
 * computed when asked (`classes: true`) or when cheap (uncompressed LAS with ≤ CHEAP_CLASS_BYTES of
 * point data).
 */
import { closeSync, openSync } from 'node:fs';
import { basename } from 'node:path';
import { InvalidFileError } from '../../lib/errors.js';
import { FileReader, parseLasHeader, type LasHeader } from './header.js';
import { lasCrsToCoordinateSystem, readLasCrs, type LasCrs } from './crs.js';
import { readPoints, recordLayout } from './points.js';
import type { CoordinateSystem } from '../raster/types.js';

/** Uncompressed point data up to this size gets classification counts without asking. */
export const CHEAP_CLASS_BYTES = 16 << 20;

/** ASPRS standard point classes (LAS 1.4 R15 table 17; 0-18). */
export const ASPRS_CLASSES: Record<number, string> = {
  0: 'Created, never classified', 1: 'Unclassified', 2: 'Ground', 3: 'Low Vegetation', 4: 'Medium Vegetation', 5: 'High Vegetation',
  6: 'Building', 7: 'Low Point (noise)', 8: 'Model Key-point', 9: 'Water', 10: 'Rail', 11: 'Road Surface', 12: 'Overlap',
  13: 'Wire - Guard (Shield)', 14: 'Wire - Conductor (Phase)', 15: 'Transmission Tower', 16: 'Wire-structure Connector', 17: 'Bridge Deck', 18: 'High Noise',
};

export interface PointCloudInfo {
  /** 'LAS', 'LAZ' or 'COPC'. */
  driverShortName: 'LAS' | 'LAZ' | 'COPC';
  lasVersion: string;
  pointFormat: number;
  pointRecordLength: number;
  extraBytes: number;
  pointCount: number;
  pointsByReturn: number[];
  /** [minx, miny, minz, maxx, maxy, maxz] from the header. */
  bounds: [number, number, number, number, number, number];
  scale: [number, number, number];
  offset: [number, number, number];
  epsg: number | null;
  verticalEpsg?: number;
  coordinateSystem?: { name?: string; wkt?: string; source: LasCrs['source'] };
  compressed: boolean;
  copc: boolean;
  laszip?: { version: string; chunkSize: number | null };
  generatingSoftware: string;
  systemIdentifier: string;
  creation?: { day: number; year: number };
  vlrs: { userId: string; recordId: number; description: string; length: number }[];
  evlrs: { userId: string; recordId: number; description: string; length: number }[];
  /** Points per class code, when computed. */
  classification?: { code: number; name: string; count: number }[];
  warnings: string[];
}

export interface PointCloudOpen { header: LasHeader; crs?: LasCrs; cs?: CoordinateSystem }

/** Header, VLRs and CRS; InvalidFileError naming the file when the header is unusable. */
export function openPointCloud(absPath: string): PointCloudOpen {
  const fd = openSync(absPath, 'r');
  try {
    const r = new FileReader(fd);
    const header = parseLasHeader(r, absPath);
    const crs = readLasCrs(r, header);
    return { header, crs, cs: lasCrsToCoordinateSystem(crs) };
  } finally { closeSync(fd); }
}

/** The first structural problem as an error naming the file. */
export function problemError(absPath: string, h: LasHeader): InvalidFileError | undefined {
  const p = h.problems[0];
  if (!p) return undefined;
  return new InvalidFileError(`${basename(absPath)}: ${p.message}`, { hint: 'the file is truncated or corrupt; fetch it again from its source (geodvc geo check lists every problem)', details: { problems: h.problems } });
}

/** Points per classification code (decodes every point). */
export async function classificationCounts(absPath: string, h: LasHeader, signal?: AbortSignal): Promise<Map<number, number>> {
  const { classOffset, classMask } = recordLayout(h.pointFormat);
  const counts = new Uint32Array(256);
  const len = h.pointRecordLength;
  for await (const b of readPoints(absPath, h, { signal })) {
    const d = b.data;
    for (let i = 0, o = classOffset; i < b.count; i++, o += len) counts[d[o]! & classMask]!++;
  }
  const m = new Map<number, number>();
  counts.forEach((n, c) => { if (n) m.set(c, n); });
  return m;
}

export interface PointCloudInfoOptions { classes?: boolean; signal?: AbortSignal }

export async function readPointCloudInfo(absPath: string, o: PointCloudInfoOptions = {}): Promise<PointCloudInfo> {
  const { header: h, crs } = openPointCloud(absPath);
  const err = problemError(absPath, h);
  if (err) throw err;
  const strip = (v: LasHeader['vlrs'][number]) => ({ userId: v.userId, recordId: v.recordId, description: v.description, length: v.length });
  const info: PointCloudInfo = {
    driverShortName: h.copc ? 'COPC' : h.compressed ? 'LAZ' : 'LAS',
    lasVersion: h.lasVersion, pointFormat: h.pointFormat, pointRecordLength: h.pointRecordLength, extraBytes: h.extraBytes,
    pointCount: h.pointCount, pointsByReturn: h.pointsByReturn, bounds: h.bounds, scale: h.scale, offset: h.offset,
    epsg: crs?.epsg ?? null, verticalEpsg: crs?.verticalEpsg,
    coordinateSystem: crs ? { name: crs.name, wkt: crs.wkt, source: crs.source } : undefined,
    compressed: h.compressed, copc: !!h.copc,
    laszip: h.laszip ? { version: h.laszip.version, chunkSize: h.laszip.chunkSize ?? null } : undefined,
    generatingSoftware: h.generatingSoftware, systemIdentifier: h.systemIdentifier,
    creation: h.creationYear ? { day: h.creationDay, year: h.creationYear } : undefined,
    vlrs: h.vlrs.map(strip), evlrs: h.evlrs.map(strip), warnings: [],
  };
  if (!crs) info.warnings.push('no CRS: the file has no OGC WKT or GeoTIFF-keys projection record');
  else if (crs.epsg === undefined) info.warnings.push('the CRS has no EPSG code (user-defined)');
  const cheap = !h.compressed && h.pointCount * h.pointRecordLength <= CHEAP_CLASS_BYTES;
  if (o.classes || cheap) {
    const m = await classificationCounts(absPath, h, o.signal);
    info.classification = [...m].sort((a, b) => a[0] - b[0]).map(([code, count]) => ({ code, name: ASPRS_CLASSES[code] ?? (code < 64 ? 'Reserved' : 'User-definable'), count }));
  }
  return info;
}

/** Compact, deterministic metadata for a `.dvc` file's `meta` (header only: never decodes points). */
export function pointCloudMeta(absPath: string): Record<string, unknown> {
  const { header: h, crs } = openPointCloud(absPath);
  return {
    kind: 'pointcloud',
    driver: h.copc ? 'COPC' : h.compressed ? 'LAZ' : 'LAS',
    las_version: h.lasVersion,
    point_format: h.pointFormat,
    point_record_length: h.pointRecordLength,
    points: h.pointCount,
    bounds: h.bounds,
    scale: h.scale,
    offset: h.offset,
    crs: crs?.epsg !== undefined ? `EPSG:${crs.epsg}` : crs?.name,
    vertical_crs: crs?.verticalEpsg !== undefined ? `EPSG:${crs.verticalEpsg}` : undefined,
    problems: h.problems.length ? h.problems.map((p) => p.message) : undefined,
  };
}
