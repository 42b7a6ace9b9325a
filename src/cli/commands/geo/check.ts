import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['geo', 'check'],
  describe: 'integrity walk of rasters (IFDs, tags, block offsets, sampled decode) and vectors (every feature); exit 1 on any problem',
  configure(cmd) {
    cmd.argument('[targets...]', 'files or directories (default: the whole repository)')
      .option('--deep', 'decode every block instead of a sample')
      .option('-j, --jobs <n>', 'files checked in parallel', '2');
  },
  async run(ctx, args, opts) {
    const { geoCheck } = await import('../../../core/api/geo-check.js');
    const r = await geoCheck({ cwd: ctx.cwd, targets: (args[0] as string[] | undefined) ?? [], deep: !!opts.deep, jobs: Number(opts.jobs) || 2, signal: ctx.signal, onProgress: ctx.onProgress });
    if (ctx.json) { ctx.outJson({ ok: r.failed === 0, failed: r.failed, checked: r.files.length, files: r.files }); return r.failed ? 1 : 0; }
    for (const f of r.files) {
      const errs = f.problems.filter((p) => p.severity === 'error');
      if (errs.length) {
        ctx.out(`FAIL ${f.file}`, true);
        for (const p of errs) ctx.out(`  ${p.structure}${p.offset !== undefined ? ` @ byte ${p.offset}` : ''}: ${p.message}`, true);
      } else if (ctx.verbose) ctx.out(`ok   ${f.file}${f.blocksDecoded !== undefined ? ` (${f.blocksDecoded} block(s) decoded)` : ''}${f.featuresParsed !== undefined ? ` (${f.featuresParsed} feature(s))` : ''}`);
      if (ctx.verbose) for (const p of f.problems.filter((x) => x.severity === 'warning')) ctx.out(`  warning ${p.structure}: ${p.message}`);
    }
    ctx.out(r.failed ? `${r.failed} of ${r.files.length} file(s) failed the integrity check` : `${r.files.length} file(s) ok`);
    return r.failed ? 1 : 0;
  },
};
