/**
 * CRS parsing and comparison: "EPSG:n" / WKT1 / WKT2 / proj4 text -> CoordinateSystem, the EPSG
 * code of a WKT (only the root node's AUTHORITY/ID, as GDAL's GetAuthorityCode(nullptr)), and a
 * comparison that says whether two CRSs are the same for alignment purposes.
 */
import { createRequire } from 'node:module';
import type { CoordinateSystem } from '../raster/types.js';
import { epsgDef } from './epsg.js';
import { UsageError } from '../../lib/errors.js';

// proj4 through require: its UMD bundle imported as ESM is scanned by Node's CommonJS export
// lexer on every start (~20 ms of `geo info`); required, it is only compiled.
const proj4 = createRequire(import.meta.url)('proj4') as typeof import('proj4');

/** The EPSG code carried by the root node of a WKT1/WKT2 string, if any. */
export function wktRootEpsg(wkt: string): number | undefined {
  const s = wkt.trim();
  const open = s.indexOf('[');
  if (open < 0) return undefined;
  let depth = 0;
  let inStr = false;
  let tokenStart = open + 1;
  let found: number | undefined;
  for (let i = open; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') { inStr = !inStr; continue; }
    if (inStr) continue;
    if (c === '[' || c === '(') {
      depth++;
      if (depth === 2) {
        const name = s.slice(tokenStart, i).trim().replace(/^,/, '').trim().toUpperCase();
        if (name === 'AUTHORITY' || name === 'ID') {
          const close = s.indexOf(']', i);
          const m = /^\s*"EPSG"\s*,\s*"?(\d+)"?/i.exec(s.slice(i + 1, close));
          if (m) found = Number(m[1]);
        }
      }
    } else if (c === ']' || c === ')') {
      depth--;
      if (depth === 1) tokenStart = i + 1;
    } else if (c === ',' && depth === 1) tokenStart = i + 1;
  }
  return found;
}

function wktName(wkt: string): string | undefined {
  const m = /^\s*\w+\s*\[\s*"([^"]*)"/.exec(wkt);
  return m?.[1];
}

