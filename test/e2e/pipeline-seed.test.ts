/**
 * The seed's three-stage pipeline (normalize_crs -> generate_chips -> export_labels, params
 * tile_size/overlap/crs_target) with small shell stand-ins, driven through the CLI: repro, no-op
 * repro, a tile_size change, experiments (run, queue, show, diff, apply, branch, remove).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { cliOk, runCli } from '../helpers/cli.js';
import { makeTmpDir, gitInit, git, writeTree } from '../helpers/tmp.js';

const DVC_YAML = `stages:
  normalize_crs:
    cmd: sh scripts/normalize_crs.sh data/raw data/normalized \${crs_target}
    deps:
    - data/raw
    - scripts/normalize_crs.sh
    params:
    - crs_target
    outs:
    - data/normalized
  generate_chips:
    cmd: sh scripts/chip_generator.sh data/normalized data/chips \${tile_size} \${overlap}
    deps:
    - data/normalized
    - scripts/chip_generator.sh
    params:
    - tile_size
    - overlap
    outs:
    - data/chips
  export_labels:
    cmd: sh scripts/label_exporter.sh data/chips data/labels data/training
    deps:
    - data/chips
    - data/labels
    - scripts/label_exporter.sh
    outs:
    - data/training
    metrics:
    - metrics.json:
        cache: false
`;

function setup(): { dir: string; cleanup: () => void } {
  const t = makeTmpDir('geodvc-pl-seed-');
  gitInit(t.dir);
  writeTree(t.dir, {
    'dvc.yaml': DVC_YAML,
    'params.yaml': '# tiling\ntile_size: 512\noverlap: 64\ncrs_target: EPSG:32633\n',
    'data/raw/scene_a.tif': 'AAAA', 'data/raw/scene_b.tif': 'BBBB',
    'data/labels/labels.geojson': '{"type":"FeatureCollection","features":[]}',
    'scripts/normalize_crs.sh': 'mkdir -p "$2"; for f in "$1"/*; do { cat "$f"; echo " $3"; } > "$2/$(basename "$f")"; done\n',
    'scripts/chip_generator.sh': 'mkdir -p "$2"; for f in "$1"/*; do echo "chips of $(basename "$f") size=$3 overlap=$4" > "$2/$(basename "$f").chips"; done\n',
    'scripts/label_exporter.sh': 'mkdir -p "$3"; cat "$1"/* "$2"/* > "$3/train.txt"; n=$(ls "$1" | wc -l); printf \'{"chips": %s, "size": %s}\' "$n" "$(wc -c < "$3/train.txt")" > metrics.json\n',
  });
  return t;
}

test('seed pipeline: repro, no-op, tile_size change reruns only chips and dependents', async () => {
  const { dir, cleanup } = setup();
  try {
    await cliOk(['init'], { cwd: dir });
    const r1 = await cliOk(['repro'], { cwd: dir });
    for (const s of ['normalize_crs', 'generate_chips', 'export_labels']) assert.match(r1.stdout, new RegExp(`Running stage '${s}'`));
    assert.ok(existsSync(join(dir, 'data/training/train.txt')));
    const lock1 = readFileSync(join(dir, 'dvc.lock'), 'utf8');
    assert.match(lock1, /tile_size: 512/);
    const r2 = await cliOk(['repro', '--json'], { cwd: dir });
    const j2 = JSON.parse(r2.stdout);
    assert.deepEqual(j2.ran, []);
    assert.deepEqual(j2.unchanged, ['normalize_crs', 'generate_chips', 'export_labels']);
    assert.equal(readFileSync(join(dir, 'dvc.lock'), 'utf8'), lock1);
    // dry run after a param change lists the chip stage and its dependent
    writeFileSync(join(dir, 'params.yaml'), readFileSync(join(dir, 'params.yaml'), 'utf8').replace('tile_size: 512', 'tile_size: 256'));
    const dry = JSON.parse((await cliOk(['repro', '--dry', '--json'], { cwd: dir })).stdout);
    assert.deepEqual(dry.wouldRun, ['generate_chips', 'export_labels']);
    const r3 = JSON.parse((await cliOk(['repro', '--json'], { cwd: dir })).stdout);
    assert.deepEqual(r3.ran, ['generate_chips', 'export_labels']);
    assert.deepEqual(r3.unchanged, ['normalize_crs']);
    assert.match(readFileSync(join(dir, 'data/chips/scene_a.tif.chips'), 'utf8'), /size=256/);
    // dag
    const dot = (await cliOk(['dag', '--dot'], { cwd: dir })).stdout;
    assert.match(dot, /"normalize_crs" -> "generate_chips";/);
    assert.match(dot, /"generate_chips" -> "export_labels";/);
    const mer = (await cliOk(['dag', '--mermaid'], { cwd: dir })).stdout;
    assert.match(mer, /^flowchart TD/);
  } finally { cleanup(); }
});

test('seed pipeline: exp run -S tile_size=256, exp show lists both, diff, apply, branch, remove', async () => {
  const { dir, cleanup } = setup();
  try {
    await cliOk(['init'], { cwd: dir });
    await cliOk(['repro'], { cwd: dir });
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'baseline');
    const head = git(dir, 'rev-parse', 'HEAD').trim();
    const run = JSON.parse((await cliOk(['exp', 'run', '-S', 'tile_size=256', '--name', 'tiles256', '--json'], { cwd: dir })).stdout);
    assert.equal(run.name, 'tiles256');
    assert.equal(run.ref, `refs/exps/${head.slice(0, 2)}/${head.slice(2)}/tiles256`);
    assert.deepEqual(run.ran, ['generate_chips', 'export_labels']);
    assert.equal(git(dir, 'rev-parse', run.ref).trim(), run.rev);
    assert.equal(git(dir, 'rev-parse', `${run.rev}^`).trim(), head);
    // the user's branch and index are untouched
    assert.equal(git(dir, 'rev-parse', 'HEAD').trim(), head);
    assert.match(readFileSync(join(dir, 'params.yaml'), 'utf8'), /^# tiling\ntile_size: 256/);
    const show = JSON.parse((await cliOk(['exp', 'show', '--json'], { cwd: dir })).stdout);
    // DVC 3's shape (golden 16): the baseline holds its experiments
    const main = show.find((r: any) => r.name === 'main');
    assert.equal(main.data.params['params.yaml'].data.tile_size, 512);
    const exp = main.experiments.find((e: any) => e.name === 'tiles256').revs[0];
    assert.equal(exp.data.params['params.yaml'].data.tile_size, 256);
    const csv = (await cliOk(['exp', 'show', '--csv'], { cwd: dir })).stdout;
    assert.match(csv, /^Experiment,rev,/);
    assert.match(csv, /\ntiles256,/);
    const diff = JSON.parse((await cliOk(['exp', 'diff', 'tiles256', '--json'], { cwd: dir })).stdout);
    assert.deepEqual(diff.params['params.yaml'].tile_size, { old: 512, new: 256, diff: -256 });
    // back to the baseline params, then apply the experiment
    git(dir, 'checkout', '--', 'params.yaml', 'dvc.lock', 'metrics.json');
    await cliOk(['repro'], { cwd: dir });
    assert.match(readFileSync(join(dir, 'data/chips/scene_a.tif.chips'), 'utf8'), /size=512/);
    await cliOk(['exp', 'apply', 'tiles256'], { cwd: dir });
    assert.match(readFileSync(join(dir, 'params.yaml'), 'utf8'), /tile_size: 256/);
    assert.match(readFileSync(join(dir, 'data/chips/scene_a.tif.chips'), 'utf8'), /size=256/);
    assert.deepEqual(JSON.parse((await cliOk(['repro', '--json'], { cwd: dir })).stdout).ran, []);
    git(dir, 'checkout', '--', 'params.yaml', 'dvc.lock', 'metrics.json');
    await cliOk(['exp', 'run', '-S', 'overlap=32', '-n', 'ov32', '-q'], { cwd: dir });
    git(dir, 'checkout', '--', 'params.yaml', 'dvc.lock', 'metrics.json');
    await cliOk(['exp', 'branch', 'ov32', 'overlap-32'], { cwd: dir });
    assert.match(git(dir, 'show', 'overlap-32:params.yaml'), /overlap: 32/);
    await cliOk(['exp', 'remove', 'tiles256'], { cwd: dir });
    assert.deepEqual(JSON.parse((await cliOk(['exp', 'list', '--json'], { cwd: dir })).stdout).map((e: any) => e.name), ['ov32']);
    // unknown param
    const bad = await runCli(['exp', 'run', '-S', 'tile_sise=1'], { cwd: dir });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /tile_sise/);
  } finally { cleanup(); }
});
