/**
 * The seed pipeline of issue 18, stage by stage: geodvc (native GDAL engine) against the rasterio
 * scripts real DVC would run (Debian's python3-rasterio, /usr/bin/python3), in the same script,
 * runs interleaved (ours, then the peer's) so both see the same machine load.
 *
 *   reproject: 4 scenes of 2048x2048x4 UInt16 (tiled 512, DEFLATE), EPSG:32632 -> EPSG:32633 at 10 m
 *   chip:      256 chips of 256 px from the reprojected scenes
 *   rasterize: masks from 300 polygons for the 256 chips
 *
 * The rasterio scripts are the ~30-line scripts a team writes: `rasterio.warp.reproject` with
 * `num_threads` = cores into tiled DEFLATE GTiffs, windowed reads/writes for chips,
 * `rasterio.features.rasterize` per chip. geodvc runs with `--format GTiff` (the same output kind);
 * the COG default is timed too. BENCH_SCALE=small: 2 scenes of 1024 px (32 chips).
 * Wall and CPU time and peak RSS come from /usr/bin/time around each process.
 * BENCH_ONLY=chip (or rasterize, reproject; comma-separated) times only those stages; the stages
 * before them run once to make their inputs. geo chip runs on native GDAL (both cores, chips by
 * gdal_translate -srcwin, tiled GTiff DEFLATE); the chip row of the own TIFF reader
 * (GEODVC_GDAL_ENGINE=wasm) is timed too, as the previous engine.
 * BENCH_ONLY=repro: the same three stages as a dvc.yaml of built-in `geodvc geo` stage commands, a
 * cold `geodvc repro` (fresh repository each run: outputs hashed into the cache, dvc.lock written)
 * against the three rasterio scripts run in sequence, then a no-op `geodvc repro` against DVC's
 * figure: real DVC cannot be installed here, so its no-op repro is not run; issue 19 recorded
 * `dvc status` of a 20-file repository at 1.46-1.52 s on this machine, a lower bound for DVC's
 * no-op repro (repro does a status and more), and the ratio is printed against 1.46 s.
 * Target (issue 18): each stage within 1.0x of rasterio (stretch 0.6x), cold repro within 1.0x,
 * no-op repro <= 0.5x, peak RSS <= 1.5 GiB.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, table, fmt } from './lib.js';
import { makeScene } from '../test/integration/geo-ops-native.js';
import { engineKind, nativeEngineName } from '../src/geo/engine/native.js';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = join(here, '..', 'bin', 'geodvc.js');
const small = process.env.BENCH_SCALE === 'small';
const SIZE = small ? 1024 : 2048;
const SCENES = small ? 2 : 4;
const CHIP = 256;
const POLYGONS = 300;
const RUNS = Number(process.env.BENCH_RUNS ?? (small ? 3 : 3));
const PY = '/usr/bin/python3';
const cores = availableParallelism();

interface Timed { wall: number; cpu: number; rssMiB: number; stdout: string }
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Timed {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', cmd, ...args], { cwd, encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, GDAL_PAM_ENABLED: 'NO', ...env } });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  const [rss, u, sy] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { wall, cpu: u! + sy!, rssMiB: rss! / 1024, stdout: r.stdout };
}

function skip(why: string): never {
  process.stdout.write(`${why}: skipping geo-native bench\n`);
  process.exit(0);
}
if (spawnSync('gdalinfo', ['--version']).status !== 0) skip('gdal-bin is not installed');
if (spawnSync(PY, ['-c', 'import rasterio']).status !== 0) skip('python3-rasterio is not installed (the peer)');
if (engineKind() !== 'native') skip('gdal-async (native GDAL) is not installed');

const REPROJECT_PY = `
import sys, os, glob, rasterio
from rasterio.warp import calculate_default_transform, reproject, Resampling
src_dir, out_dir, dst_crs, res, threads = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
os.makedirs(out_dir, exist_ok=True)
for path in sorted(glob.glob(os.path.join(src_dir, '*.tif'))):
    with rasterio.open(path) as src:
        transform, width, height = calculate_default_transform(src.crs, dst_crs, src.width, src.height, *src.bounds, resolution=res)
        profile = src.profile.copy()
        profile.update(driver='GTiff', crs=dst_crs, transform=transform, width=width, height=height,
                       tiled=True, blockxsize=512, blockysize=512, compress='deflate', BIGTIFF='IF_SAFER')
        with rasterio.open(os.path.join(out_dir, os.path.basename(path)), 'w', **profile) as dst:
            for b in range(1, src.count + 1):
                reproject(rasterio.band(src, b), rasterio.band(dst, b), src_transform=src.transform, src_crs=src.crs,
                          dst_transform=transform, dst_crs=dst_crs, resampling=Resampling.nearest, num_threads=threads)
`;

const CHIP_PY = `
import sys, os, glob, rasterio
from rasterio.windows import Window
src_dir, out_dir, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(out_dir, exist_ok=True)
for path in sorted(glob.glob(os.path.join(src_dir, '*.tif'))):
    name = os.path.splitext(os.path.basename(path))[0]
    with rasterio.open(path) as src:
        for row in range(src.height // size):
            for col in range(src.width // size):
                w = Window(col * size, row * size, size, size)
                data = src.read(window=w)
                profile = src.profile.copy()
                profile.update(width=size, height=size, transform=src.window_transform(w), compress='deflate', tiled=False)
                with rasterio.open(os.path.join(out_dir, f'{name}_r{row}_c{col}.tif'), 'w', **profile) as dst:
                    dst.write(data)
`;

const RASTERIZE_PY = `
import sys, os, glob, json, rasterio
from rasterio.features import rasterize
labels, chip_dir, out_dir = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(out_dir, exist_ok=True)
feats = json.load(open(labels))['features']
feats.sort(key=lambda f: f['properties']['class'])
shapes = [(f['geometry'], f['properties']['class']) for f in feats]
for path in sorted(glob.glob(os.path.join(chip_dir, '*.tif'))):
    with rasterio.open(path) as chip:
        mask = rasterize(shapes, out_shape=(chip.height, chip.width), transform=chip.transform, fill=0, dtype='uint8')
        profile = dict(driver='GTiff', width=chip.width, height=chip.height, count=1, dtype='uint8', crs=chip.crs,
                       transform=chip.transform, compress='deflate', tiled=True)
        with rasterio.open(os.path.join(out_dir, os.path.basename(path)), 'w', **profile) as dst:
            dst.write(mask, 1)
`;

const work = join(tmpdir(), `geodvc-bench-geo-native-${SIZE}x${SCENES}`);
mkdirSync(work, { recursive: true });
const scenes = join(work, 'scenes');
if (!existsSync(join(scenes, `scene${SCENES - 1}.tif`))) {
  process.stdout.write(`generating ${SCENES} scenes of ${SIZE}x${SIZE}x4 UInt16 in ${work} ...\n`);
  mkdirSync(scenes, { recursive: true });
  makeScene(join(scenes, 'scene0.tif'), SIZE, 4);
  for (let i = 1; i < SCENES; i++) copyFileSync(join(scenes, 'scene0.tif'), join(scenes, `scene${i}.tif`));
}
const scripts = { reproject: join(work, 'reproject.py'), chip: join(work, 'chip.py'), rasterize: join(work, 'rasterize.py') };
writeFileSync(scripts.reproject, REPROJECT_PY);
writeFileSync(scripts.chip, CHIP_PY);
writeFileSync(scripts.rasterize, RASTERIZE_PY);

// 300 polygons over the scenes' footprint, in the output CRS (EPSG:32633)
const labels = join(work, 'labels.geojson');
{
  const probe = join(work, 'probe');
  rmSync(probe, { recursive: true, force: true });
  const r = JSON.parse(timed(process.execPath, [BIN, 'geo', 'reproject', '--input', join(scenes, 'scene0.tif'), '--output', probe, '--crs', 'EPSG:32633', '--res', '10', '--format', 'GTiff', '--json', '-q']).stdout);
  const [x0, , , y0] = r.files[0].geoTransform as [number, number, number, number, number, number]; // GDAL's 6-term geotransform
  const w = r.files[0].width * 10, h = r.files[0].height * 10;
  let s = 42;
  const rnd = () => { s = (s * 16807) % 2147483647; return s / 2147483647; };
  const features = [];
  for (let i = 0; i < POLYGONS; i++) {
    const x = x0 + rnd() * w * 0.95, y = y0 - rnd() * h * 0.95, a = 50 + rnd() * 400, b = 50 + rnd() * 400;
    const ring = [[x, y], [x + a, y - b * 0.2], [x + a * 0.8, y - b], [x - a * 0.1, y - b * 0.7], [x, y]];
    features.push({ type: 'Feature', properties: { class: 1 + (i % 5) }, geometry: { type: 'Polygon', coordinates: [ring] } });
  }
  writeFileSync(labels, JSON.stringify({ type: 'FeatureCollection', crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::32633' } }, features }));
  rmSync(probe, { recursive: true, force: true });
}

process.stdout.write(`${SCENES} scenes ${SIZE}x${SIZE}x4 UInt16 EPSG:32632 -> EPSG:32633 at 10 m, ${CHIP} px chips, ${POLYGONS} polygons; ${RUNS} interleaved runs; engine ${nativeEngineName()}; ${cores} cores\n\n`);

const only = new Set((process.env.BENCH_ONLY ?? 'reproject,chip,rasterize,repro').split(',').map((x) => x.trim()));
interface Row { label: string; wall: number[]; cpu: number[]; rss: number }
const row = (label: string): Row => ({ label, wall: [], cpu: [], rss: 0 });
const add = (r: Row, t: Timed) => { r.wall.push(t.wall); r.cpu.push(t.cpu); r.rss = Math.max(r.rss, t.rssMiB); };
const fresh = (p: string) => { rmSync(p, { recursive: true, force: true }); return p; };

const rows = {
  reprojectGtiff: row('geodvc geo reproject --format GTiff'),
  reprojectCog: row('geodvc geo reproject (COG, default)'),
  reprojectPy: row(`rasterio reproject script (num_threads=${cores})`),
  chip: row('geodvc geo chip (native GDAL)'),
  chipOwn: row('geodvc geo chip (own TIFF reader)'),
  chipPy: row('rasterio chip script'),
  rasterize: row('geodvc geo rasterize'),
  rasterizePy: row('rasterio rasterize script'),
  repro: row('geodvc repro (cold, 3 built-in geo stages)'),
  reproPy: row('rasterio scripts in sequence'),
  noop: row('geodvc repro (no-op)'),
};
let chips = 0;
const reproj = join(work, 'reproj'), reprojPy = join(work, 'reproj-py'), reprojCog = join(work, 'reproj-cog');
const chipDir = join(work, 'chips'), chipPy = join(work, 'chips-py'), chipOwn = join(work, 'chips-own');
const masks = join(work, 'masks'), masksPy = join(work, 'masks-py');
const reprojectOurs = () => timed(process.execPath, [BIN, 'geo', 'reproject', '--input', scenes, '--output', fresh(reproj), '--crs', 'EPSG:32633', '--res', '10', '--format', 'GTiff', '-q']);
const reprojectPy = () => timed(PY, [scripts.reproject, scenes, fresh(reprojPy), 'EPSG:32633', '10', String(cores)]);
const chipOurs = () => timed(process.execPath, [BIN, 'geo', 'chip', '--input', reproj, '--output', fresh(chipDir), '--size', String(CHIP), '--edge', 'drop', '-q']);
const chipPyRun = () => timed(PY, [scripts.chip, reprojPy, fresh(chipPy), String(CHIP)]);
// stages before the timed ones, once, to make their inputs
if (!only.has('reproject') && (only.has('chip') || only.has('rasterize'))) { reprojectOurs(); reprojectPy(); }
if (!only.has('chip') && only.has('rasterize')) { chipOurs(); chipPyRun(); }
for (let i = 0; i < RUNS; i++) {
  if (only.has('reproject')) {
    add(rows.reprojectGtiff, reprojectOurs());
    add(rows.reprojectPy, reprojectPy());
    add(rows.reprojectCog, timed(process.execPath, [BIN, 'geo', 'reproject', '--input', scenes, '--output', fresh(reprojCog), '--crs', 'EPSG:32633', '--res', '10', '-q']));
  }
  if (only.has('chip')) {
    add(rows.chip, chipOurs());
    add(rows.chipPy, chipPyRun());
    add(rows.chipOwn, timed(process.execPath, [BIN, 'geo', 'chip', '--input', reproj, '--output', fresh(chipOwn), '--size', String(CHIP), '--edge', 'drop', '-q'], { GEODVC_GDAL_ENGINE: 'wasm' }));
  }
  if (existsSync(chipDir)) chips = readdirSync(chipDir).filter((f) => f.endsWith('.tif')).length;
  if (only.has('rasterize')) {
    add(rows.rasterize, timed(process.execPath, [BIN, 'geo', 'rasterize', '--annotations', labels, '--grid', chipDir, '--output', fresh(masks), '--class-field', 'class', '-q']));
    add(rows.rasterizePy, timed(PY, [scripts.rasterize, labels, chipPy, fresh(masksPy)]));
  }
}

// the seed pipeline as a dvc.yaml of built-in stage commands (`geodvc` on PATH for the stages)
const DVC_NOOP_LOWER_BOUND = 1.46;
if (only.has('repro')) {
  const binDir = join(work, 'bin');
  mkdirSync(binDir, { recursive: true });
  writeFileSync(join(binDir, 'geodvc'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(join(binDir, 'geodvc'), 0o755);
  const env = { PATH: `${binDir}:${process.env.PATH}` };
  const template = join(work, 'repo-template');
  if (!existsSync(join(template, 'dvc.yaml'))) {
    rmSync(template, { recursive: true, force: true });
    mkdirSync(join(template, 'data'), { recursive: true });
    cpSync(scenes, join(template, 'data', 'scenes'), { recursive: true });
    copyFileSync(labels, join(template, 'labels.geojson'));
    spawnSync('git', ['init', '-q'], { cwd: template });
    const init = spawnSync(process.execPath, [BIN, 'init', '-q'], { cwd: template, encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`geodvc init failed: ${init.stderr}`);
    writeFileSync(join(template, 'dvc.yaml'), [
      'stages:',
      '  normalize_crs:',
      '    cmd: geodvc geo reproject --input data/scenes --output data/normalized --crs EPSG:32633 --res 10 --format GTiff -q',
      '    deps: [data/scenes]',
      '    outs: [data/normalized]',
      '  generate_chips:',
      `    cmd: geodvc geo chip --input data/normalized --output data/chips --size ${CHIP} --edge drop -q`,
      '    deps: [data/normalized]',
      '    outs: [data/chips]',
      '  export_labels:',
      '    cmd: geodvc geo rasterize --annotations labels.geojson --grid data/chips --output data/masks --class-field class -q',
      '    deps: [labels.geojson, data/chips]',
      '    outs: [data/masks]',
      '',
    ].join('\n'));
  }
  const repo = join(work, 'repo');
  const pyOut = join(work, 'seq-py');
  for (let i = 0; i < RUNS; i++) {
    fresh(repo);
    cpSync(template, repo, { recursive: true });
    add(rows.repro, timed(process.execPath, [BIN, 'repro', '-q'], env, repo));
    fresh(pyOut);
    add(rows.reproPy, timed('/bin/sh', ['-c', `"${PY}" "${scripts.reproject}" "${scenes}" "${pyOut}/reproj" EPSG:32633 10 ${cores} && "${PY}" "${scripts.chip}" "${pyOut}/reproj" "${pyOut}/chips" ${CHIP} && "${PY}" "${scripts.rasterize}" "${labels}" "${pyOut}/chips" "${pyOut}/masks"`]));
  }
  for (let i = 0; i < Math.max(RUNS, 5); i++) {
    const t = timed(process.execPath, [BIN, 'repro', '-q'], env, repo);
    add(rows.noop, t);
  }
}

const line = (r: Row) => [r.label, fmt(median(r.wall), 2), fmt(median(r.cpu), 2), r.rss.toFixed(0)];
const ratio = (a: Row, b: Row) => ['ratio geodvc / rasterio', fmt(median(a.wall) / median(b.wall), 2), fmt(median(a.cpu) / median(b.cpu), 2), ''];
const timedRows: string[][] = [];
if (only.has('reproject')) timedRows.push(line(rows.reprojectGtiff), line(rows.reprojectPy), ratio(rows.reprojectGtiff, rows.reprojectPy), line(rows.reprojectCog));
if (only.has('chip')) timedRows.push(line(rows.chip), line(rows.chipPy), ratio(rows.chip, rows.chipPy), line(rows.chipOwn), ratio(rows.chipOwn, rows.chipPy));
if (only.has('rasterize')) timedRows.push(line(rows.rasterize), line(rows.rasterizePy), ratio(rows.rasterize, rows.rasterizePy));
if (only.has('repro')) {
  timedRows.push(line(rows.repro), line(rows.reproPy), ratio(rows.repro, rows.reproPy), line(rows.noop),
    [`ratio no-op repro / DVC (${DVC_NOOP_LOWER_BOUND} s: recorded lower bound, NOT run here)`, fmt(median(rows.noop.wall) / DVC_NOOP_LOWER_BOUND, 2), '', '']);
}
process.stdout.write(table(['stage', 'median wall s', 'median CPU s', 'peak RSS MiB'], timedRows) + '\n\n');
const ourRows = [rows.reprojectGtiff, rows.chip, rows.rasterize], peerRows = [rows.reprojectPy, rows.chipPy, rows.rasterizePy];
if (ourRows.every((r) => r.wall.length)) {
  const sum = (rs: Row[]) => rs.reduce((n, r) => n + median(r.wall), 0);
  const ours = sum(ourRows), peer = sum(peerRows);
  process.stdout.write(`pipeline (sum of stage medians, ${chips} chips): geodvc ${fmt(ours, 2)} s, rasterio scripts ${fmt(peer, 2)} s, ratio ${fmt(ours / peer, 2)} (target <= 1.0, stretch 0.6)\n`);
}
if (only.has('repro')) {
  process.stdout.write(`cold repro: geodvc ${fmt(median(rows.repro.wall), 2)} s vs rasterio scripts in sequence ${fmt(median(rows.reproPy.wall), 2)} s, ratio ${fmt(median(rows.repro.wall) / median(rows.reproPy.wall), 2)} (target <= 1.0, stretch 0.6; geodvc also hashes the outputs into its cache and writes dvc.lock)\n`);
  process.stdout.write(`no-op repro: geodvc ${fmt(median(rows.noop.wall), 2)} s vs DVC >= ${DVC_NOOP_LOWER_BOUND} s, ratio <= ${fmt(median(rows.noop.wall) / DVC_NOOP_LOWER_BOUND, 2)} (target <= 0.5). The DVC figure is a recorded lower bound (issue 19: \`dvc status\` of a 20-file repository, 1.46-1.52 s on this machine), not run here: DVC cannot be installed on this machine.\n`);
}
const rss = Math.max(...ourRows.map((r) => r.rss), rows.reprojectCog.rss, rows.repro.rss);
process.stdout.write(`peak RSS: geodvc ${rss.toFixed(0)} MiB (largest process of each command's tree; target <= 1536)\n`);
