/**
 * Issue 18: `geo vrt` on rasters whose headers are fine but whose pixels GDAL cannot decode (the
 * broken copies of geo-undecodable-files.ts and the corpus's truncated JPEG2000 files), with
 * `gdalinfo -json -checksum` as the oracle: each such file fails naming the file, the band and one
 * of the blocks GDAL names, no VRT and no temp file is written; files GDAL decodes pass; `geo check
 * --deep` agrees with GDAL on every file; a mosaic with one bad input fails; `--no-verify` writes
 * the VRT (which gdalinfo then cannot checksum).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { makeTmpDir } from '../helpers/tmp.js';
import { CORPUS } from '../helpers/cli.js';
import { needNative } from './geo-ops-native.js';
import { buildVrtFile } from '../../src/geo/ops/vrt.js';
import { checkFile } from '../../src/core/api/geo-check.js';
import { AppError } from '../../src/lib/errors.js';
import { gdalSize, gdalVerdict, makeFiles } from './geo-undecodable-files.js';

test('geo vrt refuses every input GDAL cannot decode (file, band, tile/strip named; nothing written), agrees with gdalinfo -checksum and geo check --deep', async (t) => {
  if (!needNative(t)) return;
  const { dir, cleanup } = makeTmpDir();
  t.after(cleanup);
  const { files, good } = makeFiles(join(dir, 'gen'));
  let refused = 0;
  const written = new Set<string>();
  // and two truncated JPEG2000 files of the corpus beside an intact one
  const jp2 = ['byte_truncated.jp2', 'small_world_truncated.jp2', 'byte.jp2'].map((n) => join(CORPUS, 'formats', n));
  for (const f of [...files, good, ...jp2]) {
    const v = gdalVerdict(f);
    const name = basename(f);
    const out = join(dir, `${name}.vrt`);
    const check = await checkFile(f, { deep: true });
    assert.equal(check.ok, v.decodes, `geo check --deep ${name}: ${JSON.stringify(check.problems.slice(0, 2))} vs gdalinfo -checksum (decodes: ${v.decodes})`);
    if (v.decodes) {
      const r = await buildVrtFile({ output: out, inputs: [f] });
      assert.equal(r.width, gdalSize(f)[0]);
      written.add(basename(out));
      continue;
    }
    refused++;
    await assert.rejects(buildVrtFile({ output: out, inputs: [f] }), (e: unknown) => {
      assert.ok(e instanceof AppError, String(e));
      assert.equal(e.exitCode, 1);
      assert.equal(e.code, 'invalid-file');
      assert.ok(e.message.includes(name), e.message);
      assert.ok(e.hint && /--no-verify/.test(e.hint), e.hint);
      const d = e.details as { band: number; level: number; blockX: number; blockY: number };
      if (v.overviewOnly) assert.ok(d.level > 0, `${name}: GDAL fails only in an overview, we named level ${d.level}`);
      else assert.equal(d.level, 0, `${name}: ${e.message}`);
      if (v.blocks.size) assert.ok(v.blocks.has(`${d.band}:${d.blockX}:${d.blockY}`), `${name}: we named band ${d.band} block ${d.blockX},${d.blockY}; GDAL: ${[...v.blocks].join(' ')}`);
      assert.match(e.message, /tile \(\d+, \d+\)|strip \d+|its only block/);
      return true;
    });
    assert.deepEqual(readdirSync(dir).filter((n) => n !== 'gen' && !written.has(n)), [], `${name}: a VRT or temp file was left`);
  }
  assert.ok(refused >= 7, `only ${refused} of the broken copies are undecodable for GDAL`);
  // a mosaic with one bad input names it and writes nothing
  const bad = files.find((f) => !gdalVerdict(f).decodes)!;
  await assert.rejects(buildVrtFile({ output: join(dir, 'mosaic.vrt'), inputs: [good, bad] }), (e: unknown) => e instanceof AppError && e.message.includes(basename(bad)));
  assert.equal(existsSync(join(dir, 'mosaic.vrt')), false);
  // the opt-out writes it, and GDAL then fails reading the VRT
  await buildVrtFile({ output: join(dir, 'unverified.vrt'), inputs: [bad], verify: false });
  assert.equal(gdalVerdict(join(dir, 'unverified.vrt')).decodes, false);
});
