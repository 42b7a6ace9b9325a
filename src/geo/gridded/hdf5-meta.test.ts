/**
 * The HDF5 header reader and the NetCDF-4/HDF5 `add` metadata without GDAL (issue 21):
 * - the reader against the corpus truth (h5py's datasets: shape, dtype, chunks, compression;
 *   netCDF-C's variables) with no GDAL;
 * - the fast path equal to the GDAL path (`griddedMeta`, native GDAL) on every NetCDF-4/HDF5 sample
 *   of ../shared/corpus/formats and on files made by Debian tools (ncgen -k nc4/nc7, nccopy of every
 *   NetCDF sample to NetCDF-4 and deflated NetCDF-4 classic, gdal_translate FORMAT=NC4, h5repack
 *   chunked/deflate/shuffle variants, h5import grids), which it must answer for the plain cases;
 * - broken and damaged files: undefined (GDAL decides), never a throw, a hang or a big allocation
 *   (fast-check property over mutated and truncated headers).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { closeH5, openH5 } from './hdf5-reader.js';
import { hdf5FastMeta } from './hdf5-meta.js';
import { griddedFastMeta } from './fast-meta.js';

const execFileP = promisify(execFile);
const CORPUS = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'corpus');
const FORMATS = join(CORPUS, 'formats');
const TRUTH = join(FORMATS, 'truth');
const manifest = JSON.parse(readFileSync(join(CORPUS, 'formats.json'), 'utf8'));
const entries: any[] = (Array.isArray(manifest) ? manifest : (Object.values(manifest).find(Array.isArray) as any[]));
const isHdf5 = (p: string) => { try { return readFileSync(p).subarray(0, 8).equals(Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])); } catch { return false; } };
const hdf5Entries = entries.filter((e) => (e.format === 'netcdf' || e.format === 'hdf5') && isHdf5(join(CORPUS, e.file)));
const good = hdf5Entries.filter((e) => !e.broken);
const broken = hdf5Entries.filter((e) => e.broken);

const dir = mkdtempSync(join(tmpdir(), 'geodvc-hdf5-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** Keys sorted, undefined dropped: the `meta` as a .dvc file records it. */
const norm = (x: unknown) => x === undefined ? undefined : JSON.parse(JSON.stringify(x, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v)));

const NUMPY: Record<string, string> = { 'i1': 'int8', 'u1': 'uint8', 'i2': 'int16', 'u2': 'uint16', 'i4': 'int32', 'u4': 'uint32', 'i8': 'int64', 'u8': 'uint64', 'f4': 'float32', 'f8': 'float64' };

test('the reader lists what h5py and netCDF-C list on every NetCDF-4/HDF5 sample (no GDAL): datasets, shapes, dtypes, chunks, compression', () => {
  assert.ok(good.length >= 5, 'corpus HDF5 samples');
  for (const e of good) {
    const p = join(CORPUS, e.file);
    const f = openH5(p);
    try {
      const ds = f.objects.filter((o) => o.kind === 'dataset');
      const dtype = (o: (typeof ds)[number]) => {
        const t = o.type!;
        if (t.cls === 0) return NUMPY[`${t.signed ? 'i' : 'u'}${t.size}`];
        if (t.cls === 1) return NUMPY[`f${t.size}`];
        return t.cls === 3 ? 'char' : `class${t.cls}`;
      };
      const h5info = join(TRUTH, `${basename(p)}.h5info.json`);
      if (e.format === 'hdf5') {
        const truth = JSON.parse(readFileSync(h5info, 'utf8'));
        assert.deepEqual(ds.map((o) => o.path).sort(), truth.datasets.map((d: any) => d.name).sort(), `${e.file}: datasets`);
        for (const d of truth.datasets) {
          const o = ds.find((x) => x.path === d.name)!;
          assert.deepEqual(o.shape, d.shape, `${d.name} shape`);
          assert.equal(dtype(o), d.dtype, `${d.name} dtype`);
          assert.deepEqual(o.layout!.cls === 'chunked' ? o.layout!.chunk : null, d.chunks, `${d.name} chunks`);
          assert.equal((o.filters ?? []).some((x) => x.id === 1) ? 'gzip' : null, d.compression, `${d.name} compression`);
        }
      } else {
        // netCDF-C's variables: every non-dimension-only dataset of the root group
        const truth = JSON.parse(readFileSync(join(TRUTH, `${basename(p)}.ncinfo.json`), 'utf8'));
        const vars: any[] = truth.variables ?? e.variables;
        for (const v of vars) {
          const o = ds.find((x) => x.path === v.name);
          assert.ok(o, `${e.file}: ${v.name}`);
          assert.deepEqual(o.shape, v.shape, `${v.name} shape`);
          assert.equal(dtype(o), v.dtype === 'S1' || v.dtype === '|S1' ? 'char' : v.dtype, `${v.name} dtype`);
        }
      }
      assert.ok(f.bytesRead() <= Math.max(64 << 10, readFileSync(p).length), 'reads bounded');
    } finally { closeH5(f); }
  }
});

