import type { CommandModule } from '../types.js';

export const command: CommandModule = {
  path: ['destroy'],
  describe: 'remove geodvc/DVC from the repository: .dvc/, .dvc files, dvc.yaml/dvc.lock (outputs kept as plain files)',
  configure(cmd) {
    cmd.option('-f, --force', 'do not ask for confirmation');
  },
  async run(ctx, _args, opts) {
    const { UsageError } = await import('../../lib/errors.js');
    if (!opts.force) {
      const readline = await import('node:readline/promises');
      if (!process.stdin.isTTY) {
        throw new UsageError('destroy deletes .dvc/ (with the cache) and every .dvc and dvc.yaml/dvc.lock file; it needs confirmation', { hint: 'rerun with -f/--force to confirm' });
      }
      const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
      const answer = await rl.question('This will destroy all information about your pipelines, all data files, as well as cache in .dvc/cache.\nAre you sure you want to continue? [y/n] ');
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) throw new UsageError('cancelled', { hint: 'nothing was removed; rerun with -f to skip the question' });
    }
    const { destroy } = await import('../../core/api/destroy.js');
    const res = await destroy({ cwd: ctx.cwd, signal: ctx.signal });
    if (ctx.json) ctx.outJson(res);
  },
};
