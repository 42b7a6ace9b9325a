/**
 * COCO instance JSON (`images`, `annotations`, `categories`) into the pixel model (pixel.ts).
 * bbox `[x, y, w, h]`, segmentation polygons (`[[x0, y0, ...], ...]`) and RLE masks (`{counts,
 * size}`, counts as a list or COCO's compressed string; both canonicalised to the run list),
 * iscrowd, area and any extra annotation keys (e.g. `attributes`, `score`) as label content.
 * Broken input is an InvalidFileError naming the file, and the line/column (JSON syntax) or the
 * element (`annotations[5] (id=7)`) at fault.
 */
import { createHash } from 'node:crypto';
import { InvalidFileError } from '../../lib/errors.js';
import type { PixelAnnotation, PixelDataset, PixelImage } from './pixel.js';
import { lineCol } from './xml.js';

const HINT = 'the file is truncated or is not COCO instance JSON; restore it from its source (e.g. `geodvc checkout`) or fix it';

function bad(file: string, where: string, msg: string): InvalidFileError {
  return new InvalidFileError(`${file}: ${where}: ${msg}`, { hint: HINT, details: { file, where } });
}

/** JSON.parse with the line and column of a syntax error. */
export function parseJsonText(text: string, file: string): unknown {
  try { return JSON.parse(text); } catch (err) {
    const msg = (err as Error).message;
    const m = /at position (\d+)/.exec(msg);
    const offset = m ? Number(m[1]) : /Unexpected end/.test(msg) ? text.length : undefined;
    const at = offset === undefined ? '' : (() => { const p = lineCol(text, offset); return ` at line ${p.line}, column ${p.column}`; })();
    const truncated = offset !== undefined && offset >= text.trimEnd().length ? ' (the file ends early: truncated?)' : '';
    throw new InvalidFileError(`${file}: not valid JSON: ${msg.replace(/ in JSON at position \d+$/, '')}${at}${truncated}`, {
      hint: HINT, details: { file, offset, ...(offset !== undefined ? lineCol(text, offset) : {}) },
    });
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Decodes COCO's compressed RLE string into run lengths. */
export function decodeRleString(s: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0, k = 0, more = true;
    while (more) {
      if (p >= s.length) throw new Error('RLE string ends inside a run');
      const c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new Error(`invalid RLE character '${s[p]}'`);
      x += (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++; k++;
      if (!more && (c & 0x10)) x -= 2 ** (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2]!;
    counts.push(x);
  }
  return counts;
}

function maskDigest(seg: Record<string, unknown>): { digest: string; pixels: number } {
  const size = seg.size;
  if (!Array.isArray(size) || size.length !== 2 || !size.every(finite)) throw new Error('RLE `size` is not [height, width]');
  let counts: number[];
  if (typeof seg.counts === 'string') counts = decodeRleString(seg.counts);
  else if (Array.isArray(seg.counts) && seg.counts.every((c) => finite(c) && c >= 0)) counts = seg.counts as number[];
  else throw new Error('RLE `counts` is neither a list of run lengths nor a compressed string');
  // drop zero-length runs (other than the first) so equal masks give equal digests
  const norm: number[] = [];
  for (let i = 0; i < counts.length; i++) {
    if (i > 0 && counts[i] === 0 && i + 1 < counts.length) { norm[norm.length - 1]! += counts[++i]!; continue; }
    norm.push(counts[i]!);
  }
  while (norm.length > 1 && norm[norm.length - 1] === 0) norm.pop();
  let pixels = 0;
  for (let i = 1; i < norm.length; i += 2) pixels += norm[i]!;
  const digest = createHash('sha256').update(`${size[0]}x${size[1]}:${norm.join(',')}`).digest('hex').slice(0, 32);
  return { digest, pixels };
}

/** Reads COCO instance JSON text. */
export function parseCoco(text: string, file: string): PixelDataset {
  const doc = parseJsonText(text, file);
  if (!isObj(doc)) throw bad(file, 'top level', 'not a JSON object');
  const images = doc.images, anns = doc.annotations, cats = doc.categories;
  if (!Array.isArray(images)) throw bad(file, 'top level', '`images` is missing or not an array');
  if (!Array.isArray(anns)) throw bad(file, 'top level', '`annotations` is missing or not an array');
  if (cats !== undefined && cats !== null && !Array.isArray(cats)) throw bad(file, 'top level', '`categories` is not an array');
  const catName = new Map<string, string>();
  const catList: string[] = [];
  (cats ?? []).forEach((c: unknown, k: number) => {
    if (!isObj(c) || c.id === undefined) throw bad(file, `categories[${k}]`, 'not an object with an `id`');
    const name = typeof c.name === 'string' ? c.name : String(c.id);
    catName.set(String(c.id), name);
    catList.push(name);
  });
  const result: PixelDataset = { format: 'COCO', images: [], categories: [...catList], counts: { images: images.length, annotations: anns.length, categories: catList.length }, issues: [] };
  const byId = new Map<string, PixelImage>();
  const seenNames = new Map<string, number>();
  images.forEach((im: unknown, k: number) => {
    if (!isObj(im) || im.id === undefined || im.id === null) throw bad(file, `images[${k}]`, 'not an object with an `id`');
    let name = typeof im.file_name === 'string' && im.file_name ? im.file_name : `id=${String(im.id)}`;
    const n = (seenNames.get(name) ?? 0) + 1;
    seenNames.set(name, n);
    if (n > 1) name = `${name} (#${n})`;
    const img: PixelImage = { name, annotations: [] };
    if (finite(im.width)) img.width = im.width;
    if (finite(im.height)) img.height = im.height;
    if (byId.has(String(im.id))) throw bad(file, `images[${k}]`, `image id ${String(im.id)} appears twice`);
    byId.set(String(im.id), img);
    result.images.push(img);
  });
  anns.forEach((a: unknown, k: number) => {
    const where = isObj(a) && a.id !== undefined ? `annotations[${k}] (id=${String(a.id)})` : `annotations[${k}]`;
    if (!isObj(a)) throw bad(file, where, 'not an object');
    const img = byId.get(String(a.image_id));
    if (!img) throw bad(file, where, `image_id ${JSON.stringify(a.image_id)} is not in \`images\``);
    const label = a.id !== undefined && a.id !== null ? `id=${String(a.id)}` : `#${k + 1}`;
    const category = a.category_id === undefined || a.category_id === null ? '' : (catName.get(String(a.category_id)) ?? `category_id=${String(a.category_id)}`);
    const polygons: number[][] = [];
    let mask: string | undefined;
    let maskPixels: number | undefined;
    const seg = a.segmentation;
    if (Array.isArray(seg)) {
      seg.forEach((ring: unknown, r: number) => {
        if (!Array.isArray(ring) || !ring.every(finite)) throw bad(file, where, `segmentation[${r}] is not a list of numbers`);
        let xs = ring as number[];
        if (xs.length % 2) {
          result.issues.push({ image: img.name, annotation: label, problem: `segmentation[${r}] has an odd number of coordinates (${xs.length}); the last one is ignored` });
          xs = xs.slice(0, -1);
        }
        if (xs.length) polygons.push(xs);
      });
    } else if (isObj(seg)) {
      try { const d = maskDigest(seg); mask = d.digest; maskPixels = d.pixels; } catch (err) { throw bad(file, where, `segmentation: ${(err as Error).message}`); }
    } else if (seg !== undefined && seg !== null) throw bad(file, where, 'segmentation is neither polygons nor an RLE mask');
    let box: [number, number, number, number];
    const bb = a.bbox;
    if (bb !== undefined && bb !== null) {
      if (!Array.isArray(bb) || bb.length !== 4 || !bb.every(finite)) throw bad(file, where, '`bbox` is not [x, y, width, height]');
      const [x, y, w, h] = bb as number[];
      if (w! < 0 || h! < 0) throw bad(file, where, `\`bbox\` has a negative size (${w} x ${h})`);
      box = [x!, y!, x! + w!, y! + h!];
    } else if (polygons.length) {
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (const p of polygons) for (let i = 0; i < p.length; i += 2) { x0 = Math.min(x0, p[i]!); x1 = Math.max(x1, p[i]!); y0 = Math.min(y0, p[i + 1]!); y1 = Math.max(y1, p[i + 1]!); }
      box = [x0, y0, x1, y1];
    } else throw bad(file, where, 'has neither a `bbox` nor a polygon segmentation');
    const attrs: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(a)) {
      if (key === 'id' || key === 'image_id' || key === 'category_id' || key === 'bbox' || key === 'segmentation' || key === 'area') continue;
      attrs[key] = v;
    }
    if (attrs.iscrowd === undefined) attrs.iscrowd = 0;
    else if (attrs.iscrowd === true || attrs.iscrowd === false) attrs.iscrowd = attrs.iscrowd ? 1 : 0;
    const ann: PixelAnnotation = { label, category, box, polygons, attrs };
    if (mask) ann.mask = mask;
    if (finite(a.area)) ann.area = a.area;
    else if (maskPixels !== undefined) ann.area = maskPixels;
    img.annotations.push(ann);
  });
  return result;
}
