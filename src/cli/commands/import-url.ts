import type { CommandModule } from '../types.js';

export const command: CommandModule = {
  path: ['import-url'],
  describe: 'download a file or directory from a URL or local path and track it (frozen, updatable with `update`)',
  configure(cmd) {
    cmd.argument('<url>', 'local path, or s3:// azure:// gs:// ssh:// http(s):// webdav(s):// URL')
      .argument('[out]', 'where to put it in the repository (default: the last part of URL)')
      .option('--no-exec', 'only write the .dvc file (nothing downloaded or hashed)')
      .option('--no-download', 'record the hashes, but keep no copy of the data')
      .option('-f, --force', 'overwrite an existing output and .dvc file');
  },
  async run(ctx, args, opts) {
    const { importUrl } = await import('../../core/api/import-url.js');
    const res = await importUrl({
      cwd: ctx.cwd, url: args[0] as string, out: args[1] as string | undefined,
      noExec: opts.exec === false, noDownload: opts.download === false, force: !!opts.force,
      signal: ctx.signal, onProgress: ctx.onProgress, logger: ctx.logger,
    });
    if (ctx.json) { ctx.outJson(res); return; }
    ctx.info(`Importing '${res.url}' -> '${res.out}'${res.oid ? ` (${res.nfiles !== undefined ? `${res.nfiles} files, ` : ''}${res.size} bytes)` : ''}${res.checkedOut ? '' : ' (not downloaded)'}`);
    ctx.out(`\nTo track the changes with git, run:\n\n\tgit add ${[res.dvcfile, ...(res.gitignore ? [res.gitignore] : [])].join(' ')}\n`);
  },
};
