import type { CommandModule } from '../types.js';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

export const command: CommandModule = {
  path: ['version'],
  aliases: ['doctor'],
  describe: 'print geodvc, platform and dependency versions',
  async run(ctx) {
    const here = dirname(fileURLToPath(import.meta.url));
    let version = '0.0.0';
    for (const up of ['../../..', '../../../..']) {
      try { version = JSON.parse(readFileSync(join(here, up, 'package.json'), 'utf8')).version; break; } catch { /* try next */ }
    }
    const { engineReport } = await import('../../geo/engine/native.js');
    const geo = engineReport();
    const info = { geodvc: version, node: process.version, platform: `${os.platform()}-${os.arch()}`, dvcCompat: '3.x', geoEngine: geo };
    if (ctx.json) ctx.outJson(info);
    else {
      const engine = geo.engine === 'native' ? `${geo.native}; drivers ${geo.drivers?.join(', ')}` : `gdal3.js (WebAssembly)${geo.nativeError ? `; native GDAL unavailable: ${geo.nativeError.split('\n')[0]}` : ''}`;
      ctx.out(`geodvc ${info.geodvc}\n---------------------------------\nPlatform: Node ${info.node} on ${info.platform}\nCompatible with: DVC ${info.dvcCompat}\nGeo engine: ${engine}`);
    }
  },
};
