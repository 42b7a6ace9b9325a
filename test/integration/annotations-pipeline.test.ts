/**
 * A stage with an `annotations@0.5m` dep (dvc.yaml `meta.geodvc.dep-kinds`) reruns on semantic
 * label changes only. Real corpus labels (ynp_fires GeoPackage -> GeoJSON WGS 84 via ogr2ogr),
 * real `geodvc init` / `geodvc repro` processes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { makeTmpDir, gitInit, git } from '../helpers/tmp.js';
import { runCli, cliOk, CORPUS } from '../helpers/cli.js';

const hasOgr = spawnSync('ogr2ogr', ['--version']).status === 0;
const need = () => { if (!hasOgr && process.env.CI === 'true') throw new Error('ogr2ogr (gdal-bin) is required under CI'); return hasOgr; };

let dir = '';
let cleanup = () => {};
let original: any;
const FIRES = 'labels/fires.geojson';

const DVC_YAML = `stages:
  train:
    cmd: node -e "const fs=require('fs'); fs.writeFileSync('model.txt', String(JSON.parse(fs.readFileSync('${FIRES}','utf8')).features.length))"
    deps:
    - ${FIRES}
    outs:
    - model.txt
    meta:
      geodvc:
        dep-kinds:
          ${FIRES}: annotations@0.5m
`;

before(async () => {
  if (!need()) return;
  ({ dir, cleanup } = makeTmpDir('geodvc-anno-pipe-'));
  gitInit(dir);
  await cliOk(['init'], { cwd: dir });
  mkdirSync(join(dir, 'labels'));
  execFileSync('ogr2ogr', ['-t_srs', 'EPSG:4326', '-f', 'GeoJSON', join(dir, 'labels/raw.geojson'), join(CORPUS, 'ynp_fires_1984_2022.gpkg')]);
  original = JSON.parse(readFileSync(join(dir, 'labels/raw.geojson'), 'utf8'));
  execFileSync('rm', [join(dir, 'labels/raw.geojson')]);
  writeFileSync(join(dir, FIRES), JSON.stringify(original));
  writeFileSync(join(dir, 'dvc.yaml'), DVC_YAML);
  const r = await cliOk(['repro'], { cwd: dir });
  assert.match(r.stdout, /Running stage 'train'/);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'pipeline');
});
after(() => cleanup());

const clone = () => JSON.parse(JSON.stringify(original));
const mapCoords = (c: any, f: (v: number[]) => number[]): any => (typeof c[0] === 'number' ? f(c) : c.map((x: any) => mapCoords(x, f)));

function lockMd5(): string {
  const m = /path: labels\/fires\.geojson\n\s+hash: md5\n\s+md5: ([0-9a-f]{32})/.exec(readFileSync(join(dir, 'dvc.lock'), 'utf8'));
  assert.ok(m, 'dvc.lock has the dep');
  return m[1]!;
}

async function repro(): Promise<{ ran: boolean; stdout: string }> {
  const r = await runCli(['repro'], { cwd: dir });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return { ran: /Running stage 'train'/.test(r.stdout), stdout: r.stdout };
}

async function expectSkip(doc: unknown | string, what: string): Promise<void> {
  writeFileSync(join(dir, FIRES), typeof doc === 'string' ? doc : JSON.stringify(doc));
  const before = lockMd5();
  const r = await repro();
  assert.equal(r.ran, false, `${what}: the stage reran\n${r.stdout}`);
  assert.match(r.stdout, /without a semantic change|precision only/, r.stdout);
  assert.notEqual(lockMd5(), before, `${what}: the lock keeps the new md5`);
  const again = await repro();
  assert.equal(again.ran, false);
  assert.match(again.stdout, /didn't change|up to date/);
}

async function expectRun(doc: unknown, what: string): Promise<void> {
  writeFileSync(join(dir, FIRES), JSON.stringify(doc));
  const r = await repro();
  assert.equal(r.ran, true, `${what}: the stage did not rerun\n${r.stdout}`);
}

test('precision/format-only rewrites do not rerun the stage', async (t) => {
  if (!need()) return t.skip('ogr2ogr missing');
  try {
    const rounded = clone();
    for (const f of rounded.features) f.geometry.coordinates = mapCoords(f.geometry.coordinates, ([x, y]) => [Math.round(x! * 1e6) / 1e6, Math.round(y! * 1e6) / 1e6]);
    await expectSkip(rounded, '6-digit rounding');

    const reordered = clone();
    for (const f of reordered.features) f.geometry.coordinates = f.geometry.coordinates.map((p: number[][][]) => p.map((r) => [...r].reverse()));
    reordered.features.reverse();
    await expectSkip(reordered, 'reversed rings, shuffled features');

    writeFileSync(join(dir, FIRES), JSON.stringify(original));
    execFileSync('ogr2ogr', ['-f', 'GPKG', join(dir, 'rt.gpkg'), join(dir, FIRES)]);
    execFileSync('ogr2ogr', ['-f', 'GeoJSON', join(dir, 'rt.geojson'), join(dir, 'rt.gpkg')]);
    const back = readFileSync(join(dir, 'rt.geojson'), 'utf8');
    execFileSync('rm', [join(dir, 'rt.gpkg'), join(dir, 'rt.geojson')]);
    await expectSkip(back, 'GeoJSON -> GPKG -> GeoJSON');
  } finally { git(dir, 'checkout', '--', '.'); }
});

test('a 2 m vertex move, a deleted feature and a class change each rerun the stage', async (t) => {
  if (!need()) return t.skip('ogr2ogr missing');
  try {
    const moved = clone();
    const ring = moved.features[17].geometry.coordinates[0][0];
    ring[3] = [ring[3][0], ring[3][1] + 2 / 111132];
    await expectRun(moved, 'vertex moved 2 m');

    const deleted = clone();
    deleted.features.splice(40, 1);
    await expectRun(deleted, 'feature deleted');

    const cls = clone();
    cls.features[5].properties.incid_type = cls.features[5].properties.incid_type === 'Wildfire' ? 'Prescribed Fire' : 'Wildfire';
    await expectRun(cls, 'class changed');
    assert.equal((await repro()).ran, false);
  } finally { git(dir, 'checkout', '--', '.'); }
});
