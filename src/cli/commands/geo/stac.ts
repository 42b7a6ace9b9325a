import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['geo', 'stac'],
  describe: 'publish tracked rasters and vector label sets as a STAC 1.0 Catalog + Collection + Items (validated offline)',
  configure(cmd) {
    cmd.argument('[targets...]', 'tracked files/directories or .dvc files (default: everything tracked)')
      .requiredOption('-o, --output <dir>', 'directory to write catalog.json, collection.json and items/')
      .option('--rev <rev>', 'publish the data as tracked at this git revision')
      .option('--href-base <url>', 'absolute URL prefix for asset and self hrefs (default: relative paths to the workspace files)')
      .option('--collection-id <id>', 'collection id (default: the repository folder name)')
      .option('--no-validate', 'skip validation against the bundled STAC schemas')
      .option('--no-verify', 'skip decoding every block of the tracked rasters first (verified cache objects are remembered; for huge data already checked)');
  },
  async run(ctx, args, opts) {
    const { geoStac } = await import('../../../core/api/stac.js');
    const r = await geoStac({ cwd: ctx.cwd, targets: (args[0] as string[] | undefined) ?? [], output: opts.output, rev: opts.rev, hrefBase: opts.hrefBase, collectionId: opts.collectionId, validate: opts.validate !== false, verify: opts.verify !== false, signal: ctx.signal, onProgress: ctx.onProgress });
    if (ctx.json) { ctx.outJson({ output: r.output, catalog: r.catalog, collection: r.collection, items: r.items, skipped: r.skipped, validated: opts.validate !== false }); return 0; }
    for (const s of r.skipped) ctx.warn(`skipped ${s.path}: ${s.reason}`);
    ctx.out(`${r.items.length} item(s) written to ${r.output}${opts.validate !== false ? ' (valid)' : ''}`);
    return 0;
  },
};
