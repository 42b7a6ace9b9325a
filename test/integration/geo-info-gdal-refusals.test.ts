/**
 * TIFFs GDAL reads differently from their tags, or refuses (issue 18): `geo info` must give GDAL's
 * answer (live gdalinfo): a 24-bit or 12-bit signed sample is unsigned for GDAL; 33-bit samples,
 * a compression with no codec and more blocks than GDAL indexes make GDAL refuse the file, and
 * then `geo info` and `geo check` exit non-zero naming it. Files are written here, byte by byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTmpDir } from '../helpers/tmp.js';
import { runCli } from '../helpers/cli.js';
import { needGdal } from './geo-ops-native.js';

/** A little-endian single-strip (or single-tile) TIFF with the given tags. */
function tiff(o: { w: number; h: number; bits: number; sampleFormat: number; compression?: number; tile?: [number, number] }): Buffer {
  const bytes = Math.ceil(o.bits / 8);
  const data = Buffer.alloc(o.tile ? o.tile[0] * o.tile[1] * bytes : o.w * o.h * bytes);
  const e: [number, number, number][] = [[256, 4, o.w], [257, 4, o.h], [258, 3, o.bits], [259, 3, o.compression ?? 1], [262, 3, 1], [277, 3, 1], [339, 3, o.sampleFormat]];
  if (o.tile) e.push([322, 3, o.tile[0]], [323, 3, o.tile[1]], [324, 4, 0], [325, 4, data.length]);
  else e.push([273, 4, 0], [278, 4, o.h], [279, 4, data.length]);
  e.sort((a, b) => a[0] - b[0]);
  const dataOff = 8 + 2 + e.length * 12 + 4;
  const ifd = Buffer.alloc(2 + e.length * 12 + 4);
  ifd.writeUInt16LE(e.length, 0);
  e.forEach(([tag, type, v], i) => {
    const at = 2 + i * 12;
    ifd.writeUInt16LE(tag, at); ifd.writeUInt16LE(type, at + 2); ifd.writeUInt32LE(1, at + 4);
    const val = tag === 273 || tag === 324 ? dataOff : v;
    if (type === 3) ifd.writeUInt16LE(val, at + 8); else ifd.writeUInt32LE(val, at + 8);
  });
  const head = Buffer.from([0x49, 0x49, 42, 0, 8, 0, 0, 0]);
  return Buffer.concat([head, ifd, data]);
}

test('geo info/check answer like GDAL on bit depths, codecs and block counts GDAL reads differently or refuses', async (t) => {
  if (!needGdal(t)) return;
  const { dir, cleanup } = makeTmpDir();
  try {
    const files: Record<string, Buffer> = {
      'signed24.tif': tiff({ w: 3, h: 2, bits: 24, sampleFormat: 2 }),
      'signed12.tif': tiff({ w: 3, h: 2, bits: 12, sampleFormat: 2 }),
      'signed16.tif': tiff({ w: 3, h: 2, bits: 16, sampleFormat: 2 }),
      'bits33.tif': tiff({ w: 3, h: 2, bits: 33, sampleFormat: 1 }),
      'nocodec.tif': tiff({ w: 3, h: 2, bits: 8, sampleFormat: 1, compression: 65000 }),
      'manyblocks.tif': tiff({ w: 50000, h: 50000, bits: 8, sampleFormat: 1, tile: [1, 1] }),
    };
    const problems: string[] = [];
    for (const [name, buf] of Object.entries(files)) {
      const p = join(dir, name);
      writeFileSync(p, buf);
      const g = spawnSync('gdalinfo', ['-json', p], { encoding: 'utf8' });
      const info = await runCli(['geo', 'info', '--json', p], { cwd: dir });
      if (g.status === 0) {
        const gt = JSON.parse(g.stdout).bands.map((b: any) => b.type);
        if (info.code !== 0) { problems.push(`${name}: GDAL reads it, geo info fails: ${info.stderr}`); continue; }
        const ours = JSON.parse(info.stdout).info.bands.map((b: any) => b.type);
        if (JSON.stringify(ours) !== JSON.stringify(gt)) problems.push(`${name}: types ${ours} vs gdalinfo ${gt}`);
      } else {
        if (info.code === 0 || !(info.stdout + info.stderr).includes(name)) problems.push(`${name}: GDAL refuses it, geo info exits ${info.code}: ${info.stderr}`);
        const check = await runCli(['geo', 'check', p], { cwd: dir });
        if (check.code === 0 || !(check.stdout + check.stderr).includes(name)) problems.push(`${name}: GDAL refuses it, geo check exits ${check.code}`);
      }
    }
    assert.deepEqual(problems, []);
  } finally { cleanup(); }
});
