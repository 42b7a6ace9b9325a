/**
 * COCO / Pascal VOC: every sample of the shared corpus (formats/) against its truth file
 * (python3 json / xml.etree answers), crafted edits for the pixel-space diff and fingerprint, and
 * the safety of the XML reader.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError, InvalidFileError } from '../../lib/errors.js';
import { parseCoco, decodeRleString } from './coco.js';
import { parseVoc } from './voc.js';
import { parseXml } from './xml.js';
import { readPixelFile } from './pixel-load.js';
import { comparePixelDatasets, fingerprintPixelDatasets, matchImage } from './pixel-diff.js';
import { parseTolerance, pixelTolerance } from './tolerance.js';
import { sniffPixelBytes, type PixelDataset } from './pixel.js';
import { changesToGeoJson } from './changes-geojson.js';
import { cocoJson } from '../export/coco.js';

const FORMATS = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..', 'shared', 'corpus', 'formats');
const manifest = JSON.parse(readFileSync(join(FORMATS, '..', 'formats.json'), 'utf8')) as { files: any[] };
const samples = manifest.files.filter((f) => f.kind === 'annotation');
const truthOf = (f: any) => JSON.parse(readFileSync(join(FORMATS, '..', f.truth[0]), 'utf8'));
const px = (t = '0.5px') => ({ tolerance: pixelTolerance(t) });

test('the corpus has COCO and VOC samples, good and broken', () => {
  assert.ok(samples.filter((f) => f.format === 'coco' && !f.broken).length >= 3);
  assert.ok(samples.filter((f) => f.format === 'voc' && !f.broken).length >= 2);
  assert.ok(samples.filter((f) => f.broken).length >= 2);
});

for (const f of samples.filter((x) => !x.broken)) {
  test(`${f.file}: counts, categories and boxes as the truth file says`, () => {
    const name = f.file.replace(/^formats\//, '');
    const ds = readPixelFile(join(FORMATS, name), name);
    const t = truthOf(f);
    if (f.format === 'coco') {
      assert.equal(ds.format, 'COCO');
      assert.deepEqual(ds.counts, { images: t.images, annotations: t.annotations, categories: t.categories });
      assert.deepEqual(ds.categories.sort(), Object.values(t.category_names as Record<string, string>).sort());
      const byName = new Map(ds.images.map((im) => [im.name, im]));
      for (const im of t.image_list) {
        const got = byName.get(im.file_name)!;
        assert.ok(got, `image ${im.file_name}`);
        assert.equal(got.width, im.width); assert.equal(got.height, im.height);
      }
      const all = ds.images.flatMap((im) => im.annotations);
      assert.equal(all.length, t.annotation_list.length);
      for (const a of t.annotation_list) {
        const got = all.find((x) => x.label === `id=${a.id}`)!;
        assert.ok(got, `annotation ${a.id}`);
        const [x, y, w, h] = a.bbox;
        assert.deepEqual(got.box, [x, y, x + w, y + h]);
        assert.equal(got.category, a.category ?? `category_id=${a.category_id}`);
        assert.equal(got.attrs.iscrowd, a.iscrowd ?? 0, "iscrowd (absent = 0)");
        if (a.area !== undefined && a.area !== null) assert.equal(got.area, a.area);
        assert.equal(a.segmentation === 'rle', got.mask !== undefined, 'RLE mask read');
        assert.equal(a.segmentation === 'polygon', got.polygons.length > 0, 'polygons read');
      }
    } else {
      assert.equal(ds.format, 'Pascal VOC');
      assert.equal(ds.images.length, 1);
      const im = ds.images[0]!;
      assert.equal(im.name, t.filename);
      if (t.size) { assert.equal(im.width, Number(t.size.width)); assert.equal(im.height, Number(t.size.height)); }
      assert.equal(ds.counts.annotations, t.objects);
      const classes: Record<string, number> = {};
      for (const a of im.annotations) classes[a.category] = (classes[a.category] ?? 0) + 1;
      assert.deepEqual(classes, t.classes);
      t.object_list.forEach((o: any, k: number) => {
        const a = im.annotations[k]!;
        assert.equal(a.category, o.name);
        assert.deepEqual(a.box, o.bndbox.map(Number));
        if (o.truncated === '1') assert.equal(a.attrs.truncated, '1');
        if (o.parts) assert.ok(a.attrs.part, 'parts kept as label content');
      });
    }
  });
}

for (const f of samples.filter((x) => x.broken)) {
  test(`${f.file}: broken, refused with the file and the position the oracle gives`, () => {
    const name = f.file.replace(/^formats\//, '');
    const err = (() => { try { readPixelFile(join(FORMATS, name), name); } catch (e) { return e; } return undefined; })();
    assert.ok(err instanceof InvalidFileError, 'an InvalidFileError');
    assert.ok((err as AppError).hint, 'with a hint');
    assert.equal((err as AppError).exitCode !== 0, true);
    const msg = (err as Error).message;
    assert.ok(msg.startsWith(`${name}:`), msg);
    // python's json reports 1-based columns, expat (xml.etree) 0-based ones
    const m = /line (\d+),? column (\d+)/.exec(truthOf(f).parse_error)!;
    const col = Number(m[2]) + (f.format === 'voc' ? 1 : 0);
    assert.match(msg, new RegExp(`line ${m[1]}, column ${col}\\b`), msg);
  });
}

const COCO = {
  images: [{ id: 1, file_name: 'a.jpg', width: 100, height: 80 }, { id: 2, file_name: 'b.jpg', width: 64, height: 64 }],
  categories: [{ id: 1, name: 'car' }, { id: 2, name: 'tree' }],
  annotations: [
    { id: 10, image_id: 1, category_id: 1, bbox: [10, 10, 20, 10], area: 200, iscrowd: 0 },
    { id: 11, image_id: 1, category_id: 2, bbox: [50, 40, 10, 10], area: 100, iscrowd: 0, segmentation: [[50, 40, 60, 40, 60, 50, 50, 50]] },
    { id: 12, image_id: 2, category_id: 1, bbox: [0, 0, 8, 8], area: 64, iscrowd: 0 },
  ],
};
const clone = (): any => JSON.parse(JSON.stringify(COCO));
const coco = (doc: unknown, indent?: number): PixelDataset => parseCoco(JSON.stringify(doc, null, indent), 'labels.json');

test('COCO: re-indented, re-ordered, renumbered ids = format-only, same fingerprint', () => {
  const d = clone();
  d.images.reverse(); d.annotations.reverse(); d.categories.reverse();
  for (const im of d.images) im.id += 100;
  for (const c of d.categories) c.id += 7;
  for (const a of d.annotations) { a.id += 1000; a.image_id += 100; a.category_id += 7; }
  const reordered = Object.fromEntries(Object.entries(d).reverse());
  const a = coco(COCO), b = coco(reordered, 4);
  const r = comparePixelDatasets('labels.json', a, b, px());
  assert.equal(r.status, 'format-only');
  assert.equal(r.counts.unchanged, 3);
  assert.deepEqual(r.features, []);
  const t = parseTolerance('0.5px');
  assert.equal(fingerprintPixelDatasets([{ path: 'x', dataset: a }], t).fingerprint, fingerprintPixelDatasets([{ path: 'x', dataset: b }], t).fingerprint);
});

test('COCO: a box moved by 0.3 px is precision-only at 0.5px, geometry at 0.2px; 2 px is geometry', () => {
  const d = clone(); d.annotations[0].bbox[0] += 0.3;
  const r = comparePixelDatasets('labels.json', coco(COCO), coco(d), px());
  assert.equal(r.status, 'precision-only');
  assert.equal(r.counts.precisionOnly, 1);
  const strict = comparePixelDatasets('labels.json', coco(COCO), coco(d), px('0.2px'));
  assert.equal(strict.status, 'semantic');
  assert.equal(strict.counts.geometry, 1);
  const d2 = clone(); d2.annotations[0].bbox[1] -= 2;
  const r2 = comparePixelDatasets('labels.json', coco(COCO), coco(d2), px());
  assert.equal(r2.status, 'semantic');
  assert.equal(r2.features.length, 1);
  const c = r2.features[0]!;
  assert.deepEqual([c.image, c.a, c.b, c.changes], ['a.jpg', 'id=10', 'id=10', ['geometry']]);
  assert.equal(c.maxVertexShift, 2);
  assert.deepEqual(c.boxNew, [10, 8, 30, 18]);
  assert.notEqual(fingerprintPixelDatasets([{ path: 'x', dataset: coco(COCO) }], parseTolerance('0.5px')).fingerprint, fingerprintPixelDatasets([{ path: 'x', dataset: coco(d2) }], parseTolerance('0.5px')).fingerprint);
});

test('COCO: a polygon vertex moved beyond the tolerance is a geometry change of that annotation', () => {
  const d = clone(); d.annotations[1].segmentation[0][2] = 63; // one vertex 3 px right, bbox left as it was
  const r = comparePixelDatasets('labels.json', coco(COCO), coco(d), px());
  assert.equal(r.counts.geometry, 1);
  assert.equal(r.features[0]!.a, 'id=11');
  assert.equal(r.features[0]!.maxVertexShift, 3);
});

test('COCO: categories compare by name: renaming one is a class change, renumbering is not', () => {
  const d = clone(); d.categories[1].name = 'bush';
  const r = comparePixelDatasets('labels.json', coco(COCO), coco(d), px());
  assert.equal(r.counts.class, 1);
  const c = r.features[0]!;
  assert.deepEqual([c.image, c.a, c.classOld, c.classNew], ['a.jpg', 'id=11', 'tree', 'bush']);
  const swap = clone(); swap.categories = [{ id: 1, name: 'tree' }, { id: 2, name: 'car' }];
  for (const a of swap.annotations) a.category_id = a.category_id === 1 ? 2 : 1;
  assert.equal(comparePixelDatasets('labels.json', coco(COCO), coco(swap), px()).status, 'format-only');
});

test('COCO: added and removed annotations and images are named', () => {
  const d = clone();
  d.annotations.splice(2, 1); // b.jpg loses its car
  d.annotations.push({ id: 99, image_id: 1, category_id: 2, bbox: [80, 5, 5, 5], area: 25, iscrowd: 0 });
  d.images.push({ id: 3, file_name: 'c.jpg', width: 10, height: 10 });
  const r = comparePixelDatasets('labels.json', coco(COCO), coco(d), px());
  assert.equal(r.status, 'semantic');
  assert.deepEqual([r.counts.added, r.counts.removed], [1, 1]);
  const added = r.features.find((f) => f.status === 'added')!, removed = r.features.find((f) => f.status === 'removed')!;
  assert.deepEqual([added.image, added.b, added.classNew, added.boxNew], ['a.jpg', 'id=99', 'tree', [80, 5, 85, 10]]);
  assert.deepEqual([removed.image, removed.a, removed.classOld], ['b.jpg', 'id=12', 'car']);
  assert.deepEqual(r.images, { old: 2, new: 3, added: 1, removed: 0, changed: 0 });
  const gj = JSON.parse(changesToGeoJson([r]));
  assert.equal(gj.crs, null, 'pixel coordinates, no CRS');
  const f = gj.features.find((x: any) => x.properties.status === 'added');
  assert.deepEqual([f.properties.image, f.properties.new_feature, f.geometry.coordinates[0][2]], ['a.jpg', 'id=99', [85, 10]]);
});

test('COCO: iscrowd and attribute edits are attribute changes; RLE masks compare by content', () => {
  const d = clone(); d.annotations[0].iscrowd = 1;
  const r = comparePixelDatasets('labels.json', coco(COCO), coco(d), px());
  assert.deepEqual(r.features[0]!.attributes!.map((a) => a.key), ['iscrowd']);
  // counts [2, 3, 5] over a 2x5 mask: a list and COCO's compressed string of the same runs
  assert.deepEqual(decodeRleString('235'), [2, 3, 5]);
  const m1 = clone(), m2 = clone();
  m1.annotations[2].segmentation = { counts: [2, 3, 5], size: [2, 5] };
  m2.annotations[2].segmentation = { counts: '235', size: [2, 5] };
  assert.equal(comparePixelDatasets('labels.json', coco(m1), coco(m2), px()).status, 'format-only');
  const m3 = clone(); m3.annotations[2].segmentation = { counts: [2, 4, 4], size: [2, 5] };
  const r3 = comparePixelDatasets('labels.json', coco(m1), coco(m3), px());
  assert.deepEqual(r3.features[0]!.attributes!.map((a) => a.key), ['mask']);
});

test('COCO: structural errors name the element', () => {
  const bad = clone(); bad.annotations[1].image_id = 42;
  assert.throws(() => coco(bad), (e: Error) => e instanceof InvalidFileError && /annotations\[1\] \(id=11\): image_id 42 is not in `images`/.test(e.message));
  const nobox = clone(); delete nobox.annotations[0].bbox;
  assert.throws(() => coco(nobox), /annotations\[0\] \(id=10\): has neither a `bbox` nor a polygon/);
  assert.throws(() => parseCoco('{"images": {}}', 'x.json'), /`images` is missing or not an array/);
});

const VOC = `<annotation>
  <filename>img1.jpg</filename>
  <size><width>100</width><height>50</height><depth>3</depth></size>
  <object><name>dog</name><pose>Unspecified</pose><difficult>0</difficult><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>30</xmax><ymax>40</ymax></bndbox></object>
  <object><name>cat</name><truncated>1</truncated><bndbox><xmin>50</xmin><ymin>5</ymin><xmax>70</xmax><ymax>25</ymax></bndbox></object>
</annotation>`;

test('VOC: re-indented, reordered objects and child elements, default flags = format-only', () => {
  const other = `<?xml version="1.0"?>
<annotation><size><height>50</height><width>100</width><depth>3</depth></size><filename>img1.jpg</filename>
<object><bndbox><ymax>25</ymax><xmax>70</xmax><ymin>5</ymin><xmin>50</xmin></bndbox><truncated>1</truncated><name>cat</name></object>
<object><name>dog</name><bndbox><xmin>1.0</xmin><ymin>2</ymin><xmax>30</xmax><ymax>40</ymax></bndbox></object></annotation>`;
  const r = comparePixelDatasets('a.xml', parseVoc(VOC, 'a.xml'), parseVoc(other, 'a.xml'), px());
  assert.equal(r.status, 'format-only', JSON.stringify(r.features));
});

test('VOC: a moved box, a renamed object, a removed one', () => {
  const moved = VOC.replace('<xmin>1</xmin>', '<xmin>4</xmin>').replace('<name>cat</name>', '<name>lynx</name>');
  const r = comparePixelDatasets('a.xml', parseVoc(VOC, 'a.xml'), parseVoc(moved, 'a.xml'), px());
  assert.deepEqual(r.features.map((f) => [f.image, f.a, f.changes.join('+')]), [['img1.jpg', 'object #1', 'geometry'], ['img1.jpg', 'object #2', 'class']]);
  const gone = VOC.replace(/<object><name>cat[\s\S]*?<\/object>/, '');
  const r2 = comparePixelDatasets('a.xml', parseVoc(VOC, 'a.xml'), parseVoc(gone, 'a.xml'), px());
  assert.deepEqual(r2.features.map((f) => [f.status, f.a, f.classOld]), [['removed', 'object #2', 'cat']]);
});

test('VOC: polygons and errors with line and column', () => {
  const poly = parseVoc('<annotation><filename>p.jpg</filename><object><name>roof</name><polygon><x1>1</x1><y1>1</y1><x2>9</x2><y2>1</y2><x3>5</x3><y3>7</y3></polygon></object></annotation>', 'p.xml');
  assert.deepEqual(poly.images[0]!.annotations[0]!.box, [1, 1, 9, 7]);
  assert.deepEqual(poly.images[0]!.annotations[0]!.polygons, [[1, 1, 9, 1, 5, 7]]);
  assert.throws(() => parseVoc('<annotation>\n  <object><name>x</name><bndbox><xmin>a</xmin></bndbox></object>\n</annotation>', 'e.xml'), /e\.xml: <xmin> is not a number \("a"\) at line 2, column 33/);
  assert.throws(() => parseVoc('<annotation><object><name>x</name></object></annotation>', 'e.xml'), /has neither <bndbox> nor <polygon>/);
  assert.throws(() => parseVoc('<annotation><a></b></annotation>', 'e.xml'), /closing <\/b> does not match <a> opened at line 1, column 13 at line 1, column 16/);
});

test('XML reader: no entity expansion, no DOCTYPE subset, bounded depth', () => {
  assert.throws(() => parseXml('<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', 'x.xml'), /internal subset/);
  assert.throws(() => parseXml('<a>&x;</a>', 'x.xml'), /undefined entity &x;/);
  assert.throws(() => parseXml('<a>'.repeat(200) + '</a>'.repeat(200), 'x.xml'), /nested more than/);
  assert.equal(parseXml('<a t="1 &amp; 2">&lt;&#65;&#x42;<![CDATA[<c>]]></a>', 'x.xml').text, '<AB<c>');
  assert.equal(parseXml('<a t="1 &amp; 2"/>', 'x.xml').attrs.t, '1 & 2');
});

test('matching: same-category pairs first, greedy by IoU', () => {
  const ann = (category: string, box: [number, number, number, number], label: string) => ({ label, category, box, polygons: [], attrs: {} });
  const A = [ann('car', [0, 0, 10, 10], 'a1'), ann('truck', [0, 0, 10, 10], 'a2')];
  const B = [ann('truck', [1, 0, 11, 10], 'b1'), ann('car', [2, 0, 12, 10], 'b2')];
  const m = matchImage(A, B, 0.5);
  assert.deepEqual(m.pairs.map((p) => [p.i, p.j]).sort(), [[0, 1], [1, 0]]);
  assert.deepEqual([m.removed, m.added], [[], []]);
});

test('sniffing: COCO and VOC by content, not any JSON with an images/annotations key', () => {
  assert.equal(sniffPixelBytes('{"info": {}, "images": [{"id": 1, "file_name": "a.jpg"}]', 'x.json'), 'coco');
  assert.equal(sniffPixelBytes('{\n  "annotations": [\n    {"bbox": [1, 2, 3, 4], "image_id": 1}', 'x.json'), 'coco');
  assert.equal(sniffPixelBytes('{"images": [], "annotations": []}', 'x.json'), 'coco');
  assert.equal(sniffPixelBytes('{"images": ["a.png", "b.png"], "annotations": ["reviewed"]}', 'x.json'), undefined);
  assert.equal(sniffPixelBytes('{"type": "FeatureCollection", "features": [], "images": []}', 'x.geojson.json'), undefined);
  assert.equal(sniffPixelBytes('<?xml version="1.0"?>\n<annotation><filename>a.jpg</filename>', 'a.xml'), 'voc');
  assert.equal(sniffPixelBytes('<VRTDataset rasterXSize="1">', 'a.xml'), undefined);
  assert.equal(sniffPixelBytes('{"images": []}', 'a.txt'), undefined);
});

test('geo export coco output reads back; the same labels exported in another order are format-only', () => {
  const images = [{ id: 1, fileName: 'chip_0_0.tif', width: 256, height: 256 }, { id: 2, fileName: 'chip_0_1.tif', width: 256, height: 256 }];
  const cats = [{ id: 1, name: 'field' }, { id: 2, name: 'forest' }];
  const objs = [
    { imageId: 1, categoryId: 1, polygons: [[10, 10, 50.004, 10, 50, 40, 10, 40]] },
    { imageId: 2, categoryId: 2, polygons: [[0, 0, 30, 0, 30, 30]] },
  ];
  const a = parseCoco(cocoJson(images, objs, cats), 'a.json');
  assert.deepEqual(a.counts, { images: 2, annotations: 2, categories: 2 });
  assert.deepEqual(a.images[0]!.annotations[0]!.box, [10, 10, 50, 40]);
  const b = parseCoco(cocoJson([...images].reverse().map((im) => ({ ...im, id: im.id + 10 })), [...objs].reverse().map((o) => ({ ...o, imageId: o.imageId + 10, categoryId: 3 - o.categoryId })), [{ id: 1, name: 'forest' }, { id: 2, name: 'field' }]), 'b.json');
  assert.equal(comparePixelDatasets('x.json', a, b, px()).status, 'format-only');
});

test('pixel tolerance: px, bare numbers and CRS units are pixels; metres fall back to 0.5px', () => {
  assert.equal(pixelTolerance(undefined).text, '0.5px');
  assert.equal(pixelTolerance('2px').value, 2);
  assert.equal(pixelTolerance('2').text, '2px');
  assert.equal(pixelTolerance('1.5u').text, '1.5px');
  assert.equal(pixelTolerance('0.5m').text, '0.5px');
  assert.throws(() => pixelTolerance('-1px'), /invalid tolerance/);
});
