/**
 * `geo chip` on every raster of the shared corpus (top level and formats/: GeoTIFF, VRT, JPEG 2000,
 * NetCDF, HDF5), native GDAL engine:
 * - every file GDAL reads (by its truth: gdalinfo opens it and every band's checksum is computed;
 *   without a truth file, `gdalinfo -checksum` is run) is chipped (32 px, stride 5000, padded
 *   edges: 1 to 25 chips a file), and its first and last chip equal `gdal_translate -srcwin` of the
 *   same window: size, geotransform, GCPs, CRS, band types, nodata, mask flags and every pixel;
 * - every file GDAL cannot decode (open fails, or a band's checksum fails) makes `geo chip` exit
 *   non-zero naming the file, with no chip left behind; containers without bands (NetCDF/HDF5
 *   with subdatasets) are refused naming the file and a subdataset.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CORPUS, REPO_ROOT, runCli } from '../helpers/cli.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { spawnSync } from 'node:child_process';
import { needNative, run } from './geo-ops-native.js';

const TRANSLATE_PY = `
import json, sys
from osgeo import gdal
gdal.UseExceptions()
for j in json.load(sys.stdin):
    gdal.Translate(j['dst'], j['src'], srcWin=j['win']).FlushCache()
`;
import { loadNativeGdal } from '../../src/geo/engine/native.js';
import { chip } from '../../src/geo/ops/chip.js';

interface Entry { file: string; path: string; kind: 'chip' | 'undecodable' | 'container'; width: number; height: number }

/** gdalinfo's view of a file: from the corpus truth when there is one, else from gdalinfo -checksum. */
function gdalView(path: string, truthPath: string): { failed: boolean; bands: { checksum?: number }[]; size?: [number, number] } {
  let j: any;
  if (existsSync(truthPath)) {
    j = JSON.parse(readFileSync(truthPath, 'utf8'));
    j = j.file ?? j;
  } else {
    try { j = JSON.parse(run('gdalinfo', ['-json', '-checksum', path])); } catch { return { failed: true, bands: [] }; }
  }
  if (j.gdalinfo_failed) return { failed: true, bands: [] };
  return { failed: false, bands: j.bands ?? [], size: j.size };
}

function corpusRasters(): Entry[] {
  const out: Entry[] = [];
  const add = (file: string, truthDir: string) => {
    const path = join(CORPUS, file);
    const v = gdalView(path, join(truthDir, `${basename(file)}.gdalinfo.json`));
    const [width, height] = v.size ?? [0, 0];
    const kind = v.failed || v.bands.some((b) => b.checksum === -1) ? 'undecodable' : v.bands.length ? 'chip' : 'container';
    out.push({ file, path, kind, width, height });
  };
  for (const f of JSON.parse(readFileSync(join(CORPUS, 'corpus.json'), 'utf8')).files) if (f.kind === 'raster') add(f.file, join(CORPUS, 'truth'));
  const formats = join(CORPUS, 'formats.json');
  if (existsSync(formats)) {
    for (const f of JSON.parse(readFileSync(formats, 'utf8')).files) if (f.kind === 'jp2' || f.kind === 'multidim') add(f.file, join(CORPUS, 'formats', 'truth'));
  }
  return out;
}

