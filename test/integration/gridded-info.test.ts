/**
 * Gridded files (issue 21): every JPEG2000/NetCDF/HDF5 sample of ../shared/corpus/formats read by
 * `geo info --json`, compared with Debian's oracles run live: gdalinfo -json (raster fields of the
 * file and of every subdataset), gdalmdiminfo (array data types), ncdump -h (NetCDF variables,
 * dims, shapes), h5dump -H (HDF5 datasets, shapes, types). Broken copies fail loudly in info,
 * check and validate, naming the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { basename, join } from 'node:path';
import { execFile, spawnSync } from 'node:child_process';
import { CORPUS, cliOk, runCli } from '../helpers/cli.js';
import { gitInit, makeTmpDir } from '../helpers/tmp.js';
import { needNative, run } from './geo-ops-native.js';
import { griddedFastMeta } from '../../src/geo/gridded/fast-meta.js';
import { griddedMeta } from '../../src/geo/gridded/meta.js';
import { extractGeoMeta } from '../../src/geo/meta.js';
import { parseYamlLazy } from '../../src/lib/yaml-lazy.js';

const FORMATS = join(CORPUS, 'formats');
const execFileP = promisify(execFile);
const manifest = JSON.parse(readFileSync(join(CORPUS, 'formats.json'), 'utf8'));
const entries: any[] = (Array.isArray(manifest) ? manifest : Object.values(manifest).find(Array.isArray) as any[])
  .filter((e) => e.format === 'jp2' || e.format === 'netcdf' || e.format === 'hdf5');
const good = entries.filter((e) => !e.broken);
const broken = entries.filter((e) => e.broken);
const file = (e: any) => join(CORPUS, e.file);

function needTool(t: { skip(msg?: string): void }, tool: string, pkg: string): boolean {
  if (spawnSync(tool, tool === 'h5dump' ? ['--version'] : ['--help']).error === undefined) return true;
  if (process.env.CI === 'true') throw new Error(`${tool} is required in CI (Debian ${pkg}, see .ci/apt-packages.txt)`);
  t.skip(`${tool} not installed`);
  return false;
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
function sameGt(a: number[] | undefined, b: number[] | undefined, what: string) {
  if (!b) { assert.equal(a, undefined, `${what}: no geotransform in gdalinfo`); return; }
  assert.ok(a, `${what}: geotransform missing`);
  assert.equal(a!.length, 6);
  for (let i = 0; i < 6; i++) assert.ok(close(a![i]!, b[i]!), `${what}: geotransform[${i}] ${a![i]} vs ${b[i]}`);
}

/** gdalinfo -json's raster fields against ours (size, geotransform, EPSG, bands). */
function compareRaster(ours: any, g: any, what: string) {
  assert.deepEqual(ours.size, g.size, `${what}: size`);
  sameGt(ours.geoTransform, g.geoTransform, what);
  assert.equal(ours.epsg ?? null, g.stac?.['proj:epsg'] ?? null, `${what}: EPSG`);
  assert.equal(ours.bands.length, g.bands.length, `${what}: band count`);
  for (let i = 0; i < g.bands.length; i++) {
    const a = ours.bands[i], b = g.bands[i];
    assert.equal(a.type, b.type, `${what}: band ${i + 1} type`);
    assert.deepEqual(a.block, b.block, `${what}: band ${i + 1} block`);
    assert.equal(a.noDataValue, b.noDataValue, `${what}: band ${i + 1} nodata`);
    assert.equal(a.overviews?.length ?? 0, b.overviews?.length ?? 0, `${what}: band ${i + 1} overviews`);
  }
  assert.equal(ours.gcps ?? 0, g.gcps?.gcpList?.length ?? 0, `${what}: GCPs`);
}