function needGdal(t: { skip(msg?: string): void }, tools: string[]): boolean {
  const missing = tools.filter((x) => spawnSync(x, ['--help']).error !== undefined);
  if (!missing.length) return true;
  if (process.env.CI === 'true') throw new Error(`${missing.join(', ')} required in CI (Debian gdal-bin, netcdf-bin, hdf5-tools)`);
  t.skip(`${missing.join(', ')} not installed`);
  return false;
}

const CDL_CUBE = `netcdf cube {
dimensions: time = UNLIMITED ; lat = 3 ; lon = 4 ;
variables:
 double time(time) ; time:units = "hours since 2000-01-01" ; time:standard_name = "time" ;
 float lat(lat) ; lat:units = "degrees_north" ; lat:standard_name = "latitude" ;
 float lon(lon) ; lon:units = "degrees_east" ; lon:standard_name = "longitude" ;
 float tas(time, lat, lon) ; tas:units = "K" ;
data: time = 0, 6 ; lat = 10, 11, 12 ; lon = 1, 2, 3, 4 ;
}
`;
const UTM33 = 'PROJCS[\\"WGS 84 / UTM zone 33N\\",GEOGCS[\\"WGS 84\\",DATUM[\\"WGS_1984\\",SPHEROID[\\"WGS 84\\",6378137,298.257223563,AUTHORITY[\\"EPSG\\",\\"7030\\"]],AUTHORITY[\\"EPSG\\",\\"6326\\"]],PRIMEM[\\"Greenwich\\",0,AUTHORITY[\\"EPSG\\",\\"8901\\"]],UNIT[\\"degree\\",0.0174532925199433,AUTHORITY[\\"EPSG\\",\\"9122\\"]],AUTHORITY[\\"EPSG\\",\\"4326\\"]],PROJECTION[\\"Transverse_Mercator\\"],PARAMETER[\\"latitude_of_origin\\",0],PARAMETER[\\"central_meridian\\",15],PARAMETER[\\"scale_factor\\",0.9996],PARAMETER[\\"false_easting\\",500000],PARAMETER[\\"false_northing\\",0],UNIT[\\"metre\\",1,AUTHORITY[\\"EPSG\\",\\"9001\\"]],AXIS[\\"Easting\\",EAST],AXIS[\\"Northing\\",NORTH],AUTHORITY[\\"EPSG\\",\\"32633\\"]]';
/** More than 8 variables and attributes (dense link and attribute storage), deflate + shuffle chunks, _NoFill, a record time axis. */
const CDL_MANY = `netcdf many {
dimensions: time = UNLIMITED ; y = 5 ; x = 6 ;
variables:
 int time(time) ; time:units = "days since 1970-01-01" ; time:standard_name = "time" ; time:calendar = "gregorian" ; time:axis = "T" ;
 double y(y) ; y:standard_name = "projection_y_coordinate" ; y:units = "m" ;
 double x(x) ; x:standard_name = "projection_x_coordinate" ; x:units = "m" ;
 int crs ; crs:grid_mapping_name = "transverse_mercator" ; crs:spatial_ref = "${UTM33}" ; crs:a1 = 1 ; crs:a2 = 2 ; crs:a3 = 3 ; crs:a4 = 4 ; crs:a5 = 5 ; crs:a6 = 6 ; crs:a7 = 7 ; crs:a8 = 8 ;
 float a(time, y, x) ; a:grid_mapping = "crs" ; a:_FillValue = -1.f ; a:units = "K" ; a:_ChunkSizes = 1, 5, 6 ; a:_DeflateLevel = 4 ; a:_Shuffle = "true" ;
 short b(time, y, x) ; b:grid_mapping = "crs" ; b:_NoFill = "true" ;
 ushort c(time, y, x) ; c:grid_mapping = "crs" ;
 double d(time, y, x) ; d:grid_mapping = "crs" ; d:long_name = "dd" ;
 int e(time, y, x) ; e:grid_mapping = "crs" ;
 float g(time, y, x) ; g:grid_mapping = "crs" ;
 :Conventions = "CF-1.8" ; string :title = "a vlen string" ;
data: time = 18000, 18001, 18002 ; y = 4000050, 4000150, 4000250, 4000350, 4000450 ; x = 500050, 500150, 500250, 500350, 500450, 500550 ;
}
`;

