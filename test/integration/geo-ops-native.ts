/** Helpers for comparing our outputs with native GDAL (Debian gdal-bin), the oracle in geo-ops tests. */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { engineKind } from '../../src/geo/engine/native.js';

export const HAVE_GDAL = spawnSync('gdalinfo', ['--version']).status === 0;

/** Skips locally without gdal-bin, fails under CI=true (CI installs it). */
export function needGdal(t: { skip(msg?: string): void }): boolean {
  if (HAVE_GDAL) return true;
  if (process.env.CI === 'true') throw new Error('gdal-bin is required in CI (see .ci/apt-packages.txt)');
  t.skip('gdal-bin not installed');
  return false;
}

/** Native engine present: skips locally without gdal-async, fails under CI=true (CI builds it). */
export function needNative(t: { skip(msg?: string): void }): boolean {
  if (!needGdal(t)) return false;
  if (engineKind() === 'native') return true;
  if (process.env.CI === 'true') throw new Error('gdal-async (native GDAL) is required in CI: .ci/run builds it against libgdal-dev');
  t.skip('gdal-async not installed');
  return false;
}

export function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, GDAL_PAM_ENABLED: 'NO' } });
}

export function gdalinfo(path: string): any {
  return JSON.parse(run('gdalinfo', ['-json', path]));
}

const TYPED: Record<string, any> = { Byte: Uint8Array, UInt16: Uint16Array, Int16: Int16Array, UInt32: Uint32Array, Int32: Int32Array, Float32: Float32Array, Float64: Float64Array };

/** All pixels of a raster as one typed array per band (decoded by native GDAL to ENVI raw); `info`: its gdalinfo, when the caller has it already. */
export function pixels(path: string, info: any = gdalinfo(path)): { type: string; bands: ArrayLike<number>[]; width: number; height: number } {
  const type = info.bands[0].type as string;
  const tmp = `${path}.${process.pid}.raw`;
  try {
    run('gdal_translate', ['-q', '-of', 'ENVI', '-co', 'INTERLEAVE=BSQ', path, tmp]);
    const buf = readFileSync(tmp);
    const T = TYPED[type];
    const all = new T(buf.buffer, buf.byteOffset, buf.byteLength / T.BYTES_PER_ELEMENT);
    const n = info.size[0] * info.size[1];
    return { type, width: info.size[0], height: info.size[1], bands: info.bands.map((_: unknown, i: number) => all.subarray(i * n, (i + 1) * n)) };
  } finally {
    rmSync(tmp, { force: true }); rmSync(`${tmp}.hdr`, { force: true }); rmSync(`${tmp.replace(/\.raw$/, '')}.hdr`, { force: true });
  }
}

/** Max |a-b| over all bands, and the count of differing pixels. */
export function compare(a: ReturnType<typeof pixels>, b: ReturnType<typeof pixels>): { maxAbs: number; differing: number; total: number } {
  let maxAbs = 0, differing = 0, total = 0;
  for (let k = 0; k < a.bands.length; k++) {
    const x = a.bands[k]!, y = b.bands[k]!;
    for (let i = 0; i < x.length; i++) {
      total++;
      const d = Math.abs(x[i]! - y[i]!);
      if (d > 0 || (Number.isNaN(x[i]) !== Number.isNaN(y[i]))) { differing++; if (d > maxAbs) maxAbs = d; }
    }
  }
  return { maxAbs, differing, total };
}

/** A generated multi-band UInt16 scene (tiled 512, DEFLATE+predictor, nodata 0 in a wedge) in EPSG:32632, by native GDAL. */
export function makeScene(path: string, size: number, bands = 4, opts: { blockSize?: number } = {}): void {
  const n = size * size;
  const raw = Buffer.alloc(n * bands * 2);
  let s = 12345;
  for (let b = 0; b < bands; b++) {
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        s = (s * 1103515245 + 12345) & 0x7fffffff;
        const wedge = c + 0.35 * r < size * 0.12;
        const v = wedge ? 0 : 500 + b * 300 + ((r * 7 + c * 3) % 1500) + (s % 97);
        raw.writeUInt16LE(v, (b * n + r * size + c) * 2);
      }
    }
  }
  const base = `${path}.${process.pid}.bil`;
  writeFileSync(base, raw);
  writeFileSync(`${base}.hdr`, `ENVI\nsamples = ${size}\nlines = ${size}\nbands = ${bands}\nheader offset = 0\nfile type = ENVI Standard\ndata type = 12\ninterleave = bsq\nbyte order = 0\n`);
  try {
    const bs = String(opts.blockSize ?? 512);
    run('gdal_translate', ['-q', '-a_srs', 'EPSG:32632', '-a_ullr', '600000', '5000040', String(600000 + size * 10), String(5000040 - size * 10), '-a_nodata', '0',
      '-co', 'TILED=YES', '-co', `BLOCKXSIZE=${bs}`, '-co', `BLOCKYSIZE=${bs}`, '-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=2', base, path]);
  } finally {
    rmSync(base, { force: true }); rmSync(`${base}.hdr`, { force: true });
  }
}