/** ncdump -h: variables (full path) with dims and shape. */
function ncdumpVariables(path: string): Map<string, { dims: string[]; shape: number[] }> {
  const text = run('ncdump', ['-h', path]);
  const out = new Map<string, { dims: string[]; shape: number[] }>();
  const groups: string[] = [];
  const dimSize = new Map<string, number>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    let m = /^group: (\S+) \{$/.exec(line);
    if (m) { groups.push(m[1]!); continue; }
    if (line === '}' && groups.length) { groups.pop(); continue; }
    if (/^(dimensions|variables|\/\/ global attributes|\/\/ group attributes):$/.test(line)) { section = line; continue; }
    if (section === 'dimensions:') {
      m = /^(\S+) = (?:UNLIMITED ; \/\/ \((\d+) currently\)|(\d+) ;)$/.exec(line);
      if (m) dimSize.set(m[1]!, Number(m[2] ?? m[3]));
    } else if (section === 'variables:') {
      m = /^(?:[a-z0-9]+) (\S+?)(?:\((.*)\))? ;$/.exec(line);
      if (m && !line.includes(':')) {
        const dims = m[2] ? m[2].split(',').map((s) => s.trim()) : [];
        out.set(`/${[...groups, m[1]!].join('/')}`, { dims, shape: dims.map((d) => dimSize.get(d)!) });
      }
    }
  }
  return out;
}

const H5TYPES: Record<string, string> = { I8: 'Int8', U8: 'Byte', I16: 'Int16', U16: 'UInt16', I32: 'Int32', U32: 'UInt32', I64: 'Int64', U64: 'UInt64', F32: 'Float32', F64: 'Float64' };

/** h5dump -H: datasets (full path) with shape and GDAL data type. */
function h5dumpDatasets(path: string): Map<string, { shape: number[]; dtype: string }> {
  const text = run('h5dump', ['-H', path]);
  const out = new Map<string, { shape: number[]; dtype: string }>();
  const stack: string[] = [];
  let current: { name: string; shape?: number[]; dtype?: string } | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    let m = /^GROUP "([^"]*)" \{$/.exec(line);
    if (m) { stack.push(m[1] === '/' ? '' : m[1]!); continue; }
    m = /^DATASET "([^"]*)" \{$/.exec(line);
    if (m) { current = { name: [...stack, m[1]!].join('/') }; continue; }
    m = /^DATATYPE\s+H5T_(?:STD|IEEE)_([IUF]\d+)(?:BE|LE)$/.exec(line);
    if (m && current) { current.dtype = H5TYPES[m[1]!]; continue; }
    m = /^DATASPACE\s+SIMPLE \{ \( ([\d, ]+) \)/.exec(line);
    if (m && current) { current.shape = m[1]!.split(',').map((s) => Number(s.trim())); continue; }
    if (line === '}') {
      if (current) { out.set(current.name.startsWith('/') ? current.name : `/${current.name}`, { shape: current.shape ?? [], dtype: current.dtype ?? '?' }); current = undefined; }
      else stack.pop();
    }
  }
  return out;
}

async function infoJson(paths: string[], extra: string[] = []): Promise<any[]> {
  const r = await runCli(['geo', 'info', '--json', ...extra, ...paths], { cwd: FORMATS });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  return Array.isArray(j) ? j : [j];
}

test('the corpus holds gridded samples of each family, good and broken', () => {
  for (const f of ['jp2', 'netcdf', 'hdf5']) assert.ok(good.some((e) => e.format === f), `no good ${f} sample`);
  assert.ok(broken.length >= 3, 'broken samples');
});