/** Compressed coordinates (DEFLATE + shuffle + Fletcher-32 chunks, over 100 values: first/last only), int64 CF time, NaN fill, unsigned bytes. */
const cdlCompressed = () => `netcdf x {
dimensions: time = 3 ; lat = 20 ; lon = 1000 ;
variables:
 int64 time(time) ; time:units = "seconds since 1970-01-01 00:00:00 UTC" ; time:calendar = "proleptic_gregorian" ; time:standard_name = "time" ;
 double lat(lat) ; lat:units = "degrees_north" ; lat:standard_name = "latitude" ; lat:_DeflateLevel = 9 ; lat:_Shuffle = "true" ; lat:_Fletcher32 = "true" ; lat:_ChunkSizes = 7 ;
 double lon(lon) ; lon:units = "degrees_east" ; lon:standard_name = "longitude" ; lon:_DeflateLevel = 1 ; lon:_ChunkSizes = 300 ;
 float t2m(time, lat, lon) ; t2m:_FillValue = NaNf ; t2m:units = "K" ; t2m:_ChunkSizes = 1, 10, 500 ; t2m:_DeflateLevel = 2 ;
 ubyte mask(lat, lon) ; mask:_FillValue = 7UB ;
data: time = 0, 86400, 172800 ;
 lat = ${Array.from({ length: 20 }, (_, i) => 90 - 0.5 * i - 0.25).join(', ')} ;
 lon = ${Array.from({ length: 1000 }, (_, i) => -180 + 0.36 * i + 0.18).join(', ')} ;
}
`;