/** Parses a CRS given as "EPSG:n", a bare code, a URN/URL, WKT, or a proj4 string. */
export function crsFromText(text: string): CoordinateSystem | undefined {
  const s = text.trim();
  if (!s) return undefined;
  const code = epsgCodeFromString(s);
  if (code !== undefined) {
    const d = epsgDef(code);
    return { epsg: code, name: d?.name, wkt: d?.wkt, proj4: d?.proj4 || undefined };
  }
  if (s.startsWith('+')) return { proj4: s };
  if (/^[A-Z_0-9]+\s*\[/i.test(s)) {
    const epsg = wktRootEpsg(s);
    const d = epsg !== undefined ? epsgDef(epsg) : undefined;
    return { wkt: s, epsg, name: wktName(s) ?? d?.name, proj4: d?.proj4 || undefined };
  }
  return undefined;
}

/** EPSG code from "EPSG:32633", "epsg:4326", "4326", URNs and OGC URLs; undefined otherwise. */
export function epsgCodeFromString(s: string): number | undefined {
  const t = s.trim();
  let m = /^(?:EPSG:|urn:ogc:def:crs:EPSG:[^:]*:|https?:\/\/www\.opengis\.net\/def\/crs\/EPSG\/[^/]*\/)(\d+)$/i.exec(t);
  if (m) return Number(m[1]);
  m = /^\[?EPSG:(\d+)\]?$/i.exec(t);
  if (m) return Number(m[1]);
  if (/^\d{4,6}$/.test(t)) return Number(t);
  return undefined;
}

/**
 * Strict check of a CRS given by the user, before any work (GDAL's SetFromUserInput reads
 * "EPSG:4326x" as EPSG:4326 with atoi; we do not). Authority forms must be whole
 * (EPSG:n, EPSG:n+m compound, AUTH:code, urn:ogc:def:crs:..., OGC URL), bare codes all digits,
 * WKT must close its brackets, proj4 strings must be +key[=value] terms; anything else is
 * passed through only if it is a plain name without digits glued to letters.
 * Returns the trimmed text; throws UsageError naming the value otherwise.
 */
export function assertCrsText(text: string, option = '--crs'): string {
  const s = String(text ?? '').trim();
  const bad = (why: string): never => {
    throw new UsageError(`invalid CRS for ${option}: '${text}' (${why})`, { hint: `give EPSG:<code> (e.g. ${option} EPSG:4326), a WKT string or a proj4 string (+proj=...)` });
  };
  if (!s) bad('empty');
  if (/^[A-Z_0-9]+\s*\[/i.test(s)) {
    let depth = 0; let inStr = false;
    for (const c of s) {
      if (c === '"') inStr = !inStr;
      else if (!inStr && (c === '[' || c === '(')) depth++;
      else if (!inStr && (c === ']' || c === ')')) { depth--; if (depth < 0) bad('unbalanced brackets in WKT'); }
    }
    if (depth !== 0 || inStr) bad('unbalanced brackets in WKT');
    if (!/[\])]$/.test(s)) bad('text after the end of the WKT');
    return s;
  }
  if (s.startsWith('+')) {
    if (!s.split(/\s+/).every((t) => /^\+[a-z_0-9]+(=\S+)?$/i.test(t))) bad('not a proj4 string of +key=value terms');
    if (!/\+(proj|init)=/.test(s)) bad('proj4 string without +proj=');
    return s;
  }
  if (/^\{/.test(s)) return s; // PROJJSON: GDAL parses and checks it
  if (/^urn:ogc:def:crs:/i.test(s)) {
    if (!/^urn:ogc:def:crs:[A-Z_0-9]+:[^:]*:[A-Z_0-9.]+$/i.test(s)) bad('malformed OGC URN');
    if (/^urn:ogc:def:crs:EPSG:/i.test(s) && !/:\d+$/.test(s)) bad('EPSG code must be a number');
    return s;
  }
  if (/^https?:\/\//i.test(s)) {
    if (/\/EPSG\//i.test(s) && epsgCodeFromString(s) === undefined) bad('EPSG code must be a number');
    return s;
  }
  const auth = /^([A-Z][A-Z_0-9]*):(.*)$/i.exec(s);
  if (auth) {
    const [, name, code] = auth as unknown as [string, string, string];
    if (/^EPSG$/i.test(name)) {
      if (!/^\d+(\+\d+)?$/.test(code)) bad(/^\d+/.test(code) ? `trailing characters after the EPSG code ${/^\d+/.exec(code)![0]}` : 'EPSG code must be a number');
    } else if (!/^[A-Z_0-9.]+$/i.test(code)) bad(`malformed ${name}: code`);
    return s;
  }
  if (/^\d+$/.test(s)) return s;
  if (/\d[A-Z]|^\d/i.test(s) && !/^[A-Z]/i.test(s)) bad('not a CRS code or name');
  if (!/^[A-Z][A-Z_0-9 ./()-]*$/i.test(s)) bad('not a CRS code, name, WKT or proj4 string');
  return s;
}

/** The definition proj4js should use for a CRS (EPSG proj4 first, then WKT). */
export function proj4Def(crs: CoordinateSystem): string | undefined {
  if (crs.proj4) return crs.proj4;
  if (crs.epsg !== undefined) return epsgDef(crs.epsg)?.proj4 || undefined;
  return crs.wkt;
}

/** Canonical key for comparing CRSs: EPSG code when there is one, else the normalised proj4/WKT. */
export function crsKey(crs: CoordinateSystem | undefined): string | undefined {
  if (!crs) return undefined;
  if (crs.epsg !== undefined) return `EPSG:${crs.epsg}`;
  if (crs.geoKeys) return `geokeys:${stableJson(crs.geoKeys)}`;
  const p = crs.proj4 ?? crs.wkt;
  if (!p) return crs.name ? `name:${crs.name}` : undefined;
  return p.replace(/\s+/g, ' ').trim();
}

/** True when two CRSs are the same (same EPSG code, or equal proj4 parameter sets). */
export function sameCrs(a: CoordinateSystem | undefined, b: CoordinateSystem | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.epsg !== undefined && b.epsg !== undefined) return a.epsg === b.epsg;
  if (a.geoKeys && b.geoKeys) return stableJson(a.geoKeys) === stableJson(b.geoKeys);
  if ((a.epsg !== undefined) !== (b.epsg !== undefined)) {
    // An EPSG CRS against a custom one: equal only when their proj4 definitions match.
    const pa = proj4Def(a); const pb = proj4Def(b);
    return !!pa && !!pb && pa.startsWith('+') && pb.startsWith('+') && normProj4(pa) === normProj4(pb);
  }
  const pa = proj4Def(a);
  const pb = proj4Def(b);
  if (pa && pb && pa.startsWith('+') && pb.startsWith('+')) return normProj4(pa) === normProj4(pb);
  return crsKey(a) === crsKey(b);
}

function stableJson(o: Record<string, unknown>): string {
  return JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k]]));
}

function normProj4(p: string): string {
  return p.split(/\s+/).filter((x) => x && x !== '+no_defs' && x !== '+type=crs').sort().join(' ');
}

/** A function transforming [x, y] from one CRS to another with proj4js. */
export function transformer(from: CoordinateSystem, to: CoordinateSystem): (xy: [number, number]) => [number, number] {
  const a = proj4Def(from);
  const b = proj4Def(to);
  if (!a || !b) throw new Error(`no proj4 definition for ${!a ? from.name ?? 'source CRS' : to.name ?? 'target CRS'}`);
  const conv = proj4(a, b);
  return (xy) => conv.forward(xy) as [number, number];
}

export const WGS84: CoordinateSystem = { epsg: 4326, name: 'WGS 84', proj4: '+proj=longlat +datum=WGS84 +no_defs' };
