/**
 * COCO and YOLO writers: pure, data in, text out. Objects are given in chip pixel coordinates
 * (x right, y down, origin at the chip's top-left corner).
 */
export interface ExportImage { id: number; fileName: string; width: number; height: number }
export interface ExportObject {
  imageId: number;
  categoryId: number;
  /** Polygons (exterior rings, already clipped to the chip), each a flat [x0,y0,x1,y1,...] list. */
  polygons: number[][];
}
export interface ExportCategory { id: number; name: string }

/** Shoelace area of a flat ring. */
export function ringArea(r: number[]): number {
  let a = 0;
  for (let i = 0; i < r.length; i += 2) {
    const j = (i + 2) % r.length;
    a += r[i]! * r[j + 1]! - r[j]! * r[i + 1]!;
  }
  return Math.abs(a) / 2;
}

export function bboxOf(polys: number[][]): [number, number, number, number] {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const p of polys) for (let i = 0; i < p.length; i += 2) { x0 = Math.min(x0, p[i]!); x1 = Math.max(x1, p[i]!); y0 = Math.min(y0, p[i + 1]!); y1 = Math.max(y1, p[i + 1]!); }
  return [x0, y0, x1 - x0, y1 - y0];
}

const r2 = (x: number) => Math.round(x * 100) / 100;

/** COCO "instances" JSON. Annotation ids follow the input order, starting at 1. */
export function cocoJson(images: ExportImage[], objects: ExportObject[], categories: ExportCategory[], info: Record<string, unknown> = {}): string {
  const doc = {
    info: { description: 'geodvc geo export coco', ...info },
    images: images.map((i) => ({ id: i.id, file_name: i.fileName, width: i.width, height: i.height })),
    categories: categories.map((c) => ({ id: c.id, name: c.name, supercategory: '' })),
    annotations: objects.map((o, k) => ({
      id: k + 1,
      image_id: o.imageId,
      category_id: o.categoryId,
      segmentation: o.polygons.map((p) => p.map(r2)),
      area: r2(o.polygons.reduce((s, p) => s + ringArea(p), 0)),
      bbox: bboxOf(o.polygons).map(r2),
      iscrowd: 0,
    })),
  };
  return JSON.stringify(doc) + '\n';
}

/** YOLO label lines for one image: `class cx cy w h`, normalised, class = index in `categories`. */
export function yoloLines(image: ExportImage, objects: ExportObject[], categories: ExportCategory[]): string {
  const index = new Map(categories.map((c, i) => [c.id, i]));
  const lines = objects.filter((o) => o.imageId === image.id).map((o) => {
    const [x, y, w, h] = bboxOf(o.polygons);
    const f = (v: number) => v.toFixed(6);
    return `${index.get(o.categoryId)} ${f((x + w / 2) / image.width)} ${f((y + h / 2) / image.height)} ${f(w / image.width)} ${f(h / image.height)}`;
  });
  return lines.length ? lines.join('\n') + '\n' : '';
}

/** Sutherland–Hodgman clip of a flat ring to [0,W]x[0,H]. */
export function clipRing(r: number[], W: number, H: number): number[] {
  let pts: [number, number][] = [];
  for (let i = 0; i < r.length; i += 2) pts.push([r[i]!, r[i + 1]!]);
  const edges: [(p: [number, number]) => boolean, (a: [number, number], b: [number, number]) => [number, number]][] = [
    [(p) => p[0] >= 0, (a, b) => [0, a[1] + (b[1] - a[1]) * (0 - a[0]) / (b[0] - a[0])]],
    [(p) => p[0] <= W, (a, b) => [W, a[1] + (b[1] - a[1]) * (W - a[0]) / (b[0] - a[0])]],
    [(p) => p[1] >= 0, (a, b) => [a[0] + (b[0] - a[0]) * (0 - a[1]) / (b[1] - a[1]), 0]],
    [(p) => p[1] <= H, (a, b) => [a[0] + (b[0] - a[0]) * (H - a[1]) / (b[1] - a[1]), H]],
  ];
  for (const [inside, cut] of edges) {
    const out: [number, number][] = [];
    for (let i = 0; i < pts.length; i++) {
      const a = pts[(i + pts.length - 1) % pts.length]!, b = pts[i]!;
      if (inside(b)) { if (!inside(a)) out.push(cut(a, b)); out.push(b); }
      else if (inside(a)) out.push(cut(a, b));
    }
    pts = out;
    if (!pts.length) break;
  }
  return pts.flat();
}
