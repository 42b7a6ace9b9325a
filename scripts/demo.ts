/**
 * `npm run demo`: walks the seed workflow end to end on a scratch repository with an embedded local
 * remote, printing every command as a person would type it, then its output. Data comes from
 * ../shared/corpus when present (real rasters nobody here wrote) and is generated otherwise.
 *
 *   DEMO_DIR=/some/dir npm run demo   # keep the repository somewhere specific (default: a temp dir)
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { encodeTiff, T } from '../src/geo/ops/tiff-writer.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'geodvc.js');
const corpus = process.env.GEODVC_CORPUS ?? join(root, '..', 'shared', 'corpus');
const work = process.env.DEMO_DIR ?? mkdtempSync(join(tmpdir(), 'geodvc-demo-'));
const repo = join(work, 'project');
const remote = join(work, 'remote-storage');
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);

let stepNo = 0;
function section(title: string, why: string): void {
  stepNo++;
  process.stdout.write(`\n${bold(`${stepNo}. ${title}`)}\n${dim(why)}\n`);
}

/** Runs a shell-free command in the repo, echoing it as typed; throws when the exit code is unexpected. */
function run(cmd: string, args: string[], opts: { expect?: number; cwd?: string; show?: boolean } = {}): string {
  const shown = [cmd, ...args.map((a) => (/[\s"'$]/.test(a) ? `'${a}'` : a))].join(' ');
  process.stdout.write(`$ ${shown}\n`);
  // stderr (progress, notes) is merged into stdout in order, as a terminal would show it.
  const exe = cmd === 'geodvc' ? process.execPath : cmd;
  const argv = cmd === 'geodvc' ? [bin, ...args] : args;
  const r = spawnSync('/bin/sh', ['-c', 'exec "$0" "$@" 2>&1', exe, ...argv], { cwd: opts.cwd ?? repo, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', GIT_AUTHOR_NAME: 'demo', GIT_AUTHOR_EMAIL: 'demo@geodvc.local', GIT_COMMITTER_NAME: 'demo', GIT_COMMITTER_EMAIL: 'demo@geodvc.local' }, maxBuffer: 1 << 26 });
  const out = (r.stdout ?? '').trimEnd();
  if (out && opts.show !== false) process.stdout.write(out.split('\n').map((l) => `  ${l}`).join('\n') + '\n');
  const expect = opts.expect ?? 0;
  if (r.status !== expect) throw new Error(`demo step failed: \`${shown}\` exited ${r.status} (expected ${expect})`);
  return r.stdout ?? '';
}

function md5(path: string): string { return createHash('md5').update(readFileSync(path)).digest('hex'); }

/**
 * Without the corpus (a fresh machine), a synthetic Landsat-like band stands in for sr_b4: the same
 * grid (149x112 px of 30 m in NAD83 / UTM 12N), UInt16 reflectance-like values, nodata 0.
 */
function writeSyntheticScene(path: string): void {
  const w = 149, h = 112;
  const px = Buffer.alloc(w * h * 2);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const v = 6000 + 2500 * Math.sin(x / 9) * Math.cos(y / 7) + 15 * ((x * 7 + y * 13) % 37);
    px.writeUInt16LE(Math.max(1, Math.round(v)), 2 * (y * w + x));
  }
  const tif = encodeTiff({
    littleEndian: true, width: w, height: h, tiled: false, blockW: w, blockH: h, blocks: [px],
    tags: [
      { tag: 258, type: T.SHORT, values: [16] }, { tag: 259, type: T.SHORT, values: [1] },
      { tag: 262, type: T.SHORT, values: [1] }, { tag: 277, type: T.SHORT, values: [1] },
      { tag: 284, type: T.SHORT, values: [1] }, { tag: 339, type: T.SHORT, values: [1] },
      { tag: 33550, type: T.DOUBLE, values: [30, 30, 0] },
      { tag: 33922, type: T.DOUBLE, values: [0, 0, 0, 323400.85, 5105175.78, 0] },
      { tag: 34735, type: T.SHORT, values: [1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 26912] },
      { tag: 42113, type: T.ASCII, values: '0' },
    ],
  });
  writeFileSync(path, tif);
}

function labelsGeoJson(shiftEast = 0, round = false): string {
  // Three labelled fields inside the scene footprint (NAD83 / UTM 12N, like the imagery), with the
  // legacy GeoJSON `crs` member that labelling tools still write.
  const q = (v: number) => (round ? Math.round(v * 10) / 10 : v);
  const box = (x: number, y: number, w: number, h: number) => [[[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]].map(([a, b]) => [q(a!), q(b!)])];
  const f = (id: number, cls: number, ring: number[][][]) => ({ type: 'Feature', properties: { id, class: cls }, geometry: { type: 'Polygon', coordinates: ring } });
  const feats = [
    f(1, 1, box(323700.123, 5102300.456, 900, 600)),
    f(2, 2, box(325100.321, 5103200.654, 1200, 900)),
    f(3, 1, box(326400.789, 5101990.987, 700, 1000)),
  ];
  const moved = feats[1]?.geometry.coordinates[0]?.[1]; // second field, its south-east corner
  if (moved?.[0] === undefined) throw new Error('demo labels: field 2 has no south-east corner');
  moved[0] += shiftEast;
  return JSON.stringify({ type: 'FeatureCollection', crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::26912' } }, features: feats }, null, 1) + '\n';
}

const DVC_YAML = `stages:
  normalize_crs:
    cmd: geodvc geo reproject --input data/raw --output data/processed/normalized --crs \${crs_target} --res 30 --tap
    deps:
    - data/raw
    params:
    - crs_target
    outs:
    - data/processed/normalized
  generate_chips:
    cmd: geodvc geo chip --input data/processed/normalized --output data/processed/chips --size \${tile_size} --overlap \${overlap} --edge pad
    deps:
    - data/processed/normalized
    params:
    - tile_size
    - overlap
    outs:
    - data/processed/chips
  export_labels:
    cmd: geodvc geo rasterize --annotations data/labels --grid data/processed/chips --output data/processed/masks --class-field class
    deps:
    - data/labels/fields.geojson
    - data/processed/chips
    outs:
    - data/processed/masks
    meta:
      geodvc:
        dep-kinds:
          data/labels/fields.geojson: annotations@0.5m
`;

async function main(): Promise<void> {
  rmSync(repo, { recursive: true, force: true });
  rmSync(remote, { recursive: true, force: true });
  mkdirSync(join(repo, 'data', 'raw'), { recursive: true });
  // Pipeline commands call `geodvc`: put this checkout's CLI first on PATH for them.
  const shim = join(work, 'bin');
  mkdirSync(shim, { recursive: true });
  writeFileSync(join(shim, 'geodvc'), `#!/bin/sh\nexec "${process.execPath}" "${bin}" "$@"\n`, { mode: 0o755 });
  process.env.PATH = `${shim}:${process.env.PATH}`;
  process.stdout.write(`${bold('geodvc demo')}: data version control for geospatial training data\nworking in ${work}\n`);

  section('Start a repository', 'geodvc lives next to git: code in git, data in a content-addressed cache.');
  run('git', ['init', '-q', '-b', 'main']);
  run('geodvc', ['init']);
  run('git', ['commit', '-qm', 'Initialize geodvc']);

  section('Configure the remote as the seed does', "An embedded local directory stands in for s3://…; the options are the seed's.");
  run('geodvc', ['remote', 'add', '-d', 'geospatial-remote', remote]);
  run('geodvc', ['remote', 'modify', 'geospatial-remote', 'upload_concurrency', '10']);
  run('geodvc', ['remote', 'modify', 'geospatial-remote', 'download_concurrency', '10']);
  run('geodvc', ['remote', 'modify', 'geospatial-remote', 'checksum', 'xxhash']);
  run('cat', ['.dvc/config']);

  section('Raw imagery arrives in three CRSs', 'A Landsat band (NAD83 / UTM 12N) from the corpus, and the same scene delivered by two other providers in WGS 84 / UTM 12N and in lon/lat.');
  let scene = join(corpus, 'sr_b4_20200829.tif');
  if (!existsSync(scene)) {
    scene = join(work, 'sr_b4_20200829.tif');
    writeSyntheticScene(scene);
    process.stdout.write(dim(`(no corpus at ${corpus}: using a generated scene on the same grid)\n`));
  }
  cpSync(scene, join(repo, 'data', 'raw', 'provider_a_utm12n_nad83.tif'));
  run('chmod', ['u+w', 'data/raw/provider_a_utm12n_nad83.tif']);
  const staging = join(work, 'staging');
  rmSync(staging, { recursive: true, force: true });
  run('geodvc', ['geo', 'reproject', '--input', scene, '--output', join(staging, 'b'), '--crs', 'EPSG:32612', '--res', '30', '-q']);
  run('geodvc', ['geo', 'reproject', '--input', scene, '--output', join(staging, 'c'), '--crs', 'EPSG:4326', '--res', '0.0003', '-q']);
  cpSync(join(staging, 'b', 'sr_b4_20200829.tif'), join(repo, 'data', 'raw', 'provider_b_utm12n_wgs84.tif'));
  cpSync(join(staging, 'c', 'sr_b4_20200829.tif'), join(repo, 'data', 'raw', 'provider_c_lonlat.tif'));
  mkdirSync(join(repo, 'data', 'labels'), { recursive: true });
  writeFileSync(join(repo, 'data', 'labels', 'fields.geojson'), labelsGeoJson());

  section('Track the raw data', 'Rasters go to the cache and a small .dvc file goes to git; geodvc records CRS, grid and bands on the way.');
  run('geodvc', ['add', 'data/raw']);
  run('cat', ['data/raw.dvc']);
  run('geodvc', ['geo', 'info', 'data/raw/provider_c_lonlat.tif']);
  run('git', ['add', 'data/raw.dvc', 'data/.gitignore', '.dvc/config', 'data/labels/fields.geojson']);
  run('git', ['commit', '-qm', 'Track raw imagery and labels']);

  section('The alignment gate catches the mixed CRSs', 'geo validate names every raster off the target CRS/grid, with the numbers; exit code 1 stops a commit hook or CI.');
  run('geodvc', ['config', 'geo.crs', 'EPSG:32612']);
  run('geodvc', ['geo', 'validate', 'data/raw'], { expect: 1 });
  run('geodvc', ['geo', 'check', 'data/raw']);

  section('The three-stage pipeline with built-in commands', 'normalize_crs -> generate_chips -> export_labels, parameters in params.yaml.');
  writeFileSync(join(repo, 'params.yaml'), 'tile_size: 64\noverlap: 0\ncrs_target: EPSG:32612\n');
  writeFileSync(join(repo, 'dvc.yaml'), DVC_YAML);
  run('cat', ['dvc.yaml']);
  run('geodvc', ['dag']);
  run('geodvc', ['repro']);
  run('geodvc', ['geo', 'validate', 'data/processed/normalized']);
  run('git', ['add', '-A']);
  run('git', ['commit', '-qm', 'Pipeline: normalize, chip, rasterize labels']);
  run('geodvc', ['repro'], {});

  section('Push everything to the remote', 'Only objects the remote lacks move; every byte is verified on the way back.');
  run('geodvc', ['push']);
  run('geodvc', ['status', '-c']);

  section('Experiment with the tile size', 'exp run -S changes a parameter, reruns only what depends on it, and keeps the result under refs/exps.');
  run('geodvc', ['exp', 'run', '-S', 'tile_size=32', '--name', 'tiles-32']);
  run('geodvc', ['exp', 'show']);
  run('git', ['checkout', '--', 'params.yaml']);
  run('geodvc', ['repro']);

  section('A labelling tool rewrites the annotations', 'Rounding coordinates to 10 cm changes every byte but no label: the diff says so and the stage is skipped.');
  writeFileSync(join(repo, 'data', 'labels', 'fields.geojson'), labelsGeoJson(0, true));
  run('geodvc', ['geo', 'diff', '--tolerance', '0.5m', 'data/labels/fields.geojson']);
  run('geodvc', ['repro']);
  section('A real label edit', 'Moving one field boundary by 5 m is semantic: the diff names the feature and the label stage reruns.');
  writeFileSync(join(repo, 'data', 'labels', 'fields.geojson'), labelsGeoJson(5, true));
  run('geodvc', ['geo', 'diff', '--tolerance', '0.5m', 'data/labels/fields.geojson']);
  run('geodvc', ['repro']);
  run('git', ['add', '-A']);
  run('git', ['commit', '-qm', 'Move the east boundary of field 2']);
  run('geodvc', ['push']);

  section('Corruption in the cache, found and repaired', 'A failing disk flips a byte in a cached raster; fsck finds it, names who uses it and fetches a good copy.');
  const cacheFiles = join(repo, '.dvc', 'cache', 'files', 'xxh128');
  const objects: string[] = [];
  for (const d of readdirSync(cacheFiles)) for (const f of readdirSync(join(cacheFiles, d))) if (!f.endsWith('.dir')) objects.push(join(cacheFiles, d, f));
  const victimObj = objects.sort()[0]!;
  run('chmod', ['u+w', victimObj]);
  const bytes = readFileSync(victimObj);
  const mid = bytes.length >> 1;
  bytes.writeUInt8(bytes.readUInt8(mid) ^ 0xff, mid);
  writeFileSync(victimObj, bytes);
  run('geodvc', ['fsck'], { expect: 1 });
  run('geodvc', ['fsck', '--repair']);
  run('geodvc', ['fsck']);

  section('Roll back the raw data to its first version', 'git brings back the old .dvc file; geodvc checkout brings back its bytes.');
  const rawFile = join(repo, 'data', 'raw', 'provider_a_utm12n_nad83.tif');
  const before = md5(rawFile);
  run('chmod', ['u+w', rawFile]);
  appendFileSync(rawFile, Buffer.from('bytes appended by a careless script'));
  run('geodvc', ['status']);
  run('geodvc', ['commit', '-f']);
  run('git', ['commit', '-qam', 'Raw imagery, damaged']);
  run('geodvc', ['history', 'data/raw']);
  run('git', ['checkout', 'HEAD~1', '--', 'data/raw.dvc']);
  run('geodvc', ['checkout', 'data/raw.dvc']);
  const after = md5(rawFile);
  process.stdout.write(`  md5 of provider_a_utm12n_nad83.tif before the damage ${before}, after rollback ${after}: ${before === after ? 'identical' : 'DIFFERENT'}\n`);
  if (before !== after) throw new Error('rollback did not restore the file');
  run('git', ['commit', '-qam', 'Roll back raw imagery']);

  section('Clean the cache', 'gc -w keeps what the workspace uses and removes the rest, as DVC (--all-experiments and --keep-run-cache keep more).');
  run('geodvc', ['gc', '-w', '--dry']);
  run('geodvc', ['gc', '-w', '-f']);
  run('geodvc', ['status']);

  if (hasCommand(['geo', 'stac'])) {
    section('Publish the dataset as STAC', 'A STAC catalog with one item per raster, footprints in WGS 84, projection and file checksums.');
    run('geodvc', ['geo', 'stac', 'data/raw', '--output', join(work, 'stac')]);
  }

  process.stdout.write(`\n${bold('Done.')} The repository is in ${repo}\n`);
  if (hasCommand(['ui'])) process.stdout.write(`Look at it on a map:  cd ${repo} && ${bin} ui\n`);
}

function hasCommand(path: string[]): boolean {
  const r = spawnSync(process.execPath, [bin, ...path, '--help'], { encoding: 'utf8' });
  return r.status === 0;
}

main().catch((err) => {
  process.stderr.write(`\n${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
