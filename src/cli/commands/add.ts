import type { CommandModule } from '../types.js';

export const command: CommandModule = {
  path: ['add'],
  describe: 'track data files or directories (writes .dvc files, stores data in the cache)',
  configure(cmd) {
    cmd.argument('<targets...>', 'files or directories to track')
      .option('--no-commit', "don't put the data in the cache (hashes are recorded)")
      .option('-o, --out <path>', 'copy the target into this path in the repository and track it there')
      .option('--glob', 'expand the targets as glob patterns');
  },
  async run(ctx, args, opts) {
    const { add } = await import('../../core/api/add.js');
    const res = await add({
      cwd: ctx.cwd, targets: args[0] as string[], noCommit: opts.commit === false, out: opts.out, glob: !!opts.glob,
      signal: ctx.signal, onProgress: ctx.onProgress, logger: ctx.logger,
    });
    const ui = await import('../ui/git-hint.js');
    const hs = await ui.hintSettings(ctx.cwd);
    const files = [...res.outputs.map((o) => o.dvcfile), ...res.gitignores];
    // paths relative to where the user is, so the printed `git add` line can be pasted (DVC does the same)
    const hint = hs && !hs.noScm ? ui.gitHint(hs.root, ctx.cwd, files, hs.autostage) : '';
    if (ctx.json) { ctx.outJson(res); return; }
    // issue 20: a truncated or non-georeferenced raster is added, but said so
    for (const w of res.warnings) ctx.warn(`'${w.file}': ${w.message}`);
    if (res.rasterCheck.skipped) ctx.warn(`checked the headers of the first ${res.rasterCheck.checked} rasters only (cap ${res.rasterCheck.cap}); ${res.rasterCheck.skipped} more not checked: run \`geodvc geo check\` on them`);
    for (const o of res.outputs) {
      ctx.info(`${o.changed ? 'Added' : 'Unchanged'} '${o.path}' (${o.isDir ? `${o.nfiles} files, ` : ''}${o.size} bytes, ${o.hash})`);
    }
    if (hint) ctx.out(hint);
  },
};