test('add metadata of NetCDF-4/HDF5 without GDAL equals the GDAL path on every sample and on files made by ncgen, nccopy, gdal_translate, h5repack and h5import', async (t) => {
  if (!needGdal(t, ['ncgen', 'nccopy', 'gdal_translate', 'h5repack', 'h5import'])) return;
  const { loadNativeGdal } = await import('../engine/native.js');
  if (!loadNativeGdal()) {
    if (process.env.CI === 'true') throw new Error('gdal-async (native GDAL) is required in CI');
    t.skip('gdal-async not installed');
    return;
  }
  const { griddedMeta } = await import('./meta.js');
  writeFileSync(join(dir, 'cube.cdl'), CDL_CUBE);
  writeFileSync(join(dir, 'many.cdl'), CDL_MANY);
  writeFileSync(join(dir, 'compressed.cdl'), cdlCompressed());
  // 122 variables: the link name index is a v2 B-tree with an internal node
  writeFileSync(join(dir, 'wide.cdl'), `netcdf wide {\ndimensions: y = 3 ; x = 4 ;\nvariables:\n double y(y) ;\n double x(x) ;\n${Array.from({ length: 120 }, (_, i) => ` float v${i}(y, x) ; v${i}:units = "K" ;\n`).join('')}data: y = 10, 20, 30 ; x = 1, 2, 3, 4 ;\n}\n`);
  // a 2-D variable named like a dimension (netCDF-C stores it as `_nc4_non_coord_lat`): left to GDAL
  writeFileSync(join(dir, 'noncoord.cdl'), 'netcdf nc {\ndimensions: lat = 3 ; lon = 4 ;\nvariables:\n float lat(lon, lat) ;\n float v(lat, lon) ;\n}\n');
  const byte = join(CORPUS, 'byte.tif');
  const env = { ...process.env, GDAL_PAM_ENABLED: 'NO' };
  const jobs: [string, string[]][] = [
    ['ncgen', ['-k', 'nc4', '-o', join(dir, 'cube4.nc'), join(dir, 'cube.cdl')]],
    ['ncgen', ['-k', 'nc7', '-o', join(dir, 'cube7.nc'), join(dir, 'cube.cdl')]],
    ['ncgen', ['-k', 'nc4', '-o', join(dir, 'many.nc'), join(dir, 'many.cdl')]],
    ['ncgen', ['-k', 'nc4', '-o', join(dir, 'noncoord.nc'), join(dir, 'noncoord.cdl')]],
    ['ncgen', ['-k', 'nc4', '-o', join(dir, 'compressed.nc'), join(dir, 'compressed.cdl')]],
    ['ncgen', ['-k', 'nc4', '-o', join(dir, 'wide.nc'), join(dir, 'wide.cdl')]],
    ['gdal_translate', ['-q', '-of', 'netCDF', '-co', 'FORMAT=NC4', byte, join(dir, 'utm_nc4.nc')]],
    ['gdal_translate', ['-q', '-of', 'netCDF', '-co', 'FORMAT=NC4', '-ot', 'Float32', '-a_srs', 'EPSG:4326', '-a_ullr', '0', '10', '10', '0', byte, join(dir, 'll_nc4.nc')]],
    ['gdal_translate', ['-q', '-of', 'netCDF', '-co', 'FORMAT=NC4', '-ot', 'Int16', '-b', '1', '-b', '1', '-b', '1', byte, join(dir, 'bands_nc4.nc')]],
    ['gdal_translate', ['-q', '-of', 'netCDF', '-co', 'FORMAT=NC4C', '-co', 'COMPRESS=DEFLATE', '-ot', 'UInt16', byte, join(dir, 'z_nc4c.nc')]],
    ['h5repack', ['-l', 'CHUNK=1x5', '-f', 'GZIP=6', join(FORMATS, 'groups.h5'), join(dir, 'groups_gzip.h5')]],
    ['h5repack', ['-l', 'CHUNK=8x16', '-f', 'SHUF', '-f', 'GZIP=1', join(FORMATS, 'torchgeo_digital_typhoon_0.h5'), join(dir, 'typhoon_chunked.h5')]],
  ];
  // plain HDF5 by h5import: one 2-D grid beside a 1-D array (the own raster), a chunked 3-D cube
  // (bands), several grids of different types (subdatasets)
  const conf = (name: string, path: string, dims: number[], cls: 'IN' | 'UIN' | 'FP', size: number, chunk?: number[]) => {
    const c = join(dir, `${name}.conf`);
    writeFileSync(c, [`PATH ${path}`, `INPUT-CLASS ${cls}`, `INPUT-SIZE ${size}`, ...(cls === 'FP' ? [] : ['INPUT-BYTE-ORDER LE']), `RANK ${dims.length}`, `DIMENSION-SIZES ${dims.join(' ')}`,
      `OUTPUT-CLASS ${cls}`, `OUTPUT-SIZE ${size}`, ...(cls === 'FP' ? ['OUTPUT-ARCHITECTURE IEEE'] : []), 'OUTPUT-BYTE-ORDER LE', ...(chunk ? [`CHUNKED-DIMENSION-SIZES ${chunk.join(' ')}`] : []), ''].join('\n'));
    return c;
  };
  const rnd = join(dir, 'rnd.bin');
  writeFileSync(rnd, Buffer.from(Array.from({ length: 40000 }, (_, i) => (i * 7919) % 251)));
  const img = conf('img', 'grp/img', [30, 40], 'IN', 16), coord = conf('coord', 'grp/coord', [40], 'FP', 64);
  const cube = conf('cube', 'cube', [3, 20, 25], 'UIN', 16, [1, 10, 25]), bytes = conf('bytes', 'b/bytes', [2, 10, 12], 'UIN', 8);
  jobs.push(
    ['h5import', [rnd, '-c', img, rnd, '-c', coord, '-o', join(dir, 'one_grid.h5')]],
    ['h5import', [rnd, '-c', cube, '-o', join(dir, 'cube3d.h5')]],
    ['h5import', [rnd, '-c', cube, rnd, '-c', bytes, rnd, '-c', img, '-o', join(dir, 'several.h5')]],
  );
  // every good NetCDF sample (classic or NetCDF-4) copied by nccopy to NetCDF-4, and with DEFLATE +
  // shuffle (classic samples: in the NetCDF-4 classic model): answered wherever the source is
  const copies: [string, string][] = [];
  for (const e of entries.filter((x) => x.format === 'netcdf' && !x.broken)) {
    const src = join(CORPUS, e.file), b = basename(e.file, '.nc');
    // (the classic model holds the classic types only: the NetCDF-4 samples' copies stay NetCDF-4)
    const classic = String(e.data_model ?? '').startsWith('NETCDF3');
    for (const [suffix, args] of [['_copy4.nc', ['-k', 'nc4']], ['_copyz.nc', ['-k', classic ? 'nc7' : 'nc4', '-d', '5', '-s']]] as const) {
      jobs.push(['nccopy', [...args, src, join(dir, `${b}${suffix}`)]]);
      copies.push([src, join(dir, `${b}${suffix}`)]);
    }
  }
  await Promise.all(jobs.map(([cmd, args]) => execFileP(cmd, args, { env })));
  // a NetCDF-4 file named .h5 goes to GDAL's HDF5 driver (by extension): dimension scales, attributes
  copyFileSync(join(dir, 'cube4.nc'), join(dir, 'cube4.h5'));
  const files = [...good.map((e) => join(CORPUS, e.file)), ...jobs.map(([, a]) => a[a.length - 1]!.endsWith('.cdl') ? a[a.indexOf('-o') + 1]! : a[a.length - 1]!), join(dir, 'cube4.h5')];
  const answered: string[] = [];
  for (const f of files) {
    const reasons: string[] = [];
    const fast = hdf5FastMeta(f, (r) => reasons.push(r));
    assert.deepEqual(norm(griddedFastMeta(f)), norm(fast), `${basename(f)}: fast-meta dispatches HDF5 signatures`);
    if (fast === undefined) continue;
    answered.push(basename(f));
    let viaGdal: unknown;
    try { viaGdal = norm(griddedMeta(f)); } catch (e) { assert.fail(`${f}: the reader answered where GDAL cannot open the file: ${(e as Error).message}`); }
    assert.deepEqual(norm(fast), viaGdal, `${basename(f)}: header reader vs GDAL`);
  }
  // the plain cases must be answered (else `add` still loads GDAL for them)
  for (const n of [...good.map((e) => basename(e.file)), 'cube4.nc', 'cube7.nc', 'many.nc', 'compressed.nc', 'wide.nc', 'utm_nc4.nc', 'll_nc4.nc', 'bands_nc4.nc', 'groups_gzip.h5', 'typhoon_chunked.h5', 'one_grid.h5', 'cube3d.h5', 'several.h5']) {
    assert.ok(answered.includes(n), `${n}: the header reader answered`);
  }
  for (const [src, copy] of copies) if (griddedFastMeta(src) !== undefined) assert.ok(answered.includes(basename(copy)), `${basename(copy)}: answered as its source is`);
  assert.ok(copies.length >= 8);
  const reasons: string[] = [];
  assert.equal(hdf5FastMeta(join(dir, 'noncoord.nc'), (r) => reasons.push(r)), undefined);
  assert.match(reasons.join(), /_nc4_non_coord_lat/);
  // the structures these files exercise
  const feats = new Set<string>();
  for (const n of ['many.nc', 'utm_nc4.nc', 'groups_gzip.h5', 'cube4.nc', 'compressed.nc', 'wide.nc']) {
    const f = openH5(join(dir, n));
    try { for (const o of f.objects) if (o.kind === 'dataset' && o.shape!.length === 1) f.readValues(o, 100); for (const x of f.features) feats.add(x); } finally { closeH5(f); }
  }
  // damaged copies of the files with dense storage, B-tree internal nodes and compressed chunks
  fuzzDamaged(['many.nc', 'wide.nc', 'compressed.nc', 'groups_gzip.h5'].map((n) => ({ name: n, bytes: readFileSync(join(dir, n)) })), process.env.CI === 'true' ? 200 : 60, 4);
  for (const x of ['v1-header', 'v2-header', 'symbol-table', 'compact-links', 'dense-links', 'dense-attrs', 'global-heap', 'btree2-internal', 'btree1-chunks', 'deflate', 'shuffle', 'filter-3']) assert.ok(feats.has(x), x);
});

