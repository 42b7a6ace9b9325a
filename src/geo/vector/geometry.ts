/** Geometry helpers: extent, OGR type names, WKB (and GeoPackage binary) to GeoJSON-like geometry. */
import type { Geometry } from './types.js';

export const OGR_NAMES: Record<string, string> = {
  Point: 'Point', LineString: 'Line String', Polygon: 'Polygon', MultiPoint: 'Multi Point', MultiLineString: 'Multi Line String',
  MultiPolygon: 'Multi Polygon', GeometryCollection: 'Geometry Collection', CircularString: 'Circular String',
  CompoundCurve: 'Compound Curve', CurvePolygon: 'Curve Polygon', MultiCurve: 'Multi Curve', MultiSurface: 'Multi Surface',
  Curve: 'Curve', Surface: 'Surface', PolyhedralSurface: 'Polyhedral Surface', TIN: 'TIN', Triangle: 'Triangle', Unknown: 'Unknown (any)',
};

/** OGR name of a geometry type with Z/M prefixes ("3D Measured Line String"). */
export function ogrTypeName(type: string, z = false, m = false): string {
  const base = OGR_NAMES[type] ?? type;
  if (base === 'Unknown (any)') return z ? '3D Unknown (any)' : base;
  return `${z ? '3D ' : ''}${m ? 'Measured ' : ''}${base}`;
}

export class Extent {
  minx = Infinity; miny = Infinity; maxx = -Infinity; maxy = -Infinity;
  addXY(x: number, y: number): void {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    if (x < this.minx) this.minx = x; if (x > this.maxx) this.maxx = x;
    if (y < this.miny) this.miny = y; if (y > this.maxy) this.maxy = y;
  }
  addCoords(c: unknown): void {
    if (!Array.isArray(c)) return;
    if (typeof c[0] === 'number') { this.addXY(c[0], c[1] as number); return; }
    for (const x of c) this.addCoords(x);
  }
  addGeometry(g: Geometry | null | undefined): void {
    if (!g) return;
    if (g.type === 'GeometryCollection') { for (const x of g.geometries ?? []) this.addGeometry(x); return; }
    this.addCoords(g.coordinates);
  }
  get empty(): boolean { return this.minx === Infinity; }
  toArray(): [number, number, number, number] | undefined { return this.empty ? undefined : [this.minx, this.miny, this.maxx, this.maxy]; }
}

/** True when any coordinate has a third value. */
export function hasZ(c: unknown): boolean {
  if (!Array.isArray(c)) return false;
  if (typeof c[0] === 'number') return c.length >= 3;
  return c.some(hasZ);
}

const WKB_TYPES: Record<number, string> = {
  1: 'Point', 2: 'LineString', 3: 'Polygon', 4: 'MultiPoint', 5: 'MultiLineString', 6: 'MultiPolygon', 7: 'GeometryCollection',
  8: 'CircularString', 9: 'CompoundCurve', 10: 'CurvePolygon', 11: 'MultiCurve', 12: 'MultiSurface', 13: 'Curve', 14: 'Surface',
  15: 'PolyhedralSurface', 16: 'TIN', 17: 'Triangle',
};

export class WkbError extends Error {
  constructor(message: string, readonly offset: number) { super(message); }
}

/** Parses ISO/EWKB-less WKB (with Z/M in ISO 1000s or the 0x80000000/0x40000000 flags). */
export function parseWkb(buf: Uint8Array, start = 0): { geometry: Geometry; end: number; z: boolean; m: boolean } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let o = start;
  let anyZ = false, anyM = false;
  const need = (n: number) => { if (o + n > buf.length) throw new WkbError(`WKB truncated: need ${n} bytes at offset ${o}, have ${buf.length - o}`, o); };
  const read = (depth: number): Geometry => {
    if (depth > 32) throw new WkbError('WKB nesting deeper than 32', o);
    need(5);
    const le = buf[o] === 1;
    if (buf[o] !== 0 && buf[o] !== 1) throw new WkbError(`bad WKB byte-order mark ${buf[o]}`, o);
    o += 1;
    let code = dv.getUint32(o, le); o += 4;
    let z = (code & 0x80000000) !== 0;
    let m = (code & 0x40000000) !== 0;
    code &= 0x0fffffff;
    if (code >= 3000 && code < 4000) { z = true; m = true; code -= 3000; }
    else if (code >= 2000) { m = true; code -= 2000; }
    else if (code >= 1000) { z = true; code -= 1000; }
    anyZ ||= z; anyM ||= m;
    const type = WKB_TYPES[code];
    if (!type) throw new WkbError(`unknown WKB geometry type ${code}`, o - 4);
    const dims = 2 + (z ? 1 : 0) + (m ? 1 : 0);
    const pt = (): number[] => { need(8 * dims); const p: number[] = []; for (let i = 0; i < dims; i++) { p.push(dv.getFloat64(o, le)); o += 8; } return (z ? p.slice(0, 3) : p.slice(0, 2)); };
    const count = (): number => { need(4); const n = dv.getUint32(o, le); o += 4; if (n * 8 * 2 > buf.length - o + 8 && n > 0 && type !== 'GeometryCollection') { /* checked by need() */ } return n; };
    const pts = (): number[][] => { const n = count(); if (n * 8 * dims > buf.length - o) throw new WkbError(`WKB declares ${n} points but only ${buf.length - o} bytes remain`, o - 4); const a: number[][] = []; for (let i = 0; i < n; i++) a.push(pt()); return a; };
    switch (type) {
      case 'Point': { const p = pt(); return { type, coordinates: p.every(Number.isNaN) ? [] : p }; }
      case 'LineString': case 'CircularString': return { type, coordinates: pts() };
      case 'Polygon': case 'Triangle': { const n = count(); const r: number[][][] = []; for (let i = 0; i < n; i++) r.push(pts()); return { type, coordinates: r }; }
      default: {
        const n = count();
        const parts: Geometry[] = [];
        for (let i = 0; i < n; i++) parts.push(read(depth + 1));
        if (type === 'MultiPoint' || type === 'MultiLineString' || type === 'MultiPolygon') return { type, coordinates: parts.map((p) => p.coordinates) };
        return { type: type === 'GeometryCollection' ? type : type, geometries: parts };
      }
    }
  };
  const geometry = read(0);
  return { geometry, end: o, z: anyZ, m: anyM };
}

/** Extent of a geometry that may hold `geometries` (curves) or `coordinates`. */
export function geometryExtent(g: Geometry | null): Extent {
  const e = new Extent();
  const walk = (x: Geometry | null | undefined) => { if (!x) return; if (x.geometries) x.geometries.forEach(walk); else e.addCoords(x.coordinates); };
  walk(g);
  return e;
}
