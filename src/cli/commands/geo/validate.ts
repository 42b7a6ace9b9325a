import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['geo', 'validate'],
  describe: 'alignment gate: rasters off the target CRS/resolution/pixel grid (config [geo] or inferred from the first raster), vectors in another CRS; exit 1 on failure',
  configure(cmd) {
    cmd.argument('[targets...]', 'files or directories (default: the whole repository)')
      .option('--crs <crs>', 'target CRS (overrides geo.crs)')
      .option('--resolution <res>', 'pixel size x[,y] (overrides geo.resolution)')
      .option('--origin-tolerance <px>', 'allowed grid phase in pixels (overrides geo.origin_tolerance)');
  },
  async run(ctx, args, opts) {
    const { geoValidate } = await import('../../../core/api/geo-validate.js');
    const { findRepoRoot, openRepoSync } = await import('../../../core/api/repo.js');
    let config: Record<string, string> | undefined;
    if (opts.crs || opts.resolution || opts.originTolerance) {
      const root = findRepoRoot(ctx.cwd);
      config = { ...((root ? openRepoSync(root).config.geo : undefined) ?? {}) } as Record<string, string>;
      if (opts.crs) config.crs = opts.crs;
      if (opts.resolution) config.resolution = opts.resolution;
      if (opts.originTolerance) config.origin_tolerance = opts.originTolerance;
    }
    const r = await geoValidate({ cwd: ctx.cwd, targets: (args[0] as string[] | undefined) ?? [], config, signal: ctx.signal, onProgress: ctx.onProgress });
    if (ctx.json) {
      const { crs, ...rules } = r.rules;
      ctx.outJson({ ok: r.ok, checked: r.checked, rules: { ...rules, crs: crs ? (crs.epsg !== undefined ? `EPSG:${crs.epsg}` : crs.name) : undefined }, violations: r.violations });
      return r.ok ? 0 : 1;
    }
    const ru = r.rules;
    ctx.out(`target: CRS ${ru.crsText ?? 'any'} (${ru.source.crs ?? '-'}), resolution ${ru.resolution ? ru.resolution.join(' x ') : 'any'} (${ru.source.resolution ?? '-'}), grid origin ${ru.origin ? ru.origin.join(', ') : 'any'} ± ${ru.originTolerance} px`);
    for (const v of r.violations) ctx.out(`FAIL ${v.file}: [${v.rule}] ${v.message}`, true);
    ctx.out(r.ok ? `${r.checked} file(s) aligned` : `${r.violations.length} alignment problem(s) in ${new Set(r.violations.map((v) => v.file)).size} of ${r.checked} file(s)`, !r.ok);
    return r.ok ? 0 : 1;
  },
};
