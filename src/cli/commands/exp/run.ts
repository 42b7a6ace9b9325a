import type { CommandModule } from '../../types.js';

export const command: CommandModule = {
  path: ['exp', 'run'],
  describe: 'run the pipeline as an experiment, optionally with changed params (-S key=value)',
  configure(cmd) {
    cmd.argument('[targets...]', 'stages to reproduce (default: all)')
      .option('-S, --set-param <override...>', 'params to change: key=value, file.yaml:key=value, nested.key=value, key=[1,2]')
      .option('-n, --name <name>', 'experiment name (default: generated)')
      .option('--queue', 'add to the queue instead of running now (`geodvc queue start`); Redis when GEODVC_QUEUE_URL/--redis-url is set')
      .option('--redis-url <url>', 'shared queue on Redis (default: $GEODVC_QUEUE_URL)')
      .option('-f, --force', 'replace an experiment with the same name')
      .option('-j, --jobs <n>', 'run up to n independent stages at once', '1');
  },
  async run(ctx, args, opts) {
    const { expRun } = await import('../../../core/api/exp.js');
    const res = await expRun({
      cwd: ctx.cwd, set: opts.setParam ?? [], name: opts.name, redisUrl: opts.redisUrl, queue: !!opts.queue, force: !!opts.force, jobs: Number(opts.jobs) || 1,
      targets: args[0]?.length ? args[0] : undefined, signal: ctx.signal, onProgress: ctx.onProgress,
      onOutput: (_s, chunk, stream) => { if (!ctx.json) (stream === 'stdout' && !ctx.quiet ? process.stdout : process.stderr).write(chunk); },
      onStage: (e) => {
        if (ctx.json) return;
        if (e.action === 'start') ctx.out(`Running stage '${e.stage}':${(Array.isArray(e.cmd) ? e.cmd : [e.cmd]).map((c) => `\n> ${c}`).join('')}`);
        else if (e.action === 'skip') ctx.out(`Stage '${e.stage}' ${e.reason === "didn't change" ? "didn't change, skipping" : `skipped: ${e.reason}`}`);
        else if (e.action === 'restored') ctx.out(`Stage '${e.stage}' is cached - skipping run, checking out outputs`);
      },
    });
    if (ctx.json) { ctx.outJson({ name: res.name, ref: res.ref ?? null, rev: res.rev ?? null, baseline: res.baseline, queued: res.queued ?? null, applied: res.applied, ran: res.repro?.ran ?? [] }); return; }
    if (res.queued) ctx.out(`Queued experiment '${res.name}' (${res.queued}). Run it with \`geodvc queue start\`.`);
    else ctx.out(`\nRan experiment '${res.name}' (${res.rev!.slice(0, 7)}), ref ${res.ref}`);
  },
};
