import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Nc3FormatError, readNc3Header, readNc3Values1D } from './nc3-header.js';
import { nc3FastMeta } from './nc3-meta.js';

/** A tiny CDF writer for tests (CDF-1 or CDF-2): dims, global attrs, vars with attrs and data. */
interface TVar { name: string; dims: number[]; type: number; attrs?: [string, number, string | number[]][]; data: number[] }
function cdf(version: 1 | 2, dims: [string, number][], gatts: [string, number, string | number[]][], vars: TVar[], numrecs = 0): Buffer {
  const parts: Buffer[] = [];
  const u32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(v); return b; };
  const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  const name = (s: string) => Buffer.concat([u32(Buffer.byteLength(s)), pad(Buffer.from(s))]);
  const size: Record<number, number> = { 2: 1, 3: 2, 4: 4, 5: 4, 6: 8 };
  const enc = (type: number, v: string | number[]) => {
    if (typeof v === 'string') return pad(Buffer.from(v));
    const b = Buffer.alloc(v.length * size[type]!);
    v.forEach((x, i) => { if (type === 3) b.writeInt16BE(x, i * 2); else if (type === 4) b.writeInt32BE(x, i * 4); else if (type === 5) b.writeFloatBE(x, i * 4); else b.writeDoubleBE(x, i * 8); });
    return pad(b);
  };
  const attrs = (list: [string, number, string | number[]][]) => list.length
    ? Buffer.concat([u32(0x0c), u32(list.length), ...list.flatMap(([n, t, v]) => [name(n), u32(t), u32(typeof v === 'string' ? Buffer.byteLength(v) : v.length), enc(t, v)])])
    : Buffer.concat([u32(0), u32(0)]);
  const isRec = (v: TVar) => v.dims.length > 0 && dims[v.dims[0]!]![1] === 0;
  const count = (v: TVar) => v.dims.reduce((p, d, k) => p * (k === 0 && isRec(v) ? 1 : dims[d]![1]), 1);
  const vsize = (v: TVar) => Math.ceil((count(v) * size[v.type]!) / 4) * 4;
  const header = (begins: number[]) => Buffer.concat([
    Buffer.from([0x43, 0x44, 0x46, version]), u32(numrecs),
    dims.length ? Buffer.concat([u32(0x0a), u32(dims.length), ...dims.flatMap(([n, l]) => [name(n), u32(l)])]) : Buffer.concat([u32(0), u32(0)]),
    attrs(gatts),
    Buffer.concat([u32(0x0b), u32(vars.length), ...vars.flatMap((v, i) => [name(v.name), u32(v.dims.length), ...v.dims.map(u32), attrs(v.attrs ?? []), u32(v.type), u32(vsize(v)),
      version === 1 ? u32(begins[i]!) : Buffer.concat([u32(0), u32(begins[i]!)])])]),
  ]);
  const hlen = header(vars.map(() => 0)).length;
  const fixed = vars.filter((v) => !isRec(v)), rec = vars.filter(isRec);
  const begins = new Map<TVar, number>();
  let off = hlen;
  for (const v of fixed) { begins.set(v, off); off += vsize(v); }
  for (const v of rec) { begins.set(v, off); off += vsize(v); }
  parts.push(header(vars.map((v) => begins.get(v)!)));
  for (const v of fixed) parts.push(enc(v.type, v.data));
  for (let r = 0; r < numrecs; r++) for (const v of rec) { const n = count(v); parts.push(enc(v.type, v.data.slice(r * n, (r + 1) * n))); }
  return Buffer.concat(parts);
}

