/**
 * `geo export coco|yolo`: per-chip object annotations from vector labels and a chip index.
 * Polygons are reprojected to each chip's CRS (proj4 via geo/crs), turned into chip pixel
 * coordinates from the chip's bounds and window, clipped to the chip, and kept when at least
 * `minArea` pixels remain. COCO holds exterior rings only (holes are not representable as
 * polygons); YOLO gets the boxes.
 */
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { AppError, UsageError } from '../../lib/errors.js';
import { writeFileAtomicSync } from '../../lib/atomic.js';
import { throttledProgress, type OpContext } from '../../lib/progress.js';
import { readVectorFeatures } from '../vector/info.js';
import { crsFromText, transformer } from '../crs/crs.js';
import { cocoJson, yoloLines, clipRing, ringArea, type ExportCategory, type ExportImage, type ExportObject } from '../export/coco.js';
import { listInputs } from './info.js';

export interface ExportOptions extends OpContext {
  format: 'coco' | 'yolo';
  index: string;
  annotations: string;
  output: string;
  classField?: string;
  classMap?: string;
  minArea?: number;
}
export interface ExportResult { format: string; images: number; objects: number; categories: ExportCategory[]; outputs: string[] }

export function describeIO(args: { index: string; annotations: string; output: string; classMap?: string }): { deps: string[]; outs: string[] } {
  return { deps: [args.index, args.annotations, ...(args.classMap ? [args.classMap] : [])], outs: [args.output] };
}

export async function exportLabels(opts: ExportOptions): Promise<ExportResult> {
  if (opts.format !== 'coco' && opts.format !== 'yolo') throw new UsageError(`unknown export format ${opts.format}`, { hint: 'use coco or yolo' });
  const progress = throttledProgress(opts.onProgress);
  let index: any;
  try { index = JSON.parse(readFileSync(opts.index, 'utf8')); } catch (err) {
    throw new UsageError(`cannot read chip index ${opts.index}: ${(err as Error).message}`, { hint: 'pass the chips.geojson written by geo chip' });
  }
  let classMap: Record<string, number> | undefined;
  if (opts.classMap) classMap = JSON.parse(readFileSync(opts.classMap, 'utf8'));
  const names = new Map<number, string>();
  if (classMap) for (const [k, v] of Object.entries(classMap)) names.set(v, k);

  // features with class, grouped by CRS
  const sets: { crs: any; feats: { cls: number; rings: [number, number][][] }[] }[] = [];
  for (const f of listInputs(opts.annotations, 'vector')) {
    for (const set of await readVectorFeatures(f)) {
      if (!set.crs) throw new AppError('no-crs', `annotations ${basename(f)} have no CRS`, 1, { hint: 'add a .prj (shapefile) or a CRS to the file' });
      const feats: { cls: number; rings: [number, number][][] }[] = [];
      for (const feat of set.features) {
        const g = feat.geometry;
        if (!g) continue;
        let cls = 1;
        if (opts.classField) {
          const v = feat.properties?.[opts.classField];
          if (classMap) { const m = classMap[String(v)]; if (m === undefined) throw new UsageError(`class map has no entry for ${opts.classField}=${JSON.stringify(v)}`, { hint: 'add it to the class map' }); cls = m; }
          else { cls = Number(v); if (!Number.isInteger(cls) || cls < 0) throw new UsageError(`${opts.classField}=${JSON.stringify(v)} is not an integer class`, { hint: 'use --class-map' }); }
        }
        const polys: any[] = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? (g.coordinates as any[]) : [];
        for (const p of polys) feats.push({ cls, rings: [p[0]] });
        if (!names.has(cls)) names.set(cls, String(cls));
      }
      sets.push({ crs: set.crs, feats });
    }
  }
  const categories: ExportCategory[] = [...names.entries()].sort((a, b) => a[0] - b[0]).map(([id, name]) => ({ id, name }));

  const images: ExportImage[] = [];
  const objects: ExportObject[] = [];
  const trCache = new Map<string, ((xy: [number, number]) => [number, number])[]>();
  const features: any[] = index.features ?? [];
  features.forEach((f, k) => {
    const p = f.properties;
    const [, , w, h] = p.window as number[];
    const [minx, miny, maxx, maxy] = p.bounds as number[];
    const img: ExportImage = { id: k + 1, fileName: p.chip, width: w!, height: h! };
    images.push(img);
    let trs = trCache.get(p.crs);
    if (!trs) {
      const to = crsFromText(p.crs);
      if (!to) throw new AppError('no-crs', `chip ${p.chip} has no usable CRS (${p.crs})`, 1, { hint: 'chips need an EPSG CRS for label export' });
      trs = sets.map((s) => transformer(s.crs, to));
      trCache.set(p.crs, trs);
    }
    const sx = w! / (maxx! - minx!), sy = h! / (maxy! - miny!);
    sets.forEach((s, si) => {
      for (const feat of s.feats) {
        const ring = feat.rings[0]!.map((xy) => trs![si]!(xy));
        let bx0 = Infinity, bx1 = -Infinity, by0 = Infinity, by1 = -Infinity;
        for (const [x, y] of ring) { bx0 = Math.min(bx0, x); bx1 = Math.max(bx1, x); by0 = Math.min(by0, y); by1 = Math.max(by1, y); }
        if (bx1 < minx! || bx0 > maxx! || by1 < miny! || by0 > maxy!) continue;
        const px = ring.flatMap(([x, y]) => [(x - minx!) * sx, (maxy! - y) * sy]);
        const clipped = clipRing(px.slice(0, -2), w!, h!);
        if (clipped.length < 6 || ringArea(clipped) < (opts.minArea ?? 1)) continue;
        objects.push({ imageId: img.id, categoryId: feat.cls, polygons: [clipped] });
      }
    });
    progress({ phase: 'exporting', done: k + 1, total: features.length, item: p.chip });
  });
  progress({ phase: 'exporting', done: features.length, total: features.length, finished: true });

  const outputs: string[] = [];
  if (opts.format === 'coco') {
    const out = resolve(opts.output.endsWith('.json') ? opts.output : join(opts.output, 'annotations.json'));
    writeFileAtomicSync(out, cocoJson(images, objects, categories, { chip_index: basename(opts.index) }));
    outputs.push(out);
  } else {
    const dir = resolve(opts.output);
    for (const img of images) {
      const out = join(dir, img.fileName.replace(/\.[^.]+$/, '') + '.txt');
      writeFileAtomicSync(out, yoloLines(img, objects, categories), { fsync: false });
      outputs.push(out);
    }
    const namesFile = join(dir, 'classes.txt');
    writeFileAtomicSync(namesFile, categories.map((c) => c.name).join('\n') + '\n');
    outputs.push(namesFile);
  }
  return { format: opts.format, images: images.length, objects: objects.length, categories, outputs };
}
