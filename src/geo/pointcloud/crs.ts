/**
 * The CRS of a LAS file: the OGC WKT record (LASF_Projection/2112, a VLR or a LAS 1.4 EVLR) when
 * present, else the GeoTIFF key directory (LASF_Projection/34735 with 34736 doubles and 34737
 * ASCII): ProjectedCSTypeGeoKey, else GeographicTypeGeoKey; 32767 means user-defined (no code).
 */
import { crsFromText, wktRootEpsg } from '../crs/crs.js';
import type { CoordinateSystem } from '../raster/types.js';
import { FileReader, type LasHeader, type Vlr } from './header.js';

export interface LasCrs {
  epsg?: number;
  name?: string;
  wkt?: string;
  source: 'wkt' | 'geokeys';
  /** Vertical CRS code (VerticalCSTypeGeoKey, or a compound WKT's vertical part). */
  verticalEpsg?: number;
  /** GeoTIFF keys by id, when the CRS came from the key directory. */
  geoKeys?: Record<number, number | string | number[]>;
}

const PROJ = 'LASF_Projection';

/** Splits a WKT1 COMPD_CS / WKT2 COMPOUNDCRS into its top-level child nodes. */
function wktChildren(wkt: string): string[] {
  const s = wkt.trim();
  const open = s.indexOf('[');
  const out: string[] = [];
  let depth = 0, start = -1, inStr = false;
  for (let i = open; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') { inStr = !inStr; continue; }
    if (inStr) continue;
    if (c === '[' || c === '(') { depth++; if (depth === 2 && start < 0) start = s.lastIndexOf(',', i) + 1; }
    else if (c === ']' || c === ')') { depth--; if (depth === 1 && start >= 0) { out.push(s.slice(start, i + 1).trim()); start = -1; } }
  }
  return out;
}

/** EPSG of a WKT: its root authority, else (compound CRS) the horizontal part's. */
export function wktEpsg(wkt: string): { epsg?: number; vertical?: number } {
  const root = wktRootEpsg(wkt);
  const kind = /^\s*(\w+)/.exec(wkt)?.[1]?.toUpperCase();
  if (kind === 'COMPD_CS' || kind === 'COMPOUNDCRS') {
    const kids = wktChildren(wkt).filter((k) => /^\s*(PROJCS|GEOGCS|PROJCRS|GEOGCRS|GEODCRS|VERT_CS|VERTCS|VERTCRS|BOUNDCRS)\b/i.test(k));
    const horiz = kids.find((k) => !/^\s*VERT/i.test(k));
    const vert = kids.find((k) => /^\s*VERT/i.test(k));
    return { epsg: root ?? (horiz ? wktRootEpsg(horiz) : undefined), vertical: vert ? wktRootEpsg(vert) : undefined };
  }
  return { epsg: root };
}

function wktName(wkt: string): string | undefined {
  return /^\s*\w+\s*\[\s*"([^"]*)"/.exec(wkt)?.[1];
}

function parseGeoKeyDir(dir: Buffer, doubles: Buffer | undefined, ascii: Buffer | undefined): Map<number, number | string | number[]> | undefined {
  if (dir.length < 8) return undefined;
  const shorts = (i: number) => dir.readUInt16LE(2 * i);
  const n = shorts(3);
  if (dir.length < 8 + 8 * n) return undefined;
  const out = new Map<number, number | string | number[]>();
  for (let k = 0; k < n; k++) {
    const id = shorts(4 + 4 * k), loc = shorts(5 + 4 * k), count = shorts(6 + 4 * k), val = shorts(7 + 4 * k);
    if (loc === 0) out.set(id, val);
    else if (loc === 34736 && doubles && (val + count) * 8 <= doubles.length) {
      const v = Array.from({ length: count }, (_, i) => doubles.readDoubleLE(8 * (val + i)));
      out.set(id, count === 1 ? v[0]! : v);
    } else if (loc === 34737 && ascii && val + count <= ascii.length) out.set(id, ascii.toString('latin1', val, val + count).replace(/[|\0]+$/, ''));
  }
  return out;
}

/** Reads the CRS records of a LAS file (the header must come from the same file). */
export function readLasCrs(r: FileReader, h: LasHeader): LasCrs | undefined {
  const all = [...h.vlrs, ...h.evlrs].filter((v) => v.dataOffset + v.length <= r.size);
  const pick = (id: number): Vlr | undefined => all.find((v) => v.userId === PROJ && v.recordId === id);
  const data = (v: Vlr | undefined) => (v ? r.read(v.dataOffset, Math.min(v.length, 1 << 20)) : undefined);
  const wktVlr = pick(2112) ?? all.find((v) => v.recordId === 2112);
  if (wktVlr) {
    const wkt = data(wktVlr)!.toString('utf8').replace(/\0+$/, '').trim();
    if (wkt) {
      const e = wktEpsg(wkt);
      return { epsg: e.epsg, verticalEpsg: e.vertical, name: wktName(wkt), wkt, source: 'wkt' };
    }
  }
  const dirVlr = pick(34735);
  if (dirVlr) {
    const keys = parseGeoKeyDir(data(dirVlr)!, data(pick(34736)), data(pick(34737)));
    if (!keys) return undefined;
    const num = (id: number) => { const v = keys.get(id); return typeof v === 'number' ? v : undefined; };
    const code = num(3072) ?? num(2048);
    const epsg = code !== undefined && code > 0 && code < 32767 ? code : undefined;
    const vert = num(4096);
    const name = (keys.get(1026) ?? keys.get(3073) ?? keys.get(2049)) as string | undefined;
    return { epsg, verticalEpsg: vert && vert < 32767 ? vert : undefined, name: typeof name === 'string' ? name : undefined, source: 'geokeys', geoKeys: Object.fromEntries(keys) };
  }
  return undefined;
}

/** The CRS as geodvc's CoordinateSystem (for the CRS gate and footprints). */
export function lasCrsToCoordinateSystem(c: LasCrs | undefined): CoordinateSystem | undefined {
  if (!c) return undefined;
  if (c.epsg !== undefined) return crsFromText(`EPSG:${c.epsg}`) ?? { epsg: c.epsg, name: c.name };
  if (c.wkt) return crsFromText(c.wkt) ?? { wkt: c.wkt, name: c.name };
  return c.name || c.geoKeys ? { name: c.name ?? 'user-defined (GeoTIFF keys)', geoKeys: c.geoKeys as CoordinateSystem['geoKeys'] } : undefined;
}
