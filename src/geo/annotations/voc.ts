/**
 * Pascal VOC XML (one `<annotation>` per image) into the pixel model (pixel.ts): `<filename>`
 * (else the basename of `<path>`, else the XML file's own name), `<size>`, and per `<object>`:
 * `<name>`, `<bndbox>` (xmin, ymin, xmax, ymax), `<polygon>` when present (`<pt><x/><y/></pt>`,
 * `<point>`, or numbered `<x1><y1><x2>...`), and the rest of the object (difficult, truncated,
 * pose, occluded, parts, actions, attributes) as label content, child order ignored. Read with
 * the safe XML reader (xml.ts): no entity expansion.
 */
import { basename } from 'node:path';
import { InvalidFileError } from '../../lib/errors.js';
import type { PixelAnnotation, PixelDataset } from './pixel.js';
import { child, childText, lineCol, parseXml, type XmlElement } from './xml.js';

function bad(file: string, text: string, el: XmlElement, msg: string): InvalidFileError {
  const p = lineCol(text, el.offset);
  return new InvalidFileError(`${file}: ${msg} at line ${p.line}, column ${p.column}`, {
    hint: 'the file is not a valid Pascal VOC annotation; fix the element named or restore the file from its source',
    details: { file, line: p.line, column: p.column },
  });
}

function num(file: string, text: string, parent: XmlElement, name: string, required: boolean): number | undefined {
  const c = child(parent, name);
  if (!c) { if (required) throw bad(file, text, parent, `<${parent.name}> has no <${name}>`); return undefined; }
  const t = c.text.trim();
  const v = Number(t);
  if (t === '' || !Number.isFinite(v)) throw bad(file, text, c, `<${name}> is not a number (${JSON.stringify(t.slice(0, 40))})`);
  return v;
}

/** An element as a plain value: text for leaves, an object of children otherwise (repeats as lists, keys sorted). */
function plain(el: XmlElement): unknown {
  if (!el.children.length) {
    const t = el.text.trim();
    return Object.keys(el.attrs).length ? { ...el.attrs, _text: t } : t;
  }
  const o: Record<string, unknown> = { ...el.attrs };
  const groups = new Map<string, unknown[]>();
  for (const c of el.children) { const l = groups.get(c.name); if (l) l.push(plain(c)); else groups.set(c.name, [plain(c)]); }
  for (const k of [...groups.keys()].sort()) { const l = groups.get(k)!; o[k] = l.length === 1 ? l[0] : l; }
  return o;
}

function polygonOf(file: string, text: string, poly: XmlElement): number[] {
  const out: number[] = [];
  const pts = poly.children.filter((c) => c.name === 'pt' || c.name === 'point');
  if (pts.length) {
    for (const p of pts) out.push(num(file, text, p, 'x', true)!, num(file, text, p, 'y', true)!);
    return out;
  }
  for (let k = 1; ; k++) {
    const x = num(file, text, poly, `x${k}`, false), y = num(file, text, poly, `y${k}`, false);
    if (x === undefined || y === undefined) break;
    out.push(x, y);
  }
  if (!out.length) throw bad(file, text, poly, '<polygon> has no points (<pt><x/><y/></pt> or <x1>/<y1>...)');
  return out;
}

const OWN = new Set(['name', 'bndbox', 'polygon']);
/** Values equal to VOC's defaults (an absent flag is 0, an absent pose is Unspecified). */
const DEFAULTS: Record<string, string> = { difficult: '0', truncated: '0', occluded: '0', pose: 'Unspecified' };

/** Reads one Pascal VOC XML document. */
export function parseVoc(text: string, file: string): PixelDataset {
  const root = parseXml(text, file);
  if (root.name !== 'annotation') throw bad(file, text, root, `root element is <${root.name}>, not <annotation>`);
  const fname = childText(root, 'filename') || (childText(root, 'path') ? basename(childText(root, 'path')!.replace(/\\/g, '/')) : '') || basename(file).replace(/\.xml$/i, '');
  const size = child(root, 'size');
  const img: PixelDataset['images'][number] = { name: fname, annotations: [] };
  if (size) {
    const w = num(file, text, size, 'width', false), h = num(file, text, size, 'height', false);
    if (w !== undefined) img.width = w;
    if (h !== undefined) img.height = h;
  }
  const cats = new Set<string>();
  const objects = root.children.filter((c) => c.name === 'object');
  objects.forEach((o, k) => {
    const name = childText(o, 'name');
    if (name === undefined) throw bad(file, text, o, `<object> #${k + 1} has no <name>`);
    cats.add(name);
    const bb = child(o, 'bndbox');
    const polyEl = child(o, 'polygon');
    const polygons = polyEl ? [polygonOf(file, text, polyEl)] : [];
    let box: [number, number, number, number];
    if (bb) {
      box = [num(file, text, bb, 'xmin', true)!, num(file, text, bb, 'ymin', true)!, num(file, text, bb, 'xmax', true)!, num(file, text, bb, 'ymax', true)!];
      if (box[2] < box[0] || box[3] < box[1]) throw bad(file, text, bb, `<bndbox> has xmax < xmin or ymax < ymin (${box.join(', ')})`);
    } else if (polygons.length) {
      const p = polygons[0]!;
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (let i = 0; i < p.length; i += 2) { x0 = Math.min(x0, p[i]!); x1 = Math.max(x1, p[i]!); y0 = Math.min(y0, p[i + 1]!); y1 = Math.max(y1, p[i + 1]!); }
      box = [x0, y0, x1, y1];
    } else throw bad(file, text, o, `<object> #${k + 1} (${name}) has neither <bndbox> nor <polygon>`);
    const attrs: Record<string, unknown> = {};
    const rest = new Map<string, unknown[]>();
    for (const c of o.children) {
      if (OWN.has(c.name)) continue;
      const l = rest.get(c.name); if (l) l.push(plain(c)); else rest.set(c.name, [plain(c)]);
    }
    for (const [key, l] of rest) {
      const v = l.length === 1 ? l[0] : l;
      if (DEFAULTS[key] !== undefined && v === DEFAULTS[key]) continue; // written by some tools, left out by others
      attrs[key] = v;
    }
    const ann: PixelAnnotation = { label: `object #${k + 1}`, category: name, box, polygons, attrs };
    img.annotations.push(ann);
  });
  return {
    format: 'Pascal VOC', images: [img], categories: [...cats].sort(),
    counts: { images: 1, annotations: objects.length, categories: cats.size }, issues: [],
  };
}
