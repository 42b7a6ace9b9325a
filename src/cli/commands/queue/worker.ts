import type { CommandModule } from '../../types.js';

const ms = (v: unknown, flag: string, hint: string) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n > 0)) throw Object.assign(new Error(`invalid ${flag} '${v}'`), { hint });
  return Math.round(n * 1000);
};

export const command: CommandModule = {
  path: ['queue', 'worker'],
  describe: 'take experiments and pipeline stages (`repro --queue`) from the shared Redis queue (GEODVC_QUEUE_URL or --redis-url) until stopped',
  configure(cmd) {
    cmd.option('--redis-url <url>', 'redis://HOST:PORT[/DB] (default: $GEODVC_QUEUE_URL)')
      .option('-j, --jobs <n>', 'jobs run at once by this worker (one clone each for stages)', '1')
      .option('--exit-when-empty', 'stop when no job is waiting or running')
      .option('--only <kind>', 'take only `stages` or only `exps`')
      .option('--workdir <dir>', 'stage jobs: keep the clones and the cache here (default: $GEODVC_WORKER_DIR or a temporary directory removed at exit)')
      .option('--lock-duration <seconds>', 'stage jobs: a worker that stops renewing its job lock this long (killed) loses the job to another worker', '30')
      .option('--stalled-interval <seconds>', 'stage jobs: how often this worker looks for stalled jobs of dead workers', '30')
      .option('--max-stalled <n>', 'stage jobs: stalls a job may have before it fails', '2');
  },
  async run(ctx, _args, opts) {
    const { redisUrlOf, redisWorker } = await import('../../../core/api/exp.js');
    const { UsageError } = await import('../../../lib/errors.js');
    const url = redisUrlOf(opts.redisUrl);
    if (!url) throw new UsageError('no Redis queue configured', { hint: 'set GEODVC_QUEUE_URL=redis://HOST:PORT or pass --redis-url' });
    const only = opts.only as string | undefined;
    if (only !== undefined && only !== 'stages' && only !== 'exps') throw new UsageError(`invalid --only '${only}'`, { hint: 'use --only stages or --only exps' });
    const jobs = Number(opts.jobs);
    if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`invalid --jobs '${opts.jobs}'`, { hint: 'give a positive integer, e.g. -j 4' });
    let lockDurationMs: number | undefined, stalledIntervalMs: number | undefined;
    try {
      lockDurationMs = ms(opts.lockDuration, '--lock-duration', 'give seconds, e.g. 30');
      stalledIntervalMs = ms(opts.stalledInterval, '--stalled-interval', 'give seconds, e.g. 30');
    } catch (e) { throw new UsageError((e as Error).message, { hint: (e as { hint: string }).hint }); }
    const maxStalled = Number(opts.maxStalled);
    if (!Number.isInteger(maxStalled) || maxStalled < 0) throw new UsageError(`invalid --max-stalled '${opts.maxStalled}'`, { hint: 'give a whole number, e.g. 2' });
    const log = (s: string) => ctx.info(s);
    const { stageWorker } = await import('../../../core/api/repro.js');
    const [exps, stages] = await Promise.all([
      only === 'stages' ? Promise.resolve(0) : redisWorker(url, { concurrency: jobs, exitWhenEmpty: !!opts.exitWhenEmpty, signal: ctx.signal, log }),
      only === 'exps' ? Promise.resolve({ completed: 0, failed: 0 }) : stageWorker(url, {
        concurrency: jobs, exitWhenEmpty: !!opts.exitWhenEmpty, signal: ctx.signal, log,
        workdir: opts.workdir ?? process.env.GEODVC_WORKER_DIR ?? undefined, lockDurationMs, stalledIntervalMs, maxStalledCount: maxStalled,
      }),
    ]);
    if (ctx.json) ctx.outJson({ completed: exps, stages: stages.completed, stagesFailed: stages.failed });
    else ctx.out(`Worker finished ${exps} experiment(s) and ${stages.completed} stage job(s)${stages.failed ? ` (${stages.failed} failed)` : ''}.`);
  },
};