test('JPEG2000: geo info equals gdalinfo -json (size, geotransform, EPSG, bands, GCPs), and the box walk finds the geo boxes', async (t) => {
  if (!needNative(t)) return;
  const jp2 = entries.filter((e) => e.format === 'jp2');
  const items = await infoJson(jp2.map((e) => e.file.replace(/^formats\//, '')));
  assert.equal(items.length, jp2.length);
  for (const [k, e] of jp2.entries()) {
    const it = items[k];
    assert.equal(it.kind, 'gridded', e.file);
    assert.equal(it.info.format, 'jp2');
    assert.equal(it.info.driverShortName, 'JP2OpenJPEG');
    compareRaster(it.info, JSON.parse(run('gdalinfo', ['-json', file(e)])), e.file);
    if (e.broken) assert.ok(it.info.warnings.some((w: string) => /EOC|past the end/.test(w)), `${e.file}: truncation warned`);
  }
});

test('NetCDF: variables equal ncdump -h (names, dims, shapes) and gdalmdiminfo (types); every grid equals gdalinfo of its subdataset', async (t) => {
  if (!needNative(t) || !needTool(t, 'ncdump', 'netcdf-bin') || !needTool(t, 'gdalmdiminfo', 'gdal-bin')) return;
  const nc = good.filter((e) => e.format === 'netcdf');
  const items = await infoJson(nc.map((e) => e.file.replace(/^formats\//, '')));
  for (const [k, e] of nc.entries()) {
    const info = items[k].info;
    assert.equal(info.format, 'netcdf', e.file);
    const want = ncdumpVariables(file(e));
    assert.deepEqual(info.variables.map((v: any) => v.name).sort(), [...want.keys()].sort(), `${e.file}: variables`);
    const md = JSON.parse(run('gdalmdiminfo', [file(e)]));
    for (const v of info.variables) {
      const w = want.get(v.name)!;
      assert.deepEqual(v.dims.map((d: any) => d.name), w.dims, `${e.file} ${v.name}: dims`);
      assert.deepEqual(v.shape, w.shape, `${e.file} ${v.name}: shape`);
      const arr = md.arrays?.[v.name.slice(1)];
      if (arr) assert.equal(v.dtype, typeof arr.datatype === 'string' ? arr.datatype : 'String', `${e.file} ${v.name}: dtype`);
    }
    // the grids: the file's own (gdalinfo FILE) or each subdataset (gdalinfo NETCDF:"FILE":VAR)
    const g = JSON.parse(run('gdalinfo', ['-json', file(e)]));
    const subs = Object.entries(g.metadata?.SUBDATASETS ?? {}).filter(([key]) => /_NAME$/.test(key)).map(([, v]) => v as string);
    if (!subs.length) compareRaster(info, g, e.file);
    assert.equal(info.rasters.filter((r: any) => r.subdataset).length, subs.length, `${e.file}: subdatasets`);
    for (const r of info.rasters.filter((x: any) => x.subdataset)) compareRaster(r, JSON.parse(run('gdalinfo', ['-json', r.subdataset])), r.subdataset);
    // time dimensions: values and units as ncdump/CF say, decoded to ISO 8601
    for (const v of info.variables) for (const d of v.dims) if (d.type === 'TEMPORAL') { assert.ok(d.units && /since/.test(d.units)); assert.equal(d.times.length, d.size); }
  }
});

test('NetCDF: a variable by subdataset name or --variable gives that grid, like gdalinfo NETCDF:"file":var', async (t) => {
  if (!needNative(t)) return;
  const [a] = await infoJson(['NETCDF:"sentinel_2_L1C_geographic.nc":nir']);
  const [b] = await infoJson(['sentinel_2_L1C_geographic.nc'], ['--variable', 'nir']);
  const g = JSON.parse(run('gdalinfo', ['-json', `NETCDF:"${join(FORMATS, 'sentinel_2_L1C_geographic.nc')}":nir`]));
  compareRaster(a.info, g, 'subdataset name');
  compareRaster(b.info, g, '--variable');
  assert.equal(a.info.variable, 'nir');
  const time = a.info.variables.find((v: any) => v.name === '/time').dims[0];
  assert.deepEqual(time.times, ['2016-03-23T14:05:08.463Z'], 'CF time decoded (days since 2016-03-23 14:05:08.463000, value 0)');
  const bad = await runCli(['geo', 'info', 'sentinel_2_L1C_geographic.nc', '--variable', 'nope'], { cwd: FORMATS });
  assert.equal(bad.code, 1);
  assert.match(bad.stdout + bad.stderr, /sentinel_2_L1C_geographic\.nc has no variable nope/);
});

test('HDF5: variables equal h5dump -H (every dataset: full path, shape, type)', async (t) => {
  if (!needNative(t) || !needTool(t, 'h5dump', 'hdf5-tools')) return;
  const h5 = good.filter((e) => e.format === 'hdf5');
  const items = await infoJson(h5.map((e) => e.file.replace(/^formats\//, '')));
  for (const [k, e] of h5.entries()) {
    const info = items[k].info;
    const want = h5dumpDatasets(file(e));
    assert.deepEqual(info.variables.map((v: any) => v.name).sort(), [...want.keys()].sort(), `${e.file}: datasets`);
    for (const v of info.variables) {
      assert.deepEqual(v.shape, want.get(v.name)!.shape, `${e.file} ${v.name}: shape`);
      assert.equal(v.dtype, want.get(v.name)!.dtype, `${e.file} ${v.name}: dtype`);
    }
  }
});

test('broken copies: geo check, geo info and geo validate exit non-zero naming the file; the good ones pass geo check', async (t) => {
  if (!needNative(t)) return;
  const names = broken.map((e) => e.file.replace(/^formats\//, ''));
  const c = await runCli(['geo', 'check', '--json', ...names], { cwd: FORMATS });
  assert.equal(c.code, 1);
  const checked = JSON.parse(c.stdout);
  assert.deepEqual(checked.files.filter((f: any) => !f.ok).map((f: any) => f.file).sort(), [...names].sort(), 'every broken copy fails geo check');
  for (const f of checked.files) assert.ok(f.problems.some((p: any) => p.severity === 'error' && p.message.length > 10), `${f.file}: a problem that says what`);
  // those GDAL cannot open (the truncated JPEG2000 files open: their header is intact, as for gdalinfo)
  const unopenable = broken.filter((e) => !e.readable_by_gdal).map((e) => e.file.replace(/^formats\//, ''));
  assert.ok(unopenable.length >= 2);
  const i = await runCli(['geo', 'info', ...unopenable], { cwd: FORMATS });
  assert.equal(i.code, 1);
  for (const n of unopenable) assert.match(i.stdout + i.stderr, new RegExp(`${n.replace(/\./g, '\\.')}: GDAL cannot open`), n);
  const v = await runCli(['geo', 'validate', '--json', ...unopenable], { cwd: FORMATS });
  assert.equal(v.code, 1);
  assert.deepEqual(JSON.parse(v.stdout).violations.filter((x: any) => x.rule === 'unreadable').map((x: any) => x.file).sort(), [...unopenable].sort());
  const ok = await runCli(['geo', 'check', ...good.map((e) => e.file.replace(/^formats\//, ''))], { cwd: FORMATS });
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
});

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) { const x = (v as Record<string, unknown>)[k]; if (x !== undefined) o[k] = sortKeys(x); }
    return o;
  }
  return typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
}

const CDL = `netcdf cube {
dimensions:
  time = UNLIMITED ; lat = 3 ; lon = 4 ; lev = 2 ;
variables:
  double time(time) ; time:units = "hours since 2000-01-01 00:00:00" ; time:standard_name = "time" ; time:calendar = "standard" ;
  float lat(lat) ; lat:units = "degrees_north" ; lat:standard_name = "latitude" ;
  float lon(lon) ; lon:units = "degrees_east" ; lon:standard_name = "longitude" ;
  short tas(time, lat, lon) ; tas:units = "K" ; tas:_FillValue = -999s ;
  int pr(time, lev, lat, lon) ; pr:missing_value = -1 ;
data:
  time = 0, 6, 12 ; lat = 10.1, 10.2, 10.3 ; lon = 0.1, 0.2, 0.3, 0.4 ;
}
`;

/** CF cube with a WKT2 grid mapping, integer CF time, rows north-up, two grids, missing_value and _FillValue. */
const cdlWkt2 = (wkt: string) => `netcdf cf {
dimensions:
  time = 2 ; lat = 4 ; lon = 8 ;
variables:
  int time(time) ; time:units = "days since 1970-01-01" ; time:standard_name = "time" ; time:calendar = "gregorian" ; time:axis = "T" ;
  float lat(lat) ; lat:units = "degrees_north" ; lat:standard_name = "latitude" ; lat:axis = "Y" ;
  float lon(lon) ; lon:units = "degrees_east" ; lon:standard_name = "longitude" ; lon:axis = "X" ;
  int crs ; crs:grid_mapping_name = "latitude_longitude" ; crs:crs_wkt = "${wkt.replace(/"/g, '\\"')}" ;
  float t2m(time, lat, lon) ; t2m:grid_mapping = "crs" ; t2m:coordinates = "time lat lon" ; t2m:missing_value = 1.e20 ; t2m:units = "K" ;
  double pr(time, lat, lon) ; pr:grid_mapping = "crs" ; pr:_FillValue = NaN ;
data:
  time = 18000, 18001 ; lat = 45, 44.75, 44.5, 44.25 ; lon = -180, -179.75, -179.5, -179.25, -179, -178.75, -178.5, -178.25 ;
}
`;

test('add metadata without GDAL: the JPEG2000 and classic NetCDF header readers equal the GDAL path on every sample and generated variants (oracles gdalinfo, ncdump -h); add writes the same .dvc', async (t) => {
  if (!needNative(t) || !needTool(t, 'ncdump', 'netcdf-bin') || !needTool(t, 'ncgen', 'netcdf-bin')) return;
  const { dir, cleanup } = makeTmpDir('gridded-fastmeta-');
  t.after(cleanup);
  // variants nobody hand-picked for the reader: GDAL-written JPEG2000 (tiling, types, CRSs, bands,
  // a raw J2K codestream)
  // and NetCDF-3 (grid mappings with and without an EPSG code), ncgen cubes with a record dimension
  // and with a WKT2 grid mapping
  const src = join(FORMATS, 'byte.jp2');
  const gen: [string, string[]][] = [
    ['tiled.jp2', ['-outsize', '700', '500', '-co', 'BLOCKXSIZE=512', '-co', 'BLOCKYSIZE=256']],
    ['rgb16.jp2', ['-ot', 'UInt16', '-b', '1', '-b', '1', '-b', '1', '-outsize', '300', '200']],
    ['ll.jp2', ['-a_srs', 'EPSG:4326', '-a_ullr', '0', '10', '10', '0', '-outsize', '333', '77']],
    ['merc_nogml.jp2', ['-a_srs', 'EPSG:3857', '-co', 'GMLJP2=NO', '-outsize', '150', '140']],
    ['raw.j2k', ['-of', 'JP2OpenJPEG', '-co', 'CODEC=J2K', '-co', 'BLOCKXSIZE=256', '-co', 'BLOCKYSIZE=256', '-ot', 'UInt16', '-outsize', '700', '500']],
    ['utm.nc', ['-of', 'netCDF', '-ot', 'Float32']],
    ['laea64.nc', ['-of', 'netCDF', '-ot', 'Float64', '-a_srs', 'EPSG:3035', '-co', 'FORMAT=NC2']],
    ['unnamed.nc', ['-of', 'netCDF', '-ot', 'Int16', '-a_srs', '+proj=utm +zone=33 +datum=WGS84', '-a_ullr', '500000', '4001000', '501000', '4000000']],
  ];
  // the end-to-end `add` (built CLI) runs meanwhile; its .dvc files are compared at the end
  const repo = join(dir, 'repo');
  const names = ['byte.jp2', 'cf_geog.nc', 'two_vars_scale_offset.nc'];
  mkdirSync(repo);
  gitInit(repo);
  for (const n of names) copyFileSync(join(FORMATS, n), join(repo, n));
  const added = (async () => { await cliOk(['init', '-q'], { cwd: repo }); await cliOk(['add', '-q', ...names], { cwd: repo }); })();
  added.catch(() => { /* awaited below */ });
  const files = entries.map(file);
  writeFileSync(join(dir, 'cube.cdl'), CDL);
  writeFileSync(join(dir, 'wkt2.cdl'), cdlWkt2(run('gdalsrsinfo', ['-o', 'wkt2_2019', '--single-line', 'EPSG:4326']).trim()));
  const jobs: [string, string[]][] = [
    ...gen.map(([name, args]): [string, string[]] => ['gdal_translate', ['-q', ...(name.endsWith('.jp2') ? ['-of', 'JP2OpenJPEG'] : []), ...args, src, join(dir, name)]]),
    ['ncgen', ['-k', 'classic', '-o', join(dir, 'cube.nc'), join(dir, 'cube.cdl')]],
    ['ncgen', ['-k', '64-bit-offset', '-o', join(dir, 'cube64.nc'), join(dir, 'cube.cdl')]],
    ['ncgen', ['-k', 'classic', '-o', join(dir, 'wkt2.nc'), join(dir, 'wkt2.cdl')]],
  ];
  await Promise.all(jobs.map(([cmd, args]) => execFileP(cmd, args, { env: { ...process.env, GDAL_PAM_ENABLED: 'NO' } })));
  files.push(...gen.map(([name]) => join(dir, name)), join(dir, 'cube.nc'), join(dir, 'cube64.nc'), join(dir, 'wkt2.nc'));
  // the oracles of the generated files run in parallel with the in-process comparisons
  const generated = files.filter((f) => f.startsWith(dir));
  const gdalinfoOf = new Map(generated.map((f) => [f, execFileP('gdalinfo', ['-json', f], { env: { ...process.env, GDAL_PAM_ENABLED: 'NO' }, maxBuffer: 1 << 26 }).then((r) => JSON.parse(r.stdout))]));
  for (const p of gdalinfoOf.values()) p.catch(() => { /* awaited below */ });
  const answered: string[] = [];
  for (const f of files) {
    const fast = griddedFastMeta(f);
    if (fast === undefined) continue;
    answered.push(basename(f));
    let viaGdal: unknown;
    try { viaGdal = sortKeys(griddedMeta(f)); } catch (e) { assert.fail(`${f}: the reader answered where GDAL cannot open the file: ${(e as Error).message}`); }
    assert.deepEqual(sortKeys(fast), viaGdal, `${basename(f)}: header reader vs GDAL`);
    // oracles for the generated files (the corpus samples' GDAL path is checked against them above):
    // gdalinfo for the file's own grid, ncdump -h for the variables
    const m = fast as any;
    if (f.startsWith(dir) && m.size) {
      const g = await gdalinfoOf.get(f)!;
      assert.deepEqual(m.size, g.size, `${f}: size`);
      assert.equal(m.bands, g.bands.length);
      assert.equal(m.dtype, g.bands[0].type);
      assert.deepEqual(m.block, g.bands[0].block);
      if (g.geoTransform) for (let i = 0; i < 6; i++) assert.ok(close(m.geotransform[i], g.geoTransform[i]), `${f}: geotransform[${i}]`);
      else assert.equal(m.geotransform, undefined);
      assert.equal(m.crs?.startsWith('EPSG:') ? Number(m.crs.slice(5)) : null, g.stac?.['proj:epsg'] ?? null, `${f}: EPSG`);
    }
    if (f.startsWith(dir) && m.format === 'netcdf') {
      const want = ncdumpVariables(f);
      assert.deepEqual(m.variables.map((v: any) => v.name).sort(), [...want.keys()].sort(), `${f}: variables`);
      for (const v of m.variables) assert.deepEqual([v.dims, v.shape], [want.get(v.name)!.dims, want.get(v.name)!.shape], `${f} ${v.name}`);
    }
  }
  // the reader must answer for the plain cases (else add still loads GDAL for them)
  for (const n of ['byte.jp2', 'int16.jp2', 'torchgeo_sentinel2_T16TFM_20220412T162841_B02.jp2', 'tile_size_16.jp2', 'stefan_full_rgba.jp2', 'cf_geog.nc', 'two_vars_scale_offset.nc', ...gen.map(([x]) => x), 'cube.nc', 'cube64.nc', 'wkt2.nc']) {
    assert.ok(answered.includes(n), `${n}: the header reader answered`);
  }
  // end to end: the `meta` that `add` writes (built CLI, header readers) is what the GDAL path of
  // extractGeoMeta gives for the same files
  await added;
  process.env.GEODVC_GRIDDED_META = 'gdal';
  try {
    for (const n of names) {
      const written = (parseYamlLazy(readFileSync(join(repo, `${n}.dvc`), 'utf8')) as any).outs[0].meta;
      assert.equal(written.kind, 'gridded', n);
      assert.deepEqual(written, await extractGeoMeta(join(repo, n)), `${n}: meta written by add vs the GDAL path`);
    }
  } finally { delete process.env.GEODVC_GRIDDED_META; }
});
