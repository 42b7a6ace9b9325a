import type { CommandModule } from '../types.js';

export const command: CommandModule = {
  path: ['checkout'],
  describe: 'restore tracked data in the workspace from the cache, as the .dvc files record it',
  configure(cmd) {
    cmd.argument('[targets...]', '.dvc files, outputs, or files inside tracked directories (default: all)')
      .option('-f, --force', 'overwrite or delete workspace changes that are not in the cache')
      .option('--relink', 're-create links even for unchanged files (after changing cache.type)');
  },
  async run(ctx, args, opts) {
    const { checkout } = await import('../../core/api/checkout.js');
    const res = await checkout({ cwd: ctx.cwd, targets: (args[0] as string[]) ?? [], force: !!opts.force, relink: !!opts.relink, signal: ctx.signal, onProgress: ctx.onProgress, logger: ctx.logger });
    if (ctx.json) { ctx.outJson(res); return res.failed.length ? 1 : 0; }
    const show = (tag: string, list: string[]) => { for (const p of list.slice(0, 200)) ctx.out(`${tag}       ${p}`); if (list.length > 200) ctx.out(`${tag}       … ${list.length - 200} more`); };
    show('A', res.added);
    show('M', res.modified);
    show('D', res.deleted);
    const parts: string[] = [];
    if (res.added.length) parts.push(`${res.added.length} file${res.added.length > 1 ? 's' : ''} added`);
    if (res.modified.length) parts.push(`${res.modified.length} file${res.modified.length > 1 ? 's' : ''} modified`);
    if (res.deleted.length) parts.push(`${res.deleted.length} file${res.deleted.length > 1 ? 's' : ''} deleted`);
    ctx.out(parts.length ? parts.join(', ') : 'Everything is up to date.');
    if (res.failed.length) {
      ctx.warn(`${res.failed.length} file(s) could not be checked out because their data is missing from the cache:\n${res.failed.slice(0, 20).map((p) => `  ${p}`).join('\n')}`);
      ctx.warn('hint: get the data with `geodvc pull` (or `geodvc fetch` then `geodvc checkout`)');
      return 1;
    }
  },
};
