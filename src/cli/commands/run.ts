import type { CommandModule } from '../types.js';
import { addStage, configureStageFlags } from './stage/_stage-add.js';

export const command: CommandModule = {
  path: ['run'],
  describe: 'add a stage to dvc.yaml and run it (DVC 1.x `dvc run`; same as `stage add --run`)',
  configure(cmd) {
    configureStageFlags(cmd);
  },
  async run(ctx, args, opts) {
    const { file, ran } = await addStage(ctx, args, opts, true);
    if (ctx.json) { ctx.outJson({ stage: opts.name, file, ran }); return; }
    ctx.out(`Added stage '${opts.name}' in '${file}' and reproduced it.`);
  },
};
