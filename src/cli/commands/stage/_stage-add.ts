/**
 * Shared by `stage add` and `run` (DVC 1.x's spelling of `stage add --run`): the DVC stage flags
 * and the add-then-maybe-reproduce action. No `command` export, so the CLI loader skips this file.
 */
import type { Command } from 'commander';
import type { CliContext } from '../../types.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function configureStageFlags(cmd: Command): Command {
  return cmd.argument('<command...>', 'the stage command')
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
}

/** Adds the stage to dvc.yaml and, when `run`, reproduces it; returns the file and the stages run. */
export async function addStage(ctx: CliContext, args: any[], opts: Record<string, any>, run: boolean): Promise<{ file: string; ran: string[] }> {
  const { stageAdd } = await import('../../../core/api/stage.js');
  const res = stageAdd({
    cwd: ctx.cwd, name: opts.name, cmd: (args[0] as string[]).join(' '),
    deps: opts.deps, outs: opts.outs, outsNoCache: opts.outsNoCache, outsPersist: opts.outsPersist, outsPersistNoCache: opts.outsPersistNoCache,
    params: opts.params, metrics: opts.metrics, metricsNoCache: opts.metricsNoCache, plots: opts.plots, plotsNoCache: opts.plotsNoCache,
    wdir: opts.wdir, desc: opts.desc, alwaysChanged: !!opts.alwaysChanged, force: !!opts.force,
  });
  let ran: string[] = [];
  if (run) {
    const { reproduce } = await import('../../../core/api/repro.js');
    const r = await reproduce({ cwd: ctx.cwd, targets: [opts.name], signal: ctx.signal, onOutput: (_s, c, st) => { if (!ctx.json) (st === 'stdout' && !ctx.quiet ? process.stdout : process.stderr).write(c); } });
    ran = r.ran;
  }
  return { file: res.file, ran };
}
