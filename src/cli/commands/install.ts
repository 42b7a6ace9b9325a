import type { CommandModule } from '../types.js';

export const command: CommandModule = {
  path: ['install'],
  describe: 'install git hooks: post-checkout (checkout), pre-push (push), pre-commit (geo validate + geo check on staged data)',
  configure(cmd) { cmd.option('-f, --force', 'replace hooks that were not written by geodvc'); },
  async run(ctx, _args, opts) {
    const { geoInstall } = await import('../../core/api/geo-install.js');
    const r = geoInstall({ cwd: ctx.cwd, force: !!opts.force });
    if (ctx.json) ctx.outJson(r);
    else ctx.out(`installed git hooks ${r.written.join(', ')} in ${r.hooksDir}`);
  },
};
