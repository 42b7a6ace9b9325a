import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { roundedRect, splitBuffers, type BufferChip } from './split-buffer.js';
import { chipRects, rectDistance, split } from '../../geo/ops/split.js';
import { crsFromText, transformer, WGS84 } from '../../geo/crs/crs.js';

/** Distance from a point to a rectangle (0 inside). */
const pointRect = (p: number[], r: number[]) => Math.hypot(Math.max(0, r[0]! - p[0]!, p[0]! - r[2]!), Math.max(0, r[1]! - p[1]!, p[1]! - r[3]!));

test('roundedRect: every vertex lies at the buffer distance from the rectangle; closed ring', () => {
  const ring = roundedRect([10, 20, 110, 70], 25);
  assert.deepEqual(ring[0], ring[ring.length - 1]);
  for (const p of ring) assert.ok(Math.abs(pointRect(p, [10, 20, 110, 70]) - 25) < 1e-9, `${p}`);
  // counter-clockwise (positive shoelace area), larger than the rectangle
  let a = 0; for (let i = 0; i < ring.length - 1; i++) a += ring[i]![0]! * ring[i + 1]![1]! - ring[i + 1]![0]! * ring[i]![1]!;
  assert.ok(a / 2 > 100 * 50);
});

/** A 4 x 3 grid of touching chips in lon/lat (no CRS in properties: geo split's equirectangular frame). */
function lonLatChips(): { type: string; features: any[] } {
  const features = [];
  for (let i = 0; i < 12; i++) {
    const lon = 10 + (i % 4) * 0.05, lat = 50 + Math.floor(i / 4) * 0.05;
    features.push({ type: 'Feature', properties: { chip: `c${i}.tif` }, geometry: { type: 'Polygon', coordinates: [[[lon, lat], [lon + 0.05, lat], [lon + 0.05, lat + 0.05], [lon, lat + 0.05], [lon, lat]]] } });
  }
  return { type: 'FeatureCollection', features };
}

test('splitBuffers over a real geo split: zones around val/test chips at the buffer in geo split\'s own frame; no chip of another split inside; dropped chips named', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'geodvc-splitbuf-'));
  try {
    const index = lonLatChips();
    writeFileSync(join(dir, 'chips.geojson'), JSON.stringify(index));
    const r = await split({ index: join(dir, 'chips.geojson'), method: 'random', buffer: 800, seed: 3 });
    const doc = JSON.parse(readFileSync(r.output, 'utf8'));
    assert.ok(r.dropped > 0 && Object.values(doc.assignments).some((s) => s !== 'train'), 'the fixture drops chips and has val/test');
    const chips: BufferChip[] = index.features.map((f) => ({ chip: f.properties.chip, properties: f.properties, geometry: f.geometry }));
    const out = splitBuffers('chips/splits.json', doc, new Map([['chips/chips.geojson', chips], ['other/index.geojson', [{ chip: 'elsewhere.tif', properties: {}, geometry: null }]]]), { out: 'chips' });
    assert.ok(out);
    assert.equal(out.info.buffer, 800);
    assert.deepEqual(out.info.droppedChips.sort(), index.features.map((f) => f.properties.chip).filter((c) => doc.assignments[c] === undefined).sort());
    assert.equal(out.info.droppedChips.length, r.dropped);
    const zoned = Object.entries(doc.assignments).filter(([, s]) => s !== 'train').map(([c]) => c).sort();
    assert.deepEqual(out.zones.map((z) => z.properties.chip).sort(), zoned);
    // back in geo split's metric frame, each zone vertex is 800 m from its chip, and no kept chip of another split reaches into it
    const rects = new Map(chipRects(index).map((c) => [c.chip, c.rect]));
    const lat0 = index.features.reduce((s, f) => s + f.geometry.coordinates[0].reduce((t: number, p: number[]) => t + p[1]!, 0) / 5, 0) / 12;
    const k = Math.PI / 180, R = 6371008.8;
    const fwd = (p: number[]) => [p[0]! * k * R * Math.cos(lat0 * k), p[1]! * k * R];
    for (const z of out.zones) {
      const own = rects.get(z.properties.chip as string)!;
      for (const p of z.geometry.coordinates[0]!) assert.ok(Math.abs(pointRect(fwd(p), own) - 800) < 1e-6);
      for (const [c, s] of Object.entries(doc.assignments)) {
        if (s === z.properties.split) continue;
        assert.ok(rectDistance(rects.get(c)!, own) >= 800, `${c} (${s}) is outside the zone of ${z.properties.chip}`);
      }
    }
    assert.equal(splitBuffers('x.json', { counts: {} }, new Map()), undefined, 'not a split file');
    assert.deepEqual(splitBuffers('x.json', { ...doc, buffer: 0 }, new Map([['i', chips]]))!.zones, [], 'buffer 0: no zones');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('splitBuffers: chips sharing a projected CRS are buffered in that CRS (native bounds), then mapped to WGS 84', () => {
  const crs = 'EPSG:32618';
  const toWgs = transformer(crsFromText(crs)!, WGS84);
  const chips: BufferChip[] = [0, 1].map((i) => {
    const b = [500000 + i * 3000, 2700000, 502000 + i * 3000, 2702000];
    const ring = [[b[0], b[1]], [b[2], b[1]], [b[2], b[3]], [b[0], b[3]], [b[0], b[1]]].map((p) => toWgs(p as [number, number]));
    return { chip: `u${i}.tif`, properties: { chip: `u${i}.tif`, crs, bounds: b }, geometry: { type: 'Polygon', coordinates: [ring] } };
  });
  const out = splitBuffers('s.json', { buffer: 500, assignments: { 'u0.tif': 'train', 'u1.tif': 'test' } }, new Map([['idx', chips]]))!;
  assert.equal(out.zones.length, 1);
  const back = transformer(WGS84, crsFromText(crs)!);
  for (const p of out.zones[0]!.geometry.coordinates[0]!) assert.ok(Math.abs(pointRect(back(p as [number, number]), [503000, 2700000, 505000, 2702000]) - 500) < 1e-3);
});
