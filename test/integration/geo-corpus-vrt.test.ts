/**
 * Issue 18, `geo vrt` on every corpus raster GDAL decodes (north-up, so gdalbuildvrt takes it; up to
 * 4 MP so checksums stay cheap), one VRT per raster built in-process by `buildVrtFile` (the CLI's
 * code path: native GDAL when installed), compared with gdalbuildvrt's VRT of the same file by one
 * python3-gdal process (GDAL's own bindings, the oracle): size, geotransform, CRS WKT, and per band
 * type, colour interpretation, colour table, mask flags, nodata and checksum. The special cases
 * (colour tables, alpha, EPSG:4326 axis order, CRSs without EPSG code, a warp from the VRT) and the
 * files GDAL cannot open are in geo-corpus-native-info.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { makeTmpDir } from '../helpers/tmp.js';
import { CORPUS } from '../helpers/cli.js';
import { needNative } from './geo-ops-native.js';
import { buildVrtFile } from '../../src/geo/ops/vrt.js';
import { verifyDecodable } from '../../src/geo/export/verify.js';

const COMPARE_PY = `
import sys, json
from osgeo import gdal
gdal.UseExceptions()
pairs = json.load(open(sys.argv[1]))
def desc(p):
    d = gdal.Open(p)
    bands = []
    for i in range(1, d.RasterCount + 1):
        b = d.GetRasterBand(i)
        ct = b.GetColorTable()
        bands.append([gdal.GetDataTypeName(b.DataType), gdal.GetColorInterpretationName(b.GetColorInterpretation()),
                      [ct.GetColorEntry(k) for k in range(ct.GetCount())] if ct else None, b.GetMaskFlags(),
                      None if b.GetNoDataValue() is None else repr(b.GetNoDataValue()), b.Checksum()])
    return {'size': [d.RasterXSize, d.RasterYSize], 'gt': list(d.GetGeoTransform()), 'wkt': d.GetProjectionRef(), 'bands': bands}
out = []
for name, ours, ref in pairs:
    gdal.BuildVRT(ref, [name])
    a, b = desc(ours), desc(ref)
    for k in ('size', 'wkt', 'bands'):
        if a[k] != b[k]: out.append('%s %s: ours %s gdalbuildvrt %s' % (name, k, json.dumps(a[k])[:300], json.dumps(b[k])[:300]))
    if any(abs(x - y) > 1e-9 * max(1, abs(x), abs(y)) for x, y in zip(a['gt'], b['gt'])): out.append('%s gt: ours %s gdalbuildvrt %s' % (name, a['gt'], b['gt']))
print(json.dumps({'compared': len(pairs), 'diffs': out}))
`;

test('geo vrt of every north-up corpus raster GDAL decodes = gdalbuildvrt (grid, CRS, bands, colours, masks, nodata, pixels)', async (t) => {
  if (!needNative(t)) return;
  const corpus = JSON.parse(readFileSync(join(CORPUS, 'corpus.json'), 'utf8'));
  const picked: string[] = corpus.files.filter((f: any) => f.kind === 'raster').map((f: any) => f.file).filter((file: string) => {
    const g = JSON.parse(readFileSync(join(CORPUS, 'truth', `${file}.gdalinfo.json`), 'utf8'));
    const gt = g.geoTransform;
    return Array.isArray(g.bands) && g.bands.every((b: any) => b.checksum !== -1) && gt && gt[2] === 0 && gt[4] === 0 && gt[5] < 0 && g.size[0] * g.size[1] <= 4_000_000;
  });
  assert.ok(picked.length >= 40, `only ${picked.length} corpus rasters picked`);
  const { dir, cleanup } = makeTmpDir();
  t.after(cleanup);
  // sources beside the VRTs, under their own names (VRTs in the corpus name theirs relative to them)
  for (const f of readdirSync(CORPUS)) if (/\.(tiff?|vrt|msk|ovr|img|jp2|nc|h5|hdf5?|png|jpe?g|asc|xyz|grd)$/i.test(f)) copyFileSync(join(CORPUS, f), join(dir, f));
  // geo vrt's decode check passes every raster GDAL decodes (no false alarm), all in one runner
  // child here; the VRTs are then built without it (the refusals: geo-undecodable-vrt.test.ts)
  const verified = await verifyDecodable(picked.map((file) => ({ path: join(dir, file) })));
  assert.equal(verified.files, picked.length);
  const pairs: [string, string, string][] = [];
  for (const file of picked) {
    const ours = join(dir, `ours_${file}.vrt`);
    await buildVrtFile({ output: ours, inputs: [join(dir, file)], verify: false });
    pairs.push([join(dir, file), ours, join(dir, `ref_${file}.vrt`)]);
  }
  writeFileSync(join(dir, 'pairs.json'), JSON.stringify(pairs));
  writeFileSync(join(dir, 'compare.py'), COMPARE_PY);
  const r = spawnSync('/usr/bin/python3', [join(dir, 'compare.py'), join(dir, 'pairs.json')], { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, GDAL_PAM_ENABLED: 'NO' } });
  assert.equal(r.status, 0, `python3-gdal comparison failed: ${r.stderr}`);
  const res = JSON.parse(r.stdout);
  assert.equal(res.compared, picked.length);
  t.diagnostic(`${res.compared} corpus rasters: geo vrt vs gdalbuildvrt`);
  assert.deepEqual(res.diffs, []);
});
