/**
 * Identifies the EPSG code of a WKT without an authority (ESRI .prj files), the way GDAL's
 * AutoIdentifyEPSG/FindMatches ends up for common CRSs: root AUTHORITY first, then the CRS name
 * (ESRI spellings normalised: `WGS_1984_UTM_Zone_18N` -> `WGS 84 / UTM zone 18N`) against the
 * names in epsg-index, restricted to the same kind (projected/geographic).
 */
import { createRequire } from 'node:module';
import { wktRootEpsg } from './crs.js';

let nameIndex: Map<string, number[]> | undefined;

function norm(s: string): string {
  return s.toLowerCase()
    .replace(/_/g, ' ')
    .replace(/\bgcs /, '')
    .replace(/\bd (?=\w)/, '')
    .replace(/\bwgs 1984\b/g, 'wgs 84')
    .replace(/\bnorth american 1983\b/g, 'nad83')
    .replace(/\bnorth american 1927\b/g, 'nad27')
    .replace(/\bnad 1983\b/g, 'nad83')
    .replace(/\bnad 1927\b/g, 'nad27')
    .replace(/\bosgb 1936\b/g, 'osgb36')
    .replace(/\betrs 1989\b/g, 'etrs89')
    .replace(/[^a-z0-9]+/g, '');
}

function index(): Map<string, number[]> {
  if (!nameIndex) {
    const req = createRequire(import.meta.url);
    const all = req('epsg-index/all.json') as Record<string, { code: string; name: string; kind: string }>;
    nameIndex = new Map();
    for (const v of Object.values(all)) {
      if (!v.kind?.startsWith('CRS-')) continue;
      const k = `${v.kind === 'CRS-PROJCRS' ? 'P' : v.kind === 'CRS-GEOGCRS' ? 'G' : 'O'}:${norm(v.name)}`;
      const list = nameIndex.get(k) ?? [];
      list.push(Number(v.code));
      nameIndex.set(k, list);
    }
  }
  return nameIndex;
}

const ESRI_ALIASES: Record<string, number> = {
  'P:britishnationalgrid': 27700,
  'P:wgs84webmercatorauxiliarysphere': 3857,
};

/** EPSG code of a WKT1/ESRI WKT CRS, or undefined when it cannot be identified confidently. */
export function identifyEpsg(wkt: string): number | undefined {
  const root = wktRootEpsg(wkt);
  if (root !== undefined) return root;
  const m = /^\s*(PROJCS|GEOGCS|PROJCRS|GEOGCRS|GEODCRS)\s*\[\s*"([^"]*)"/i.exec(wkt);
  if (!m) return undefined;
  const kind = m[1]!.toUpperCase().startsWith('PROJ') ? 'P' : 'G';
  const key = `${kind}:${norm(m[2]!)}`;
  if (ESRI_ALIASES[key]) return ESRI_ALIASES[key];
  const hits = index().get(key);
  if (hits && hits.length === 1) return hits[0];
  if (hits && hits.length > 1) return Math.min(...hits);
  return undefined;
}