test('a sidecar GDAL would read (.aux.xml, .ovr) leaves the file to GDAL', () => {
  const p = join(dir, 'side.nc');
  copyFileSync(join(FORMATS, 'trmm-nc4.nc'), p);
  assert.ok(hdf5FastMeta(p), 'answered without a sidecar');
  for (const ext of ['.aux.xml', '.ovr']) {
    writeFileSync(`${p}${ext}`, '<PAMDataset/>');
    const reasons: string[] = [];
    assert.equal(hdf5FastMeta(p, (r) => reasons.push(r)), undefined, ext);
    assert.match(reasons.join(), /sidecar/);
    rmSync(`${p}${ext}`);
  }
});

test('broken NetCDF-4/HDF5 samples: undefined (GDAL says what is wrong), never a throw', () => {
  assert.ok(broken.length >= 1);
  for (const e of broken) {
    const reasons: string[] = [];
    assert.equal(hdf5FastMeta(join(CORPUS, e.file), (r) => reasons.push(r)), undefined, e.file);
    assert.equal(griddedFastMeta(join(CORPUS, e.file)), undefined, e.file);
    assert.equal(reasons.length, 1, `${e.file}: a reason`);
  }
});

/**
 * Damaged copies of `seeds` (bytes overwritten anywhere: in the first 4 KiB, where superblocks and
 * root headers live, and at any fraction of the file; truncation) must give a record or undefined,
 * never a throw, within bounded time.
 */
