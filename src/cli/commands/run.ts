import type { CommandModule } from '../types.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export const command: CommandModule = {
  path: ['run'],
  describe: 'add a stage to dvc.yaml and run it (DVC 1.x `dvc run`; same as `stage add --run`)',
  configure(cmd) {
    cmd.argument('<command...>', 'the stage command')
      .requiredOption('-n, --name <name>', 'stage name')
      .option('-d, --deps <path>', 'dependency (repeatable)', collect)
      .option('-o, --outs <path>', 'cached output (repeatable)', collect)
      .option('-O, --outs-no-cache <path>', 'output not cached (repeatable)', collect)
      .option('--outs-persist <path>', 'cached output kept between runs', collect)
      .option('--outs-persist-no-cache <path>', 'uncached output kept between runs', collect)
      .option('-p, --params <keys>', 'params: a,b or file.yaml:a,b or file.yaml: (repeatable)', collect)
      .option('-m, --metrics <path>', 'cached metrics file', collect)
      .option('-M, --metrics-no-cache <path>', 'uncached metrics file', collect)
      .option('--plots <path>', 'cached plots file', collect)
      .option('--plots-no-cache <path>', 'uncached plots file', collect)
      .option('-w, --wdir <dir>', 'working directory of the command (relative to dvc.yaml)')
      .option('--desc <text>', 'description')
      .option('--always-changed', 'always consider this stage changed')
      .option('-f, --force', 'overwrite an existing stage with this name');
  },
  async run(ctx, args, opts) {
    const { stageAdd } = await import('../../core/api/stage.js');
    const res = stageAdd({
      cwd: ctx.cwd, name: opts.name, cmd: (args[0] as string[]).join(' '),
      deps: opts.deps, outs: opts.outs, outsNoCache: opts.outsNoCache, outsPersist: opts.outsPersist, outsPersistNoCache: opts.outsPersistNoCache,
      params: opts.params, metrics: opts.metrics, metricsNoCache: opts.metricsNoCache, plots: opts.plots, plotsNoCache: opts.plotsNoCache,
      wdir: opts.wdir, desc: opts.desc, alwaysChanged: !!opts.alwaysChanged, force: !!opts.force,
    });
    const { reproduce } = await import('../../core/api/repro.js');
    const r = await reproduce({ cwd: ctx.cwd, targets: [opts.name], signal: ctx.signal, onOutput: (_s, c, st) => { if (!ctx.json) (st === 'stdout' && !ctx.quiet ? process.stdout : process.stderr).write(c); } });
    const ran = r.ran;
    if (ctx.json) { ctx.outJson({ stage: opts.name, file: res.file, ran }); return; }
    ctx.out(`Added stage '${opts.name}' in '${res.file}' and reproduced it.`);
  },
};
