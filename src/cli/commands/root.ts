import type { CommandModule } from '../types.js';

export const command: CommandModule = {
  path: ['root'],
  describe: 'print the repository root, relative to the current directory',
  async run(ctx) {
    const { relative } = await import('node:path');
    const { openRepo } = await import('../../core/api/repo.js');
    const repo = await openRepo(ctx.cwd);
    const rel = relative(ctx.cwd, repo.root) || '.';
    if (ctx.json) ctx.outJson({ root: rel, abs: repo.root });
    else ctx.out(rel, true);
  },
};