const dir = mkdtempSync(join(tmpdir(), 'geodvc-nc3-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const write = (n: string, b: Buffer) => { const p = join(dir, n); writeFileSync(p, b); return p; };

const cube = (version: 1 | 2) => cdf(version, [['time', 0], ['lat', 3], ['lon', 4]], [['Conventions', 2, 'CF-1.8']], [
  { name: 'time', dims: [0], type: 6, attrs: [['units', 2, 'hours since 2000-01-01 00:00:00'], ['standard_name', 2, 'time']], data: [0, 6] },
  { name: 'lat', dims: [1], type: 6, attrs: [['units', 2, 'degrees_north'], ['standard_name', 2, 'latitude']], data: [10, 11, 12] },
  { name: 'lon', dims: [2], type: 6, attrs: [['units', 2, 'degrees_east'], ['standard_name', 2, 'longitude']], data: [1, 2, 3, 4] },
  { name: 'tas', dims: [0, 1, 2], type: 5, attrs: [['units', 2, 'K'], ['_FillValue', 5, [-999]]], data: Array.from({ length: 24 }, (_, i) => i) },
], 2);

test('classic and 64-bit-offset headers: dims (record dim sized by numrecs), attributes, variables, coordinate values (record stride)', () => {
  for (const v of [1, 2] as const) {
    const p = write(`cube${v}.nc`, cube(v));
    const h = readNc3Header(p);
    assert.equal(h.version, v);
    assert.deepEqual(h.dims, [{ name: 'time', size: 2, unlimited: true }, { name: 'lat', size: 3, unlimited: false }, { name: 'lon', size: 4, unlimited: false }]);
    assert.equal(h.attrs.get('Conventions')?.value, 'CF-1.8');
    assert.deepEqual(h.vars.map((x) => [x.name, x.record]), [['time', true], ['lat', false], ['lon', false], ['tas', true]]);
    assert.deepEqual(h.vars[3]!.attrs.get('_FillValue')?.value, [-999]);
    assert.equal(h.recsize, 8 + 48);
    assert.deepEqual(readNc3Values1D(p, h, h.vars[0]!, 100), [0, 6]);
    assert.deepEqual(readNc3Values1D(p, h, h.vars[2]!, 100), [1, 2, 3, 4]);
    assert.deepEqual(readNc3Values1D(p, h, h.vars[2]!, 2), [1, 4], 'first and last past the limit');
  }
});

test('the metadata of a CF lat/lon cube: variables, dims with CF time as ISO 8601, own grid (bottom-up rows), no CRS without a grid mapping', () => {
  const m = nc3FastMeta(write('cube.nc', cube(1)))!;
  assert.ok(m);
  assert.deepEqual(m.variables, [
    { name: '/time', dims: ['time'], shape: [2], dtype: 'Float64', unit: 'hours since 2000-01-01 00:00:00' },
    { name: '/lat', dims: ['lat'], shape: [3], dtype: 'Float64', unit: 'degrees_north' },
    { name: '/lon', dims: ['lon'], shape: [4], dtype: 'Float64', unit: 'degrees_east' },
    { name: '/tas', dims: ['time', 'lat', 'lon'], shape: [2, 3, 4], dtype: 'Float32', unit: 'K' },
  ]);
  assert.deepEqual((m.dims as any)['/time'], { size: 2, type: 'TEMPORAL', units: 'hours since 2000-01-01 00:00:00', first: '2000-01-01T00:00:00.000Z', last: '2000-01-01T06:00:00.000Z' });
  assert.deepEqual((m.dims as any)['/lon'], { size: 4, type: 'HORIZONTAL_X', units: 'degrees_east', first: 1, last: 4 });
  assert.deepEqual(m.size, [4, 3]);
  assert.equal(m.bands, 2);
  assert.equal(m.nodata, -999);
  assert.deepEqual(m.geotransform, [0.5, 1, 0, 12.5, 0, -1]);
  assert.deepEqual(m.block, [4, 1]);
  assert.equal(m.crs, undefined);
});

test('what the reader is unsure about is left to GDAL (undefined, with the reason), malformed headers too', () => {
  const reasons: string[] = [];
  const why = (r: string) => reasons.push(r);
  // uneven coordinates
  const uneven = cdf(1, [['lat', 3], ['lon', 3]], [], [
    { name: 'lat', dims: [0], type: 6, attrs: [['units', 2, 'degrees_north'], ['standard_name', 2, 'latitude']], data: [0, 1, 3] },
    { name: 'lon', dims: [1], type: 6, attrs: [['units', 2, 'degrees_east'], ['standard_name', 2, 'longitude']], data: [0, 1, 2] },
    { name: 'v', dims: [0, 1], type: 5, data: Array(9).fill(0) },
  ]);
  assert.equal(nc3FastMeta(write('uneven.nc', uneven), why), undefined);
  // _Unsigned (GDAL changes the band type)
  const byteVar = cdf(1, [['x', 4]], [], [{ name: 'b', dims: [0], type: 3, attrs: [['_Unsigned', 2, 'true']], data: [1, 2, 3, 4] }]);
  assert.equal(nc3FastMeta(write('unsigned.nc', byteVar), why), undefined);
  assert.deepEqual(reasons, ['coordinates not evenly spaced', '_Unsigned']);
  // structure errors
  const good = cube(1);
  assert.throws(() => readNc3Header(write('cut.nc', good.subarray(0, 40))), Nc3FormatError);
  const badTag = Buffer.from(good); badTag.writeUInt32BE(0xdeadbeef, 8);
  assert.throws(() => readNc3Header(write('tag.nc', badTag)), /expected NC_DIMENSION/);
  assert.throws(() => readNc3Header(write('short.nc', good.subarray(0, good.length - 8))), /past the end of the file/);
  assert.equal(nc3FastMeta(write('short2.nc', good.subarray(0, good.length - 8))), undefined);
});
