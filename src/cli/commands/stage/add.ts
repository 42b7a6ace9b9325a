import type { CommandModule } from '../../types.js';
import { addStage, configureStageFlags } from './_stage-add.js';

export const command: CommandModule = {
  path: ['stage', 'add'],
  describe: 'add a stage to dvc.yaml (DVC flags); --run also reproduces it',
  configure(cmd) {
    configureStageFlags(cmd).option('--run', 'reproduce the stage after adding it');
  },
  async run(ctx, args, opts) {
    const { file, ran } = await addStage(ctx, args, opts, !!opts.run);
    if (ctx.json) { ctx.outJson({ stage: opts.name, file, ran }); return; }
    ctx.out(`Added stage '${opts.name}' in '${file}'${opts.run ? ' and reproduced it' : ''}.`);
    if (!opts.run) ctx.out(`\nTo run it: geodvc repro ${opts.name}`);
  },
};
