import type { CommandModule } from '../../types.js';
import { UsageError } from '../../../lib/errors.js';

export const command: CommandModule = {
  path: ['geo', 'check'],
  describe: 'integrity walk of rasters (IFDs, tags, block offsets, then GDAL decodes every block of every band, overview and mask) and vectors (every feature); exit 1 on any problem',
  configure(cmd) {
    cmd.argument('[targets...]', 'files or directories (default: the whole repository)')
      .option('--quick', 'decode a sample of blocks per image instead of every block (a corrupt tile elsewhere goes unnoticed)')
      .option('--deep', "also decode every TIFF block with geodvc's own decoder (its decode-bomb guards), besides GDAL's check of every block")
      .option('-j, --jobs <n>', 'files checked in parallel', '2')
      .option('--timeout <seconds>', 'overall time limit; what is not reached by then is listed and the exit code is 1', '600');
  },
  async run(ctx, args, opts) {
    const { geoCheck } = await import('../../../core/api/geo-check.js');
    const timeoutS = Number(opts.timeout);
    if (!(timeoutS > 0)) throw new UsageError(`--timeout must be a positive number of seconds, got ${opts.timeout}`, { hint: 'e.g. --timeout 600' });
    const r = await geoCheck({ cwd: ctx.cwd, targets: (args[0] as string[] | undefined) ?? [], deep: !!opts.deep, quick: !!opts.quick, jobs: Number(opts.jobs) || 2, timeoutS, signal: ctx.signal, onProgress: ctx.onProgress });
    const code = r.failed || r.timedOut ? 1 : 0;
    if (ctx.json) { ctx.outJson({ ok: code === 0, failed: r.failed, checked: r.files.length, timedOut: r.timedOut, timeoutS: r.timeoutS, notReached: r.notReached, files: r.files }); return code; }
    for (const f of r.files) {
      const errs = f.problems.filter((p) => p.severity === 'error');
      if (errs.length) {
        ctx.out(`FAIL ${f.file}`, true);
        for (const p of errs) ctx.out(`  ${p.structure}${p.offset !== undefined ? ` @ byte ${p.offset}` : ''}: ${p.message}`, true);
      } else if (ctx.verbose) ctx.out(`ok   ${f.file}${f.blocksDecoded !== undefined ? ` (${f.blocksDecoded} block(s) decoded)` : ''}${f.featuresParsed !== undefined ? ` (${f.featuresParsed} feature(s))` : ''}`);
      if (ctx.verbose) for (const p of f.problems.filter((x) => x.severity === 'warning')) ctx.out(`  warning ${p.structure}: ${p.message}`);
    }
    if (r.timedOut) {
      ctx.out(`time limit of ${r.timeoutS} s reached; not reached:`, true);
      for (const f of r.files) if (f.notReached) ctx.out(`  ${f.file}: ${f.notReached}`, true);
      for (const f of r.notReached) ctx.out(`  ${f}: not checked`, true);
    }
    ctx.out(r.failed ? `${r.failed} of ${r.files.length} file(s) failed the integrity check` : r.timedOut ? `${r.files.length} file(s) checked, ${r.notReached.length} not reached (raise --timeout to check everything)` : `${r.files.length} file(s) ok`);
    return code;
  },
};
