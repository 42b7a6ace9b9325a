/**
 * `readRasterInfo` / `readVectorInfo` against GDAL 3.6.2's answers for every corpus file GDAL reads:
 * size, band count, data types, nodata, geotransform (1e-9 relative), EPSG, block size,
 * compression, overview count; vectors: layer count, feature count, geometry type, extent, EPSG.
 * Prints every disagreement and the agreement rate (docs/geo.md quotes it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corpusEntries, compareRaster, compareVector, truthExists, type Row } from './geo-corpus-compare.js';


async function run(kind: 'raster' | 'vector'): Promise<Row[]> {
  const rows: Row[] = [];
  for (const e of corpusEntries()) {
    if (e.kind !== kind || !e.readable_by_gdal || e.truth_status === 'failed' || !truthExists(e)) continue;
    rows.push(...(kind === 'raster' ? await compareRaster(e) : await compareVector(e)));
  }
  return rows;
}

function report(kind: string, rows: Row[]): void {
  const files = new Set(rows.map((r) => r.file));
  const ok = rows.filter((r) => r.ok).length;
  for (const r of rows) if (!r.ok) process.stdout.write(`# DIFF ${r.file} ${r.field}: ours=${JSON.stringify(r.ours)} gdal=${JSON.stringify(r.gdal)}\n`);
  process.stdout.write(`# ${kind}: ${files.size} files, ${rows.length} file×field checks, agreement ${ok}/${rows.length} = ${((100 * ok) / rows.length).toFixed(2)}%\n`);
  const byField = new Map<string, [number, number]>();
  for (const r of rows) { const f = r.field.replace(/\[.*\]$/, ''); const v = byField.get(f) ?? [0, 0]; v[1]++; if (r.ok) v[0]++; byField.set(f, v); }
  for (const [f, [a, n]] of byField) process.stdout.write(`#   ${f}: ${a}/${n}\n`);
}

test('raster metadata agrees with gdalinfo -json on every corpus raster GDAL reads', async () => {
  const rows = await run('raster');
  report('raster', rows);
  assert.ok(rows.length > 800, `expected ~100 rasters × 9 fields, got ${rows.length} checks`);
  assert.deepEqual(rows.filter((r) => !r.ok).map((r) => `${r.file}:${r.field}`), []);
});

test('vector metadata agrees with ogrinfo on every corpus vector', async () => {
  const rows = await run('vector');
  report('vector', rows);
  assert.ok(rows.length > 150, `expected 34 vectors × 6 fields, got ${rows.length} checks`);
  assert.deepEqual(rows.filter((r) => !r.ok).map((r) => `${r.file}:${r.field}`), []);
});
