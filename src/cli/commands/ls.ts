import type { CommandModule } from '../types.js';

export const command: CommandModule = {
  path: ['ls'],
  aliases: ['list'],
  describe: 'list a repository (this one, or another: local path or git URL) with tracked data marked, including data not checked out',
  configure(cmd) {
    cmd.argument('[url]', 'repository to list (a local path or git URL); omit for this repository')
      .argument('[path]', 'directory or file inside the repository (default: its root, or the current directory)')
      .option('--rev <rev>', 'git revision to list (default: the workspace of a local repository)')
      .option('-R, --recursive', 'list files recursively')
      .option('--dvc-only', 'only tracked data')
      .option('-s, --size', 'show sizes')
      .option('--show-hash', 'show hash values');
  },
  async run(ctx, args, opts) {
    const { ls, looksLikeRepo } = await import('../../core/api/ls.js');
    let url = args[0] as string | undefined;
    let path = args[1] as string | undefined;
    // DVC's form is `ls URL [PATH]`; a single argument that is not a repository is a path here
    if (url !== undefined && path === undefined && !looksLikeRepo(url, ctx.cwd)) { path = url; url = undefined; }
    const res = await ls({ cwd: ctx.cwd, url, path, rev: opts.rev, recursive: !!opts.recursive, dvcOnly: !!opts.dvcOnly, signal: ctx.signal, onProgress: ctx.onProgress, logger: ctx.logger });
    if (ctx.json) {
      ctx.outJson(res.map((e) => ({ isout: e.isout, isdir: e.isdir, isexec: e.isexec, size: e.size, md5: e.md5, ...(e.hash ? { hash: e.hash } : {}), path: e.path })));
      return;
    }
    for (const e of res) {
      const cols: string[] = [];
      if (opts.size) cols.push(String(e.size ?? '-').padStart(12));
      if (opts.showHash) cols.push((e.md5 ?? e.hash ?? '').padEnd(36));
      cols.push(e.path + (e.isdir ? '/' : ''));
      ctx.out(cols.join('  '));
    }
  },
};