function fuzzDamaged(seeds: { name: string; bytes: Buffer }[], numRuns: number, seed: number) {
  fc.assert(fc.property(
    fc.nat(seeds.length - 1),
    fc.array(fc.tuple(fc.oneof(fc.nat(4095), fc.double({ min: 0, max: 1, noNaN: true })), fc.nat(255)), { minLength: 1, maxLength: 8 }),
    fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
    (i, edits, cut) => {
      const { name, bytes } = seeds[i]!;
      const b = Buffer.from(bytes);
      for (const [at, v] of edits) { const off = Number.isInteger(at) && at >= 1 ? at : Math.floor(at * b.length); if (off < b.length) b[off] = v; }
      const out = cut !== undefined ? b.subarray(0, Math.floor(cut * b.length)) : b;
      const target = join(dir, `fuzz${name.slice(name.lastIndexOf('.'))}`);
      writeFileSync(target, out);
      const t0 = performance.now();
      const m = hdf5FastMeta(target);
      assert.ok(m === undefined || typeof m === 'object');
      assert.ok(performance.now() - t0 < 2000, 'bounded time');
    },
  ), { numRuns, seed });
}

test('damaged headers (random bytes overwritten, truncation) never throw, hang or allocate without bound', () => {
  fuzzDamaged(good.map((e) => ({ name: basename(e.file), bytes: readFileSync(join(CORPUS, e.file)) })), process.env.CI === 'true' ? 1000 : 150, 21);
});
