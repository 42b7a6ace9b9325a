import type { CommandModule } from '../types.js';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

/** The optional SDKs `doctor` reports (DVC's doctor lists its remote plugins the same way). */
export const OPTIONAL_PACKAGES = ['@aws-sdk/client-s3', '@azure/storage-blob', '@google-cloud/storage', 'ssh2-sftp-client', 'bullmq', 'gdal-async'] as const;

/** The installed version of `name`, or undefined: found from its entry point (some packages do not export package.json). */
function installedVersion(name: string): string | undefined {
  const req = createRequire(import.meta.url);
  let entry: string;
  try { entry = req.resolve(name); } catch {
    try { return req(`${name}/package.json`).version; } catch { return undefined; }
  }
  for (let d = dirname(entry); d !== dirname(d); d = dirname(d)) {
    const p = join(d, 'package.json');
    if (!existsSync(p)) continue;
    try {
      const pkg = JSON.parse(readFileSync(p, 'utf8'));
      if (pkg.name === name) return pkg.version;
    } catch { /* keep walking */ }
  }
  return undefined;
}

export const command: CommandModule = {
  path: ['version'],
  aliases: ['doctor'],
  describe: 'print geodvc, platform and dependency versions (GDAL, xxhash backend, SDKs, cache of the current repo)',
  async run(ctx) {
    const here = dirname(fileURLToPath(import.meta.url));
    let version = '0.0.0';
    for (const up of ['../../..', '../../../..']) {
      try { version = JSON.parse(readFileSync(join(here, up, 'package.json'), 'utf8')).version; break; } catch { /* try next */ }
    }
    const { runtimeReport } = await import('../../core/api/doctor.js');
    const rt = runtimeReport(ctx.cwd);
    const geo = rt.geo;
    const proj = rt.proj;
    const xxhash = rt.xxhashNative ? `native libxxhash (koffi ${installedVersion('koffi') ?? '?'})` : `WASM (hash-wasm ${installedVersion('hash-wasm') ?? '?'})`;
    const packages: Record<string, string> = {};
    for (const p of OPTIONAL_PACKAGES) packages[p] = installedVersion(p) ?? 'not installed';
    const repo = rt.repo;
    const info = {
      geodvc: version, node: process.version, platform: `${os.platform()}-${os.arch()}`, dvcCompat: '3.x', geoEngine: geo,
      proj: proj ?? null, xxhash, packages, repo: repo ?? null,
    };
    if (ctx.json) { ctx.outJson(info); return; }
    const engine = geo.engine === 'native' ? `${geo.native}; drivers ${geo.drivers?.join(', ')}` : `gdal3.js (WebAssembly)${geo.nativeError ? `; native GDAL unavailable: ${geo.nativeError.split('\n')[0]}` : ''}`;
    const lines = [
      `geodvc ${info.geodvc}`,
      '---------------------------------',
      `Platform: Node ${info.node} on ${info.platform}`,
      `Compatible with: DVC ${info.dvcCompat}`,
      `Geo engine: ${engine}`,
      ...(proj ? [`PROJ: ${proj}`] : []),
      `xxhash: ${xxhash}`,
      'Supports:',
      ...OPTIONAL_PACKAGES.map((p) => `\t${p} (${packages[p]})`),
    ];
    if (repo) {
      const dir = relative(ctx.cwd, repo.cacheDir) || '.';
      lines.push(`Cache types: ${repo.cacheType}`, `Cache directory: ${dir}`);
    }
    ctx.out(lines.join('\n'));
  },
};
