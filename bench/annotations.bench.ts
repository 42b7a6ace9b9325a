/**
 * Annotation integrity: semantic fingerprint and diff of N generated label polygons (default
 * 100,000; BENCH_SCALE=small: 10,000) beside `sha256sum` of the same file, in the same script.
 * B = A with every coordinate rounded to 6 decimals, features shuffled, one vertex moved 2 m,
 * one feature deleted and one class changed.
 */
import { mkdtempSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, timeRuns, runProc, fmt, table } from './lib.js';
import { annotationFingerprint } from '../src/core/api/geo-diff-dep.js';
import { geoDiff } from '../src/core/api/geo-diff.js';
import { sha256File } from '../src/geo/annotations/manifest.js';

const small = process.env.BENCH_SCALE === 'small';
const N = small ? 10_000 : 100_000;
const RUNS = small ? 3 : 3;

// deterministic generator (mulberry32)
let seed = 42;
const rand = () => { seed |= 0; seed = (seed + 0x6d2b79f5) | 0; let t = Math.imul(seed ^ (seed >>> 15), 1 | seed); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };

function polygon(i: number): { type: string; id: number; properties: Record<string, unknown>; geometry: unknown } {
  const cx = 10 + (i % 400) * 0.0015 + rand() * 0.0003, cy = 45 + Math.floor(i / 400) * 0.0012 + rand() * 0.0003;
  const n = 6 + Math.floor(rand() * 6);
  const ring: number[][] = [];
  for (let k = 0; k < n; k++) {
    const a = (k / n) * 2 * Math.PI, r = 0.0002 + rand() * 0.0002;
    ring.push([cx + r * Math.cos(a) * 1.4, cy + r * Math.sin(a)]);
  }
  ring.push([...ring[0]!]);
  return { type: 'Feature', id: i, properties: { class: ['field', 'forest', 'water', 'urban'][i % 4], confidence: Math.round(rand() * 100) / 100 }, geometry: { type: 'Polygon', coordinates: [ring] } };
}

