import type { CommandModule } from '../types.js';

export const command: CommandModule = {
  path: ['import'],
  describe: 'download data tracked in another git+DVC repository and track it here (frozen, updatable with `update`)',
  configure(cmd) {
    cmd.argument('<url>', 'the source repository: a local path or a git URL')
      .argument('<path>', 'path of the data inside the source repository (an output, or a file/directory inside one)')
      .option('-o, --out <path>', 'where to put the data (default: the basename of PATH in the current directory)')
      .option('--rev <rev>', 'git revision (branch, tag, commit) of the source (default: its default branch)')
      .option('--no-exec', 'only write the .dvc file (no hash resolved, nothing downloaded)')
      .option('--no-download', 'resolve and record the hashes, but do not download the data')
      .option('-f, --force', 'overwrite an existing output and .dvc file')
      .option('-j, --jobs <n>', 'objects downloaded in parallel', (v) => Number(v));
  },
  async run(ctx, args, opts) {
    const { importData } = await import('../../core/api/import.js');
    const res = await importData({
      cwd: ctx.cwd, url: args[0] as string, path: args[1] as string, out: opts.out, rev: opts.rev,
      noExec: opts.exec === false, noDownload: opts.download === false, force: !!opts.force, jobs: opts.jobs,
      signal: ctx.signal, onProgress: ctx.onProgress, logger: ctx.logger,
    });
    if (ctx.json) { ctx.outJson(res); return; }
    const what = res.oid ? ` (${res.nfiles !== undefined ? `${res.nfiles} files, ` : ''}${res.size ?? '?'} bytes, ${res.revLock?.slice(0, 7) ?? ''})` : '';
    ctx.info(`Importing '${res.path}' (${res.url}) -> '${res.out}'${what}${res.checkedOut ? '' : ' (not downloaded)'}`);
    const files = [res.dvcfile, ...(res.gitignore ? [res.gitignore] : [])];
    ctx.out(`\nTo track the changes with git, run:\n\n\tgit add ${files.join(' ')}\n`);
  },
};