const sameBytes = (a: ArrayBufferView, b: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** Our chip vs GDAL's gdal_translate -srcwin of the same window, read back with GDAL. */
function compareWithGdal(gdal: any, ours: string, ref: string, label: string): void {
  const a = gdal.open(ours), b = gdal.open(ref);
  try {
    assert.deepEqual([a.rasterSize.x, a.rasterSize.y], [b.rasterSize.x, b.rasterSize.y], `${label}: size`);
    assert.deepEqual(a.geoTransform, b.geoTransform, `${label}: geotransform`);
    assert.equal(a.srs?.toWKT() ?? '', b.srs?.toWKT() ?? '', `${label}: CRS`);
    const gcps = (d: any) => d.getGCPs().map((g: any) => [g.dfGCPPixel, g.dfGCPLine, g.dfGCPX, g.dfGCPY]);
    assert.deepEqual(gcps(a), gcps(b), `${label}: GCPs`);
    assert.equal(a.bands.count(), b.bands.count(), `${label}: band count`);
    for (let i = 1; i <= a.bands.count(); i++) {
      const x = a.bands.get(i), y = b.bands.get(i);
      assert.equal(x.dataType, y.dataType, `${label}: band ${i} type`);
      assert.equal(x.noDataValue, y.noDataValue, `${label}: band ${i} nodata`);
      assert.equal(x.colorInterpretation, y.colorInterpretation, `${label}: band ${i} colour interpretation`);
      // per-band masks (flags 0) live only in a .msk sidecar in GDAL's chip; ours are single files
      // with internal (per-dataset) masks, so per-band masks are not carried (docs/geo-chip.md)
      if (y.getMaskFlags() !== 0) assert.equal(x.getMaskFlags(), y.getMaskFlags(), `${label}: band ${i} mask flags`);
      if (x.getMaskFlags() === 2) { // a per-dataset mask (stored inside our chip, in a .msk beside GDAL's)
        const w = a.rasterSize.x, h = a.rasterSize.y;
        assert.ok(sameBytes(x.getMaskBand().pixels.read(0, 0, w, h), y.getMaskBand().pixels.read(0, 0, w, h)), `${label}: band ${i} mask differs`);
      }
      if (/^C/.test(x.dataType)) {
        assert.equal(gdal.checksumImage(x), gdal.checksumImage(y), `${label}: band ${i} checksum`);
      } else {
        const w = a.rasterSize.x, h = a.rasterSize.y;
        assert.ok(sameBytes(x.pixels.read(0, 0, w, h), y.pixels.read(0, 0, w, h)), `${label}: band ${i} pixels differ`);
      }
    }
  } finally { a.close(); b.close(); }
}

test('geo chip: every corpus raster GDAL reads is chipped like gdal_translate -srcwin', async (t) => {
  if (!needNative(t)) return;
  const gdal = loadNativeGdal();
  const { dir, cleanup } = makeTmpDir('geo-corpus-chip-');
  t.after(cleanup);
  const entries = corpusRasters().filter((e) => e.kind === 'chip');
  assert.ok(entries.length >= 90, `corpus rasters GDAL reads: ${entries.length}`);
  const out = join(dir, 'chips');
  const t0 = performance.now();
  // the file name (extension included) is the chip stem: byte.tif and byte.vrt stay apart
  const r = await chip({ input: CORPUS, output: out, size: 32, stride: 5000, edge: 'pad', engine: 'native', inputs: entries.map((e) => ({ name: `${basename(e.file)}.src`, file: e.path })) });
  const bySource = new Map<string, typeof r.chips>();
  for (const c of r.chips) bySource.set(c.source, [...(bySource.get(c.source) ?? []), c]);
  const t1 = performance.now();
  const sample: { e: Entry; c: (typeof r.chips)[number] }[] = [];
  for (const e of entries) {
    const chips = bySource.get(`${basename(e.file)}.src`) ?? [];
    assert.ok(chips.length >= 1, `${e.file}: no chip`);
    for (const c of chips.length > 1 ? [chips[0]!, chips[chips.length - 1]!] : chips) sample.push({ e, c });
  }
  // GDAL's chips: gdal_translate -srcwin through Debian's GDAL in one process (python3-gdal, which
  // gdal-bin depends on: GDALTranslate, the function behind the gdal_translate CLI; a CLI process
  // per chip would cost 0.1 s of start-up each)
  const jobs = sample.map(({ e, c }) => ({ src: e.path, dst: join(dir, `ref-${c.chip}`), win: c.window }));
  const py = spawnSync('/usr/bin/python3', ['-c', TRANSLATE_PY], { input: JSON.stringify(jobs), encoding: 'utf8', env: { ...process.env, GDAL_PAM_ENABLED: 'NO' } });
  assert.equal(py.status, 0, `gdal.Translate: ${py.stderr}`);
  const t2 = performance.now();
  for (const { e, c } of sample) compareWithGdal(gdal, join(out, c.chip), join(dir, `ref-${c.chip}`), `${e.file} ${c.chip}`);
  const compared = sample.length;
  t.diagnostic(`geo chip ${((t1 - t0) / 1000).toFixed(1)} s, gdal.Translate ${((t2 - t1) / 1000).toFixed(1)} s, compare ${((performance.now() - t2) / 1000).toFixed(1)} s`);
  assert.deepEqual(readdirSync(out).filter((n) => n.startsWith('.')), [], 'no temp files left');
  t.diagnostic(`${entries.length} rasters, ${r.chips.length} chips, ${compared} compared with gdal_translate -srcwin`);
});

test('geo chip: every corpus file GDAL cannot decode fails naming the file, no chip written', async (t) => {
  if (!needNative(t)) return;
  const { dir, cleanup } = makeTmpDir('geo-corpus-chip-bad-');
  t.after(cleanup);
  const bad = corpusRasters().filter((e) => e.kind !== 'chip');
  assert.ok(bad.filter((e) => e.kind === 'undecodable').length >= 10, `undecodable corpus files: ${bad.length}`);
  for (const e of bad) {
    const out = join(dir, basename(e.file));
    // one chip covering the whole raster: every block is read
    const size = Math.max(1, e.width, e.height);
    await assert.rejects(chip({ input: e.path, output: out, size, edge: 'pad', engine: 'native', inputs: [{ name: basename(e.file), file: e.path }] }), (err: any) => {
      assert.ok(err.message.includes(basename(e.file)), `${e.file}: the error names the file: ${err.message}`);
      assert.ok(err.hint, `${e.file}: a hint`);
      if (e.kind === 'container') assert.match(err.message, /no raster bands.*subdataset/, e.file);
      return true;
    }, e.file);
    assert.deepEqual(existsSync(out) ? readdirSync(out).filter((n) => n.endsWith('.tif') || n.startsWith('.')) : [], [], `${e.file}: nothing left in the output folder`);
  }
  // the CLI: exit 1, the file and the block named on stderr
  const tiled = bad.find((e) => e.file === 'tiled_bad_offset.tif');
  if (tiled) {
    const r = await runCli(['geo', 'chip', '--input', tiled.path, '--output', join(dir, 'cli'), '--size', '8'], { cwd: REPO_ROOT });
    assert.equal(r.code, 1, r.stderr);
    // refused from the header (its tile 0 ends past the end of the file) or by GDAL's decoder
    assert.match(r.stderr, /tiled_bad_offset\.tif: (GDAL cannot decode block 0,0|IFD #0 tile 0: \d+ bytes at offset \d+ end at \d+, past the end of the file)/);
    assert.match(r.stderr, /hint:/);
  }
});
