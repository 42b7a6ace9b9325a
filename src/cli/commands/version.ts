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
    const info = { geodvc: version, node: process.version, platform: `${os.platform()}-${os.arch()}`, dvcCompat: '3.x' };
    if (ctx.json) ctx.outJson(info);
    else ctx.out(`geodvc ${info.geodvc}\n---------------------------------\nPlatform: Node ${info.node} on ${info.platform}\nCompatible with: DVC ${info.dvcCompat}`);
  },
};
