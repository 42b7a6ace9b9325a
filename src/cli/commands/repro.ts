import type { CommandModule } from '../types.js';

export const command: CommandModule = {
  path: ['repro'],
  describe: 'reproduce the pipeline: run the stages whose command, deps, params or outs changed',
  configure(cmd) {
    cmd.argument('[targets...]', 'stages (name, name@key, path/dvc.yaml:name) or dvc.yaml files')
      .option('-f, --force', 'run the stages even if nothing changed')
      .option('-s, --single-item', 'run only the targets, not their upstream stages')
      .option('--downstream', 'run the targets and every stage that depends on them')
      .option('--dry', 'only print what would run')
      .option('-k, --keep-going', 'on a failure keep running the stages that do not depend on it')
      .option('--pull', 'pull missing data (.dvc and dvc.lock outputs) from the default remote first')
      .option('--allow-missing', 'skip stages whose only change is missing data')
      .option('-P, --all-pipelines', 'reproduce every pipeline in the repository')
      .option('--no-run-cache', 'always run commands, never restore from the run-cache')
      .option('-j, --jobs <n>', 'run up to n independent stages at once', '1');
  },
  async run(ctx, args, opts) {
    const { reproduce } = await import('../../core/api/repro.js');
    const jobs = Number(opts.jobs);
    if (!Number.isInteger(jobs) || jobs < 1) {
      const { UsageError } = await import('../../lib/errors.js');
      throw new UsageError(`invalid --jobs '${opts.jobs}'`, { hint: 'give a positive integer, e.g. -j 4' });
    }
    if (opts.pull && !opts.dry) {
      // fetch and check out the data of the workspace's .dvc files and dvc.lock outputs first
      const { pull } = await import('../../core/api/pull.js');
      const p = await pull({ cwd: ctx.cwd, signal: ctx.signal, onProgress: ctx.onProgress, jobs: undefined });
      if (!ctx.json && p.added.length) ctx.info(`pulled ${p.added.length} output(s) before reproducing`);
    }
    const buffers = new Map<string, string>();
    // DVC's "git add dvc.lock …" hint: which dvc.lock/.gitignore files this run writes
    const ui = await import('../ui/git-hint.js');
    const hs = await ui.hintSettings(ctx.cwd);
    const snap = hs && !hs.noScm && !opts.dry ? ui.snapshotTracked(hs.root) : undefined;
    const res = await reproduce({
      cwd: ctx.cwd,
      targets: args[0] ?? [],
      force: !!opts.force,
      single: !!opts.singleItem,
      downstream: !!opts.downstream,
      dry: !!opts.dry,
      keepGoing: !!opts.keepGoing,
      allowMissing: !!opts.allowMissing,
      allPipelines: !!opts.allPipelines,
      noRunCache: opts.runCache === false,
      jobs,
      signal: ctx.signal,
      onProgress: ctx.onProgress,
      logger: ctx.logger,
      onOutput: (stage, chunk, stream) => {
        if (ctx.json) return;
        // -q: a stage's own output (progress of a geodvc stage, logs) is shown only when it fails
        if (jobs > 1 || ctx.quiet) { buffers.set(stage, (buffers.get(stage) ?? '') + chunk); return; }
        (stream === 'stdout' && !ctx.quiet ? process.stdout : process.stderr).write(chunk);
      },
      onStage: (e) => {
        if (ctx.json) return;
        const cmds = e.cmd === undefined ? [] : Array.isArray(e.cmd) ? e.cmd : [e.cmd];
        switch (e.action) {
          case 'start': ctx.out(`Running stage '${e.stage}':${cmds.map((c) => `\n> ${c}`).join('')}`); break;
          case 'would-run': ctx.out(`Would run stage '${e.stage}':${cmds.map((c) => `\n> ${c}`).join('')}`); break;
          case 'restored': ctx.out(`Stage '${e.stage}' is cached - skipping run, checking out outputs`); break;
          case 'skip': ctx.out(e.reason === "didn't change" ? `Stage '${e.stage}' didn't change, skipping` : `Stage '${e.stage}' skipped: ${e.reason}`); break;
          case 'lock-updated': ctx.out(`Stage '${e.stage}': ${e.reason}; dvc.lock updated`); break;
          case 'done': {
            const b = buffers.get(e.stage);
            if (b) { if (!ctx.quiet) ctx.out(`--- output of '${e.stage}' ---\n${b.trimEnd()}`); buffers.delete(e.stage); }
            ctx.out(`Stage '${e.stage}' done, lock updated`);
            break;
          }
          case 'failed': {
            const b = buffers.get(e.stage);
            if (b) { ctx.warn(`--- output of '${e.stage}' ---\n${b.trimEnd()}`); buffers.delete(e.stage); }
            break;
          }
        }
      },
    });
    if (ctx.json) ctx.outJson({ ran: res.ran, restored: res.restored, unchanged: res.unchanged, skipped: res.skipped, wouldRun: res.wouldRun, failed: res.failed.map((f) => ({ stage: f.stage, ...f.error.toJSON() })) });
    else if (!res.ran.length && !res.restored.length && !res.wouldRun.length && !res.failed.length) ctx.out('Data and pipelines are up to date.');
    if (snap && hs) {
      const hint = ui.gitHint(hs.root, ctx.cwd, ui.changedSince(snap), hs.autostage);
      if (hint && !ctx.json) ctx.out(hint);
    }
    if (res.failed.length) {
      for (const f of res.failed) ctx.warn(`ERROR: ${f.error.message}`);
      return 1;
    }
    return 0;
  },
};
