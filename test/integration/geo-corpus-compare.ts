/**
 * Field-by-field comparison of our readers with GDAL's answers in the corpus truth files.
 * Shared by the corpus test and `docs/geo.md` figures. Returns one row per (file, field).
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { readRasterInfo } from '../../src/geo/raster/info.js';
import { readVectorInfo } from '../../src/geo/vector/info.js';
import { CORPUS } from '../helpers/cli.js';

export interface Row { file: string; field: string; ok: boolean; ours: unknown; gdal: unknown }

function relEq(a: number, b: number, rel = 1e-9): boolean {
  if (a === b) return true;
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-300);
}
function nodataEq(a: unknown, b: unknown): boolean {
  const n = (v: unknown) => (v === 'nan' || v === 'NaN' ? 'NaN' : v === 'inf' ? 'Infinity' : v === '-inf' ? '-Infinity' : v);
  const x = n(a); const y = n(b);
  if (typeof x === 'number' && typeof y === 'number') return relEq(x, y, 1e-12);
  return x === y;
}

export function corpusEntries(): any[] {
  return JSON.parse(readFileSync(join(CORPUS, 'corpus.json'), 'utf8')).files;
}

export async function compareRaster(entry: any): Promise<Row[]> {
  const file = entry.file as string;
  const truth = JSON.parse(readFileSync(join(CORPUS, 'truth', `${file}.gdalinfo.json`), 'utf8'));
  const rows: Row[] = [];
  const add = (field: string, ok: boolean, ours: unknown, gdal: unknown) => rows.push({ file, field, ok, ours, gdal });
  let info;
  try { info = await readRasterInfo(join(CORPUS, file)); } catch (e) {
    add('open', false, String((e as Error).message), 'readable');
    return rows;
  }
  add('size', JSON.stringify(info.size) === JSON.stringify(truth.size), info.size, truth.size);
  add('bandCount', info.bands.length === truth.bands.length, info.bands.length, truth.bands.length);
  const ourTypes = info.bands.map((b) => b.type);
  const gTypes = truth.bands.map((b: any) => b.type);
  add('types', JSON.stringify(ourTypes) === JSON.stringify(gTypes), ourTypes, gTypes);
  const ourNd = info.bands.map((b) => b.noDataValue ?? null);
  const gNd = truth.bands.map((b: any) => b.noDataValue ?? null);
  add('nodata', ourNd.length === gNd.length && ourNd.every((v, i) => nodataEq(v, gNd[i])), ourNd, gNd);
  const gt = truth.geoTransform ?? null;
  const ogt = info.geoTransform ?? null;
  add('geoTransform', gt === null ? ogt === null : !!ogt && ogt.length === 6 && ogt.every((v: number, i: number) => relEq(v, gt[i]) || Math.abs(v - gt[i]) < 1e-9 * Math.max(Math.abs(gt[1]), Math.abs(gt[5]), 1)), ogt, gt);
  const gEpsg = entry.epsg ?? null;
  add('epsg', (info.epsg ?? null) === gEpsg, info.epsg ?? null, gEpsg);
  const ourBlocks = info.bands.map((b) => b.block);
  const gBlocks = truth.bands.map((b: any) => b.block);
  add('block', JSON.stringify(ourBlocks) === JSON.stringify(gBlocks), ourBlocks, gBlocks);
  const gComp = truth.metadata?.IMAGE_STRUCTURE?.COMPRESSION ?? (entry.driver === 'GTiff' ? 'NONE' : null);
  const oComp = info.driverShortName === 'VRT' ? null : info.compression ?? null;
  add('compression', oComp === gComp, oComp, gComp);
  const gOv = truth.bands[0]?.overviews?.length ?? 0;
  add('overviewCount', info.overviewCount === gOv, info.overviewCount, gOv);
  return rows;
}

export async function compareVector(entry: any): Promise<Row[]> {
  const file = entry.file as string;
  const truth = JSON.parse(readFileSync(join(CORPUS, 'truth', `${file}.ogrinfo.json`), 'utf8'));
  const rows: Row[] = [];
  const add = (field: string, ok: boolean, ours: unknown, gdal: unknown) => rows.push({ file, field, ok, ours, gdal });
  let info;
  try { info = await readVectorInfo(join(CORPUS, file)); } catch (e) {
    add('open', false, String((e as Error).message), 'readable');
    return rows;
  }
  add('layerCount', info.layers.length === truth.layer_count, info.layers.length, truth.layer_count);
  truth.layers.forEach((tl: any, i: number) => {
    const ol = info.layers.find((l) => l.name === tl.name) ?? info.layers[i];
    const f = (name: string) => `${name}[${tl.name}]`;
    if (!ol) { add(f('layer'), false, null, tl.name); return; }
    add(f('featureCount'), ol.featureCount === tl.feature_count, ol.featureCount, tl.feature_count);
    add(f('geometryType'), ol.geometryType === tl.geometry_type, ol.geometryType, tl.geometry_type);
    const te = tl.extent ?? null;
    const oe = ol.extent ?? null;
    add(f('extent'), te === null ? oe === null : !!oe && oe.every((v: number, k: number) => relEq(v, te[k], 1e-9) || Math.abs(v - te[k]) < 1e-9), oe, te);
    const tEpsg = tl.crs?.epsg ?? null;
    add(f('epsg'), (ol.crs?.epsg ?? null) === (tEpsg === null ? null : Number(tEpsg)), ol.crs?.epsg ?? null, tEpsg);
  });
  return rows;
}

export function truthExists(entry: any): boolean {
  return (entry.truth ?? []).every((t: string) => existsSync(join(CORPUS, t)));
}
