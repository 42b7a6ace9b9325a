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
      .option('-j, --jobs <n>', 'run up to n independent stages at once', '1')
      .option('--queue', 'send the stages as jobs to `geodvc queue worker`s on the Redis queue (docs/scale-out.md); outputs stay on the remote')
      .option('--redis-url <url>', 'with --queue: redis://HOST:PORT[/DB] (default: $GEODVC_QUEUE_URL)')
      .option('--attempts <n>', 'with --queue: attempts per stage job', '1')
      .option('--stage-timeout <seconds>', 'with --queue: time limit of one attempt of a stage');
  },
  async run(ctx, args, opts) {
    const { reproduce } = await import('../../core/api/repro.js');
    const jobs = Number(opts.jobs);
    if (!Number.isInteger(jobs) || jobs < 1) {
      const { UsageError } = await import('../../lib/errors.js');
      throw new UsageError(`invalid --jobs '${opts.jobs}'`, { hint: 'give a positive integer, e.g. -j 4' });
    }
    if (opts.queue && !opts.dry) return runQueued(ctx, args, opts);
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

async function runQueued(ctx: Parameters<CommandModule['run']>[0], args: any[], opts: Record<string, any>): Promise<number> {
  const { UsageError } = await import('../../lib/errors.js');
  const { redisUrlOf } = await import('../../core/api/exp.js');
  const url = redisUrlOf(opts.redisUrl);
  if (!url) throw new UsageError('repro --queue needs a Redis queue', { hint: 'set GEODVC_QUEUE_URL=redis://HOST:PORT or pass --redis-url' });
  const attempts = Number(opts.attempts);
  if (!Number.isInteger(attempts) || attempts < 1) throw new UsageError(`invalid --attempts '${opts.attempts}'`, { hint: 'give a positive integer' });
  const timeout = opts.stageTimeout === undefined ? undefined : Number(opts.stageTimeout);
  if (timeout !== undefined && !(timeout > 0)) throw new UsageError(`invalid --stage-timeout '${opts.stageTimeout}'`, { hint: 'give seconds, e.g. --stage-timeout 3600' });
  const { reproduceQueued } = await import('../../core/api/repro.js');
  const res = await reproduceQueued({
    cwd: ctx.cwd, targets: args[0] ?? [], force: !!opts.force, single: !!opts.singleItem, downstream: !!opts.downstream,
    keepGoing: !!opts.keepGoing, allPipelines: !!opts.allPipelines, noRunCache: opts.runCache === false,
    redisUrl: url, attempts, timeoutMs: timeout ? Math.round(timeout * 1000) : undefined,
    signal: ctx.signal, onProgress: ctx.onProgress, logger: ctx.logger,
    onStage: (e) => {
      if (ctx.json) return;
      switch (e.action) {
        case 'done': ctx.out(`Stage '${e.stage}' ran on a worker, lock updated`); break;
        case 'restored': ctx.out(`Stage '${e.stage}' was restored from the run-cache on a worker, lock updated`); break;
        case 'skip': ctx.out(e.reason === "didn't change" ? `Stage '${e.stage}' didn't change, skipping` : `Stage '${e.stage}' skipped: ${e.reason}`); break;
        default: break;
      }
    },
  });
  const d = res.distributed;
  if (ctx.json) {
    ctx.outJson({ ran: res.ran, restored: res.restored, unchanged: res.unchanged, skipped: res.skipped, failed: res.failed.map((f) => ({ stage: f.stage, ...f.error.toJSON() })), run: d.runId, commit: d.commit, counts: d.counts, wallMs: d.wallMs, jobs: d.jobs });
  } else {
    ctx.out(`Run ${d.runId}: ${d.counts.done} stage job(s) done (${res.ran.length} ran, ${res.restored.length} restored, ${res.unchanged.length} unchanged), ${d.counts.failed} failed, ${d.counts.skipped} skipped in ${(d.wallMs / 1000).toFixed(1)} s. Outputs are on the remote: \`geodvc pull\` fetches them.`);
  }
  for (const f of res.failed) ctx.warn(`ERROR: ${f.error.message}${f.error.hint ? `\nhint: ${f.error.hint}` : ''}`);
  return res.failed.length ? 1 : 0;
}
