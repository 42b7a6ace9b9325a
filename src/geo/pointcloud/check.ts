/**
 * `geo check` for point clouds: header vs data without decoding (VLR/EVLR extents, declared points
 * × record length vs file size, the LAZ chunk table offset and chunk count, COPC hierarchy pages and
 * chunks inside the file), then, when `deep` or the file is small, every point decoded: the count
 * must match the header, and points outside the header bounds are reported.
 */
import { closeSync, openSync } from 'node:fs';
import { AppError } from '../../lib/errors.js';
import { FileReader, parseLasHeader, type LasHeader } from './header.js';
import { readCopcNodes, readPoints } from './points.js';

/** Files up to this size are decoded in full by a default (not deep) check. */
export const DECODE_ON_CHECK_BYTES = 32 << 20;

export interface PointCloudProblem { code: string; structure: string; offset?: number; message: string; severity: 'error' | 'warning' }

export interface PointCloudCheck {
  file: string;
  kind: 'pointcloud';
  format: 'LAS' | 'LAZ' | 'COPC';
  ok: boolean;
  problems: PointCloudProblem[];
  pointsDecoded?: number;
}

/** Actual [minx, miny, minz, maxx, maxy, maxz] of the decoded points and their count. */
export async function scanPoints(absPath: string, h: LasHeader, signal?: AbortSignal): Promise<{ count: number; bounds: number[] }> {
  const len = h.pointRecordLength;
  let count = 0;
  let x0 = Infinity, y0 = Infinity, z0 = Infinity, x1 = -Infinity, y1 = -Infinity, z1 = -Infinity;
  for await (const b of readPoints(absPath, h, { signal })) {
    const d = b.data;
    for (let i = 0, o = 0; i < b.count; i++, o += len) {
      const x = d.readInt32LE(o), y = d.readInt32LE(o + 4), z = d.readInt32LE(o + 8);
      if (x < x0) x0 = x; if (x > x1) x1 = x;
      if (y < y0) y0 = y; if (y > y1) y1 = y;
      if (z < z0) z0 = z; if (z > z1) z1 = z;
    }
    count += b.count;
  }
  const [sx, sy, sz] = h.scale, [ox, oy, oz] = h.offset;
  return { count, bounds: count ? [x0 * sx + ox, y0 * sy + oy, z0 * sz + oz, x1 * sx + ox, y1 * sy + oy, z1 * sz + oz] : [] };
}

export async function checkPointCloud(absPath: string, o: { deep?: boolean; signal?: AbortSignal } = {}): Promise<PointCloudCheck> {
  let h: LasHeader;
  let format: PointCloudCheck['format'] = 'LAS';
  const problems: PointCloudProblem[] = [];
  const fd = openSync(absPath, 'r');
  try {
    const r = new FileReader(fd);
    try { h = parseLasHeader(r, absPath); } catch (e) {
      return { file: absPath, kind: 'pointcloud', format, ok: false, problems: [{ code: 'header', structure: 'header', offset: 0, message: (e as Error).message, severity: 'error' }] };
    }
    format = h.copc ? 'COPC' : h.compressed ? 'LAZ' : 'LAS';
    for (const p of h.problems) problems.push({ ...p, severity: 'error' });
    if (!problems.length && h.copc) {
      try {
        const nodes = readCopcNodes(r, h, absPath);
        const total = nodes.reduce((s, n) => s + n.pointCount, 0);
        if (total !== h.pointCount) problems.push({ code: 'copc-hierarchy', structure: 'COPC hierarchy', message: `the hierarchy holds ${total} points, the header declares ${h.pointCount}`, severity: 'error' });
        const bad = nodes.find((n) => n.offset < h.offsetToPointData || n.offset + n.byteSize > r.size);
        if (bad) problems.push({ code: 'copc-chunk-beyond-eof', structure: `COPC node ${bad.key.join('-')}`, offset: bad.offset, message: `chunk at byte ${bad.offset} (${bad.byteSize} bytes) lies outside the point data of the file (${r.size} bytes)`, severity: 'error' });
      } catch (e) { problems.push({ code: 'copc-hierarchy', structure: 'COPC hierarchy', message: (e as Error).message, severity: 'error' }); }
    }
  } finally { closeSync(fd); }
  let pointsDecoded: number | undefined;
  if (!problems.length && (o.deep || h.fileSize <= DECODE_ON_CHECK_BYTES)) {
    try {
      const s = await scanPoints(absPath, h, o.signal);
      pointsDecoded = s.count;
      if (s.count !== h.pointCount) problems.push({ code: 'point-count', structure: 'point data', message: `${s.count} points decoded, the header declares ${h.pointCount}`, severity: 'error' });
      else if (s.count) {
        const tol = [h.scale[0], h.scale[1], h.scale[2]].map((v) => Math.abs(v));
        const hb = h.bounds;
        const out = [0, 1, 2].filter((k) => s.bounds[k]! < hb[k]! - tol[k]! || s.bounds[k + 3]! > hb[k + 3]! + tol[k]!);
        if (out.length) problems.push({ code: 'bounds', structure: 'header bounds', message: `decoded points reach [${s.bounds.join(', ')}], outside the header bounds [${hb.join(', ')}] in ${out.map((k) => 'xyz'[k]).join('')}`, severity: 'warning' });
      }
    } catch (e) {
      if (e instanceof AppError && e.code === 'missing-package') throw e;
      problems.push({ code: 'decode-failed', structure: 'point data', message: (e as Error).message, severity: 'error' });
    }
  }
  return { file: absPath, kind: 'pointcloud', format, ok: !problems.some((p) => p.severity === 'error'), problems, pointsDecoded };
}