const dir = mkdtempSync(join(tmpdir(), 'geodvc-bench-anno-'));
try {
  const feats = Array.from({ length: N }, (_, i) => polygon(i));
  const a = join(dir, 'a.geojson'), b = join(dir, 'b.geojson');
  writeFileSync(a, JSON.stringify({ type: 'FeatureCollection', features: feats }));
  const fb = JSON.parse(JSON.stringify(feats)) as typeof feats;
  for (const f of fb) (f.geometry as any).coordinates = (f.geometry as any).coordinates.map((r: number[][]) => r.map(([x, y]) => [Math.round(x! * 1e6) / 1e6, Math.round(y! * 1e6) / 1e6]));
  (fb[123]!.geometry as any).coordinates[0][2][1] += 2 / 111132;
  fb[456]!.properties.class = 'water-changed';
  fb.splice(789, 1);
  for (let i = fb.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [fb[i], fb[j]] = [fb[j]!, fb[i]!]; }
  writeFileSync(b, JSON.stringify({ type: 'FeatureCollection', features: fb }));
  const mb = statSync(a).size / 1e6;

  const shaCli = await timeRuns(RUNS, () => { const r = runProc('sha256sum', [a]); if (r.code !== 0) throw new Error(r.stderr); });
  const shaNode = await timeRuns(RUNS, async () => { await sha256File(a); });
  // CPU seconds of this process next to wall time: the machine is shared, wall time is noisy
  const cpu = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1e6; };
  const fpCpu: number[] = [], diffCpu: number[] = [], shaCpu: number[] = [];
  let fp = '';
  const fpT = await timeRuns(RUNS, async () => { const c = cpu(); fp = await annotationFingerprint([a], '0.5m'); fpCpu.push(cpu() - c); });
  for (let i = 0; i < RUNS; i++) { const c = cpu(); await sha256File(a); shaCpu.push(cpu() - c); }
  let status = '', named = '';
  const diffT = await timeRuns(RUNS, async () => {
    const c = cpu();
    const r = await geoDiff({ cwd: dir, files: [a, b], tolerance: '0.5m' });
    status = r.files[0]!.status;
    named = r.files[0]!.features.map((f) => `${f.status}:${f.a ?? f.b}:${f.changes.join('+')}`).join(' ');
    diffCpu.push(cpu() - c);
  });
  const base = median(shaCli);
  process.stdout.write(`${N} polygons, ${fmt(mb, 1)} MB GeoJSON; diff B vs A: ${status} (${named}); fingerprint ${fp.slice(0, 24)}...\n\n`);
  process.stdout.write(table(['operation', 'median wall s', 'median CPU s', 'runs', 'wall x sha256sum'], [
    ['sha256sum (GNU coreutils, incl. process start)', fmt(base), '-', RUNS, '1.0'],
    ['SHA-256 in node (what geo manifest does)', fmt(median(shaNode)), fmt(median(shaCpu)), RUNS, fmt(median(shaNode) / base, 1)],
    ['semantic fingerprint (read + canonicalize + validate + hash)', fmt(median(fpT)), fmt(median(fpCpu)), RUNS, fmt(median(fpT) / base, 1)],
    ['semantic diff A vs B (read both, match, measure)', fmt(median(diffT)), fmt(median(diffCpu)), RUNS, fmt(median(diffT) / base, 1)],
  ]) + '\n');
  process.stdout.write(`\nfingerprint target < 5 s: ${median(fpT) < 5 ? 'met' : 'NOT met'} on wall time (${fmt(median(fpT), 2)} s), ${median(fpCpu) < 5 ? 'met' : 'NOT met'} on CPU time (${fmt(median(fpCpu), 2)} s); load average at the end ${(await import('node:os')).loadavg()[0]!.toFixed(1)} on ${(await import('node:os')).cpus().length} cores\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// ---- COCO instance JSON: N_COCO annotations (default 50,000; small: 5,000) on N_COCO/10 images.
// B = A re-indented, with every id renumbered, images and annotations reversed, one box moved
// 2 px, one annotation's category changed, one removed and one added. Peers in the same script:
// `cmp` of the files and python3's json.load of both + `==` (what a plain "did it change" check
// costs; neither can tell a reformat from an edit or name what changed).
{
  const NC = small ? 5_000 : 50_000;
  const dirC = mkdtempSync(join(tmpdir(), 'geodvc-bench-coco-'));
  try {
    const imgs = Array.from({ length: NC / 10 }, (_, i) => ({ id: i + 1, file_name: `tile_${String(i).padStart(6, '0')}.jpg`, width: 1024, height: 1024 }));
    const cats = ['car', 'truck', 'building', 'tree', 'boat'].map((name, i) => ({ id: i + 1, name, supercategory: 'object' }));
    const anns = Array.from({ length: NC }, (_, i) => {
      const x = Math.round(rand() * 9000) / 10, y = Math.round(rand() * 9000) / 10, w = 10 + Math.round(rand() * 900) / 10, h = 10 + Math.round(rand() * 900) / 10;
      return { id: i + 1, image_id: Math.floor(i / 10) + 1, category_id: (i % 5) + 1, bbox: [x, y, w, h], area: Math.round(w * h * 100) / 100, iscrowd: 0, segmentation: [[x, y, x + w, y, x + w, y + h, x, y + h]] };
    });
    const A = join(dirC, 'a.json'), B = join(dirC, 'b.json');
    writeFileSync(A, JSON.stringify({ images: imgs, annotations: anns, categories: cats }));
    const b = JSON.parse(JSON.stringify({ images: imgs, annotations: anns, categories: cats }));
    b.annotations[1234 % NC].bbox[0] += 2; b.annotations[1234 % NC].segmentation[0] = b.annotations[1234 % NC].segmentation[0].map((v: number, k: number) => (k % 2 ? v : v + 2));
    b.annotations[2345 % NC].category_id = b.annotations[2345 % NC].category_id % 5 + 1;
    b.annotations.splice(3456 % NC, 1);
    b.annotations.push({ id: NC + 1, image_id: 7, category_id: 2, bbox: [5, 5, 20, 20], area: 400, iscrowd: 0 });
    for (const im of b.images) im.id += 100_000;
    for (const a of b.annotations) { a.id += 500_000; a.image_id += 100_000; }
    b.images.reverse(); b.annotations.reverse();
    writeFileSync(B, JSON.stringify(b, null, 2));
    const mbA = statSync(A).size / 1e6, mbB = statSync(B).size / 1e6;
    const cmpT = await timeRuns(RUNS, () => { runProc('cmp', ['-s', A, B]); });
    const py = '/usr/bin/python3';
    const pyT = await timeRuns(RUNS, () => { const r = runProc(py, ['-c', 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); print(a==b)', A, B]); if (r.code !== 0) throw new Error(r.stderr); });
    let summary = '';
    const diffT = await timeRuns(RUNS, async () => {
      const r = await geoDiff({ cwd: dirC, files: [A, B] });
      const f = r.files[0]!;
      summary = `${f.status}: ${f.features.map((c) => `${c.status}:${c.image}:${c.a ?? c.b}:${c.changes.join('+')}`).join(' ')}`;
    });
    let fpA = '', fpR = '';
    const R = join(dirC, 'r.json');
    const rf = JSON.parse(JSON.stringify({ images: imgs, annotations: anns, categories: cats }));
    for (const a of rf.annotations) a.id += 7; rf.annotations.reverse();
    writeFileSync(R, JSON.stringify(rf, null, 1));
    const fpT = await timeRuns(RUNS, async () => { fpA = await annotationFingerprint([A]); });
    fpR = await annotationFingerprint([R]);
    const base = median(pyT);
    process.stdout.write(`\nCOCO: ${NC} annotations on ${NC / 10} images, A ${fmt(mbA, 1)} MB, B ${fmt(mbB, 1)} MB (re-indented, renumbered, reversed + 4 edits)\n`);
    process.stdout.write(`geo diff B vs A: ${summary}\nfingerprint of A == fingerprint of A reformatted/renumbered/reversed: ${fpA === fpR}\n\n`);
    process.stdout.write(table(['operation', 'median wall s', 'runs', 'x python3 json.load+=='], [
      ['cmp -s A B (bytes only)', fmt(median(cmpT)), RUNS, fmt(median(cmpT) / base, 2)],
      ['python3 json.load both + == (incl. start)', fmt(base), RUNS, '1.00'],
      ['geodvc semantic diff A vs B (read, match per image, name changes)', fmt(median(diffT)), RUNS, fmt(median(diffT) / base, 2)],
      ['geodvc semantic fingerprint of A', fmt(median(fpT)), RUNS, fmt(median(fpT) / base, 2)],
    ]) + '\n');
  } finally {
    rmSync(dirC, { recursive: true, force: true });
  }
}
