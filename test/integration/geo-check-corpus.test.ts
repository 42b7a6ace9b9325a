/**
 * `geo check` on every corpus file: the files GDAL cannot read or decode (truth: gdalinfo failed,
 * a band checksum of -1, or ogrinfo iterating fewer features than it counts) must be reported with
 * a specific reason; every other file must pass. Each file must finish within 60 s (a hang guard:
 * about 1-3 s of CPU each; a loaded 2-core machine stretches the wall time 10x).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkFile } from '../../src/core/api/geo-check.js';
import { CORPUS } from '../helpers/cli.js';
import { corpusEntries } from './geo-corpus-compare.js';
import { mapLimit } from '../../src/lib/pool.js';

function gdalFails(e: any): boolean {
  if (e.kind === 'raster') {
    const p = join(CORPUS, 'truth', `${e.file}.gdalinfo.json`);
    if (!existsSync(p)) return !e.readable_by_gdal;
    const t = JSON.parse(readFileSync(p, 'utf8'));
    if (t.gdalinfo_failed) return true;
    return (t.bands ?? []).some((b: any) => b.checksum === -1);
  }
  const t = JSON.parse(readFileSync(join(CORPUS, 'truth', `${e.file}.ogrinfo.json`), 'utf8'));
  return t.layers.some((l: any) => (l.computed?.features_iterated ?? l.feature_count) !== l.feature_count);
}

test('geo check flags exactly the corpus files GDAL cannot read or decode, each within 60 s', async () => {
  const entries = corpusEntries().filter((e: any) => e.kind === 'raster' || e.kind === 'vector');
  const wrong: string[] = [];
  let flagged = 0;
  let expected = 0;
  // Two files at a time, as `geo check` runs by default; each file is still timed on its own.
  const results = await mapLimit(entries, 2, async (e: any) => {
    const t0 = Date.now();
    const r = await checkFile(join(CORPUS, e.file));
    return { e, r, ms: Date.now() - t0 };
  });
  for (const { e, r, ms } of results) {
    const bad = gdalFails(e);
    if (bad) expected++;
    const errs = r.problems.filter((p) => p.severity === 'error');
    if (!r.ok) flagged++;
    process.stdout.write(`# ${r.ok ? 'ok  ' : 'FAIL'} ${e.file} ${ms} ms${errs.length ? ` — ${errs[0]!.structure}${errs[0]!.offset !== undefined ? ` @${errs[0]!.offset}` : ''}: ${errs[0]!.message}` : ''}\n`);
    if (ms > 60_000) wrong.push(`${e.file}: took ${ms} ms`);
    if (bad && r.ok) wrong.push(`${e.file}: GDAL fails on it but geo check passed`);
    if (!bad && !r.ok) wrong.push(`${e.file}: valid file flagged: ${errs.map((p) => p.message).join('; ')}`);
    if (bad && !r.ok) for (const p of errs) assert.ok(p.code && p.structure && p.message.length > 10, `${e.file}: unspecific report ${JSON.stringify(p)}`);
  }
  process.stdout.write(`# ${entries.length} files, ${expected} unreadable per GDAL, ${flagged} flagged\n`);
  assert.ok(expected >= 10, `the corpus should hold ~11 broken files, found ${expected}`);
  assert.deepEqual(wrong, []);
});
