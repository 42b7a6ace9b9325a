/**
 * `geo info --json` reports gdalinfo's `cornerCoordinates` (upper/lower left/right and centre,
 * through the geotransform; pixel/line without one) with the same doubles as GDAL's own answer for
 * every corpus raster GDAL described (`truth/<file>.gdalinfo.json`, written by Debian's gdalinfo).
 * One run of the built CLI over all of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS, runCli } from '../helpers/cli.js';

test('geo info --json: cornerCoordinates equal gdalinfo\'s on every corpus raster GDAL reads', { timeout: 180_000 }, async () => {
  const truthDir = join(CORPUS, 'truth');
  const cases: { file: string; want: unknown }[] = [];
  for (const n of readdirSync(truthDir).sort()) {
    if (!n.endsWith('.gdalinfo.json')) continue;
    const file = join(CORPUS, n.slice(0, -'.gdalinfo.json'.length));
    if (!/\.(tiff?|vrt)$/i.test(file) || !existsSync(file)) continue;
    const t = JSON.parse(readFileSync(join(truthDir, n), 'utf8')) as { cornerCoordinates?: unknown };
    if (t.cornerCoordinates) cases.push({ file, want: t.cornerCoordinates });
  }
  assert.ok(cases.length >= 40, `${cases.length} corpus rasters with corner coordinates`);
  const r = await runCli(['geo', 'info', '--json', ...cases.map((c) => c.file)], { cwd: CORPUS, timeoutMs: 170_000 });
  const items = JSON.parse(r.stdout) as { path: string; info?: { cornerCoordinates?: unknown }; error?: unknown }[];
  const byPath = new Map(items.map((i) => [i.path, i]));
  let compared = 0;
  const unread: string[] = [];
  for (const c of cases) {
    const it = byPath.get(c.file);
    assert.ok(it, `no answer for ${c.file}`);
    if (it.error) { unread.push(c.file); continue; } // files geodvc refuses are covered by geo-check-corpus
    // (gdalinfo may print a tiny negative as -0.000; geodvc prints 0)
    const noNegZero = (v: unknown) => JSON.parse(JSON.stringify(v), (_k, x) => (x === 0 ? 0 : x));
    assert.deepEqual(noNegZero(it.info!.cornerCoordinates), noNegZero(c.want), c.file);
    compared++;
  }
  assert.ok(compared >= cases.length - 5, `compared ${compared} of ${cases.length}; unread: ${unread.join(', ')}`);
});
