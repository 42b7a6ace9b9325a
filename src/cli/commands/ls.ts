import type { CommandModule } from '../types.js';

export const command: CommandModule = {
  path: ['ls'],
  aliases: ['list'],
  describe: 'list repository contents with tracked data (outputs marked), including data not checked out',
  configure(cmd) {
    cmd.argument('[path]', 'directory or file inside the repository (default: current directory)')
      .option('-R, --recursive', 'list files recursively')
      .option('--dvc-only', 'only tracked data')
      .option('-s, --size', 'show sizes')
      .option('--show-hash', 'show hash values');
  },
  async run(ctx, args, opts) {
    const { ls } = await import('../../core/api/ls.js');
    const res = await ls({ cwd: ctx.cwd, path: args[0] as string | undefined, recursive: !!opts.recursive, dvcOnly: !!opts.dvcOnly, signal: ctx.signal });
    if (ctx.json) {
      ctx.outJson(res.map((e) => ({ isout: e.isout, isdir: e.isdir, isexec: e.isexec, path: e.path, ...(opts.size ? { size: e.size ?? null } : {}), ...(opts.showHash ? { hash: e.hash ?? null } : {}) })));
      return;
    }
    for (const e of res) {
      const cols: string[] = [];
      if (opts.size) cols.push(String(e.size ?? '-').padStart(12));
      if (opts.showHash) cols.push((e.hash ?? '').padEnd(36));
      cols.push(e.path + (e.isdir ? '/' : ''));
      ctx.out(cols.join('  '));
    }
  },
};
