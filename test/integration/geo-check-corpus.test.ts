/**
 * `geo check` (no flags: the structure of every file, then GDAL's checksum of every block of every
 * raster) on every corpus file at once, as `geo check FILES...` runs: the files GDAL cannot read or
 * decode (truth: gdalinfo failed, a band checksum of -1, or ogrinfo iterating fewer features than
 * it counts) must be reported with a specific reason; every other file must pass. The whole run
 * has a 120 s time limit (a hang guard: a few seconds of CPU in all; a loaded 2-core machine
 * stretches the wall time 10x), which it must not reach.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { geoCheck } from '../../src/core/api/geo-check.js';
import { CORPUS } from '../helpers/cli.js';
import { corpusEntries } from './geo-corpus-compare.js';

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

test('geo check flags exactly the corpus files GDAL cannot read or decode, within its time limit', async () => {
  const entries = corpusEntries().filter((e: any) => e.kind === 'raster' || e.kind === 'vector');
  const wrong: string[] = [];
  let flagged = 0;
  let expected = 0;
  const t0 = Date.now();
  const run = await geoCheck({ cwd: CORPUS, targets: entries.map((e: any) => e.file), jobs: 2, timeoutS: 120 });
  const ms = Date.now() - t0;
  assert.equal(run.timedOut, false, `time limit reached after ${ms} ms: ${run.notReached.join(', ')} ${run.files.filter((f) => f.notReached).map((f) => f.file).join(', ')}`);
  const byFile = new Map(run.files.map((f) => [f.file, f]));
  for (const e of entries) {
    const r = byFile.get(e.file);
    if (!r) { wrong.push(`${e.file}: not checked`); continue; }
    const bad = gdalFails(e);
    if (bad) expected++;
    const errs = r.problems.filter((p) => p.severity === 'error');
    if (!r.ok) flagged++;
    if (errs.length) process.stdout.write(`# FAIL ${e.file} — ${errs[0]!.structure}${errs[0]!.offset !== undefined ? ` @${errs[0]!.offset}` : ''}: ${errs[0]!.message}\n`);
    if (bad && r.ok) wrong.push(`${e.file}: GDAL fails on it but geo check passed`);
    if (!bad && !r.ok) wrong.push(`${e.file}: valid file flagged: ${errs.map((p) => p.message).join('; ')}`);
    if (bad && !r.ok) for (const p of errs) assert.ok(p.code && p.structure && p.message.length > 10, `${e.file}: unspecific report ${JSON.stringify(p)}`);
    if (r.kind === 'raster' && r.ok && r.format === 'GTiff') assert.equal(r.decode, 'gdal', `${e.file}: pixels not checked by GDAL`);
  }
  process.stdout.write(`# ${entries.length} files in ${ms} ms, ${expected} unreadable per GDAL, ${flagged} flagged\n`);
  assert.ok(expected >= 10, `the corpus should hold ~11 broken files, found ${expected}`);
  assert.deepEqual(wrong, []);
});
