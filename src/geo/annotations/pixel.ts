/**
 * Image-space (pixel) annotation datasets: COCO instance JSON and Pascal VOC XML, read into one
 * model. Coordinates are pixels of the image named by its file name; categories are compared by
 * NAME (ids are file-local numbering); annotation and image ids are kept only to name things in
 * reports. See docs/annotations.md ("COCO and Pascal VOC").
 */

import { closeSync, openSync, readSync } from 'node:fs';

export type PixelFormat = 'COCO' | 'Pascal VOC';

export interface PixelAnnotation {
  /** How reports name it: `id=<annotation id>` (COCO) or `object #<n>` (VOC, 1-based). */
  label: string;
  category: string;
  /** Box as [xmin, ymin, xmax, ymax] in pixels. */
  box: [number, number, number, number];
  /** Polygon rings as flat [x0, y0, x1, y1, ...] (COCO polygon segmentation, VOC <polygon>). */
  polygons: number[][];
  /** Canonical digest of an RLE mask (COCO iscrowd masks), when there is one. */
  mask?: string;
  /** Declared area (COCO), compared with a tolerance. */
  area?: number;
  /** Everything else that is label content (iscrowd, difficult, truncated, pose, attributes, parts, ...). */
  attrs: Record<string, unknown>;
}

export interface PixelImage {
  /** The image's key: its file name (COCO `file_name`, VOC `<filename>`), else `id=<id>`. */
  name: string;
  width?: number;
  height?: number;
  annotations: PixelAnnotation[];
}

export interface PixelIssue { image: string; annotation: string; problem: string }

export interface PixelDataset {
  format: PixelFormat;
  images: PixelImage[];
  /** Category names declared by the file (COCO `categories`; VOC: the object names). */
  categories: string[];
  /** Counts as the file states them. */
  counts: { images: number; annotations: number; categories: number };
  /** Oddities that do not stop reading (e.g. a polygon with an odd number of coordinates). */
  issues: PixelIssue[];
}

export interface NamedPixelDataset { path: string; dataset: PixelDataset }

/** Files bigger than this are refused (JSON.parse needs the whole text in one string). */
export const MAX_PIXEL_FILE_BYTES = 512 * 1024 * 1024;

/** `coco` / `voc` from the first bytes of a JSON or XML file, else undefined. */
export function sniffPixelBytes(head: Buffer | string, name: string): 'coco' | 'voc' | undefined {
  const s = (typeof head === 'string' ? head.slice(0, 65536) : head.subarray(0, 65536).toString('utf8')).replace(/^\uFEFF/, '');
  const lower = name.toLowerCase();
  if (lower.endsWith('.xml')) return /^\s*(<\?xml[^>]*\?>\s*)?(<!--[\s\S]*?-->\s*)*<annotation[\s>]/.test(s) ? 'voc' : undefined;
  if (lower.endsWith('.json')) {
    if (!/^\s*\{/.test(s)) return undefined;
    if (/"type"\s*:\s*"(FeatureCollection|Feature)"/.test(s)) return undefined;
    // an `images` array of image records or an `annotations` array of COCO annotations (not just any key of that name)
    if (/"images"\s*:\s*\[\s*(\]|\{[^{}]*"(file_name|width|height|id)"\s*:)/.test(s)) return 'coco';
    if (/"annotations"\s*:\s*\[\s*(\]|\{[^{}]*"(image_id|bbox|category_id|segmentation)"\s*:)/.test(s)) return 'coco';
  }
  return undefined;
}

/** `coco` / `voc` when the file is a COCO instance JSON or a Pascal VOC XML (extension + first 64 KiB). */
export function sniffPixelFile(abs: string): 'coco' | 'voc' | undefined {
  const lower = abs.toLowerCase();
  if (!lower.endsWith('.json') && !lower.endsWith('.xml')) return undefined;
  try {
    const buf = Buffer.alloc(65536);
    const fd = openSync(abs, 'r');
    try { const n = readSync(fd, buf, 0, buf.length, 0); return sniffPixelBytes(buf.subarray(0, n), abs); } finally { closeSync(fd); }
  } catch { return undefined; }
}

/** Merges single-image VOC files of a folder into one dataset (paths name the files). */
export function mergeVoc(sets: PixelDataset[]): PixelDataset {
  const cats = new Set<string>();
  const out: PixelDataset = { format: 'Pascal VOC', images: [], categories: [], counts: { images: 0, annotations: 0, categories: 0 }, issues: [] };
  for (const s of sets) {
    out.images.push(...s.images);
    for (const c of s.categories) cats.add(c);
    out.counts.images += s.counts.images; out.counts.annotations += s.counts.annotations;
    out.issues.push(...s.issues);
  }
  out.categories = [...cats].sort();
  out.counts.categories = out.categories.length;
  return out;
}
