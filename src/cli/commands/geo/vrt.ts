import type { CommandModule } from '../../types.js';
import { relative, resolve, sep } from 'node:path';
import { UsageError } from '../../../lib/errors.js';

/** A path as DVC prints it: relative to where the user is, with forward slashes (issue 20). */
function shownPath(cwd: string, p: string): string {
  return relative(cwd, resolve(cwd, p)).split(sep).join('/') || '.';
}

export const command: CommandModule = {
  path: ['geo', 'vrt'],
  describe: 'write a GDAL VRT mosaic or band/temporal stack (--separate) over rasters, with relative paths',
  configure(cmd) {
    cmd.argument('<output>', 'the .vrt file to write')
      .argument('<inputs...>', 'raster files or directories')
      .option('--separate', 'one band per input, ordered by acquisition date when known')
      .option('--resolution <mode>', 'highest|lowest|average|user', 'average')
      .option('--res <r>', 'pixel size for --resolution user ("10" or "10,20")')
      .option('--no-verify', 'skip decoding every block of the inputs first (for huge inputs already checked; an undecodable input then yields a VRT that fails on read)');
  },
  async run(ctx, args, opts) {
    const { buildVrtFile } = await import('../../../core/api/geo-ops.js');
    const [output, inputs] = args as [string, string[]];
    if (!['highest', 'lowest', 'average', 'user'].includes(opts.resolution)) throw new UsageError(`unknown --resolution ${opts.resolution}`, { hint: 'use highest, lowest, average or user' });
    let res: [number, number] | undefined;
    if (opts.res !== undefined) {
      const p = String(opts.res).split(',').map(Number);
      if (p.some((x) => !(x > 0))) throw new UsageError(`--res must be positive, got ${opts.res}`, { hint: 'e.g. --res 10' });
      res = [p[0]!, p[1] ?? p[0]!];
    }
    const r = await buildVrtFile({ output, inputs, separate: !!opts.separate, resolution: opts.resolution, res, verify: opts.verify !== false, signal: ctx.signal, onProgress: ctx.onProgress });
    if (ctx.json) ctx.outJson(r);
    else ctx.out(`wrote ${shownPath(ctx.cwd, r.output)}: ${r.width}x${r.height}, ${r.bands} band(s) from ${r.sources.length} input(s), ${r.bytes} bytes`);
  },
};
