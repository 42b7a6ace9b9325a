import type { CommandModule } from '../../types.js';
import { UsageError } from '../../../lib/errors.js';

export const command: CommandModule = {
  path: ['geo', 'split'],
  describe: 'assign chips to train/val/test with no chip closer than --buffer to a chip of another split',
  configure(cmd) {
    cmd.requiredOption('--index <file>', 'chip index (chips.geojson from geo chip)')
      .option('--method <m>', 'block|cluster|random', 'block')
      .option('--block-size <metres>', 'block edge (block) or target cluster size (cluster)', '1000')
      .option('--buffer <metres>', 'minimum distance between chips of different splits', '0')
      .option('--ratios <list>', 'train,val[,test] fractions summing to 1', '0.7,0.15,0.15')
      .option('--seed <n>', 'random seed', '0')
      .option('--output <file>', 'assignment JSON (default: splits.json beside the index)');
  },
  async run(ctx, _args, opts) {
    const { split } = await import('../../../core/api/geo-ops.js');
    const num = (v: unknown, name: string) => { const n = Number(v); if (!Number.isFinite(n)) throw new UsageError(`${name} must be a number, got ${v}`, { hint: `e.g. ${name} 500` }); return n; };
    const r = await split({
      index: opts.index, method: opts.method, blockSize: num(opts.blockSize, '--block-size'), buffer: num(opts.buffer, '--buffer'),
      ratios: String(opts.ratios).split(',').map((x) => num(x, '--ratios')), seed: num(opts.seed, '--seed'), output: opts.output,
    });
    for (const w of r.warnings) ctx.warn(w);
    const { assignments: _a, ...summary } = r;
    if (ctx.json) ctx.outJson(summary);
    else {
      ctx.out(Object.entries(r.counts).map(([k, v]) => `${k}: ${v}`).join(', ') + `; dropped for the buffer: ${r.dropped} of ${r.dropped + Object.values(r.counts).reduce((a, b) => a + b, 0)}`);
      ctx.out(`minimum cross-split distance: ${r.minCrossSplitDistance === null ? 'n/a (one split only)' : `${r.minCrossSplitDistance.toFixed(1)} m`}`, true);
    }
  },
};
