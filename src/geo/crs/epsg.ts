/**
 * EPSG definitions from `epsg-index` (one JSON file per code, loaded on demand), with the
 * mandatory `+nadgrids=` removed from the proj4 strings: proj4js returns NaN when the grid is not
 * loaded (309 of 8112 entries, see reference/geo-libs.md §3), and a grid-less datum shift is good
 * to about 100 m, which we flag through `legacyDatum`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface EpsgDef {
  code: number;
  kind: string;
  name: string;
  wkt: string;
  proj4: string;
  unit?: string;
  /** [north, west, south, east] area of use, as epsg-index stores it. */
  bbox?: number[];
  /** true when the original definition needed a datum grid that was stripped. */
  gridStripped: boolean;
}

let indexDir: string | undefined;
const cache = new Map<number, EpsgDef | null>();

function dir(): string {
  if (!indexDir) {
    const req = createRequire(import.meta.url);
    indexDir = join(dirname(req.resolve('epsg-index/package.json')), 's');
  }
  return indexDir;
}

/** Removes `+nadgrids=...` terms (mandatory grids break proj4js when not loaded). */
export function stripNadgrids(proj4: string): { proj4: string; stripped: boolean } {
  const out = proj4.replace(/\s*\+nadgrids=\S+/g, '');
  return { proj4: out.trim(), stripped: out !== proj4 };
}

/** Looks up an EPSG code; undefined when epsg-index does not know it. */
export function epsgDef(code: number): EpsgDef | undefined {
  if (!Number.isInteger(code) || code <= 0) return undefined;
  const hit = cache.get(code);
  if (hit !== undefined) return hit ?? undefined;
  let def: EpsgDef | null = null;
  try {
    const j = JSON.parse(readFileSync(join(dir(), `${code}.json`), 'utf8'));
    const s = stripNadgrids(String(j.proj4 ?? ''));
    def = { code, kind: String(j.kind ?? ''), name: String(j.name ?? ''), wkt: String(j.wkt ?? ''), proj4: s.proj4, unit: j.unit ?? undefined, bbox: j.bbox ?? undefined, gridStripped: s.stripped };
  } catch { def = null; }
  cache.set(code, def);
  return def ?? undefined;
}

/** proj4 string for an EPSG code (grids stripped), or undefined. */
export function epsgToProj4(code: number): string | undefined {
  const d = epsgDef(code);
  return d && d.proj4 ? d.proj4 : undefined;
}

/** Linear unit name epsg-index uses for EPSG unit codes found in GeoTIFF keys. */
export const LINEAR_UNITS: Record<number, string> = {
  9001: 'metre', 9002: 'foot', 9003: 'US survey foot', 9030: 'nautical mile', 9036: 'kilometre', 9037: 'Clarke\'s yard',
};
