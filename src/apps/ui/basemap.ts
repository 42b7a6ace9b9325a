/**
 * The offline world basemap of `geodvc ui`: Natural Earth 1:50m land, coastlines and country
 * borders from the `world-atlas` package (TopoJSON), turned into GeoJSON once per server with
 * `topojson-client`, and the files of MapLibre GL JS the page loads: all served from the installed
 * packages, so the page makes no request off this host unless the user sets `--basemap URL`.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppError } from '../../lib/errors.js';

const require = createRequire(import.meta.url);

export interface Basemap {
  land: unknown;
  coastline: unknown;
  borders: unknown;
}

let cached: string | undefined;

/** `{land, coastline, borders}` as GeoJSON (text), built once. */
export function basemapJson(): string {
  if (cached) return cached;
  let topo: any, client: any;
  try {
    topo = JSON.parse(readFileSync(require.resolve('world-atlas/countries-50m.json'), 'utf8'));
    client = require('topojson-client');
  } catch (e) {
    throw new AppError('ui-assets-missing', `the offline basemap (world-atlas, topojson-client) is not installed: ${(e as Error).message}`, 1, { hint: 'reinstall geodvc (npm install) so that its dependencies are present' });
  }
  const land = client.feature(topo, topo.objects.land);
  const coastline = client.mesh(topo, topo.objects.land);
  const borders = client.mesh(topo, topo.objects.countries, (a: unknown, b: unknown) => a !== b);
  const map: Basemap = { land, coastline: { type: 'Feature', properties: {}, geometry: coastline }, borders: { type: 'Feature', properties: {}, geometry: borders } };
  // world-atlas quantizes to a 0.0036 x 0.0017 degree grid: 4 decimals keep every vertex (within
  // 5e-5 degree) and halve the text the page parses and hands to MapLibre's worker (5.5 -> ~2.7 MB)
  cached = JSON.stringify(map, (_k, v) => (typeof v === 'number' ? Math.round(v * 1e4) / 1e4 : v));
  return cached;
}

/** The folder of MapLibre GL JS's browser build (maplibre-gl.mjs, its worker, maplibre-gl.css). */
export function maplibreDir(): string {
  let entry: string;
  try { entry = require.resolve('maplibre-gl/package.json'); } catch {
    throw new AppError('ui-assets-missing', 'MapLibre GL JS (maplibre-gl) is not installed', 1, { hint: 'reinstall geodvc (npm install) so that its dependencies are present' });
  }
  const dist = join(dirname(entry), 'dist');
  if (!existsSync(join(dist, 'maplibre-gl.mjs'))) throw new AppError('ui-assets-missing', `MapLibre GL JS has no browser build in ${dist}`, 1, { hint: 'reinstall maplibre-gl' });
  return dist;
}

/** Files of maplibre-gl's dist/ the page may load. */
export const MAPLIBRE_FILES = new Set(['maplibre-gl.mjs', 'maplibre-gl-worker.mjs', 'maplibre-gl-shared.mjs', 'maplibre-gl.css']);

/**
 * Checks a user basemap URL (an XYZ raster template: `https://.../{z}/{x}/{y}.png`): http(s) with
 * {z}, {x} and {y}. Returns it unchanged.
 */
export function checkBasemapUrl(url: string): string {
  let u: URL;
  try { u = new URL(url.replace(/[{}]/g, '')); } catch {
    throw new AppError('bad-basemap', `--basemap '${url}' is not a URL`, 254, { hint: 'give an XYZ tile template such as https://tile.openstreetmap.org/{z}/{x}/{y}.png' });
  }
  if (!/^https?:$/.test(u.protocol) || !['{z}', '{x}', '{y}'].every((k) => url.includes(k))) {
    throw new AppError('bad-basemap', `--basemap '${url}' is not an http(s) XYZ tile template with {z}, {x} and {y}`, 254, { hint: 'e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png' });
  }
  return url;
}
