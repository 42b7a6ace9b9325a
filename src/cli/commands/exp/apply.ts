import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['exp', 'apply'],
  describe: "write an experiment's params, lock, metrics and outputs into the workspace (no commit)",
  configure(cmd) { cmd.argument('<experiment>', 'experiment name or rev'); },
  async run(ctx, args) {
    const { expApply } = await import('../../../core/api/exp.js');
    const r = await expApply(ctx.cwd, args[0]);
    if (ctx.json) { ctx.outJson({ name: r.exp.name, rev: r.exp.rev, files: r.files, outs: r.outs }); return; }
    ctx.out(`Applied experiment '${r.exp.name}' (${r.files.length} git files, ${r.outs.length} outputs from the cache).`);
  },
};
